#include "tests/fakes/test_jwt.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>

namespace casebridge::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "test_jwt: %s\n", what);
  std::abort();
}

std::string B64Url(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 63];
  return out;
}

TestKeyPair ToPem(EVP_PKEY* key) {
  TestKeyPair pair;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  pair.private_pem.assign(data, static_cast<size_t>(n));
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  n = BIO_get_mem_data(bio, &data);
  pair.public_pem.assign(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pair;
}

}  // namespace

TestKeyPair NewRsaKeyPair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  if (key == nullptr) Die("RSA key generation failed");
  return ToPem(key);
}

TestKeyPair NewEcKeyPair() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) Die("EC key generation failed");
  return ToPem(key);
}

std::string MintJwt(const std::string& alg, const nlohmann::json& claims,
                    const std::string& private_pem) {
  const nlohmann::json header = {{"alg", alg}, {"typ", "JWT"}};
  const std::string signing_input =
      B64Url(header.dump()) + "." + B64Url(claims.dump());
  if (alg == "none") return signing_input + ".";
  BIO* bio =
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) Die("bad private key");
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t len = 0;
  if (EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(
          md, nullptr, &len,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    Die("sign init failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(
          md, reinterpret_cast<unsigned char*>(sig.data()), &len,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    Die("sign failed");
  }
  sig.resize(len);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  if (alg == "ES256") {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    if (es == nullptr) Die("bad ECDSA signature");
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es),
                 reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es),
                 reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(es);
    sig = raw;
  }
  return signing_input + "." + B64Url(sig);
}

}  // namespace casebridge::testing

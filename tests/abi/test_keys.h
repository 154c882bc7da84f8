// RSA test keys generated at run time and RS256 verification, for the JWT
// tests. Test-only; not thread-safe with respect to OpenSSL error queues.
#ifndef CASEBRIDGE_TESTS_ABI_TEST_KEYS_H_
#define CASEBRIDGE_TESTS_ABI_TEST_KEYS_H_

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace casebridge::test_keys {

struct TestKey {
  std::string private_pem;            // unencrypted PKCS#8
  std::string encrypted_private_pem;  // PKCS#8, AES-256-CBC, passphrase below
  std::string public_pem;
  std::string passphrase = "correct horse battery staple";
};

inline std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

inline TestKey MakeRsaKey() {
  TestKey key;
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  key.private_pem = BioToString(bio);
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(
      bio, pkey, EVP_aes_256_cbc(),
      reinterpret_cast<const unsigned char*>(key.passphrase.data()),
      static_cast<int>(key.passphrase.size()), nullptr, nullptr);
  key.encrypted_private_pem = BioToString(bio);
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pkey);
  key.public_pem = BioToString(bio);
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return key;
}

inline std::string Base64UrlDecode(std::string_view in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return "<invalid base64url>";
    buffer = ((buffer << 6) | static_cast<uint32_t>(v)) & 0xffffffu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

// True when `jwt` is header.claims.signature with a valid RS256 signature
// under `public_pem`.
inline bool VerifyRs256(const std::string& jwt, const std::string& public_pem) {
  size_t last_dot = jwt.rfind('.');
  if (last_dot == std::string::npos) return false;
  std::string signing_input = jwt.substr(0, last_dot);
  std::string signature = Base64UrlDecode(jwt.substr(last_dot + 1));
  BIO* bio =
      BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
      EVP_DigestVerify(
          ctx, reinterpret_cast<const unsigned char*>(signature.data()),
          signature.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

// The JSON text of the JWT part at `index` (0 = header, 1 = claims).
inline std::string JwtPart(const std::string& jwt, int index) {
  size_t first = jwt.find('.');
  size_t second = jwt.find('.', first + 1);
  if (index == 0) return Base64UrlDecode(jwt.substr(0, first));
  return Base64UrlDecode(jwt.substr(first + 1, second - first - 1));
}

}  // namespace casebridge::test_keys

#endif  // CASEBRIDGE_TESTS_ABI_TEST_KEYS_H_

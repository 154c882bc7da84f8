#include "server/plugin_host/jwt.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace casebridge::plugin_host {
namespace {

struct PassphraseArg {
  std::string_view passphrase;
  bool asked = false;
};

// OpenSSL passphrase callback; never prompts on a terminal.
int PassphraseCallback(char* buf, int size, int /*rwflag*/, void* u) {
  auto* arg = static_cast<PassphraseArg*>(u);
  arg->asked = true;
  if (arg->passphrase.empty() || size <= 0 ||
      arg->passphrase.size() > static_cast<size_t>(size)) {
    return 0;
  }
  std::memcpy(buf, arg->passphrase.data(), arg->passphrase.size());
  return static_cast<int>(arg->passphrase.size());
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

bool LooksEncrypted(std::string_view pem) {
  return pem.find("ENCRYPTED") != std::string_view::npos;
}

}  // namespace

std::string Base64UrlEncode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i + 1 == data.size()) {
    uint32_t v = bytes[i] << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (i + 2 == data.size()) {
    uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

absl::StatusOr<std::string> SignJwtRs256(std::string_view header_json,
                                         std::string_view claims_json,
                                         std::string_view private_key_pem,
                                         std::string_view passphrase) {
  nlohmann::json header = nlohmann::json::object();
  if (!header_json.empty()) {
    header = nlohmann::json::parse(header_json, nullptr, false);
    if (header.is_discarded() || !header.is_object()) {
      return absl::InvalidArgumentError("JWT header is not a JSON object");
    }
  }
  header["alg"] = "RS256";
  if (!header.contains("typ")) header["typ"] = "JWT";
  nlohmann::json claims = nlohmann::json::parse(claims_json, nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) {
    return absl::InvalidArgumentError("JWT claims are not a JSON object");
  }
  if (private_key_pem.empty()) {
    return absl::InvalidArgumentError("private key is empty");
  }

  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(
      private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  if (!bio) return absl::InternalError("out of memory reading private key");
  PassphraseArg arg{passphrase};
  ERR_clear_error();
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, &PassphraseCallback, &arg));
  ERR_clear_error();
  if (!key) {
    if (LooksEncrypted(private_key_pem)) {
      if (passphrase.empty()) {
        return absl::InvalidArgumentError(
            "private key is encrypted but no passphrase was given");
      }
      return absl::InvalidArgumentError(
          "private key could not be decrypted: wrong passphrase?");
    }
    return absl::InvalidArgumentError(
        "private key could not be read: not a PEM private key");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("private key is not an RSA key");
  }

  std::string signing_input =
      Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims_json);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  size_t sig_len = 0;
  if (!md ||
      EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) !=
          1 ||
      EVP_DigestSign(
          md.get(), nullptr, &sig_len,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("RS256 signing failed");
  }
  std::string signature(sig_len, '\0');
  if (EVP_DigestSign(
          md.get(), reinterpret_cast<unsigned char*>(signature.data()),
          &sig_len,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("RS256 signing failed");
  }
  signature.resize(sig_len);
  return signing_input + "." + Base64UrlEncode(signature);
}

}  // namespace casebridge::plugin_host

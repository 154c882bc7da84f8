#include "server/auth/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace casebridge::auth {
namespace {

enum class Alg { kRs256, kEs256 };

absl::Status Unauthenticated(std::string_view why) {
  return absl::UnauthenticatedError(
      absl::StrCat("the bearer token was refused: ", std::string(why)));
}

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Raw r||s (64 bytes) to a DER ECDSA-Sig-Value.
bool RawToDer(const std::string& raw, std::string* der) {
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (sig == nullptr) return false;
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32,
                        nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32,
                        32, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* out = nullptr;
  const int n = i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);
  if (n <= 0) return false;
  der->assign(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return true;
}

}  // namespace

bool Base64UrlDecode(std::string_view in, std::string* out) {
  out->clear();
  if (in.size() % 4 == 1) return false;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    const int v = DecodeChar(c);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return true;
}

struct JwtVerifier::Key {
  EVP_PKEY* pkey = nullptr;
  Alg alg = Alg::kRs256;
  ~Key() { EVP_PKEY_free(pkey); }
};

JwtVerifier::JwtVerifier(JwtVerifierOptions options)
    : options_(std::move(options)) {}

JwtVerifier::~JwtVerifier() = default;

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(
    JwtVerifierOptions options) {
  std::unique_ptr<JwtVerifier> v(new JwtVerifier(std::move(options)));
  for (size_t i = 0; i < v->options_.public_keys_pem.size(); ++i) {
    const std::string& pem = v->options_.public_keys_pem[i];
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* pkey = bio == nullptr
                         ? nullptr
                         : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (pkey == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWT public key #", i + 1, " is not a PEM public key"));
    }
    auto key = std::make_unique<Key>();
    key->pkey = pkey;
    if (EVP_PKEY_base_id(pkey) == EVP_PKEY_RSA) {
      if (EVP_PKEY_bits(pkey) < 2048) {
        return absl::InvalidArgumentError(
            absl::StrCat("JWT public key #", i + 1, " is RSA below 2048 bits"));
      }
      key->alg = Alg::kRs256;
    } else if (EVP_PKEY_base_id(pkey) == EVP_PKEY_EC &&
               EVP_PKEY_bits(pkey) == 256) {
      key->alg = Alg::kEs256;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("JWT public key #", i + 1,
                       " must be RSA (RS256) or EC P-256 (ES256)"));
    }
    v->keys_.push_back(std::move(key));
  }
  if (v->keys_.empty()) {
    return absl::InvalidArgumentError("JWT verification needs a public key");
  }
  return v;
}

absl::StatusOr<nlohmann::json> JwtVerifier::Verify(std::string_view token,
                                                   absl::Time now) const {
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos
                          ? std::string_view::npos
                          : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos ||
      token.find('.', dot2 + 1) != std::string_view::npos) {
    return Unauthenticated("not a JWS compact token");
  }
  std::string header_raw, payload_raw, signature;
  if (!Base64UrlDecode(token.substr(0, dot1), &header_raw) ||
      !Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1), &payload_raw) ||
      !Base64UrlDecode(token.substr(dot2 + 1), &signature)) {
    return Unauthenticated("bad base64url");
  }
  nlohmann::json header = nlohmann::json::parse(header_raw, nullptr, false);
  if (!header.is_object() || !header.contains("alg") ||
      !header["alg"].is_string()) {
    return Unauthenticated("header has no alg");
  }
  const std::string alg_name = header["alg"].get<std::string>();
  Alg alg;
  if (alg_name == "RS256") {
    alg = Alg::kRs256;
  } else if (alg_name == "ES256") {
    alg = Alg::kEs256;
  } else {
    return Unauthenticated(
        absl::StrCat("algorithm ", alg_name.substr(0, 16),
                     " is not accepted (use RS256 or ES256)"));
  }
  if (header.contains("crit")) {
    return Unauthenticated("critical header extensions are not supported");
  }
  std::string sig_der;
  if (alg == Alg::kEs256) {
    if (!RawToDer(signature, &sig_der)) {
      return Unauthenticated("bad ES256 signature");
    }
  } else {
    sig_der = signature;
  }
  const std::string_view signed_part = token.substr(0, dot2);
  bool verified = false;
  for (const auto& key : keys_) {
    if (key->alg != alg) continue;
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    if (md == nullptr) continue;
    if (EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key->pkey) ==
            1 &&
        EVP_DigestVerify(
            md, reinterpret_cast<const unsigned char*>(sig_der.data()),
            sig_der.size(),
            reinterpret_cast<const unsigned char*>(signed_part.data()),
            signed_part.size()) == 1) {
      verified = true;
    }
    EVP_MD_CTX_free(md);
    if (verified) break;
  }
  if (!verified) return Unauthenticated("signature does not verify");

  nlohmann::json claims = nlohmann::json::parse(payload_raw, nullptr, false);
  if (!claims.is_object()) return Unauthenticated("claims are not an object");
  if (!claims.contains("iss") || !claims["iss"].is_string() ||
      claims["iss"].get<std::string>() != options_.issuer) {
    return Unauthenticated("wrong issuer");
  }
  bool audience_ok = false;
  if (claims.contains("aud")) {
    const nlohmann::json& aud = claims["aud"];
    auto match = [&](const nlohmann::json& a) {
      return a.is_string() &&
             std::find(options_.audiences.begin(), options_.audiences.end(),
                       a.get<std::string>()) != options_.audiences.end();
    };
    if (aud.is_array()) {
      for (const auto& a : aud) audience_ok = audience_ok || match(a);
    } else {
      audience_ok = match(aud);
    }
  }
  if (!audience_ok) return Unauthenticated("wrong audience");
  const int64_t now_s = absl::ToUnixSeconds(now);
  const int64_t leeway_s = absl::ToInt64Seconds(options_.leeway);
  if (!claims.contains("exp") || !claims["exp"].is_number()) {
    return Unauthenticated("no exp claim");
  }
  if (claims["exp"].get<double>() + static_cast<double>(leeway_s) <=
      static_cast<double>(now_s)) {
    return Unauthenticated("expired");
  }
  if (claims.contains("nbf")) {
    if (!claims["nbf"].is_number() ||
        claims["nbf"].get<double>() - static_cast<double>(leeway_s) >
            static_cast<double>(now_s)) {
      return Unauthenticated("not valid yet (nbf)");
    }
  }
  return claims;
}

}  // namespace casebridge::auth

// Verifies JWTs (JWS compact form, RS256 or ES256) against configured public
// keys and checks issuer, audience, expiry and not-before. "alg": "none" and
// every other algorithm are refused.
//
// Immutable after Create; Verify is thread-safe. Owns its OpenSSL keys.
#ifndef CASEBRIDGE_SERVER_AUTH_JWT_VERIFIER_H_
#define CASEBRIDGE_SERVER_AUTH_JWT_VERIFIER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace casebridge::auth {

struct JwtVerifierOptions {
  std::vector<std::string> public_keys_pem;  // RSA and/or EC P-256
  std::string issuer;
  std::vector<std::string> audiences;
  absl::Duration leeway = absl::Seconds(60);
};

class JwtVerifier {
 public:
  // INVALID_ARGUMENT when a key cannot be parsed or is neither RSA nor EC
  // P-256 (the message gives the key's position, never its content).
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(
      JwtVerifierOptions options);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // The verified claims, or UNAUTHENTICATED with a reason safe to show
  // (never the token).
  absl::StatusOr<nlohmann::json> Verify(std::string_view token,
                                        absl::Time now) const;

 private:
  struct Key;
  explicit JwtVerifier(JwtVerifierOptions options);
  JwtVerifierOptions options_;
  std::vector<std::unique_ptr<Key>> keys_;
};

// base64url (RFC 4648 §5) without padding; false on bad input.
bool Base64UrlDecode(std::string_view in, std::string* out);

}  // namespace casebridge::auth

#endif  // CASEBRIDGE_SERVER_AUTH_JWT_VERIFIER_H_

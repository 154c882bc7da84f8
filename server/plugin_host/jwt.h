// RS256 JWT signing with OpenSSL, for plugins (cbp_host_api.jwt_sign_rs256),
// e.g. ServiceNow's OAuth JWT bearer flow.
//
// Stateless and thread-safe. Never logs or returns key material.
#ifndef CASEBRIDGE_SERVER_PLUGIN_HOST_JWT_H_
#define CASEBRIDGE_SERVER_PLUGIN_HOST_JWT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace casebridge::plugin_host {

// Returns base64url(header).base64url(claims).base64url(signature).
// `header_json` is a JSON object of extra header fields (empty = none);
// "alg" is forced to "RS256" and "typ" defaults to "JWT". `claims_json` must
// be a JSON object and is signed byte for byte as given. `private_key_pem` is
// an RSA key in PEM (PKCS#1 or PKCS#8), encrypted when `passphrase` is
// non-empty. Errors are INVALID_ARGUMENT with a reason that is safe to show;
// a wrong passphrase gives "private key could not be decrypted: wrong
// passphrase?".
absl::StatusOr<std::string> SignJwtRs256(std::string_view header_json,
                                         std::string_view claims_json,
                                         std::string_view private_key_pem,
                                         std::string_view passphrase);

// base64url without padding (RFC 7515 §2).
std::string Base64UrlEncode(std::string_view data);

}  // namespace casebridge::plugin_host

#endif  // CASEBRIDGE_SERVER_PLUGIN_HOST_JWT_H_

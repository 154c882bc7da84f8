// Authenticator: turns the "authorization" request header into a Principal
// (API key from the config or from the store, JWT, or the opt-in anonymous
// principal) or an UNAUTHENTICATED status that says what to send.
//
// Immutable after construction except for the API-key lookup cache, which is
// internally locked; Authenticate is thread-safe. The lookup function must
// outlive the Authenticator.
#ifndef CASEBRIDGE_SERVER_AUTH_AUTHENTICATOR_H_
#define CASEBRIDGE_SERVER_AUTH_AUTHENTICATOR_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/auth/jwt_verifier.h"
#include "server/auth/roles.h"
#include "server/config/config.h"
#include "server/store/model.h"

namespace casebridge::auth {

struct Principal {
  store::User user;    // becomes created_by/updated_by/pushed_by
  std::string id;      // "apikey:<id>", "jwt:<sub>" or "anonymous"
  std::string method;  // "api_key", "jwt" or "anonymous"
  RoleSet roles;
};

// An API key record as persisted by ApiKeyService (hash only).
struct ApiKeyRecord {
  std::string id;
  std::string name;
  std::string sha256;
  store::User user;
  std::vector<std::string> roles;
  absl::Time created_at;
  std::string created_by;
  bool revoked = false;
};

// Finds a stored key by id: nullopt when there is none.
using ApiKeyLookup = std::function<absl::StatusOr<std::optional<ApiKeyRecord>>(
    const std::string& id)>;

class Authenticator {
 public:
  // Reads the JWT public key files. INVALID_ARGUMENT names the bad key, role
  // or file.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      const config::AuthConfig& auth, const config::Principal& default_user,
      ApiKeyLookup lookup);

  // `header` is the "authorization" metadata value ("" when absent).
  absl::StatusOr<Principal> Authenticate(std::string_view header,
                                         absl::Time now) const;

  // Drops a cached stored key (after revocation).
  void Forget(const std::string& key_id) const;

 private:
  Authenticator() = default;
  absl::StatusOr<Principal> FromApiKey(const std::string& key) const;
  absl::StatusOr<Principal> FromJwt(const std::string& token,
                                    absl::Time now) const;

  struct ConfigKey {
    std::string id;
    std::string sha256;
    store::User user;
    RoleSet roles;
  };
  std::vector<ConfigKey> config_keys_;
  std::unique_ptr<JwtVerifier> jwt_;
  config::JwtConfig jwt_config_;
  std::optional<Principal> anonymous_;
  ApiKeyLookup lookup_;

  struct Cached {
    std::optional<ApiKeyRecord> record;
    absl::Time fetched;
  };
  mutable absl::Mutex mu_;
  mutable std::map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace casebridge::auth

#endif  // CASEBRIDGE_SERVER_AUTH_AUTHENTICATOR_H_

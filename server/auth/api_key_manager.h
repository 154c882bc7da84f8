// ApiKeyManager: creates, lists and revokes the API keys kept in the store
// (hash only), and finds them for the Authenticator (ApiKeyLookup).
//
// Thread-safe (the store is). Borrows the store, which must outlive it.
#ifndef CASEBRIDGE_SERVER_AUTH_API_KEY_MANAGER_H_
#define CASEBRIDGE_SERVER_AUTH_API_KEY_MANAGER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/auth/authenticator.h"
#include "server/store/store.h"

namespace casebridge::auth {

class ApiKeyManager {
 public:
  explicit ApiKeyManager(store::Store* store) : store_(store) {}

  // A new key for `user` with `roles`; returns the record and the key (the
  // only time it exists outside the caller). INVALID_ARGUMENT (field
  // violations) for a bad name, missing username or unknown role.
  absl::StatusOr<std::pair<store::ApiKey, std::string>> Create(
      const std::string& name, const store::User& user,
      const std::vector<std::string>& roles, const std::string& created_by);
  absl::StatusOr<std::vector<store::ApiKey>> List();
  // NOT_FOUND for an unknown id.
  absl::Status Revoke(const std::string& id);
  // For Authenticator: the record of `id`, if any.
  absl::StatusOr<std::optional<ApiKeyRecord>> Lookup(const std::string& id);

 private:
  store::Store* store_;
};

}  // namespace casebridge::auth

#endif  // CASEBRIDGE_SERVER_AUTH_API_KEY_MANAGER_H_

#include "server/auth/api_key_manager.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/auth/api_key.h"
#include "server/auth/roles.h"
#include "server/util/ids.h"
#include "server/util/status.h"

namespace casebridge::auth {

absl::StatusOr<std::pair<store::ApiKey, std::string>> ApiKeyManager::Create(
    const std::string& name, const store::User& user,
    const std::vector<std::string>& roles, const std::string& created_by) {
  ValidationErrors errors;
  if (name.empty() || name.size() > 100) {
    errors.Add("name", "must be 1 to 100 characters");
  }
  if (user.username.empty()) {
    errors.Add("principal.username", "is required");
  }
  if (auto parsed = RoleSet::Parse(roles); !parsed.ok()) {
    errors.Add("roles", std::string(parsed.status().message()));
  }
  if (!errors.empty()) return errors.ToStatus();
  store::ApiKey record;
  record.id = NewUuid();
  record.name = name;
  record.user = user;
  record.roles = roles;
  record.created_at = absl::Now();
  record.created_by = created_by;
  std::string key = GenerateApiKey(record.id);
  record.key_hash = HashApiKey(key);
  auto tx = store_->BeginWrite();
  if (!tx.ok()) {
    Wipe(key);
    return tx.status();
  }
  absl::Status s = (*tx)->InsertApiKey(record);
  if (s.ok()) s = (*tx)->Commit();
  if (!s.ok()) {
    Wipe(key);
    return s;
  }
  return std::make_pair(std::move(record), std::move(key));
}

absl::StatusOr<std::vector<store::ApiKey>> ApiKeyManager::List() {
  auto tx = store_->BeginRead();
  if (!tx.ok()) return tx.status();
  return (*tx)->ListApiKeys();
}

absl::Status ApiKeyManager::Revoke(const std::string& id) {
  auto tx = store_->BeginWrite();
  if (!tx.ok()) return tx.status();
  absl::Status s = (*tx)->RevokeApiKey(id, absl::Now());
  if (absl::IsNotFound(s)) {
    return absl::NotFoundError(absl::StrCat(
        "API key ", id, " not found: list the keys with ListApiKeys"));
  }
  if (!s.ok()) return s;
  return (*tx)->Commit();
}

absl::StatusOr<std::optional<ApiKeyRecord>> ApiKeyManager::Lookup(
    const std::string& id) {
  auto tx = store_->BeginRead();
  if (!tx.ok()) return tx.status();
  auto found = (*tx)->GetApiKey(id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return std::optional<ApiKeyRecord>();
  const store::ApiKey& k = **found;
  ApiKeyRecord r;
  r.id = k.id;
  r.name = k.name;
  r.sha256 = k.key_hash;
  r.user = k.user;
  r.roles = k.roles;
  r.created_at = k.created_at;
  r.created_by = k.created_by;
  r.revoked = k.revoked_at.has_value();
  return std::optional<ApiKeyRecord>(std::move(r));
}

}  // namespace casebridge::auth

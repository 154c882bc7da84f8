// Roles and privileges: what a principal may do, per case owner.
//
// Role strings (config, JWT claims, API keys):
//   cases:read[:OWNER]      read cases, comments, activity, configuration
//   cases:all[:OWNER]       read + create/update cases, comments, push
//   cases:delete[:OWNER]    delete cases and comments
//   cases:settings[:OWNER]  create/update the case configuration
//   connectors:read         list/get connectors and types, execute them
//   connectors:all          connectors:read + create/update/delete/test
//   admin                   manage API keys (ApiKeyService)
//   superuser               everything
// OWNER is a case owner (securitySolution, observability, cases, ...) or "*";
// no OWNER means every owner.
//
// RoleSet is an immutable value; safe to share between threads.
#ifndef CASEBRIDGE_SERVER_AUTH_ROLES_H_
#define CASEBRIDGE_SERVER_AUTH_ROLES_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace casebridge::auth {

enum class Privilege {
  kCasesRead,
  kCasesWrite,
  kCasesDelete,
  kCasesSettings,
  kConnectorsRead,
  kConnectorsAll,
  kAdmin,
};

// "cases:read", "cases:all", ... as used in messages and the audit log.
const char* PrivilegeName(Privilege privilege);

// True for the per-owner (cases:*) privileges.
bool IsOwnerScoped(Privilege privilege);

class RoleSet {
 public:
  RoleSet() = default;

  // Parses role strings; INVALID_ARGUMENT names the first unknown one.
  static absl::StatusOr<RoleSet> Parse(const std::vector<std::string>& roles);

  // Whether `privilege` is granted on `owner` (ignored for connector and
  // admin privileges).
  bool Allows(Privilege privilege, const std::string& owner) const;

  // Owners the set may read: `all` is true when every owner is readable,
  // else `owners` lists them (possibly none).
  struct Readable {
    bool all = false;
    std::vector<std::string> owners;
  };
  Readable ReadableOwners() const;

  const std::vector<std::string>& names() const { return names_; }

 private:
  // Privilege index -> owners ("*" = all).
  std::set<std::string> grants_[7];
  std::vector<std::string> names_;
};

}  // namespace casebridge::auth

#endif  // CASEBRIDGE_SERVER_AUTH_ROLES_H_

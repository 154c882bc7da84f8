#include "server/auth/guard.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace casebridge::auth {

Guard::Guard(std::unique_ptr<Authenticator> authenticator,
             std::unique_ptr<AuditLog> audit, double rate_per_second,
             double rate_burst)
    : authenticator_(std::move(authenticator)),
      audit_(std::move(audit)),
      limiter_(rate_per_second, rate_burst) {}

absl::StatusOr<Principal> Guard::Authenticate(std::string_view authorization,
                                              const Action& action,
                                              const std::string& peer) {
  const absl::Time now = absl::Now();
  auto principal = authenticator_->Authenticate(authorization, now);
  if (!principal.ok()) {
    Audit("authentication", nullptr, action, "", "deny",
          std::string(principal.status().message()), peer);
    return principal.status();
  }
  if (!limiter_.Allow(principal->id, now)) {
    Audit("authorization", &*principal, action, "", "deny", "rate limited",
          peer);
    return absl::ResourceExhaustedError(
        "too many requests for this principal: slow down and retry later");
  }
  return principal;
}

absl::Status Guard::Authorize(const Principal& principal, const Action& action,
                              const std::string& owner,
                              const std::string& peer) {
  if (principal.roles.Allows(action.privilege, owner)) {
    Audit("authorization", &principal, action, owner, "allow", "", peer);
    return absl::OkStatus();
  }
  const std::string reason =
      IsOwnerScoped(action.privilege)
          ? absl::StrCat("missing ", PrivilegeName(action.privilege),
                         " for owner '", owner, "'")
          : absl::StrCat("missing ", PrivilegeName(action.privilege));
  Audit("authorization", &principal, action, owner, "deny", reason, peer);
  return absl::PermissionDeniedError(
      absl::StrCat("unauthorized to ", action.method, ": ", reason,
                   "; ask an administrator for that role"));
}

absl::Status Guard::AuthorizeSearch(const Principal& principal,
                                    const Action& action,
                                    std::vector<std::string>& owners,
                                    const std::string& peer) {
  RoleSet::Readable readable = principal.roles.ReadableOwners();
  const std::string requested = absl::StrJoin(owners, ",");
  if (readable.all) {
    Audit("authorization", &principal, action, requested, "allow", "", peer);
    return absl::OkStatus();
  }
  if (owners.empty()) {
    if (readable.owners.empty()) {
      Audit("authorization", &principal, action, "", "deny",
            "no readable owner", peer);
      return absl::PermissionDeniedError(absl::StrCat(
          "unauthorized to ", action.method,
          ": missing cases:read for any owner; ask an administrator for "
          "that role"));
    }
    owners = readable.owners;
    Audit("authorization", &principal, action, absl::StrJoin(owners, ","),
          "allow", "narrowed to readable owners", peer);
    return absl::OkStatus();
  }
  for (const std::string& owner : owners) {
    if (std::find(readable.owners.begin(), readable.owners.end(), owner) ==
        readable.owners.end()) {
      const std::string reason =
          absl::StrCat("missing cases:read for owner '", owner, "'");
      Audit("authorization", &principal, action, requested, "deny", reason,
            peer);
      return absl::PermissionDeniedError(
          absl::StrCat("unauthorized to ", action.method, ": ", reason,
                       "; ask an administrator for that role"));
    }
  }
  Audit("authorization", &principal, action, requested, "allow", "", peer);
  return absl::OkStatus();
}

void Guard::AuditOutcome(const Principal& principal, const Action& action,
                         const std::string& owner, const absl::Status& result,
                         const std::string& peer) {
  Audit("mutation", &principal, action, owner,
        result.ok() ? "success" : "failure",
        result.ok() ? "" : absl::StatusCodeToString(result.code()), peer);
}

void Guard::Audit(const char* kind, const Principal* principal,
                  const Action& action, const std::string& owner,
                  const char* outcome, std::string_view reason,
                  const std::string& peer) {
  if (audit_ == nullptr) return;
  AuditEvent e;
  e.kind = kind;
  if (principal != nullptr) {
    e.principal = principal->id;
    e.username = principal->user.username;
    e.auth_method = principal->method;
  }
  e.method = action.method;
  e.privilege = PrivilegeName(action.privilege);
  e.object_type = action.object_type;
  e.object_id = action.object_id;
  e.owner = owner;
  e.outcome = outcome;
  e.reason = std::string(reason);
  e.peer = peer;
  audit_->Write(e, absl::Now());
}

}  // namespace casebridge::auth

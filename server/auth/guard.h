// Guard: the decision point every RPC goes through. Authenticates the
// caller (Authenticator), applies the per-principal rate limit, checks a
// privilege on an owner (RoleSet), narrows search owner filters, and writes
// each decision and each mutation outcome to the audit log.
//
// Thread-safe. Owns its authenticator, audit log and rate limiter.
#ifndef CASEBRIDGE_SERVER_AUTH_GUARD_H_
#define CASEBRIDGE_SERVER_AUTH_GUARD_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/auth/audit_log.h"
#include "server/auth/authenticator.h"
#include "server/auth/rate_limiter.h"
#include "server/auth/roles.h"

namespace casebridge::auth {

// What a call wants to do.
struct Action {
  std::string method;  // "CaseService.GetCase"
  Privilege privilege = Privilege::kAdmin;
  std::string object_type;  // "case", "comment", "configuration", ...
  std::string object_id;    // may be empty
  bool mutation = false;    // its outcome is audited too
};

class Guard {
 public:
  // `audit` may be null (no audit log).
  Guard(std::unique_ptr<Authenticator> authenticator,
        std::unique_ptr<AuditLog> audit, double rate_per_second,
        double rate_burst);

  // UNAUTHENTICATED (what to send) or RESOURCE_EXHAUSTED (rate limit).
  // Failures are audited as denials.
  absl::StatusOr<Principal> Authenticate(std::string_view authorization,
                                         const Action& action,
                                         const std::string& peer);

  // PERMISSION_DENIED unless `principal` holds the action's privilege on
  // `owner` (ignored for non-owner privileges). Audited either way.
  absl::Status Authorize(const Principal& principal, const Action& action,
                         const std::string& owner, const std::string& peer);

  // For search RPCs over owners. `owners` is the caller's filter (empty =
  // all); on success it is replaced by the filter to run: unchanged when the
  // principal reads every owner, else the readable owners (or the requested
  // ones, all readable). PERMISSION_DENIED when a requested owner is not
  // readable or nothing is readable at all.
  absl::Status AuthorizeSearch(const Principal& principal, const Action& action,
                               std::vector<std::string>& owners,
                               const std::string& peer);

  // Records the result of a mutation that was authorized earlier.
  void AuditOutcome(const Principal& principal, const Action& action,
                    const std::string& owner, const absl::Status& result,
                    const std::string& peer);

  const Authenticator& authenticator() const { return *authenticator_; }

  // True when decisions are written to an audit log (callers may skip
  // gathering what only the audit log uses, such as the peer address).
  bool audits() const { return audit_ != nullptr; }

 private:
  void Audit(const char* kind, const Principal* principal, const Action& action,
             const std::string& owner, const char* outcome,
             std::string_view reason, const std::string& peer);

  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<AuditLog> audit_;
  RateLimiter limiter_;
};

}  // namespace casebridge::auth

#endif  // CASEBRIDGE_SERVER_AUTH_GUARD_H_

// Audit log: one JSON object per line, appended to its own file, for every
// authorization decision and every mutation's outcome. Events carry who
// (principal id, username, auth method), what (RPC method, privilege), which
// object (type, id, owner), the outcome and a reason; never credentials.
//
// Thread-safe: lines are written whole under a mutex and flushed.
#ifndef CASEBRIDGE_SERVER_AUTH_AUDIT_LOG_H_
#define CASEBRIDGE_SERVER_AUTH_AUDIT_LOG_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace casebridge::auth {

struct AuditEvent {
  std::string kind;       // "authorization" or "mutation"
  std::string principal;  // Principal::id ("" when unauthenticated)
  std::string username;
  std::string auth_method;
  std::string method;  // "casebridge.v1.CaseService/CreateCase"
  std::string privilege;
  std::string object_type;  // "case", "comment", "configuration", ...
  std::string object_id;
  std::string owner;
  std::string outcome;  // "allow", "deny", "success", "failure"
  std::string reason;
  std::string peer;
};

class AuditLog {
 public:
  // Opens `path` for appending (created 0600).
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  void Write(const AuditEvent& event, absl::Time now);

 private:
  explicit AuditLog(std::FILE* file) : file_(file) {}
  absl::Mutex mu_;
  std::FILE* file_ ABSL_GUARDED_BY(mu_);
};

}  // namespace casebridge::auth

#endif  // CASEBRIDGE_SERVER_AUTH_AUDIT_LOG_H_

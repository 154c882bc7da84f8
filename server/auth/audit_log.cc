#include "server/auth/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace casebridge::auth {

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    const std::string& path) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot open the audit log ", path, ": ", std::strerror(errno)));
  }
  std::FILE* file = fdopen(fd, "a");
  if (file == nullptr) {
    close(fd);
    return absl::InternalError("cannot open the audit log stream");
  }
  return std::unique_ptr<AuditLog>(new AuditLog(file));
}

AuditLog::~AuditLog() {
  absl::MutexLock lock(&mu_);
  std::fclose(file_);
}

void AuditLog::Write(const AuditEvent& e, absl::Time now) {
  nlohmann::json j = {
      {"@timestamp",
       absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone())},
      {"event", e.kind},
      {"principal", e.principal},
      {"username", e.username},
      {"auth_method", e.auth_method},
      {"method", e.method},
      {"outcome", e.outcome},
  };
  if (!e.privilege.empty()) j["privilege"] = e.privilege;
  if (!e.object_type.empty()) j["object_type"] = e.object_type;
  if (!e.object_id.empty()) j["object_id"] = e.object_id;
  if (!e.owner.empty()) j["owner"] = e.owner;
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (!e.peer.empty()) j["peer"] = e.peer;
  const std::string line =
      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  absl::MutexLock lock(&mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace casebridge::auth

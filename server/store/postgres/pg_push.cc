// Push jobs on PostgreSQL: not available yet.
//
// The PostgreSQL store does not hold push jobs in this version: enqueueing
// a job fails with Unimplemented (PushCase answers with that message), and
// the reads the case API makes on every GetCase (push statuses) see no jobs
// and no push records, so the case API works unchanged on PostgreSQL.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/store/postgres/pg_transaction.h"

namespace casebridge::store::pg {
namespace {

absl::Status NotYet() {
  return absl::UnimplementedError(
      "push jobs are not available on the PostgreSQL store in this version; "
      "use store: sqlite to push cases");
}

}  // namespace

absl::Status PgTransaction::InsertPushJob(const PushJob&) { return NotYet(); }

absl::StatusOr<PushJob> PgTransaction::GetPushJob(std::string_view id) {
  return absl::NotFoundError(
      absl::StrCat("push job ", std::string(id), " not found"));
}

absl::Status PgTransaction::UpdatePushJob(const PushJob&, std::string_view) {
  return NotYet();
}

absl::StatusOr<PushJobPage> PgTransaction::FindPushJobs(const PushJobQuery&) {
  return PushJobPage{};
}

absl::StatusOr<std::vector<PushJob>> PgTransaction::ClaimPushJobs(
    std::string_view, absl::Time, absl::Time, int) {
  return std::vector<PushJob>{};
}

absl::Status PgTransaction::RenewPushJobLease(std::string_view,
                                              std::string_view, absl::Time) {
  return NotYet();
}

absl::StatusOr<std::optional<absl::Time>> PgTransaction::NextPushJobDue() {
  return std::optional<absl::Time>{};
}

absl::StatusOr<std::vector<PushJob>> PgTransaction::LatestPushJobs(
    std::string_view) {
  return std::vector<PushJob>{};
}

absl::StatusOr<std::optional<PushRecord>> PgTransaction::GetPushRecord(
    std::string_view, std::string_view) {
  return std::optional<PushRecord>{};
}

absl::StatusOr<std::vector<PushRecord>> PgTransaction::ListPushRecords(
    std::string_view) {
  return std::vector<PushRecord>{};
}

absl::Status PgTransaction::PutPushRecord(const PushRecord&) {
  return NotYet();
}

}  // namespace casebridge::store::pg

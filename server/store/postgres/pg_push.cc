// Push jobs and push records of the PostgreSQL store (see pg_transaction.h).
//
// Several replicas claim from one table. A claim runs in a READ COMMITTED
// write transaction:
//   1. due candidates, oldest first, FOR UPDATE SKIP LOCKED: a job another
//      claimer is taking right now is skipped, not waited for;
//   2. per candidate, the pair's transaction-level advisory lock
//      (pg_try_advisory_xact_lock; taken by someone else = skip the pair);
//   3. with the lock held, a fresh statement (a new snapshot) checks that no
//      job of the pair runs under a live lease. Whoever held the lock before
//      has committed its claim, so that claim is visible here;
//   4. the job becomes RUNNING under the claimer's lease.
// Inserting or re-queueing a job sends a NOTIFY on kPushJobsChannel, which
// PostgreSQL delivers at commit to every listening replica.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/store/postgres/pg_schema.h"
#include "server/store/postgres/pg_transaction.h"
#include "server/store/sqlite/sqlite_codec.h"

namespace casebridge::store::pg {
namespace {

namespace codec = ::casebridge::store::sqlite;

constexpr const char* kPushJobColumns =
    "id, case_id, connector_id, connector_type_id, state, attempts, "
    "max_attempts, created_at, updated_at, next_attempt_at, finished_at, "
    "lease_owner, lease_expires_at, doc";

// Columns of kPushJobColumns prefixed with "j.".
constexpr const char* kPushJobColumnsJ =
    "j.id, j.case_id, j.connector_id, j.connector_type_id, j.state, "
    "j.attempts, j.max_attempts, j.created_at, j.updated_at, "
    "j.next_attempt_at, j.finished_at, j.lease_owner, j.lease_expires_at, "
    "j.doc";

absl::StatusOr<PushJob> ReadPushJob(const Result& r, int row) {
  PushJob j;
  j.id = r.Str(row, 0);
  j.case_id = r.Str(row, 1);
  j.connector_id = r.Str(row, 2);
  j.connector_type_id = r.Str(row, 3);
  j.state = codec::PushJobStateFromInt(r.Int(row, 4));
  j.attempts = static_cast<int32_t>(r.Int(row, 5));
  j.max_attempts = static_cast<int32_t>(r.Int(row, 6));
  j.created_at = r.Time(row, 7);
  j.updated_at = r.Time(row, 8);
  j.next_attempt_at = r.OptTime(row, 9);
  j.finished_at = r.OptTime(row, 10);
  j.lease_owner = r.Str(row, 11);
  j.lease_expires_at = r.OptTime(row, 12);
  PG_RETURN_IF_ERROR(codec::ReadPushJobDoc(r.View(row, 13), j));
  return j;
}

absl::StatusOr<std::vector<PushJob>> ReadPushJobs(const Result& r) {
  std::vector<PushJob> out;
  out.reserve(r.rows());
  for (int row = 0; row < r.rows(); ++row) {
    PG_ASSIGN_OR_RETURN(PushJob j, ReadPushJob(r, row));
    out.push_back(std::move(j));
  }
  return out;
}

absl::StatusOr<PushRecord> ReadPushRecord(const Result& r, int row) {
  PushRecord rec;
  rec.case_id = r.Str(row, 0);
  rec.connector_id = r.Str(row, 1);
  PG_RETURN_IF_ERROR(codec::ReadPushRecordDoc(r.View(row, 2), rec));
  return rec;
}

absl::Status NoLongerLeased(std::string_view id, std::string_view owner) {
  return absl::AbortedError(absl::StrCat("push job ", AV(id),
                                         " is no longer leased to ", AV(owner)));
}

}  // namespace

absl::Status PgTransaction::NotifyPushWork() {
  Params p;
  p.Text(kPushJobsChannel);
  return Q("SELECT pg_notify($1, '')", p, "notify push work").status();
}

absl::Status PgTransaction::InsertPushJob(const PushJob& job) {
  Params p;
  p.Text(job.id)
      .Text(job.case_id)
      .Text(job.connector_id)
      .Text(job.connector_type_id)
      .Int(codec::PushJobStateToInt(job.state))
      .Int(job.attempts)
      .Int(job.max_attempts)
      .Time(job.created_at)
      .Time(job.updated_at)
      .OptTime(job.next_attempt_at)
      .OptTime(job.finished_at)
      .Text(job.lease_owner)
      .OptTime(job.lease_expires_at)
      .Text(codec::PushJobDoc(job));
  PG_RETURN_IF_ERROR(
      Q(absl::StrCat("INSERT INTO push_jobs(", kPushJobColumns,
                     ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                     "$12, $13, $14)"),
        p, "insert push job")
          .status());
  if (job.state == PushJobState::kQueued) return NotifyPushWork();
  return absl::OkStatus();
}

absl::StatusOr<PushJob> PgTransaction::GetPushJob(std::string_view id) {
  Params p;
  p.Text(id);
  PG_ASSIGN_OR_RETURN(Result r,
                      Q(absl::StrCat("SELECT ", kPushJobColumns,
                                     " FROM push_jobs WHERE id = $1"),
                        p, "get push job"));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat("push job ", AV(id), " not found"));
  }
  return ReadPushJob(r, 0);
}

absl::Status PgTransaction::UpdatePushJob(
    const PushJob& job, std::string_view expected_lease_owner) {
  Params p;
  p.Int(codec::PushJobStateToInt(job.state))
      .Int(job.attempts)
      .Int(job.max_attempts)
      .Time(job.updated_at)
      .OptTime(job.next_attempt_at)
      .OptTime(job.finished_at)
      .Text(job.lease_owner)
      .OptTime(job.lease_expires_at)
      .Text(codec::PushJobDoc(job))
      .Text(job.id)
      .Text(expected_lease_owner);
  // The lease condition is evaluated on the newest row version, so a worker
  // whose lease another replica took over cannot write.
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q("UPDATE push_jobs SET state = $1, attempts = $2, max_attempts = $3, "
        "updated_at = $4, next_attempt_at = $5, finished_at = $6, "
        "lease_owner = $7, lease_expires_at = $8, doc = $9 WHERE id = $10 AND "
        "($11 = '' OR (state = 1 AND lease_owner = $11))",
        p, "update push job"));
  if (r.Affected() == 0) {
    PG_ASSIGN_OR_RETURN(PushJob stored, GetPushJob(job.id));  // or NotFound
    (void)stored;
    return NoLongerLeased(job.id, expected_lease_owner);
  }
  if (job.state == PushJobState::kQueued) return NotifyPushWork();
  return absl::OkStatus();
}

absl::StatusOr<PushJobPage> PgTransaction::FindPushJobs(
    const PushJobQuery& query) {
  std::vector<int64_t> states;
  states.reserve(query.states.size());
  for (PushJobState s : query.states) {
    states.push_back(codec::PushJobStateToInt(s));
  }
  // $1: case id or '' (all cases); $2: states, empty = all.
  constexpr const char* kWhere =
      " WHERE ($1 = '' OR case_id = $1) AND (cardinality($2::bigint[]) = 0 "
      "OR state = ANY($2::bigint[]))";
  Params where;
  where.Text(query.case_id).IntArray(states);
  PushJobPage page;
  PG_ASSIGN_OR_RETURN(
      Result count, Q(absl::StrCat("SELECT count(*) FROM push_jobs", kWhere),
                      where, "count push jobs"));
  page.total = count.Int(0, 0);

  const int per_page = std::max(query.per_page, 0);
  Params p = where;
  p.Int(per_page).Int(static_cast<int64_t>(std::max(query.page - 1, 0)) *
                      per_page);
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q(absl::StrCat("SELECT ", kPushJobColumns, " FROM push_jobs", kWhere,
                     " ORDER BY created_at DESC, rid DESC LIMIT $3 OFFSET $4"),
        p, "find push jobs"));
  PG_ASSIGN_OR_RETURN(page.jobs, ReadPushJobs(r));
  return page;
}

absl::StatusOr<std::vector<PushJob>> PgTransaction::ClaimPushJobs(
    std::string_view owner, absl::Time now, absl::Time lease_until,
    int limit) {
  std::vector<PushJob> claimed;
  if (limit <= 0) return claimed;
  Params due;
  due.Time(now).Int(static_cast<int64_t>(limit) * 2 + 8);
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q(absl::StrCat(
            "SELECT ", kPushJobColumnsJ,
            " FROM push_jobs j WHERE (j.state = 0 OR (j.state = 2 AND "
            "j.next_attempt_at <= $1) OR (j.state = 1 AND j.lease_expires_at "
            "<= $1)) AND NOT EXISTS (SELECT 1 FROM push_jobs r WHERE "
            "r.case_id = j.case_id AND r.connector_id = j.connector_id AND "
            "r.state = 1 AND r.lease_expires_at > $1) ORDER BY j.created_at, "
            "j.rid LIMIT $2 FOR UPDATE OF j SKIP LOCKED"),
        due, "find due push jobs"));
  PG_ASSIGN_OR_RETURN(std::vector<PushJob> candidates, ReadPushJobs(r));

  for (PushJob& j : candidates) {
    if (static_cast<int>(claimed.size()) >= limit) break;
    bool pair_taken = false;
    for (const PushJob& c : claimed) {
      if (c.case_id == j.case_id && c.connector_id == j.connector_id) {
        pair_taken = true;
        break;
      }
    }
    if (pair_taken) continue;

    Params pair;
    pair.Int(kPushPairLockClass).Text(j.case_id).Text(j.connector_id);
    PG_ASSIGN_OR_RETURN(
        Result locked,
        Q("SELECT pg_try_advisory_xact_lock($1::integer, hashtext($2 || "
          "chr(31) || $3))",
          pair, "lock push pair"));
    if (!locked.Bool(0, 0)) continue;  // another claimer holds the pair

    Params live;
    live.Text(j.case_id).Text(j.connector_id).Time(now).Text(j.id);
    PG_ASSIGN_OR_RETURN(
        Result running,
        Q("SELECT 1 FROM push_jobs WHERE case_id = $1 AND connector_id = $2 "
          "AND state = 1 AND lease_expires_at > $3 AND id <> $4 LIMIT 1",
          live, "check push pair"));
    if (running.rows() > 0) continue;

    j.state = PushJobState::kRunning;
    j.attempts += 1;
    j.updated_at = now;
    j.next_attempt_at.reset();
    j.lease_owner = std::string(owner);
    j.lease_expires_at = lease_until;
    Params claim;
    claim.Int(j.attempts)
        .Time(now)
        .Text(owner)
        .Time(lease_until)
        .Text(j.id);
    PG_RETURN_IF_ERROR(
        Q("UPDATE push_jobs SET state = 1, attempts = $1, updated_at = $2, "
          "next_attempt_at = NULL, lease_owner = $3, lease_expires_at = $4 "
          "WHERE id = $5",
          claim, "claim push job")
            .status());
    claimed.push_back(std::move(j));
  }
  return claimed;
}

absl::Status PgTransaction::RenewPushJobLease(std::string_view id,
                                              std::string_view owner,
                                              absl::Time lease_until) {
  Params p;
  p.Time(lease_until).Text(id).Text(owner);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("UPDATE push_jobs SET lease_expires_at = $1 WHERE id = $2 "
                  "AND state = 1 AND lease_owner = $3",
                  p, "renew push job lease"));
  if (r.Affected() == 0) return NoLongerLeased(id, owner);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::Time>> PgTransaction::NextPushJobDue() {
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q("SELECT least((SELECT min(next_attempt_at) FROM push_jobs WHERE state "
        "= 2), (SELECT min(lease_expires_at) FROM push_jobs WHERE state = 1))",
        Params(), "next push job due"));
  if (r.rows() == 0 || r.IsNull(0, 0)) return std::optional<absl::Time>();
  return std::optional<absl::Time>(r.Time(0, 0));
}

absl::StatusOr<std::vector<PushJob>> PgTransaction::LatestPushJobs(
    std::string_view case_id) {
  Params p;
  p.Text(case_id);
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q(absl::StrCat("SELECT DISTINCT ON (connector_id) ", kPushJobColumns,
                     " FROM push_jobs WHERE case_id = $1 ORDER BY "
                     "connector_id, created_at DESC, rid DESC"),
        p, "latest push jobs"));
  return ReadPushJobs(r);
}

absl::StatusOr<std::optional<PushRecord>> PgTransaction::GetPushRecord(
    std::string_view case_id, std::string_view connector_id) {
  Params p;
  p.Text(case_id).Text(connector_id);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("SELECT case_id, connector_id, doc FROM push_records WHERE "
                  "case_id = $1 AND connector_id = $2",
                  p, "get push record"));
  if (r.rows() == 0) return std::optional<PushRecord>();
  PG_ASSIGN_OR_RETURN(PushRecord rec, ReadPushRecord(r, 0));
  return std::optional<PushRecord>(std::move(rec));
}

absl::StatusOr<std::vector<PushRecord>> PgTransaction::ListPushRecords(
    std::string_view case_id) {
  Params p;
  p.Text(case_id);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("SELECT case_id, connector_id, doc FROM push_records WHERE "
                  "case_id = $1 ORDER BY connector_id",
                  p, "list push records"));
  std::vector<PushRecord> out;
  out.reserve(r.rows());
  for (int row = 0; row < r.rows(); ++row) {
    PG_ASSIGN_OR_RETURN(PushRecord rec, ReadPushRecord(r, row));
    out.push_back(std::move(rec));
  }
  return out;
}

absl::Status PgTransaction::PutPushRecord(const PushRecord& record) {
  Params p;
  p.Text(record.case_id)
      .Text(record.connector_id)
      .Text(codec::PushRecordDoc(record));
  return Q("INSERT INTO push_records(case_id, connector_id, doc) VALUES ($1, "
           "$2, $3) ON CONFLICT (case_id, connector_id) DO UPDATE SET doc = "
           "excluded.doc",
           p, "put push record")
      .status();
}

}  // namespace casebridge::store::pg

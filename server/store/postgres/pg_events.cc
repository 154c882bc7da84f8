// Case events (the WatchCases feed) on PostgreSQL. Every insert takes the
// case-event advisory lock for the rest of its transaction, so seqs commit
// in order: writers that produce events are serialised from their event
// insert to their commit, which is the last statement of a mutation.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/store/postgres/pg_schema.h"
#include "server/store/postgres/pg_transaction.h"

namespace casebridge::store::pg {

absl::Status PgTransaction::InsertCaseEvent(CaseEvent& event) {
  PG_RETURN_IF_ERROR(
      Q(absl::StrCat("SELECT pg_advisory_xact_lock(", kCaseEventLockKey, ")"),
        Params(), "lock case events")
          .status());
  Params p;
  p.Int(static_cast<int64_t>(event.type))
      .Text(event.case_id)
      .Text(event.owner)
      .Int(event.case_version)
      .Time(event.time);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("INSERT INTO case_events(type, case_id, owner, case_version, "
                  "created_at) VALUES ($1, $2, $3, $4, $5) RETURNING seq",
                  p, "insert case event"));
  event.seq = r.Int(0, 0);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<CaseEvent>> PgTransaction::ListCaseEvents(
    int64_t after_seq, int limit) {
  Params p;
  p.Int(after_seq).Int(limit);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("SELECT seq, type, case_id, owner, case_version, created_at "
                  "FROM case_events WHERE seq > $1 ORDER BY seq LIMIT $2",
                  p, "list case events"));
  std::vector<CaseEvent> out;
  out.reserve(r.rows());
  for (int row = 0; row < r.rows(); ++row) {
    CaseEvent e;
    e.seq = r.Int(row, 0);
    e.type = static_cast<CaseEventType>(r.Int(row, 1));
    e.case_id = r.Str(row, 2);
    e.owner = r.Str(row, 3);
    e.case_version = r.Int(row, 4);
    e.time = r.Time(row, 5);
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<int64_t> PgTransaction::LatestCaseEventSeq() {
  // Pruning may have deleted the newest events; through_seq remembers them.
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q("SELECT greatest(coalesce((SELECT max(seq) FROM case_events), "
        "0), (SELECT through_seq FROM case_events_pruned WHERE id = "
        "1))",
        Params(), "latest case event"));
  return r.Int(0, 0);
}

absl::StatusOr<int64_t> PgTransaction::PruneCaseEvents(absl::Time before) {
  Params p;
  p.Time(before);
  PG_ASSIGN_OR_RETURN(Result r,
                      Q("SELECT coalesce(max(seq), 0) FROM case_events "
                        "WHERE created_at < $1",
                        p, "find prunable case events"));
  const int64_t through = r.Int(0, 0);
  if (through == 0) return 0;
  Params del;
  del.Int(through);
  PG_ASSIGN_OR_RETURN(
      Result deleted,
      Q("WITH gone AS (DELETE FROM case_events WHERE seq <= $1 RETURNING 1) "
        "SELECT count(*) FROM gone",
        del, "prune case events"));
  PG_RETURN_IF_ERROR(Q("UPDATE case_events_pruned SET through_seq = "
                       "greatest(through_seq, $1) WHERE id = 1",
                       del, "record pruned case events")
                         .status());
  return deleted.Int(0, 0);
}

absl::StatusOr<int64_t> PgTransaction::CaseEventsPrunedThrough() {
  PG_ASSIGN_OR_RETURN(
      Result r, Q("SELECT through_seq FROM case_events_pruned WHERE id = 1",
                  Params(), "read pruned case events"));
  return r.rows() == 0 ? 0 : r.Int(0, 0);
}

}  // namespace casebridge::store::pg

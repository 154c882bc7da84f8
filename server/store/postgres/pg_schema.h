// The PostgreSQL store's schema as numbered migrations, applied in order by
// OpenPostgresStore under an advisory lock so that replicas starting at once
// apply each migration exactly once. Constant data; thread-safe.
#ifndef CASEBRIDGE_SERVER_STORE_POSTGRES_PG_SCHEMA_H_
#define CASEBRIDGE_SERVER_STORE_POSTGRES_PG_SCHEMA_H_

#include <cstddef>
#include <cstdint>

namespace casebridge::store::pg {

struct Migration {
  int64_t version;
  const char* description;
  const char* sql;
};

extern const Migration kMigrations[];
extern const size_t kMigrationCount;

// Key of the session-level advisory lock held while migrating.
constexpr int64_t kMigrationLockKey = 0x636173656272;  // "casebr"
// Transaction-level advisory lock held from a case event's insert to its
// commit, so that events commit in seq order (a WatchCases reader that has
// seen seq N never misses a later commit with a smaller seq).
constexpr int64_t kCaseEventLockKey = 0x636173657674;  // "casevt"
// First key of the two-key transaction-level advisory lock a claimer holds
// on a (case, connector) pair (second key: a hash of the pair) from its
// check that no job of the pair runs until its commit.
constexpr int32_t kPushPairLockClass = 0x70757368;  // "push"
// NOTIFY channel: a push job became claimable (inserted or re-queued).
constexpr char kPushJobsChannel[] = "casebridge_push_jobs";

}  // namespace casebridge::store::pg

#endif  // CASEBRIDGE_SERVER_STORE_POSTGRES_PG_SCHEMA_H_

// The PostgreSQL implementation of Store: one database shared by several
// casebridge replicas.
//
// Concurrency model: a pool of libpq connections, each used by one
// transaction at a time. BeginRead starts a REPEATABLE READ, READ ONLY
// transaction (a snapshot fixed at its first query). BeginWrite starts a READ
// COMMITTED transaction in which every read of a case, attachment or
// configuration takes a row lock (SELECT ... FOR UPDATE) and every versioned
// UPDATE re-checks the version on the newest row version, so a version check
// holds until Commit across transactions of all replicas: of two concurrent
// updates of one case exactly one succeeds and the other gets Aborted. Each
// connection caches its prepared statements. Thread-safe; a Transaction is
// used by one thread and must be destroyed before the Store.
#ifndef CASEBRIDGE_SERVER_STORE_POSTGRES_PG_STORE_H_
#define CASEBRIDGE_SERVER_STORE_POSTGRES_PG_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/store/store.h"

namespace casebridge::store {

struct PostgresStoreOptions {
  // libpq connection string (keyword=value or postgresql:// URI).
  std::string dsn;
  // Most connections open at once; BeginRead/BeginWrite wait for a free one
  // up to acquire_timeout, then fail with Unavailable.
  int pool_size = 16;
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Server-side statement_timeout of every session; zero = none.
  absl::Duration statement_timeout = absl::Seconds(30);
};

// Connects, takes the migration advisory lock, applies pending migrations
// (each in its own transaction), and releases the lock. Safe to call from
// several processes at once. Unavailable when the server cannot be reached.
absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(
    const PostgresStoreOptions& options);

}  // namespace casebridge::store

#endif  // CASEBRIDGE_SERVER_STORE_POSTGRES_PG_STORE_H_

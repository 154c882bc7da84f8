// The SQLite implementation of Store: the embedded default for a single
// casebridge process.
//
// Concurrency model: one writer connection guarded by a mutex — BeginWrite
// takes the mutex and runs BEGIN IMMEDIATE, so write transactions of the
// process are serialised and a version check made in one holds until its
// Commit. Reads use a pool of read-only connections in WAL mode; BeginRead
// starts a deferred transaction whose snapshot is fixed at its first read and
// never blocks or is blocked by the writer. When every pooled reader is in
// use, BeginRead opens an extra connection instead of waiting (so nested
// reads cannot deadlock) and closes it afterwards. Each connection caches
// its prepared statements. The Store is thread-safe; a Transaction is used by
// one thread and must be destroyed before the Store.
#ifndef CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_STORE_H_
#define CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/store/store.h"

namespace casebridge::store {

struct SqliteStoreOptions {
  std::string path;  // database file; created with its schema when missing
  int read_connections = 4;  // pooled (idle) read-only connections kept open
  absl::Duration busy_timeout = absl::Seconds(5);  // then Unavailable
};

// Opens (creating if needed) the database and applies pending schema
// migrations, each in its own transaction.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(
    const SqliteStoreOptions& options);

}  // namespace casebridge::store

#endif  // CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_STORE_H_

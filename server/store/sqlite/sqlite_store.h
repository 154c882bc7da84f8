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
// its prepared statements. WAL checkpoints run on a background thread
// (wal_checkpointer.h), never inside a commit. The Store is thread-safe; a
// Transaction is used by one thread and must be destroyed before the Store.
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
  // Idle read-only connections kept open. A read beyond them opens and
  // closes a connection of its own (path lookups, WAL and shared-memory
  // mapping, schema parse, no cached statements: ~100 us), so this covers
  // the reads a busy server runs at once: gRPC handler threads, push
  // workers, callers waiting for a push.
  int read_connections = 32;
  // The WAL is checkpointed, in the background, once it holds this many
  // pages (4 KiB each). A larger WAL copies hot pages (index tails, FTS
  // structure) less often; a smaller one keeps more reads in the mapped
  // database file instead of the WAL.
  int checkpoint_pages = 8192;
  absl::Duration busy_timeout = absl::Seconds(5);  // then Unavailable
};

// Opens (creating if needed) the database and applies pending schema
// migrations, each in its own transaction.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(
    const SqliteStoreOptions& options);

}  // namespace casebridge::store

#endif  // CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_STORE_H_

// Background WAL checkpoints for the SQLite store.
//
// SQLite's automatic checkpoint runs inside the COMMIT that pushes the WAL
// over its threshold: that writer copies the WAL into the database and
// fsyncs it (~100 ms for a 64 MiB WAL on a VM disk) while every other writer
// of the process waits behind it. A WalCheckpointer turns the automatic
// checkpoint off on the writer connection and runs PASSIVE checkpoints on a
// thread and connection of its own instead, woken by the writer's WAL hook
// once the WAL holds `threshold_pages` frames. A passive checkpoint never
// blocks writers or readers; it copies what no reader still needs, and the
// next write transaction starts the WAL over once everything was copied.
//
// Thread-safe. `writer` must outlive the checkpointer, and no transaction may
// run on it while the checkpointer is created or destroyed (the hook is
// installed and removed then).
#ifndef CASEBRIDGE_SERVER_STORE_SQLITE_WAL_CHECKPOINTER_H_
#define CASEBRIDGE_SERVER_STORE_SQLITE_WAL_CHECKPOINTER_H_

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/store/sqlite/sqlite_conn.h"

namespace casebridge::store::sqlite {

class WalCheckpointer {
 public:
  // Opens the checkpoint connection to `path`, installs the hook on `writer`
  // and starts the thread.
  static absl::StatusOr<std::unique_ptr<WalCheckpointer>> Start(
      const std::string& path, Conn* writer, int threshold_pages,
      absl::Duration busy_timeout);
  ~WalCheckpointer();  // removes the hook, stops and joins the thread
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints completed so far (for tests).
  int64_t checkpoints() const;

 private:
  WalCheckpointer(Conn* writer, std::unique_ptr<Conn> own, int threshold_pages);
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages);
  void Run();

  Conn* const writer_;
  const std::unique_ptr<Conn> own_;  // used by the thread only
  const int threshold_pages_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;      // guarded by mu_
  bool stopping_ = false;    // guarded by mu_
  int64_t checkpoints_ = 0;  // guarded by mu_
  std::thread thread_;
};

}  // namespace casebridge::store::sqlite

#endif  // CASEBRIDGE_SERVER_STORE_SQLITE_WAL_CHECKPOINTER_H_

// Private to the PostgreSQL store: a thread that LISTENs on one channel on
// its own connection and calls a callback for every notification burst.
//
// The connection is reopened (after a pause) when it drops; a callback is
// also made right after each reconnect, since notifications sent while
// disconnected are lost. Thread-safe.
#ifndef CASEBRIDGE_SERVER_STORE_POSTGRES_PG_LISTENER_H_
#define CASEBRIDGE_SERVER_STORE_POSTGRES_PG_LISTENER_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"

namespace casebridge::store::pg {

class ConnPool;

class Listener {
 public:
  // `pool` (borrowed) opens the connection; `channel` is a plain identifier.
  Listener(ConnPool* pool, std::string channel);
  ~Listener();  // Set(nullptr), then joins the thread
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Installs `callback` (nullptr removes it), starting the thread on first
  // use. After Set returns, the previous callback is not running and will not
  // be called again.
  void Set(std::function<void()> callback);

 private:
  void Run();
  enum class Wait { kReadable, kTimedOut, kStopped };
  // Waits on the connection's socket and the stop pipe.
  Wait WaitReadable(int socket, absl::Duration timeout);
  void Call();

  ConnPool* const pool_;
  const std::string channel_;
  std::mutex call_mu_;  // held while the callback runs
  std::function<void()> callback_;  // guarded by call_mu_
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace casebridge::store::pg

#endif  // CASEBRIDGE_SERVER_STORE_POSTGRES_PG_LISTENER_H_

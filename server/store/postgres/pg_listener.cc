#include "server/store/postgres/pg_listener.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/store/postgres/pg_conn.h"
#include "server/store/postgres/pg_transaction.h"
#include "server/util/log.h"

namespace casebridge::store::pg {
namespace {

constexpr char kComponent[] = "postgres";
// Pause before reconnecting after the connection failed.
constexpr absl::Duration kReconnectPause = absl::Seconds(1);
// How long a connection may stay quiet before it is probed.
constexpr absl::Duration kProbeInterval = absl::Seconds(30);

}  // namespace

Listener::Listener(ConnPool* pool, std::string channel)
    : pool_(pool), channel_(std::move(channel)) {}

Listener::~Listener() {
  Set(nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (stop_pipe_[1] >= 0) {
    const char byte = 0;
    (void)!write(stop_pipe_[1], &byte, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : stop_pipe_) {
    if (fd >= 0) close(fd);
  }
}

void Listener::Set(std::function<void()> callback) {
  {
    std::lock_guard<std::mutex> lock(call_mu_);
    callback_ = std::move(callback);
    if (!callback_) return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  if (pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    log::Warn(kComponent, "listener: cannot create a pipe; other replicas' ",
              channel_, " notifications are seen by polling only");
    return;
  }
  thread_ = std::thread([this] { Run(); });
}

void Listener::Call() {
  std::lock_guard<std::mutex> lock(call_mu_);
  if (callback_) callback_();
}

Listener::Wait Listener::WaitReadable(int socket, absl::Duration timeout) {
  pollfd fds[2] = {{stop_pipe_[0], POLLIN, 0}, {socket, POLLIN, 0}};
  const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  const int n = poll(fds, socket >= 0 ? 2 : 1, ms);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Wait::kStopped;
  }
  return n > 0 ? Wait::kReadable : Wait::kTimedOut;
}

void Listener::Run() {
  bool logged_failure = false;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    absl::StatusOr<std::unique_ptr<Conn>> conn = pool_->OpenExtra();
    absl::Status status = conn.status();
    if (status.ok()) {
      status = (*conn)->Exec(absl::StrCat("LISTEN ", channel_), "listen");
    }
    if (!status.ok()) {
      if (!logged_failure) {
        log::Warn(kComponent, "listener on ", channel_, ": ",
                  status.message(), " (retrying; polling meanwhile)");
        logged_failure = true;
      }
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock,
                   std::chrono::milliseconds(
                       absl::ToInt64Milliseconds(kReconnectPause)),
                   [this] { return stopping_; });
      continue;
    }
    if (logged_failure) {
      log::Info(kComponent, "listener on ", channel_, " connected again");
      logged_failure = false;
    }
    // Anything sent while there was no listener was missed.
    Call();
    PGconn* raw = (*conn)->raw();
    while (true) {
      // Notifications wake the poll at once. A quiet connection is probed
      // now and then, so a peer that vanished without closing the socket
      // is noticed and the connection replaced.
      const Wait wait = WaitReadable(PQsocket(raw), kProbeInterval);
      if (wait == Wait::kStopped) return;
      if (wait == Wait::kTimedOut) {
        if (absl::Status probe = (*conn)->Exec("SELECT 1", "listener probe");
            !probe.ok()) {
          log::Warn(kComponent, "listener on ", channel_,
                    " lost its connection: ", probe.message());
          break;
        }
      } else if (PQconsumeInput(raw) == 0) {
        log::Warn(kComponent, "listener on ", channel_,
                  " lost its connection: ", PQerrorMessage(raw));
        break;
      }
      bool notified = false;
      while (PGnotify* n = PQnotifies(raw)) {
        notified = true;
        PQfreemem(n);
      }
      if (notified) Call();
    }
  }
}

}  // namespace casebridge::store::pg

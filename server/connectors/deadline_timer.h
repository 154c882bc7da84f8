// DeadlineTimer: one thread that runs short callbacks at given times, so a
// connector run can be bounded by its deadline without parking a thread per
// call (the call completes from whichever comes first: the plugin or the
// timer).
//
// Thread-safe. Callbacks run one at a time on the timer's own thread, in
// deadline order, and must be short; they may call Schedule and Cancel. The
// thread is detached and co-owns the queue: destroying the timer drops the
// callbacks that have not run yet and does not wait for a running one.
#ifndef CASEBRIDGE_SERVER_CONNECTORS_DEADLINE_TIMER_H_
#define CASEBRIDGE_SERVER_CONNECTORS_DEADLINE_TIMER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/time/time.h"

namespace casebridge::connectors {

class DeadlineTimer {
 public:
  // Names one scheduled callback.
  struct Handle {
    absl::Time when = absl::InfinitePast();
    uint64_t seq = 0;  // 0: nothing scheduled
  };

  DeadlineTimer();
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Runs `callback` on the timer's thread at or soon after `when` (at once
  // when `when` has passed), unless cancelled first.
  Handle Schedule(absl::Time when, std::function<void()> callback);

  // Removes the callback; true when it had not started. A callback that is
  // running or has run is not affected (false).
  bool Cancel(const Handle& handle);

  // Callbacks waiting to run (for tests).
  size_t pending() const;

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable cv;
    std::map<std::pair<absl::Time, uint64_t>, std::function<void()>> queue;
    uint64_t next_seq = 1;
    // When the thread will look at the queue next on its own.
    absl::Time wake_at = absl::InfiniteFuture();
    bool stopping = false;
  };
  static void Run(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
};

}  // namespace casebridge::connectors

#endif  // CASEBRIDGE_SERVER_CONNECTORS_DEADLINE_TIMER_H_

#include "server/connectors/deadline_timer.h"

#include <algorithm>
#include <thread>

#include "absl/time/clock.h"

namespace casebridge::connectors {

DeadlineTimer::DeadlineTimer() : state_(std::make_shared<State>()) {
  std::thread(&DeadlineTimer::Run, state_).detach();
}

DeadlineTimer::~DeadlineTimer() {
  std::map<std::pair<absl::Time, uint64_t>, std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stopping = true;
    dropped.swap(state_->queue);
    state_->cv.notify_all();
  }
  // The callbacks (and what they own) are destroyed outside the lock.
}

DeadlineTimer::Handle DeadlineTimer::Schedule(absl::Time when,
                                              std::function<void()> callback) {
  Handle handle;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    handle = Handle{when, state_->next_seq++};
    state_->queue.emplace(std::make_pair(when, handle.seq),
                          std::move(callback));
    // Deadlines mostly arrive in increasing order: only one earlier than the
    // thread's next look needs to wake it.
    if (when < state_->wake_at) {
      state_->wake_at = when;
      wake = true;
    }
  }
  if (wake) state_->cv.notify_one();
  return handle;
}

bool DeadlineTimer::Cancel(const Handle& handle) {
  if (handle.seq == 0) return false;
  std::function<void()> doomed;
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->queue.find(std::make_pair(handle.when, handle.seq));
  if (it == state_->queue.end()) return false;
  doomed = std::move(it->second);
  state_->queue.erase(it);
  return true;
}

size_t DeadlineTimer::pending() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->queue.size();
}

void DeadlineTimer::Run(std::shared_ptr<State> state) {
  std::unique_lock<std::mutex> lock(state->mu);
  while (!state->stopping) {
    if (state->queue.empty()) {
      state->wake_at = absl::InfiniteFuture();
      state->cv.wait(lock);
      continue;
    }
    auto first = state->queue.begin();
    const absl::Time when = first->first.first;
    const absl::Time now = absl::Now();
    if (now < when) {
      // Capped so far-future deadlines do not overflow the clock conversion.
      state->wake_at = std::min(when, now + absl::Minutes(1));
      state->cv.wait_until(lock, absl::ToChronoTime(state->wake_at));
      continue;
    }
    std::function<void()> callback = std::move(first->second);
    state->queue.erase(first);
    lock.unlock();
    callback();
    callback = nullptr;
    lock.lock();
  }
}

}  // namespace casebridge::connectors

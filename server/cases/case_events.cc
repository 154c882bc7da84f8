#include "server/cases/case_events.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace casebridge::cases {
namespace {

struct Signal {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t generation = 0;  // guarded by mu
};

Signal& EventSignal() {
  static Signal* signal = new Signal();  // never destroyed: used at exit
  return *signal;
}

}  // namespace

absl::Status RecordCaseEvent(store::Transaction& tx, store::CaseEventType type,
                             const store::Case& c, absl::Time now) {
  store::CaseEvent event;
  event.type = type;
  event.case_id = c.id;
  event.owner = c.owner;
  event.case_version = type == store::CaseEventType::kDeleted ? 0 : c.version;
  event.time = now;
  return tx.InsertCaseEvent(event);
}

void NotifyCaseEventsCommitted() {
  Signal& s = EventSignal();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    ++s.generation;
  }
  s.cv.notify_all();
}

uint64_t CaseEventsGeneration() {
  Signal& s = EventSignal();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.generation;
}

uint64_t WaitForCaseEvents(uint64_t seen, absl::Duration timeout) {
  Signal& s = EventSignal();
  std::unique_lock<std::mutex> lock(s.mu);
  s.cv.wait_for(lock, absl::ToChronoMicroseconds(timeout),
                [&] { return s.generation != seen; });
  return s.generation;
}

void WakeCaseEventWaiters() {
  // A new generation, so that waiters return rather than wait on.
  NotifyCaseEventsCommitted();
}

}  // namespace casebridge::cases

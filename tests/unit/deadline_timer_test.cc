// DeadlineTimer: callbacks run once, in deadline order, unless cancelled
// first; destroying the timer drops what has not run.
#include "server/connectors/deadline_timer.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace casebridge::connectors {
namespace {

using ::testing::ElementsAre;

// Collects the tags of the callbacks that ran.
struct Log {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> ran;

  std::function<void()> Record(int tag) {
    return [this, tag] {
      std::lock_guard<std::mutex> lock(mu);
      ran.push_back(tag);
      cv.notify_all();
    };
  }
  std::vector<int> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return ran.size() >= n; });
    return ran;
  }
};

TEST(DeadlineTimerTest, PastDeadlinesRunInDeadlineOrder) {
  DeadlineTimer timer;
  Log log;
  const absl::Time now = absl::Now();
  // A far-future entry must not hold back the due ones.
  timer.Schedule(now + absl::Hours(1), log.Record(99));
  // Queued while the thread is busy in a callback, so all three are pending
  // together and must come out by deadline, not by arrival.
  std::mutex gate;
  std::unique_lock<std::mutex> hold(gate);
  Log started;
  timer.Schedule(now - absl::Seconds(10), [&] {
    started.Record(0)();
    std::lock_guard<std::mutex> wait_for_gate(gate);
  });
  started.WaitFor(1);
  timer.Schedule(now - absl::Seconds(1), log.Record(3));
  timer.Schedule(now - absl::Seconds(3), log.Record(1));
  timer.Schedule(now - absl::Seconds(2), log.Record(2));
  hold.unlock();
  EXPECT_THAT(log.WaitFor(3), ElementsAre(1, 2, 3));
  EXPECT_EQ(timer.pending(), 1u);  // the one an hour away
}

TEST(DeadlineTimerTest, CancelledCallbacksNeverRun) {
  DeadlineTimer timer;
  Log log;
  auto doomed = timer.Schedule(absl::Now() + absl::Hours(1), log.Record(1));
  EXPECT_EQ(timer.pending(), 1u);
  EXPECT_TRUE(timer.Cancel(doomed));
  EXPECT_FALSE(timer.Cancel(doomed));  // already gone
  EXPECT_EQ(timer.pending(), 0u);
  timer.Schedule(absl::Now(), log.Record(2));
  EXPECT_THAT(log.WaitFor(1), ElementsAre(2));
}

TEST(DeadlineTimerTest, CancelAfterRunningReportsFalse) {
  DeadlineTimer timer;
  Log log;
  auto handle = timer.Schedule(absl::InfinitePast(), log.Record(7));
  log.WaitFor(1);
  EXPECT_FALSE(timer.Cancel(handle));
  EXPECT_FALSE(timer.Cancel(DeadlineTimer::Handle{}));
}

TEST(DeadlineTimerTest, AnEarlierDeadlineWakesAThreadWaitingForALaterOne) {
  DeadlineTimer timer;
  Log log;
  timer.Schedule(absl::InfiniteFuture(), log.Record(1));
  timer.Schedule(absl::Now() + absl::Hours(2), log.Record(2));
  timer.Schedule(absl::Now() + absl::Milliseconds(1), log.Record(3));
  EXPECT_THAT(log.WaitFor(1), ElementsAre(3));
}

TEST(DeadlineTimerTest, CallbacksMayScheduleAndCancel) {
  DeadlineTimer timer;
  Log log;
  auto later = timer.Schedule(absl::Now() + absl::Hours(1), log.Record(1));
  timer.Schedule(absl::InfinitePast(), [&] {
    timer.Cancel(later);
    timer.Schedule(absl::InfinitePast(), log.Record(2));
  });
  EXPECT_THAT(log.WaitFor(1), ElementsAre(2));
  EXPECT_EQ(timer.pending(), 0u);
}

TEST(DeadlineTimerTest, DestroyingDropsPendingCallbacksAndWhatTheyOwn) {
  auto owned = std::make_shared<int>(1);
  std::weak_ptr<int> watch = owned;
  {
    DeadlineTimer timer;
    timer.Schedule(absl::Now() + absl::Hours(1), [owned] {});
    owned.reset();
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace casebridge::connectors

#include "server/jobs/push_queue.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/metrics/metrics.h"
#include "server/util/ids.h"
#include "server/util/log.h"

namespace casebridge::jobs {
namespace {

constexpr char kComponent[] = "jobs";

// Milliseconds are what every other time in the store keeps.
absl::Time NowMillis() {
  return absl::FromUnixMillis(absl::ToUnixMillis(absl::Now()));
}

std::chrono::system_clock::time_point ToChrono(absl::Time t) {
  return absl::ToChronoTime(t);
}

bool IsTerminal(store::PushJobState s) {
  return s == store::PushJobState::kSucceeded ||
         s == store::PushJobState::kFailed;
}

}  // namespace

PushQueue::PushQueue(store::Store* store, PushHandler* handler,
                     PushQueueOptions options)
    : store_(store), handler_(handler), options_(std::move(options)) {
  if (options_.workers < 1) options_.workers = 1;
  if (options_.max_attempts < 1) options_.max_attempts = 1;
  if (options_.lease < absl::Milliseconds(300))
    options_.lease = absl::Milliseconds(300);
  if (options_.instance_id.empty()) options_.instance_id = NewUuid();
  rng_state_ = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) | 1;
}

PushQueue::~PushQueue() { Stop(); }

void PushQueue::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  stopping_ = false;
  for (int i = 0; i < options_.workers; ++i)
    threads_.emplace_back([this] { WorkerLoop(); });
  threads_.emplace_back([this] { RenewLoop(); });
  log::Info(kComponent, "push queue started: ", options_.workers,
            " workers, instance ", options_.instance_id);
}

void PushQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  renew_cv_.notify_all();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, waiter] : waiters_) waiter->cv.notify_one();
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  started_ = false;
}

store::PushJob PushQueue::NewJob(const std::string& case_id,
                                 const std::string& connector_id,
                                 const std::string& connector_type_id,
                                 const store::User& requested_by,
                                 absl::Time now) const {
  store::PushJob job;
  job.id = NewUuid();
  job.case_id = case_id;
  job.connector_id = connector_id;
  job.connector_type_id = connector_type_id;
  job.state = store::PushJobState::kQueued;
  job.max_attempts = options_.max_attempts;
  job.created_at = now;
  job.updated_at = now;
  job.requested_by = requested_by;
  return job;
}

void PushQueue::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wake_generation_;
  }
  work_cv_.notify_one();
}

double PushQueue::Jitter() {
  std::lock_guard<std::mutex> lock(mu_);
  // xorshift64*: good enough to spread retries.
  rng_state_ ^= rng_state_ >> 12;
  rng_state_ ^= rng_state_ << 25;
  rng_state_ ^= rng_state_ >> 27;
  uint64_t r = rng_state_ * 2685821657736338717ULL;
  return static_cast<double>(r >> 11) / static_cast<double>(1ULL << 53);
}

void PushQueue::WorkerLoop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (!RunOne()) WaitForWork();
  }
}

void PushQueue::WaitForWork() {
  absl::Time wake = absl::Now() + options_.idle_poll;
  if (auto tx = store_->BeginRead(); tx.ok()) {
    if (auto next = (*tx)->NextPushJobDue(); next.ok() && next->has_value()) {
      wake = std::min(wake, **next + absl::Milliseconds(1));
    }
    // Jobs waiting to run (all replicas'), for the queue-depth gauge.
    store::PushJobQuery waiting;
    waiting.states = {store::PushJobState::kQueued,
                      store::PushJobState::kRetryWait};
    waiting.per_page = 1;
    if (auto page = (*tx)->FindPushJobs(waiting); page.ok()) {
      metrics::SetPushQueueDepth(page->total);
    }
  }
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t generation = wake_generation_;
  work_cv_.wait_until(lock, ToChrono(wake), [&] {
    return stopping_ || wake_generation_ != generation;
  });
}

bool PushQueue::RunOne() {
  const absl::Time now = NowMillis();
  std::vector<store::PushJob> claimed;
  {
    auto tx = store_->BeginWrite();
    if (!tx.ok()) {
      log::Warn(kComponent, "claim: ", tx.status().ToString());
      return false;
    }
    auto jobs = (*tx)->ClaimPushJobs(options_.instance_id, now,
                                     now + options_.lease, 1);
    if (!jobs.ok()) {
      log::Warn(kComponent, "claim: ", jobs.status().ToString());
      return false;
    }
    if (jobs->empty()) return false;
    if (absl::Status s = (*tx)->Commit(); !s.ok()) {
      log::Warn(kComponent, "claim commit: ", s.ToString());
      return false;
    }
    claimed = std::move(*jobs);
  }
  // There may be more due work: let another idle worker look.
  Notify();
  store::PushJob job = std::move(claimed[0]);
  metrics::RecordPushJobState(job.connector_type_id, "running");
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.insert(job.id);
    lost_.erase(job.id);
  }
  const std::string id = job.id;
  AttemptContext context;
  context.deadline = absl::Now() + options_.attempt_timeout;
  context.is_cancelled = [this, id] {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_ || lost_.count(id) > 0;
  };
  log::Info(kComponent, "push job ", job.id, " attempt ", job.attempts, "/",
            job.max_attempts, " (case ", job.case_id, ", connector ",
            job.connector_id, ")");
  AttemptResult result = handler_->RunAttempt(job, context);
  bool cancelled = context.is_cancelled();
  Finish(std::move(job), std::move(result), cancelled);
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(id);
    lost_.erase(id);
  }
  return true;
}

void PushQueue::Finish(store::PushJob job, AttemptResult result,
                       bool cancelled) {
  const std::string owner = options_.instance_id;
  const absl::Time now = NowMillis();
  job.updated_at = now;
  job.lease_owner.clear();
  job.lease_expires_at.reset();
  job.next_attempt_at.reset();

  if (result.kind == AttemptResult::Kind::kSucceeded) {
    job.state = store::PushJobState::kSucceeded;
    job.finished_at = now;
    job.external_service = result.external_service;
    job.last_error.reset();
    auto tx = store_->BeginWrite();
    absl::Status s = tx.status();
    if (s.ok()) s = (*tx)->UpdatePushJob(job, owner);
    if (s.ok() && result.commit) s = result.commit(**tx);
    if (s.ok()) s = (*tx)->Commit();
    if (s.ok()) {
      if (result.on_committed) result.on_committed();
      HandToWaiters(job);
      metrics::RecordPushJobState(job.connector_type_id, "succeeded");
      log::Info(kComponent, "push job ", job.id,
                " succeeded: ", job.external_service->external_id);
      return;
    }
    if (tx.ok()) tx->reset();  // roll back before writing the failure
    if (s.code() == absl::StatusCode::kAborted) {
      // The lease was taken over; the new owner reconciles with the
      // external system and records the outcome.
      log::Warn(kComponent, "push job ", job.id,
                " lost its lease: ", s.ToString());
      return;
    }
    log::Error(
        kComponent, "push job ", job.id,
        " reached the external system but saving failed: ", s.ToString());
    result.kind = AttemptResult::Kind::kPermanent;
    result.error = store::PushError{
        std::string(absl::StatusCodeToString(s.code())),
        absl::StrCat("saving the push result failed: ", s.message()), "",
        false};
    job.external_service.reset();
    job.finished_at.reset();
  }

  job.last_error = result.error;
  const bool retry = result.kind == AttemptResult::Kind::kRetryable &&
                     (cancelled || job.attempts < job.max_attempts);
  if (retry) {
    job.state = store::PushJobState::kRetryWait;
    job.last_error->retryable = true;
    job.next_attempt_at = cancelled
                              ? now
                              : now + RetryDelay(options_.backoff, job.attempts,
                                                 result.retry_after, Jitter());
  } else {
    job.state = store::PushJobState::kFailed;
    job.finished_at = now;
  }
  auto tx = store_->BeginWrite();
  absl::Status s = tx.status();
  if (s.ok()) s = (*tx)->UpdatePushJob(job, owner);
  if (s.ok()) s = (*tx)->Commit();
  if (!s.ok()) {
    log::Warn(kComponent, "push job ", job.id,
              ": recording the attempt: ", s.ToString());
    return;
  }
  if (!retry) HandToWaiters(job);
  metrics::RecordPushJobState(job.connector_type_id,
                              retry ? "retrying" : "failed");
  if (retry) {
    log::Info(kComponent, "push job ", job.id, " will retry at ",
              absl::FormatTime(*job.next_attempt_at), ": ",
              job.last_error->code, " ", job.last_error->message);
    // A sleeping worker must wake for the new due time.
    Notify();
  } else {
    log::Warn(kComponent, "push job ", job.id, " failed after ", job.attempts,
              " attempt(s): ", job.last_error->code, " ",
              job.last_error->message);
  }
}

void PushQueue::RenewLoop() {
  const absl::Duration period = options_.lease / 3;
  while (true) {
    std::vector<std::string> ids;
    {
      std::unique_lock<std::mutex> lock(mu_);
      renew_cv_.wait_until(lock, ToChrono(absl::Now() + period),
                           [&] { return stopping_; });
      if (stopping_) return;
      ids.assign(running_.begin(), running_.end());
    }
    if (ids.empty()) continue;
    auto tx = store_->BeginWrite();
    if (!tx.ok()) continue;
    const absl::Time until = NowMillis() + options_.lease;
    std::vector<std::string> lost;
    for (const std::string& id : ids) {
      absl::Status s =
          (*tx)->RenewPushJobLease(id, options_.instance_id, until);
      if (s.code() == absl::StatusCode::kAborted ||
          s.code() == absl::StatusCode::kNotFound) {
        lost.push_back(id);
      }
    }
    if (!(*tx)->Commit().ok()) continue;
    if (!lost.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      for (const std::string& id : lost) {
        // Only still-running attempts can lose their lease.
        if (running_.count(id)) lost_.insert(id);
      }
    }
  }
}

void PushQueue::HandToWaiters(const store::PushJob& job) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [first, last] = waiters_.equal_range(job.id);
  for (auto it = first; it != last; ++it) {
    it->second->finished = job;
    it->second->cv.notify_one();
  }
}

absl::StatusOr<store::PushJob> PushQueue::WaitForJob(const std::string& id,
                                                     absl::Time deadline) {
  // Registered before the first read: a job that finishes after that read
  // is handed over, one that finished before it is seen by the read.
  Waiter waiter;
  std::multimap<std::string, Waiter*>::iterator registered;
  {
    std::lock_guard<std::mutex> lock(mu_);
    registered = waiters_.emplace(id, &waiter);
  }
  auto unregister = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    waiters_.erase(registered);
  };
  while (true) {
    store::PushJob job;
    {
      absl::StatusOr<std::unique_ptr<store::Transaction>> tx =
          store_->BeginRead();
      absl::StatusOr<store::PushJob> got =
          tx.ok() ? (*tx)->GetPushJob(id)
                  : absl::StatusOr<store::PushJob>(tx.status());
      if (!got.ok()) {
        unregister();
        return got.status();
      }
      job = *std::move(got);
    }
    absl::Time now = absl::Now();
    if (IsTerminal(job.state) || now >= deadline) {
      unregister();
      return job;
    }
    // This process's workers hand the finished job over; jobs run by other
    // replicas are polled.
    std::unique_lock<std::mutex> lock(mu_);
    const absl::Time poll_at =
        std::min(deadline, now + absl::Milliseconds(200));
    waiter.cv.wait_until(lock, ToChrono(poll_at), [&] {
      return waiter.finished.has_value() || stopping_;
    });
    if (waiter.finished.has_value() || stopping_) {
      std::optional<store::PushJob> finished = std::move(waiter.finished);
      waiters_.erase(registered);
      if (finished.has_value()) return *std::move(finished);
      return job;
    }
  }
}

absl::StatusOr<store::PushJob> PushQueue::RetryJob(const std::string& id) {
  store::PushJob job;
  {
    auto tx = store_->BeginWrite();
    if (!tx.ok()) return tx.status();
    auto got = (*tx)->GetPushJob(id);
    if (!got.ok()) return got.status();
    job = std::move(*got);
    if (job.state != store::PushJobState::kFailed) {
      return absl::FailedPreconditionError(absl::StrCat(
          "push job ", id, " is not FAILED; only failed jobs can be retried"));
    }
    job.state = store::PushJobState::kQueued;
    job.attempts = 0;
    job.max_attempts = options_.max_attempts;
    job.updated_at = NowMillis();
    job.finished_at.reset();
    job.next_attempt_at.reset();
    if (absl::Status s = (*tx)->UpdatePushJob(job, ""); !s.ok()) return s;
    if (absl::Status s = (*tx)->Commit(); !s.ok()) return s;
  }
  metrics::RecordPushJobState(job.connector_type_id, "queued");
  Notify();
  return job;
}

}  // namespace casebridge::jobs

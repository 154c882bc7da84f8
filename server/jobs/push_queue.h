// PushQueue: the durable push queue and its workers.
//
// Jobs live in the Store (store::PushJob). A caller enqueues by inserting
// the job NewJob() returns in its own write transaction (outbox: the job
// exists exactly when the request that created it committed) and calling
// Notify() after the commit. Workers claim due jobs with a lease
// (Transaction::ClaimPushJobs), renew the lease while an attempt runs, and
// record the outcome: success (with the handler's writes, in the same
// transaction), a retry at a backoff time (retryable failure with attempts
// left), or FAILED. Jobs left RUNNING by a dead process are claimed again
// once their lease expires. The queue knows nothing about cases: the work is
// done by a PushHandler, which server/cases implements.
//
// Thread-safe. The Store and the handler must outlive the queue; Stop() (or
// the destructor) waits for the workers.
#ifndef CASEBRIDGE_SERVER_JOBS_PUSH_QUEUE_H_
#define CASEBRIDGE_SERVER_JOBS_PUSH_QUEUE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/jobs/backoff.h"
#include "server/store/model.h"
#include "server/store/store.h"

namespace casebridge::jobs {

// What one attempt came to.
struct AttemptResult {
  enum class Kind { kSucceeded, kRetryable, kPermanent };
  Kind kind = Kind::kPermanent;
  store::PushError error;                     // unless kSucceeded
  std::optional<absl::Duration> retry_after;  // the external system's hint
  store::ExternalService external_service;    // kSucceeded
  // kSucceeded: the push's effects, written in the transaction that marks
  // the job SUCCEEDED (all or nothing). An error from it fails the job
  // permanently with that error. May be empty.
  std::function<absl::Status(store::Transaction&)> commit;
  // kSucceeded: runs after that transaction committed (may be empty).
  std::function<void()> on_committed;
};

struct AttemptContext {
  absl::Time deadline;  // the attempt should end by then
  std::function<bool()>
      is_cancelled;  // true once the queue stops or the lease is lost
};

// The work of a push job. Implementations must be thread-safe: workers call
// RunAttempt concurrently (never for two jobs of one (case, connector)).
class PushHandler {
 public:
  virtual ~PushHandler() = default;
  // One attempt of `job`; `job.attempts` already counts it, so
  // `job.attempts > 1` means an earlier attempt may have reached the
  // external system.
  virtual AttemptResult RunAttempt(const store::PushJob& job,
                                   const AttemptContext& context) = 0;
};

struct PushQueueOptions {
  int workers = 4;
  int max_attempts = 5;
  absl::Duration lease = absl::Seconds(30);  // renewed every lease / 3
  BackoffPolicy backoff;
  absl::Duration attempt_timeout = absl::Seconds(60);
  // Idle workers look for due jobs at least this often (jobs enqueued by
  // other replicas, expired leases).
  absl::Duration idle_poll = absl::Seconds(2);
  std::string instance_id;  // lease owner; a random id when empty
};

class PushQueue {
 public:
  PushQueue(store::Store* store, PushHandler* handler,
            PushQueueOptions options);
  ~PushQueue();
  PushQueue(const PushQueue&) = delete;
  PushQueue& operator=(const PushQueue&) = delete;

  // Starts the workers. Jobs already due (including RUNNING ones whose
  // lease expired) are picked up at once.
  void Start();
  // Stops claiming, cancels running attempts (a cancelled attempt is
  // retried after restart without waiting) and joins the workers.
  void Stop();

  const PushQueueOptions& options() const { return options_; }

  // A QUEUED job for the caller to insert in its own transaction.
  store::PushJob NewJob(const std::string& case_id,
                        const std::string& connector_id,
                        const std::string& connector_type_id,
                        const store::User& requested_by, absl::Time now) const;
  // Wakes a worker; call after committing inserted or re-queued jobs.
  void Notify();

  // The job once it is SUCCEEDED or FAILED, or as it stands at `deadline`.
  // NotFound for an unknown id.
  absl::StatusOr<store::PushJob> WaitForJob(const std::string& id,
                                            absl::Time deadline);
  // Queues a FAILED job again with a fresh attempt budget (attempts = 0);
  // FailedPrecondition for a job in any other state.
  absl::StatusOr<store::PushJob> RetryJob(const std::string& id);

 private:
  void WorkerLoop();
  void RenewLoop();
  // Claims and runs at most one job; false when none was due.
  bool RunOne();
  void Finish(store::PushJob job, AttemptResult result, bool cancelled);
  void WaitForWork();
  double Jitter();

  store::Store* store_;
  PushHandler* handler_;
  PushQueueOptions options_;

  // A caller in WaitForJob. Finish hands it the job it recorded as
  // SUCCEEDED or FAILED, so the caller need not read the job back; jobs
  // finished by other replicas are seen by polling.
  struct Waiter {
    std::condition_variable cv;
    std::optional<store::PushJob> finished;  // guarded by mu_
  };
  // Gives `job`, just committed in a final state, to its waiters.
  void HandToWaiters(const store::PushJob& job);

  std::mutex mu_;
  std::condition_variable work_cv_;  // workers wait for work or a due time
  std::condition_variable renew_cv_;
  std::multimap<std::string, Waiter*> waiters_;  // by job id; guarded by mu_
  uint64_t wake_generation_ = 0;
  bool stopping_ = false;
  bool started_ = false;
  std::set<std::string> running_;  // job ids this process leases
  std::set<std::string> lost_;     // leases that could not be renewed
  uint64_t rng_state_;
  std::vector<std::thread> threads_;
};

}  // namespace casebridge::jobs

#endif  // CASEBRIDGE_SERVER_JOBS_PUSH_QUEUE_H_

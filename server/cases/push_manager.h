// PushManager: PushCase end to end. It validates a push, records its job in
// the same transaction (outbox), optionally waits for it, and — as the
// jobs::PushHandler the queue calls — runs one attempt: no-duplicate
// reconcile, build, pushToService, and on success one transaction with the
// push record, Case.external_service, pushed_at on what was sent, the
// `pushed` user action and close-by-pushing.
//
// Thread-safe. Borrows the store, the connector manager and (once attached)
// the queue; all must outlive it. Construct it, construct the PushQueue
// with it as handler, then AttachQueue(). Errors follow server/util/status.h:
// INVALID_ARGUMENT with field names, NOT_FOUND (case, connector, job),
// FAILED_PRECONDITION (closed case, connector type without the cases
// feature, a push that failed permanently), UNAVAILABLE (still retrying at
// the deadline; the job continues).
#ifndef CASEBRIDGE_SERVER_CASES_PUSH_MANAGER_H_
#define CASEBRIDGE_SERVER_CASES_PUSH_MANAGER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/connectors/connector_manager.h"
#include "server/jobs/push_queue.h"
#include "server/store/model.h"
#include "server/store/store.h"

namespace casebridge::cases {

// The push state of a case for one connector.
struct PushStatusView {
  std::string connector_id;
  std::optional<store::PushJob> last_job;
  std::optional<store::ExternalService> external_service;
};

struct PushCaseResult {
  store::Case c;
  std::vector<store::Attachment> comments;
  std::vector<PushStatusView> push_statuses;
  store::PushJob job;
};

struct PushManagerOptions {
  // How long a synchronous PushCase waits when the call has no deadline.
  absl::Duration default_wait = absl::Seconds(60);
  // Answer this long before the call deadline, so the reply makes it.
  absl::Duration deadline_margin = absl::Milliseconds(100);
};

class PushManager : public jobs::PushHandler {
 public:
  PushManager(store::Store* store, connectors::ConnectorManager* connectors,
              PushManagerOptions options = {});
  void AttachQueue(jobs::PushQueue* queue) { queue_ = queue; }

  // `deadline`: the call's (InfiniteFuture when none).
  absl::StatusOr<PushCaseResult> PushCase(const std::string& case_id,
                                          const std::string& connector_id,
                                          bool async, absl::Time deadline,
                                          const store::User& user);
  absl::StatusOr<store::PushJob> GetJob(const std::string& id);
  absl::StatusOr<store::PushJobPage> ListJobs(store::PushJobQuery query);
  absl::StatusOr<store::PushJob> RetryJob(const std::string& id);
  // One entry per connector with a job or record, by connector id.
  absl::StatusOr<std::vector<PushStatusView>> PushStatuses(
      const std::string& case_id);
  // The same, read in `tx` (e.g. the transaction that read the case).
  static absl::StatusOr<std::vector<PushStatusView>> PushStatuses(
      store::Transaction& tx, const std::string& case_id);

  jobs::AttemptResult RunAttempt(const store::PushJob& job,
                                 const jobs::AttemptContext& context) override;

 private:
  absl::StatusOr<PushCaseResult> LoadResult(const std::string& case_id,
                                            store::PushJob job);

  store::Store* store_;
  connectors::ConnectorManager* connectors_;
  PushManagerOptions options_;
  jobs::PushQueue* queue_ = nullptr;
};

}  // namespace casebridge::cases

#endif  // CASEBRIDGE_SERVER_CASES_PUSH_MANAGER_H_

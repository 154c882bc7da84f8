// Private to the PostgreSQL store: the connection pool and the Transaction
// class, whose methods are defined by area in pg_cases.cc (cases and case
// search), pg_attachments.cc (attachments, alerts, activity) and
// pg_settings.cc (configurations, connectors, token cache). A new area (say,
// push jobs) adds its methods in a new file the same way.
//
// ConnPool is thread-safe. A PgTransaction is used by one thread; it returns
// its connection to the pool when destroyed, so it must not outlive the
// pool.
#ifndef CASEBRIDGE_SERVER_STORE_POSTGRES_PG_TRANSACTION_H_
#define CASEBRIDGE_SERVER_STORE_POSTGRES_PG_TRANSACTION_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/store/postgres/pg_conn.h"
#include "server/store/postgres/pg_store.h"
#include "server/store/store.h"

namespace casebridge::store::pg {

inline absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

class ConnPool {
 public:
  explicit ConnPool(const PostgresStoreOptions& options);
  // An idle connection, a new one while fewer than pool_size are open, or
  // one released within acquire_timeout; Unavailable otherwise.
  absl::StatusOr<std::unique_ptr<Conn>> Acquire();
  // Keeps `conn` for reuse when it is healthy and outside a transaction;
  // closes it otherwise.
  void Release(std::unique_ptr<Conn> conn);
  // Opens a connection that does not count against the pool.
  absl::StatusOr<std::unique_ptr<Conn>> OpenExtra();

 private:
  const PostgresStoreOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;  // guarded by mu_
  int open_ = 0;                             // guarded by mu_
};

class PgTransaction : public Transaction {
 public:
  PgTransaction(ConnPool* pool, std::unique_ptr<Conn> conn, bool write)
      : pool_(pool), conn_(std::move(conn)), write_(write) {}
  ~PgTransaction() override;

  absl::Status Commit() override;

  // For PgStore::ApplyWriteBatch: runs `op` inside a savepoint, keeping its
  // writes when it returns OK and rolling back to the savepoint otherwise.
  // Commit() is refused while `op` runs.
  absl::Status RunInSavepoint(const Store::WriteOp& op);

  absl::StatusOr<Case> GetCase(std::string_view id) override;
  absl::StatusOr<std::vector<Case>> GetCases(
      absl::Span<const std::string> ids) override;
  absl::Status InsertCase(Case& c) override;
  absl::Status UpdateCase(Case& c) override;
  absl::Status DeleteCase(std::string_view id) override;
  absl::StatusOr<CasePage> FindCases(const CaseQuery& query) override;
  absl::StatusOr<StatusCounts> CountCasesByStatus(
      const CaseFilter& filter) override;
  absl::StatusOr<std::vector<User>> ListReporters(
      absl::Span<const std::string> owners) override;
  absl::StatusOr<std::vector<std::string>> ListTags(
      absl::Span<const std::string> owners) override;
  absl::StatusOr<std::vector<std::string>> ListCategories(
      absl::Span<const std::string> owners) override;
  absl::StatusOr<std::vector<Case>> FindCasesByAlert(
      std::string_view alert_id, absl::Span<const std::string> owners) override;

  absl::StatusOr<Attachment> GetAttachment(std::string_view case_id,
                                           std::string_view id) override;
  absl::StatusOr<std::vector<Attachment>> ListAttachments(
      std::string_view case_id) override;
  absl::StatusOr<AttachmentPage> FindUserComments(std::string_view case_id,
                                                  bool ascending, int page,
                                                  int per_page) override;
  absl::Status InsertAttachment(Attachment& a) override;
  absl::Status UpdateAttachment(Attachment& a) override;
  absl::Status DeleteAttachment(std::string_view case_id,
                                std::string_view id) override;
  absl::StatusOr<std::vector<CaseAlert>> ListCaseAlerts(
      std::string_view case_id) override;

  absl::Status InsertUserAction(const UserAction& action) override;
  absl::StatusOr<UserActionPage> FindUserActions(
      const UserActionQuery& query) override;
  absl::StatusOr<int64_t> CountUserActions(std::string_view case_id) override;

  absl::StatusOr<Configuration> GetConfiguration(std::string_view id) override;
  absl::StatusOr<Configuration> GetConfigurationByOwner(
      std::string_view owner) override;
  absl::StatusOr<std::vector<Configuration>> ListConfigurations(
      absl::Span<const std::string> owners) override;
  absl::Status InsertConfiguration(Configuration& c) override;
  absl::Status UpdateConfiguration(Configuration& c) override;
  absl::Status DeleteConfiguration(std::string_view id) override;

  absl::StatusOr<Connector> GetConnector(std::string_view id) override;
  absl::StatusOr<std::vector<Connector>> ListConnectors() override;
  absl::Status InsertConnector(const Connector& c) override;
  absl::Status UpdateConnector(const Connector& c) override;
  absl::Status DeleteConnector(std::string_view id) override;
  absl::StatusOr<int64_t> CountConnectorReferences(
      std::string_view connector_id) override;

  absl::StatusOr<std::optional<CachedToken>> GetCachedToken(
      std::string_view connector_id, std::string_view key) override;
  absl::Status PutCachedToken(const CachedToken& token) override;
  absl::Status DeleteCachedTokens(std::string_view connector_id) override;

  // Push jobs (pg_push.cc).
  absl::Status InsertPushJob(const PushJob& job) override;
  absl::StatusOr<PushJob> GetPushJob(std::string_view id) override;
  absl::Status UpdatePushJob(const PushJob& job,
                             std::string_view expected_lease_owner) override;
  absl::StatusOr<PushJobPage> FindPushJobs(const PushJobQuery& query) override;
  absl::StatusOr<std::vector<PushJob>> ClaimPushJobs(std::string_view owner,
                                                     absl::Time now,
                                                     absl::Time lease_until,
                                                     int limit) override;
  absl::Status RenewPushJobLease(std::string_view id, std::string_view owner,
                                 absl::Time lease_until) override;
  absl::StatusOr<std::optional<absl::Time>> NextPushJobDue() override;
  absl::StatusOr<std::vector<PushJob>> LatestPushJobs(
      std::string_view case_id) override;
  absl::StatusOr<std::optional<PushRecord>> GetPushRecord(
      std::string_view case_id, std::string_view connector_id) override;
  absl::StatusOr<std::vector<PushRecord>> ListPushRecords(
      std::string_view case_id) override;
  absl::Status PutPushRecord(const PushRecord& record) override;

  // API keys (pg_api_keys.cc).
  absl::StatusOr<std::optional<ApiKey>> GetApiKey(std::string_view id) override;
  absl::StatusOr<std::vector<ApiKey>> ListApiKeys() override;
  absl::Status InsertApiKey(const ApiKey& key) override;
  absl::Status RevokeApiKey(std::string_view id, absl::Time revoked_at) override;

  // Case events (pg_events.cc).
  absl::Status InsertCaseEvent(CaseEvent& event) override;
  absl::StatusOr<std::vector<CaseEvent>> ListCaseEvents(int64_t after_seq,
                                                        int limit) override;
  absl::StatusOr<int64_t> LatestCaseEventSeq() override;
  absl::StatusOr<int64_t> PruneCaseEvents(absl::Time before) override;
  absl::StatusOr<int64_t> CaseEventsPrunedThrough() override;

 private:
  // Runs a statement of this transaction (prepared and cached per
  // connection).
  absl::StatusOr<Result> Q(const std::string& sql, const Params& params,
                           std::string_view op);
  // " FOR UPDATE" in write transactions, "" in read ones.
  const char* Lock() const { return write_ ? " FOR UPDATE" : ""; }
  // Locks the case row (write transactions) so that the statements after it
  // see every committed change to the case; NotFound when missing.
  absl::Status LockCase(std::string_view case_id);
  absl::Status RefreshTotals(std::string_view case_id);
  absl::Status IndexAlerts(const Attachment& a);
  // After a versioned UPDATE touched no row: NotFound or Aborted.
  absl::Status VersionFailure(const char* table, std::string_view id,
                              const char* what);
  // NOTIFY kPushJobsChannel (delivered when this transaction commits).
  absl::Status NotifyPushWork();

  ConnPool* pool_;
  std::unique_ptr<Conn> conn_;
  const bool write_;
  bool done_ = false;
  bool in_savepoint_ = false;
};

}  // namespace casebridge::store::pg

#endif  // CASEBRIDGE_SERVER_STORE_POSTGRES_PG_TRANSACTION_H_

// Store: durable storage behind one interface, implemented by SQLite (the
// embedded default) and PostgreSQL (shared by replicas).
//
// All reads and writes happen in a Transaction. A write transaction is
// atomic: everything it did becomes visible at Commit(), or nothing does if
// it is destroyed uncommitted. Stores are thread-safe; a Transaction is used
// by one thread at a time. Write transactions of one Store are serialised
// with respect to each other for the rows they touch; a version check made
// inside a write transaction therefore holds until Commit().
//
// Errors: NotFound for a missing object, Aborted when an expected version
// does not match (optimistic concurrency), AlreadyExists for a duplicate id,
// Unavailable or Internal for storage failures. No method returns a
// storage-specific type.
#ifndef CASEBRIDGE_SERVER_STORE_STORE_H_
#define CASEBRIDGE_SERVER_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/store/model.h"

namespace casebridge::store {

// Filters shared by FindCases and status counts. Empty lists do not filter;
// a non-empty list matches any of its values; different fields are ANDed.
struct CaseFilter {
  std::vector<std::string> owners;
  std::vector<CaseStatus> statuses;
  std::vector<CaseSeverity> severities;
  std::vector<std::string> tags;        // cases having any of these tags
  std::vector<std::string> reporters;   // created_by.username (or profile_uid)
  std::vector<std::string> assignees;   // uids; "none" matches cases with no assignee
  std::vector<std::string> categories;
  std::optional<absl::Time> created_from;  // created_at >= created_from
  std::optional<absl::Time> created_to;    // created_at <= created_to
  // Full-text search over the chosen fields; words are ORed unless
  // search_all_words. Matching is case-insensitive on whole words and word
  // prefixes ("phish" matches "phishing").
  std::string search;
  bool search_title = true;
  bool search_description = true;
  bool search_all_words = false;
};

enum class CaseSortField { kCreatedAt, kUpdatedAt, kClosedAt, kTitle, kCategory, kStatus, kSeverity };

struct CaseQuery {
  CaseFilter filter;
  CaseSortField sort_field = CaseSortField::kCreatedAt;
  bool ascending = false;
  int page = 1;       // 1-based
  int per_page = 20;
};

struct StatusCounts {
  int64_t open = 0;
  int64_t in_progress = 0;
  int64_t closed = 0;
};

struct CasePage {
  std::vector<Case> cases;
  int64_t total = 0;
  // Counts by status of the cases matching the filter with `statuses` ignored.
  StatusCounts counts;
};

struct AttachmentPage {
  std::vector<Attachment> attachments;
  int64_t total = 0;
};

// Activity filter. `types` are user-action types; `pseudo_types` are
// "action" (not a comment action), "user", "alert", "attachment" (comment
// actions by the attachment type in payload.comment.type). All are ORed; both
// empty = everything.
struct UserActionQuery {
  std::string case_id;
  std::vector<std::string> types;
  std::vector<std::string> pseudo_types;
  bool ascending = false;  // by created_at, then insertion order
  int page = 1;
  int per_page = 20;
};

struct PushJobQuery {
  std::string case_id;                  // all cases when empty
  std::vector<PushJobState> states;     // any of these; all when empty
  int page = 1;                         // newest created first
  int per_page = 20;
};

struct PushJobPage {
  std::vector<PushJob> jobs;
  int64_t total = 0;
};

struct UserActionPage {
  std::vector<UserAction> user_actions;
  int64_t total = 0;
};

class Transaction {
 public:
  virtual ~Transaction() = default;  // rolls back unless committed

  // Makes every write durable and visible. The transaction is finished
  // afterwards whatever the result.
  virtual absl::Status Commit() = 0;

  // --- Cases. Reads fill total_comment and total_alerts.
  virtual absl::StatusOr<Case> GetCase(std::string_view id) = 0;
  // The cases that exist among `ids`, in the order of `ids`.
  virtual absl::StatusOr<std::vector<Case>> GetCases(absl::Span<const std::string> ids) = 0;
  // Inserts with version 1 (written back to `c.version`).
  virtual absl::Status InsertCase(Case& c) = 0;
  // Replaces the case whose stored version equals `c.version`, then sets
  // `c.version` to the new version. Aborted on a version mismatch.
  virtual absl::Status UpdateCase(Case& c) = 0;
  // Deletes the case with its attachments, alerts and activity.
  virtual absl::Status DeleteCase(std::string_view id) = 0;
  virtual absl::StatusOr<CasePage> FindCases(const CaseQuery& query) = 0;
  virtual absl::StatusOr<StatusCounts> CountCasesByStatus(const CaseFilter& filter) = 0;
  // Distinct reporters / tags / categories of the owners' cases (all owners
  // when empty), sorted.
  virtual absl::StatusOr<std::vector<User>> ListReporters(absl::Span<const std::string> owners) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListTags(absl::Span<const std::string> owners) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListCategories(absl::Span<const std::string> owners) = 0;
  // Cases of the given owners (all when empty) with `alert_id` attached.
  virtual absl::StatusOr<std::vector<Case>> FindCasesByAlert(std::string_view alert_id,
                                                             absl::Span<const std::string> owners) = 0;

  // --- Attachments.
  virtual absl::StatusOr<Attachment> GetAttachment(std::string_view case_id, std::string_view id) = 0;
  // Every attachment of the case, oldest first.
  virtual absl::StatusOr<std::vector<Attachment>> ListAttachments(std::string_view case_id) = 0;
  // User comments only, by created_at.
  virtual absl::StatusOr<AttachmentPage> FindUserComments(std::string_view case_id, bool ascending,
                                                          int page, int per_page) = 0;
  // Inserts with version 1; indexes alert ids; keeps the case totals.
  virtual absl::Status InsertAttachment(Attachment& a) = 0;
  // Version-checked like UpdateCase.
  virtual absl::Status UpdateAttachment(Attachment& a) = 0;
  virtual absl::Status DeleteAttachment(std::string_view case_id, std::string_view id) = 0;
  // Every alert on the case, oldest attachment first.
  virtual absl::StatusOr<std::vector<CaseAlert>> ListCaseAlerts(std::string_view case_id) = 0;

  // --- Activity.
  virtual absl::Status InsertUserAction(const UserAction& action) = 0;
  virtual absl::StatusOr<UserActionPage> FindUserActions(const UserActionQuery& query) = 0;
  virtual absl::StatusOr<int64_t> CountUserActions(std::string_view case_id) = 0;

  // --- Configurations (at most one per owner).
  virtual absl::StatusOr<Configuration> GetConfiguration(std::string_view id) = 0;
  // NotFound when the owner has none.
  virtual absl::StatusOr<Configuration> GetConfigurationByOwner(std::string_view owner) = 0;
  // Configurations of the owners (all when empty), sorted by owner.
  virtual absl::StatusOr<std::vector<Configuration>> ListConfigurations(
      absl::Span<const std::string> owners) = 0;
  virtual absl::Status InsertConfiguration(Configuration& c) = 0;  // version 1
  virtual absl::Status UpdateConfiguration(Configuration& c) = 0;  // version-checked
  virtual absl::Status DeleteConfiguration(std::string_view id) = 0;

  // --- Connectors.
  virtual absl::StatusOr<Connector> GetConnector(std::string_view id) = 0;
  virtual absl::StatusOr<std::vector<Connector>> ListConnectors() = 0;  // by name
  virtual absl::Status InsertConnector(const Connector& c) = 0;
  virtual absl::Status UpdateConnector(const Connector& c) = 0;
  virtual absl::Status DeleteConnector(std::string_view id) = 0;
  // Cases and configurations whose connector is `connector_id`.
  virtual absl::StatusOr<int64_t> CountConnectorReferences(std::string_view connector_id) = 0;

  // --- Token cache.
  virtual absl::StatusOr<std::optional<CachedToken>> GetCachedToken(std::string_view connector_id,
                                                                    std::string_view key) = 0;
  virtual absl::Status PutCachedToken(const CachedToken& token) = 0;  // insert or replace
  virtual absl::Status DeleteCachedTokens(std::string_view connector_id) = 0;

  // --- API keys (hashes only).
  virtual absl::StatusOr<std::optional<ApiKey>> GetApiKey(std::string_view id) = 0;
  // Every key, revoked ones included, by created_at then id.
  virtual absl::StatusOr<std::vector<ApiKey>> ListApiKeys() = 0;
  // AlreadyExists when the id is taken.
  virtual absl::Status InsertApiKey(const ApiKey& key) = 0;
  // Sets revoked_at (kept when already revoked). NotFound for an unknown id.
  virtual absl::Status RevokeApiKey(std::string_view id, absl::Time revoked_at) = 0;

  // --- Push jobs. Jobs and records go away with their case.
  virtual absl::Status InsertPushJob(const PushJob& job) = 0;  // AlreadyExists
  virtual absl::StatusOr<PushJob> GetPushJob(std::string_view id) = 0;
  // Replaces the stored job. With `expected_lease_owner` non-empty, Aborted
  // unless the stored job is RUNNING under that owner (a worker whose lease
  // was taken over must not write).
  virtual absl::Status UpdatePushJob(const PushJob& job, std::string_view expected_lease_owner) = 0;
  virtual absl::StatusOr<PushJobPage> FindPushJobs(const PushJobQuery& query) = 0;
  // Claims up to `limit` due jobs, oldest first: QUEUED, RETRY_WAIT with
  // next_attempt_at <= now, or RUNNING with lease_expires_at <= now. Skips a
  // job whose (case_id, connector_id) has another job RUNNING under a live
  // lease, and claims at most one job per (case_id, connector_id). Claimed
  // jobs become RUNNING under `owner` until `lease_until`, attempts + 1,
  // updated_at = now, next_attempt_at cleared; they are returned as stored.
  virtual absl::StatusOr<std::vector<PushJob>> ClaimPushJobs(std::string_view owner, absl::Time now,
                                                             absl::Time lease_until, int limit) = 0;
  // Extends the lease of a job RUNNING under `owner`; Aborted otherwise.
  virtual absl::Status RenewPushJobLease(std::string_view id, std::string_view owner,
                                         absl::Time lease_until) = 0;
  // The earliest time a not-yet-due job becomes claimable (RETRY_WAIT
  // next_attempt_at or RUNNING lease expiry), if any.
  virtual absl::StatusOr<std::optional<absl::Time>> NextPushJobDue() = 0;
  // The latest job (by created_at, then insertion) of each connector the
  // case has jobs for, ordered by connector id.
  virtual absl::StatusOr<std::vector<PushJob>> LatestPushJobs(std::string_view case_id) = 0;

  // --- Push records, one per (case, connector).
  // std::nullopt when the case was never pushed to the connector.
  virtual absl::StatusOr<std::optional<PushRecord>> GetPushRecord(std::string_view case_id,
                                                                  std::string_view connector_id) = 0;
  virtual absl::StatusOr<std::vector<PushRecord>> ListPushRecords(std::string_view case_id) = 0;  // by connector id
  virtual absl::Status PutPushRecord(const PushRecord& record) = 0;  // insert or replace

  // --- Case events (the WatchCases feed).
  // Appends `event` and sets event.seq, greater than every seq assigned before.
  virtual absl::Status InsertCaseEvent(CaseEvent& event) = 0;
  // Up to `limit` events with seq > `after_seq`, by seq ascending.
  virtual absl::StatusOr<std::vector<CaseEvent>> ListCaseEvents(int64_t after_seq, int limit) = 0;
  // The highest seq assigned so far (0 when none).
  virtual absl::StatusOr<int64_t> LatestCaseEventSeq() = 0;
  // Deletes the events older than `before`; returns how many went. Remembers
  // the highest seq deleted (CaseEventsPrunedThrough).
  virtual absl::StatusOr<int64_t> PruneCaseEvents(absl::Time before) = 0;
  // The highest seq ever pruned (0 when none): a feed resumed after a smaller
  // seq has lost events.
  virtual absl::StatusOr<int64_t> CaseEventsPrunedThrough() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // A read-only snapshot.
  virtual absl::StatusOr<std::unique_ptr<Transaction>> BeginRead() = 0;
  // A write transaction; blocks while another writer holds the rows it needs.
  virtual absl::StatusOr<std::unique_ptr<Transaction>> BeginWrite() = 0;

  // Push work made by other processes: from now on `wake` is called (on a
  // thread of the store, possibly spuriously) whenever another process may
  // have queued a push job, until this is called again with nullptr; after
  // that call returns, `wake` is not running and will not be called. The
  // default never calls it: a store only this process writes to needs no
  // signal, since the queue is notified in-process after each commit.
  virtual void SetPushWorkListener(std::function<void()> wake) { (void)wake; }

  // One write of ApplyWriteBatch. It runs in its own atomic scope of a write
  // transaction and must not call Commit(): its writes are kept when it
  // returns OK and undone when it returns an error.
  using WriteOp = std::function<absl::Status(Transaction& tx)>;

  // Runs `ops` in order, each as if in its own write transaction (an op sees
  // the kept writes of the ops before it), and makes the kept writes durable
  // together. Returns one status per op: the op's own error, or else the
  // status of the commit that made its writes durable (OK = durable). The
  // default runs every op in its own BeginWrite/Commit.
  virtual std::vector<absl::Status> ApplyWriteBatch(
      absl::Span<const WriteOp> ops) {
    std::vector<absl::Status> out;
    out.reserve(ops.size());
    for (const WriteOp& op : ops) {
      absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginWrite();
      if (!tx.ok()) {
        out.push_back(tx.status());
        continue;
      }
      absl::Status status = op(**tx);
      out.push_back(status.ok() ? (*tx)->Commit() : status);
    }
    return out;
  }
};

}  // namespace casebridge::store

#endif  // CASEBRIDGE_SERVER_STORE_STORE_H_

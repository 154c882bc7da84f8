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
};

class Store {
 public:
  virtual ~Store() = default;
  // A read-only snapshot.
  virtual absl::StatusOr<std::unique_ptr<Transaction>> BeginRead() = 0;
  // A write transaction; blocks while another writer holds the rows it needs.
  virtual absl::StatusOr<std::unique_ptr<Transaction>> BeginWrite() = 0;
};

}  // namespace casebridge::store

#endif  // CASEBRIDGE_SERVER_STORE_STORE_H_

// CaseManager: the case operations with Kibana's semantics on top of a Store.
//
// Each operation validates its request (field errors as InvalidArgument with
// proto field paths, see server/util/status.h), then runs in exactly one
// store transaction: reads in a read snapshot, mutations in one write
// transaction that also writes their user actions. Errors: NotFound for a
// missing case/comment/configuration, Aborted for a stale version,
// FailedPrecondition for an update that changes nothing or alerts on a
// closed case. Thread-safe; the Store must outlive the manager.
#ifndef CASEBRIDGE_SERVER_CASES_CASE_MANAGER_H_
#define CASEBRIDGE_SERVER_CASES_CASE_MANAGER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/cases/requests.h"
#include "server/store/model.h"
#include "server/store/store.h"
#include "server/store/write_queue.h"

namespace casebridge::cases {

struct CaseWithComments {
  store::Case c;
  std::vector<store::Attachment> comments;  // oldest first; empty unless asked
};

struct FoundCases {
  store::CasePage result;
  int page = 1;
  int per_page = 20;
};

struct FoundComments {
  store::AttachmentPage result;
  int page = 1;
  int per_page = 20;
};

struct FoundActivity {
  store::UserActionPage result;
  int page = 1;
  int per_page = 20;
};

class CaseManager {
 public:
  using Clock = std::function<absl::Time()>;

  // `clock` defaults to absl::Now; times are kept to the millisecond.
  explicit CaseManager(store::Store* store, Clock clock = nullptr);

  using CaseCallback = std::function<void(absl::StatusOr<store::Case>)>;

  absl::StatusOr<store::Case> CreateCase(NewCase request,
                                         const store::User& user);
  // CreateCase without waiting: `done` gets its result exactly once, inline
  // for an invalid request, otherwise on the manager's writer thread after
  // the commit that made the case durable (it must not block). Concurrent
  // creations share write transactions (store::WriteQueue).
  void CreateCaseAsync(NewCase request, const store::User& user,
                       CaseCallback done);
  // `also` (may be null) runs in the same read transaction after the case
  // was found, for data read with it (a GetCase's push statuses); its error
  // is the call's.
  absl::StatusOr<CaseWithComments> GetCase(
      const std::string& id, bool include_comments,
      const std::function<absl::Status(store::Transaction&)>& also = nullptr);
  // All or nothing; returns the cases that changed, in request order.
  absl::StatusOr<std::vector<store::Case>> UpdateCases(
      std::vector<CasePatch> patches, const store::User& user);
  // Duplicated ids are deleted once; any missing id fails the whole call.
  absl::Status DeleteCases(std::vector<std::string> ids);

  // query.page/per_page 0 take the defaults.
  absl::StatusOr<FoundCases> FindCases(store::CaseQuery query);
  absl::StatusOr<store::StatusCounts> GetCaseStatusCounts(
      const store::CaseFilter& filter);
  absl::StatusOr<std::vector<store::User>> ListReporters(
      const std::vector<std::string>& owners);
  absl::StatusOr<std::vector<std::string>> ListTags(
      const std::vector<std::string>& owners);
  absl::StatusOr<std::vector<std::string>> ListCategories(
      const std::vector<std::string>& owners);
  absl::StatusOr<std::vector<store::Case>> GetCasesByAlert(
      const std::string& alert_id, const std::vector<std::string>& owners);
  absl::StatusOr<std::vector<store::CaseAlert>> GetCaseAlerts(
      const std::string& case_id);

  // `owner` empty = the case's owner. Returns the case with all comments.
  absl::StatusOr<CaseWithComments> AddComment(const std::string& case_id,
                                              const std::string& owner,
                                              AttachmentInput attachment,
                                              const store::User& user);
  absl::StatusOr<CaseWithComments> UpdateComment(const std::string& case_id,
                                                 const std::string& comment_id,
                                                 int64_t version,
                                                 const std::string& owner,
                                                 AttachmentInput attachment,
                                                 const store::User& user);
  absl::StatusOr<store::Attachment> GetComment(const std::string& case_id,
                                               const std::string& comment_id);
  absl::StatusOr<FoundComments> FindComments(const std::string& case_id,
                                             bool ascending, int page,
                                             int per_page);
  absl::Status DeleteComment(const std::string& case_id,
                             const std::string& comment_id,
                             const store::User& user);
  absl::Status DeleteComments(const std::string& case_id,
                              const store::User& user);

  absl::StatusOr<FoundActivity> FindCaseActivity(store::UserActionQuery query);

  absl::StatusOr<std::vector<store::Configuration>> GetConfigurations(
      const std::vector<std::string>& owners);
  absl::StatusOr<store::Configuration> SetConfiguration(
      NewConfiguration request, const store::User& user);
  absl::StatusOr<store::Configuration> UpdateConfiguration(
      ConfigurationPatch patch, const store::User& user);

 private:
  absl::Time Now() const;

  store::Store* store_;
  Clock clock_;
  store::WriteQueue writes_;  // CreateCaseAsync's writer
};

}  // namespace casebridge::cases

#endif  // CASEBRIDGE_SERVER_CASES_CASE_MANAGER_H_

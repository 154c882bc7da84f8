// FakeJira: a strict in-process fake of the Jira REST API v2 subset the .jira
// connector uses (createmeta per project, issues, comments, JQL search), on a
// FakeHttpServer. It checks Basic auth, JSON content types, project, issue
// type, required fields, field types, priorities, labels and parents, and
// answers with Jira's error shape {"errorMessages":[...],"errors":{...}}.
// Cloud answers createmeta with `issueTypes`/`fields`, Data Center with
// `values`; both page with startAt/maxResults. Search is /search/jql (Cloud;
// the removed /search answers 410) or /search (Data Center). Timestamps are
// written the Jira way
// ("2026-03-01T10:00:01.000+0000") from a clock that starts at
// kFakeJiraEpochMs and advances one second per write.
//
// Thread-safety: every public method may be called from any thread; the state
// is guarded by one mutex. Faults (500, 429 + Retry-After, hang, 401) are
// injected through server() (FakeHttpServer::InjectFaults) or FailNext.
#ifndef CASEBRIDGE_TESTS_FAKES_FAKE_JIRA_H_
#define CASEBRIDGE_TESTS_FAKES_FAKE_JIRA_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/fakes/fake_http_server.h"

namespace casebridge::testing {

// 2026-03-01T10:00:00.000Z.
inline constexpr int64_t kFakeJiraEpochMs = 1772359200000;

struct FakeJiraField {
  std::string id;  // fieldId, e.g. "summary", "customfield_10010"
  std::string name;
  bool required = false;
  nlohmann::json schema = nlohmann::json::object();
  nlohmann::json allowed_values;  // null = not sent
  nlohmann::json default_value;   // null = not sent
};

struct FakeJiraIssueType {
  std::string id;
  std::string name;
  std::vector<FakeJiraField> fields;
};

struct FakeJiraComment {
  std::string id;
  std::string body;
  std::string created;  // Jira form
};

struct FakeJiraIssue {
  std::string id;
  std::string key;
  nlohmann::json fields;  // as GET issue returns them (created, updated, ...)
  std::vector<FakeJiraComment> comments;
};

struct FakeJiraOptions {
  std::string email = "jira-bot@example.com";
  std::string api_token = "jira-api-token";
  std::string project_key = "CK";
  bool data_center = false;  // createmeta answers {"values": [...]}
  // Cloud: /search/jql serves and the removed /search answers 410. Data
  // Center (false): /search/jql answers 404 and /search serves.
  bool enhanced_search = true;
  int page_size = 50;  // createmeta/search page size
  // Offset Jira writes timestamps with ("+0000", "+0300", "-0500").
  std::string utc_offset = "+0000";
};

class FakeJira {
 public:
  // Default issue types: Task (10001) and Bug (10002); priorities Highest,
  // High, Medium, Low, Lowest.
  explicit FakeJira(FakeJiraOptions options = {});
  FakeJira(const FakeJira&) = delete;
  FakeJira& operator=(const FakeJira&) = delete;

  void Start() { server_.Start(); }
  std::string base_url() const { return server_.base_url(); }
  FakeHttpServer& server() { return server_; }

  void SetIssueTypes(std::vector<FakeJiraIssueType> types);
  void SetPriorities(std::vector<std::string> names);
  // The next `count` requests whose path starts with `path_prefix` get
  // `status` with a Jira error body (and Retry-After when non-empty).
  void FailNext(int count, int status, std::string retry_after = "",
                std::string path_prefix = "");

  std::optional<FakeJiraIssue> Issue(const std::string& id_or_key) const;
  size_t issue_count() const;
  std::vector<FakeJiraIssue> issues() const;  // in creation order
  std::vector<FakeRequest> requests() const { return server_.requests(); }

  // Jira's timestamp text for Unix ms in the configured offset.
  std::string FormatTimestamp(int64_t unix_ms) const;

  // {"errorMessages": messages, "errors": errors}.
  static std::string ErrorBody(
      std::vector<std::string> messages,
      nlohmann::json errors = nlohmann::json::object());

 private:
  FakeResponse Dispatch(const FakeRequest& request);
  bool Authorized(const FakeRequest& request) const;
  FakeResponse IssueTypes(const FakeRequest& request);
  FakeResponse Fields(const FakeRequest& request);
  FakeResponse CreateIssue(const FakeRequest& request);
  FakeResponse GetIssue(const FakeRequest& request);
  FakeResponse UpdateIssue(const FakeRequest& request);
  FakeResponse AddComment(const FakeRequest& request);
  FakeResponse Search(const FakeRequest& request);

  // Validates `fields` for create (all required) or update; fills `errors`
  // (field -> message) and returns the fields to store.
  nlohmann::json CheckFields(const nlohmann::json& fields, bool create,
                             const FakeJiraIssue* existing,
                             nlohmann::json* errors) const;
  FakeJiraIssue* FindLocked(const std::string& id_or_key);
  const FakeJiraIssueType* FindTypeLocked(const std::string& id) const;
  nlohmann::json IssueJsonLocked(const FakeJiraIssue& issue,
                                 const std::vector<std::string>* only) const;
  int64_t TickLocked();

  const FakeJiraOptions options_;
  FakeHttpServer server_;

  mutable std::mutex mu_;
  std::vector<FakeJiraIssueType> issue_types_;
  std::vector<std::string> priorities_;
  std::vector<FakeJiraIssue> issues_;
  int64_t clock_ms_ = kFakeJiraEpochMs;
  int next_issue_id_ = 10000;
  int next_issue_number_ = 1;
  int next_comment_id_ = 20000;
};

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_FAKES_FAKE_JIRA_H_

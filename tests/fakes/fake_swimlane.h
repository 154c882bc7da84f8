// FakeSwimlane: a strict in-process Swimlane REST API for the .swimlane
// connector tests (external-systems.md §5.3-§5.6). One application with a
// fixed field list; checks the Private-Token header, Content-Type, the
// application id in path and body, that record values use the
// application's field ids with the right JSON types (numbers for numeric
// fields, strings for text), and the comment body; answers with Swimlane's
// error shape {ErrorCode, Argument} and keeps records and comments. It also
// serves GET /api/app/{appId} and a minimal POST /api/search (equals filters).
//
// Thread-safety: all methods may be called from any thread; the handlers run
// on the server's threads under one mutex.
#ifndef CASEBRIDGE_TESTS_FAKES_FAKE_SWIMLANE_H_
#define CASEBRIDGE_TESTS_FAKES_FAKE_SWIMLANE_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/fakes/fake_http_server.h"

namespace casebridge::testing {

class FakeSwimlane {
 public:
  // The application's field ids.
  static constexpr const char* kCaseNameField = "a6fst";
  static constexpr const char* kCaseIdField = "a6fci";
  static constexpr const char* kDescriptionField = "a6fde";
  static constexpr const char* kCommentsField = "a6fnt";
  static constexpr const char* kRuleNameField = "a6frn";
  static constexpr const char* kAlertIdField = "a6fai";
  static constexpr const char* kSeverityField = "a6fsv";  // numeric

  FakeSwimlane(std::string app_id, std::string token);

  void Start();
  std::string base_url() const { return server_.base_url(); }
  FakeHttpServer& server() { return server_; }

  // The application as GET /api/app/{appId} returns it.
  nlohmann::json application() const;

  std::optional<nlohmann::json> record(const std::string& id) const;
  std::vector<nlohmann::json> comments(const std::string& id) const;
  size_t record_count() const;

  // The next `count` requests get `status` with {ErrorCode, Argument} (and
  // Retry-After when given).
  void FailNext(int count, int status, int error_code, std::string argument,
                std::string retry_after = "");

 private:
  FakeResponse Route(const FakeRequest& request);
  const nlohmann::json* Field(const std::string& id) const;
  std::string CheckValues(const nlohmann::json& values) const;

  FakeHttpServer server_;
  const std::string app_id_;
  const std::string token_;
  nlohmann::json fields_;

  mutable std::mutex mu_;
  std::map<std::string, nlohmann::json> records_;
  std::map<std::string, std::vector<nlohmann::json>> comments_;
  int next_ = 1;
};

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_FAKES_FAKE_SWIMLANE_H_

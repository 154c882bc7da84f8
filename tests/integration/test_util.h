// Shared pieces of the CaseService integration tests: a fixture that runs one
// casebridge-server per test suite, a unique owner per test (so tests sharing
// a server never see each other's cases), call helpers with deadlines, and
// gtest assertions on grpc::Status codes and google.rpc.BadRequest field
// violations.
//
// Fixtures are used from the gtest main thread only; the shared server is
// created in SetUpTestSuite and destroyed in TearDownTestSuite.
#ifndef CASEBRIDGE_TESTS_INTEGRATION_TEST_UTIL_H_
#define CASEBRIDGE_TESTS_INTEGRATION_TEST_UTIL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "casebridge/v1/case_service.grpc.pb.h"
#include "google/protobuf/struct.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace casebridge::testing {

namespace v1 = ::casebridge::v1;

struct Violation {
  std::string field;
  std::string description;
};

// Field violations from the google.rpc.BadRequest details of `status`.
std::vector<Violation> FieldViolations(const grpc::Status& status);

// "CODE: message [field: description; ...]" for failure messages.
std::string Describe(const grpc::Status& status);

// Passes when `status` has `code`.
::testing::AssertionResult StatusIs(const grpc::Status& status,
                                    grpc::StatusCode code);

// Passes when `status` is INVALID_ARGUMENT with a BadRequest violation on
// `field` or on something inside it ("tags" matches "tags" and "tags[3]";
// "cases[0]" matches "cases[0].title").
::testing::AssertionResult IsInvalidField(const grpc::Status& status,
                                          const std::string& field);
// As IsInvalidField, with any one of `fields` accepted.
::testing::AssertionResult IsInvalidAnyField(
    const grpc::Status& status, const std::vector<std::string>& fields);

// Reads a string list at `key` of a Struct (empty when absent).
std::vector<std::string> StringListAt(const google::protobuf::Struct& s,
                                      const std::string& key);
// The Struct at a dotted path ("comment" or "connector"); empty when absent.
google::protobuf::Struct StructAt(const google::protobuf::Struct& s,
                                  const std::string& key);
// The string at `key`, or "<absent>".
std::string StringAt(const google::protobuf::Struct& s, const std::string& key);

// The configuration used by the shared test server: a distinctive principal.
std::string DefaultTestConfigYaml();
inline constexpr char kTestUsername[] = "itest-user";
inline constexpr char kTestFullName[] = "Integration Tester";

class CaseApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static ServerProcess* server() { return server_; }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::CaseService::Stub::*method)(
                        grpc::ClientContext*, const Req&, Resp*),
                    const Req& request, Resp* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    return (stub_.get()->*method)(&ctx, request, response);
  }

  // A valid create request for this test's owner.
  v1::CreateCaseRequest NewCase(const std::string& title = "Suspicious login",
                                std::vector<std::string> tags = {}) const;
  // Creates and returns the case; records a test failure on error.
  v1::Case Create(const v1::CreateCaseRequest& request);
  v1::Case CreateTitled(const std::string& title,
                        std::vector<std::string> tags = {});
  grpc::Status TryCreate(const v1::CreateCaseRequest& request,
                         v1::Case* out = nullptr);
  v1::Case Get(const std::string& id, bool include_comments = false);
  grpc::Status TryGet(const std::string& id, v1::Case* out = nullptr);
  // A patch carrying the id and current version of `c`.
  static v1::CasePatch PatchOf(const v1::Case& c);
  grpc::Status TryUpdate(const std::vector<v1::CasePatch>& patches,
                         std::vector<v1::Case>* out = nullptr);
  v1::Case Update(const v1::CasePatch& patch);
  grpc::Status TryAddComment(const std::string& case_id,
                             const v1::AttachmentContent& content,
                             v1::Case* out = nullptr);
  v1::Case AddComment(const std::string& case_id,
                      const v1::AttachmentContent& content);
  v1::Case AddUserComment(const std::string& case_id, const std::string& text);
  v1::Case AddAlerts(const std::string& case_id,
                     const std::vector<std::string>& ids,
                     const std::string& index = ".alerts-security");
  // FindCases restricted to this test's owner unless owners are given.
  v1::FindCasesResponse Find(v1::FindCasesRequest request);
  // Every activity entry of a case, oldest first (types filter optional).
  std::vector<v1::UserAction> Activity(
      const std::string& case_id,
      std::vector<v1::CaseActivityFilter> types = {});

  static v1::AttachmentContent UserContent(const std::string& text);
  static v1::AttachmentContent AlertContent(
      const std::vector<std::string>& ids,
      const std::string& index = ".alerts-security");

  std::unique_ptr<v1::CaseService::Stub> stub_;
  std::string owner_;

 private:
  static ServerProcess* server_;
};

#define CB_CALL(Method, request, response) \
  Call(&v1::CaseService::Stub::Method, request, response)

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_INTEGRATION_TEST_UTIL_H_

#include "tests/integration/test_util.h"

#include <atomic>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace casebridge::testing {

ServerProcess* CaseApiTest::server_ = nullptr;

std::vector<Violation> FieldViolations(const grpc::Status& status) {
  std::vector<Violation> out;
  google::rpc::Status rpc_status;
  if (status.error_details().empty() ||
      !rpc_status.ParseFromString(status.error_details())) {
    return out;
  }
  for (const auto& any : rpc_status.details()) {
    google::rpc::BadRequest bad_request;
    if (any.Is<google::rpc::BadRequest>() && any.UnpackTo(&bad_request)) {
      for (const auto& v : bad_request.field_violations()) {
        out.push_back({v.field(), v.description()});
      }
    }
  }
  return out;
}

std::string Describe(const grpc::Status& status) {
  std::string out = absl::StrCat("code ", static_cast<int>(status.error_code()),
                                 ": \"", status.error_message(), "\"");
  auto violations = FieldViolations(status);
  if (!violations.empty()) {
    absl::StrAppend(&out, " violations [");
    for (const auto& v : violations)
      absl::StrAppend(&out, v.field, ": ", v.description, "; ");
    absl::StrAppend(&out, "]");
  }
  return out;
}

::testing::AssertionResult StatusIs(const grpc::Status& status,
                                    grpc::StatusCode code) {
  if (status.error_code() == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected code " << static_cast<int>(code) << ", got "
         << Describe(status);
}

namespace {

bool FieldMatches(const std::string& actual, const std::string& expected) {
  if (actual == expected) return true;
  if (actual.size() > expected.size() &&
      actual.compare(0, expected.size(), expected) == 0) {
    char next = actual[expected.size()];
    return next == '.' || next == '[';
  }
  return false;
}

}  // namespace

::testing::AssertionResult IsInvalidAnyField(
    const grpc::Status& status, const std::vector<std::string>& fields) {
  if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT) {
    return ::testing::AssertionFailure()
           << "expected INVALID_ARGUMENT naming " << fields.front() << ", got "
           << Describe(status);
  }
  if (status.error_message().empty()) {
    return ::testing::AssertionFailure()
           << "INVALID_ARGUMENT without a message";
  }
  for (const auto& v : FieldViolations(status)) {
    for (const auto& f : fields) {
      if (FieldMatches(v.field, f)) return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no BadRequest violation on '" << fields.front()
         << "' (or alternatives); got " << Describe(status);
}

::testing::AssertionResult IsInvalidField(const grpc::Status& status,
                                          const std::string& field) {
  return IsInvalidAnyField(status, {field});
}

std::vector<std::string> StringListAt(const google::protobuf::Struct& s,
                                      const std::string& key) {
  std::vector<std::string> out;
  auto it = s.fields().find(key);
  if (it == s.fields().end()) return out;
  for (const auto& v : it->second.list_value().values()) {
    if (v.has_string_value()) {
      out.push_back(v.string_value());
    } else if (v.has_struct_value()) {
      // [{uid: ...}] lists (assignees) are reduced to their uid.
      out.push_back(StringAt(v.struct_value(), "uid"));
    }
  }
  return out;
}

google::protobuf::Struct StructAt(const google::protobuf::Struct& s,
                                  const std::string& key) {
  auto it = s.fields().find(key);
  if (it == s.fields().end() || !it->second.has_struct_value()) return {};
  return it->second.struct_value();
}

std::string StringAt(const google::protobuf::Struct& s,
                     const std::string& key) {
  auto it = s.fields().find(key);
  if (it == s.fields().end()) return "<absent>";
  if (it->second.has_null_value()) return "<null>";
  if (it->second.has_bool_value())
    return it->second.bool_value() ? "true" : "false";
  return it->second.string_value();
}

std::string DefaultTestConfigYaml() {
  return absl::StrCat(
      "log_level: info\ndefault_principal:\n  username: ", kTestUsername,
      "\n  full_name: ", kTestFullName, "\n  email: itest@example.com\n");
}

void CaseApiTest::SetUpTestSuite() {
  ServerOptions options;
  options.config_yaml = DefaultTestConfigYaml();
  server_ = new ServerProcess(options);
  absl::Status s = server_->Start();
  if (!s.ok()) {
    delete server_;
    server_ = nullptr;
    FAIL() << "cannot start casebridge-server: " << s;
  }
}

void CaseApiTest::TearDownTestSuite() {
  delete server_;
  server_ = nullptr;
}

void CaseApiTest::SetUp() {
  ASSERT_NE(server_, nullptr) << "server did not start";
  ASSERT_TRUE(server_->Running()) << "server died; stderr:\n"
                                  << server_->ReadStderr();
  stub_ = server_->NewCaseStub();
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = absl::StrCat(info->test_suite_name(), "_", info->name());
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  if (name.size() > 80) name.resize(80);
  owner_ = absl::StrCat(name, "-", counter++);
}

v1::CreateCaseRequest CaseApiTest::NewCase(
    const std::string& title, std::vector<std::string> tags) const {
  v1::CreateCaseRequest r;
  r.set_title(title);
  r.set_description(absl::StrCat("Description of ", title));
  for (auto& t : tags) r.add_tags(t);
  r.set_owner(owner_);
  r.mutable_settings()->set_sync_alerts(false);
  return r;
}

grpc::Status CaseApiTest::TryCreate(const v1::CreateCaseRequest& request,
                                    v1::Case* out) {
  v1::CreateCaseResponse response;
  grpc::Status s = CB_CALL(CreateCase, request, &response);
  if (out != nullptr) *out = response.case_();
  return s;
}

v1::Case CaseApiTest::Create(const v1::CreateCaseRequest& request) {
  v1::Case c;
  grpc::Status s = TryCreate(request, &c);
  EXPECT_TRUE(s.ok()) << "CreateCase: " << Describe(s);
  return c;
}

v1::Case CaseApiTest::CreateTitled(const std::string& title,
                                   std::vector<std::string> tags) {
  return Create(NewCase(title, std::move(tags)));
}

grpc::Status CaseApiTest::TryGet(const std::string& id, v1::Case* out) {
  v1::GetCaseRequest request;
  request.set_id(id);
  v1::GetCaseResponse response;
  grpc::Status s = CB_CALL(GetCase, request, &response);
  if (out != nullptr) *out = response.case_();
  return s;
}

v1::Case CaseApiTest::Get(const std::string& id, bool include_comments) {
  v1::GetCaseRequest request;
  request.set_id(id);
  request.set_include_comments(include_comments);
  v1::GetCaseResponse response;
  grpc::Status s = CB_CALL(GetCase, request, &response);
  EXPECT_TRUE(s.ok()) << "GetCase " << id << ": " << Describe(s);
  return response.case_();
}

v1::CasePatch CaseApiTest::PatchOf(const v1::Case& c) {
  v1::CasePatch p;
  p.set_id(c.id());
  p.set_version(c.version());
  return p;
}

grpc::Status CaseApiTest::TryUpdate(const std::vector<v1::CasePatch>& patches,
                                    std::vector<v1::Case>* out) {
  v1::UpdateCasesRequest request;
  for (const auto& p : patches) *request.add_cases() = p;
  v1::UpdateCasesResponse response;
  grpc::Status s = CB_CALL(UpdateCases, request, &response);
  if (out != nullptr)
    out->assign(response.cases().begin(), response.cases().end());
  return s;
}

v1::Case CaseApiTest::Update(const v1::CasePatch& patch) {
  std::vector<v1::Case> out;
  grpc::Status s = TryUpdate({patch}, &out);
  EXPECT_TRUE(s.ok()) << "UpdateCases: " << Describe(s);
  EXPECT_EQ(out.size(), s.ok() ? 1u : 0u);
  return out.empty() ? v1::Case() : out.front();
}

v1::AttachmentContent CaseApiTest::UserContent(const std::string& text) {
  v1::AttachmentContent content;
  content.mutable_user()->set_comment(text);
  return content;
}

v1::AttachmentContent CaseApiTest::AlertContent(
    const std::vector<std::string>& ids, const std::string& index) {
  v1::AttachmentContent content;
  auto* alert = content.mutable_alert();
  for (const auto& id : ids) {
    alert->add_alert_ids(id);
    alert->add_indices(index);
  }
  alert->mutable_rule()->set_id("rule-1");
  alert->mutable_rule()->set_name("Brute force");
  return content;
}

grpc::Status CaseApiTest::TryAddComment(const std::string& case_id,
                                        const v1::AttachmentContent& content,
                                        v1::Case* out) {
  v1::AddCommentRequest request;
  request.set_case_id(case_id);
  request.set_owner(owner_);
  *request.mutable_attachment() = content;
  v1::AddCommentResponse response;
  grpc::Status s = CB_CALL(AddComment, request, &response);
  if (out != nullptr) *out = response.case_();
  return s;
}

v1::Case CaseApiTest::AddComment(const std::string& case_id,
                                 const v1::AttachmentContent& content) {
  v1::Case c;
  grpc::Status s = TryAddComment(case_id, content, &c);
  EXPECT_TRUE(s.ok()) << "AddComment: " << Describe(s);
  return c;
}

v1::Case CaseApiTest::AddUserComment(const std::string& case_id,
                                     const std::string& text) {
  return AddComment(case_id, UserContent(text));
}

v1::Case CaseApiTest::AddAlerts(const std::string& case_id,
                                const std::vector<std::string>& ids,
                                const std::string& index) {
  return AddComment(case_id, AlertContent(ids, index));
}

v1::FindCasesResponse CaseApiTest::Find(v1::FindCasesRequest request) {
  if (request.owners().empty()) request.add_owners(owner_);
  v1::FindCasesResponse response;
  grpc::Status s = CB_CALL(FindCases, request, &response);
  EXPECT_TRUE(s.ok()) << "FindCases: " << Describe(s);
  return response;
}

std::vector<v1::UserAction> CaseApiTest::Activity(
    const std::string& case_id, std::vector<v1::CaseActivityFilter> types) {
  std::vector<v1::UserAction> out;
  for (int page = 1; page <= 100; ++page) {
    v1::FindCaseActivityRequest request;
    request.set_case_id(case_id);
    for (auto t : types) request.add_types(t);
    request.set_page(page);
    request.set_per_page(100);
    request.set_sort_order(v1::SORT_ORDER_ASC);
    v1::FindCaseActivityResponse response;
    grpc::Status s = CB_CALL(FindCaseActivity, request, &response);
    EXPECT_TRUE(s.ok()) << "FindCaseActivity: " << Describe(s);
    if (!s.ok()) break;
    out.insert(out.end(), response.user_actions().begin(),
               response.user_actions().end());
    if (response.user_actions().empty() ||
        static_cast<int64_t>(out.size()) >= response.total()) {
      break;
    }
  }
  return out;
}

}  // namespace casebridge::testing

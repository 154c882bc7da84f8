// PushCase end to end: the real server with the real Jira plugin against the
// strict FakeJira over HTTP. Covers create/update with new comments only, an
// edited comment re-sent, the alerts summary, close-by-pushing, two
// connectors on one case, the other connector types, retries (500, 429 +
// Retry-After, hangs), permanent failures (401) and RetryPushJob, async pushes
// with GetPushJob and ListPushJobs, and bad input.
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "casebridge/v1/case_service.grpc.pb.h"
#include "casebridge/v1/connector_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_jira.h"
#include "tests/fakes/fake_resilient.h"
#include "tests/fakes/fake_servicenow.h"
#include "tests/fakes/fake_swimlane.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/server_process.h"

namespace casebridge::testing {
namespace {

namespace v1 = ::casebridge::v1;
using json = nlohmann::json;

google::protobuf::Struct ToStruct(const json& value) {
  google::protobuf::Struct out;
  auto status = google::protobuf::util::JsonStringToMessage(value.dump(), &out);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out;
}

std::string PushServerConfig() {
  return absl::StrCat(
      "log_level: info\nplugin_dirs: [\"", CASEBRIDGE_PLUGIN_DIR,
      "\"]\nhttp:\n  allow_private_addresses: true\n"
      "  response_timeout_ms: 1000\n"
      "jobs:\n  workers: 4\n  max_attempts: 4\n  backoff_base_ms: 50\n"
      "  backoff_cap_ms: 200\n  lease_ms: 2000\n  poll_ms: 100\n"
      "  attempt_timeout_ms: 3000\n"
      "metrics:\n  listen: 127.0.0.1:0\n");
}

class PushTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.config_yaml = PushServerConfig();
    options.env = {{"CASEBRIDGE_ENCRYPTION_KEY",
                    "push-test-key-0123456789abcdef0123456789"}};
    server_ = new ServerProcess(options);
    absl::Status started = server_->Start();
    if (!started.ok()) {
      delete server_;
      server_ = nullptr;
      FAIL() << "cannot start casebridge-server: " << started;
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    cases_ = server_->NewCaseStub();
    connectors_ = server_->NewConnectorStub();
    fake_.Start();
    connector_id_ = CreateConnector(fake_, "Jira one");
  }

  static std::unique_ptr<grpc::ClientContext> Context(int seconds = 30) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(seconds));
    return context;
  }

  std::string CreateConnector(FakeJira& fake, const std::string& name) {
    v1::CreateConnectorRequest request;
    request.set_connector_type_id(".jira");
    request.set_name(name);
    *request.mutable_config() =
        ToStruct({{"apiUrl", fake.base_url()}, {"projectKey", "CK"}});
    *request.mutable_secrets() = ToStruct(
        {{"email", "jira-bot@example.com"}, {"apiToken", "jira-api-token"}});
    v1::CreateConnectorResponse response;
    grpc::Status s =
        connectors_->CreateConnector(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.connector().id();
  }

  std::string CreateCase(const std::string& owner = "securitySolution",
                         std::vector<std::string> tags = {}) {
    v1::CreateCaseRequest request;
    request.set_title("Phishing wave");
    request.set_description("Several users got the mail");
    request.set_owner(owner);
    for (const auto& t : tags) request.add_tags(t);
    v1::CreateCaseResponse response;
    grpc::Status s = cases_->CreateCase(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.case_().id();
  }

  v1::Case AddComment(const std::string& case_id, const std::string& text) {
    v1::AddCommentRequest request;
    request.set_case_id(case_id);
    request.mutable_attachment()->mutable_user()->set_comment(text);
    v1::AddCommentResponse response;
    grpc::Status s = cases_->AddComment(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.case_();
  }

  void AddAlert(const std::string& case_id, const std::string& alert_id) {
    v1::AddCommentRequest request;
    request.set_case_id(case_id);
    auto* alert = request.mutable_attachment()->mutable_alert();
    alert->add_alert_ids(alert_id);
    alert->add_indices(".alerts-security");
    alert->mutable_rule()->set_id("rule-1");
    alert->mutable_rule()->set_name("Rule one");
    v1::AddCommentResponse response;
    grpc::Status s = cases_->AddComment(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  grpc::Status Push(const std::string& case_id, const std::string& connector,
                    v1::PushCaseResponse* response, bool async = false,
                    int deadline_s = 30) {
    v1::PushCaseRequest request;
    request.set_case_id(case_id);
    request.set_connector_id(connector);
    request.set_async(async);
    return cases_->PushCase(Context(deadline_s).get(), request, response);
  }

  v1::PushCaseResponse PushOk(const std::string& case_id,
                              const std::string& connector) {
    v1::PushCaseResponse response;
    grpc::Status s = Push(case_id, connector, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  v1::PushJob GetJob(const std::string& id) {
    v1::GetPushJobRequest request;
    request.set_id(id);
    v1::GetPushJobResponse response;
    grpc::Status s = cases_->GetPushJob(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.job();
  }

  // Polls until the job is SUCCEEDED or FAILED (at most 30 s).
  v1::PushJob WaitDone(const std::string& id) {
    v1::PushJob job;
    for (int i = 0; i < 300; ++i) {
      job = GetJob(id);
      if (job.state() == v1::PUSH_JOB_STATE_SUCCEEDED ||
          job.state() == v1::PUSH_JOB_STATE_FAILED)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return job;
  }

  // Jira comment requests the fake received for issue `key_or_id`.
  std::vector<std::string> PostedComments() {
    std::vector<std::string> out;
    for (const FakeRequest& r : fake_.requests()) {
      if (r.method == "POST" && absl::EndsWith(r.path, "/comment")) {
        json body = json::parse(r.body, nullptr, false);
        out.push_back(body.value("body", std::string()));
      }
    }
    return out;
  }

  static ServerProcess* server_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::unique_ptr<v1::ConnectorService::Stub> connectors_;
  FakeJira fake_;
  std::string connector_id_;
};

ServerProcess* PushTest::server_ = nullptr;

// A push is one PUSHED event on WatchCases and shows in the push metrics.
TEST_F(PushTest, PushIsAWatchEventAndCountedInMetrics) {
  const std::string case_id = CreateCase("securitySolution");
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(30));
  v1::WatchCasesRequest watch;
  watch.add_types(v1::CASE_EVENT_TYPE_PUSHED);
  auto events = cases_->WatchCases(&watch_context, watch);
  events->WaitForInitialMetadata();

  v1::PushCaseResponse pushed = PushOk(case_id, connector_id_);
  v1::WatchCasesResponse event;
  ASSERT_TRUE(events->Read(&event));
  EXPECT_EQ(event.event().type(), v1::CASE_EVENT_TYPE_PUSHED);
  EXPECT_EQ(event.event().case_id(), case_id);
  EXPECT_EQ(event.event().version(), pushed.case_().version());
  watch_context.TryCancel();

  const int port = MetricsPort(server_->ReadStderr());
  ASSERT_GT(port, 0) << "no metrics endpoint in the server log";
  const std::string text = HttpGet(port, "/metrics");
  for (const char* state : {"queued", "running", "succeeded"}) {
    EXPECT_GE(SeriesValue(text, "casebridge_push_jobs_total",
                          {{"connector_type", ".jira"}, {"state", state}}),
              1)
        << state << "\n"
        << text;
  }
  EXPECT_GE(SeriesValue(text, "casebridge_push_queue_depth", {}), 0);
}

TEST_F(PushTest, CreateThenUpdateSendsOnlyNewComments) {
  std::string case_id = CreateCase("securitySolution", {"phishing mail"});
  AddComment(case_id, "first note");
  v1::PushCaseResponse first = PushOk(case_id, connector_id_);
  EXPECT_EQ(first.job().state(), v1::PUSH_JOB_STATE_SUCCEEDED);
  EXPECT_EQ(first.job().attempts(), 1);
  const v1::Case& c = first.case_();
  ASSERT_TRUE(c.has_external_service());
  EXPECT_EQ(c.external_service().connector_id(), connector_id_);
  EXPECT_EQ(c.external_service().connector_name(), "Jira one");
  EXPECT_EQ(c.external_service().external_title(), "CK-1");
  EXPECT_TRUE(
      absl::EndsWith(c.external_service().external_url(), "/browse/CK-1"));
  ASSERT_EQ(c.push_statuses_size(), 1);
  EXPECT_EQ(c.push_statuses(0).state(), v1::PUSH_JOB_STATE_SUCCEEDED);
  EXPECT_EQ(c.push_statuses(0).last_job_id(), first.job().id());
  ASSERT_EQ(c.comments_size(), 1);
  EXPECT_TRUE(c.comments(0).has_pushed_at());
  std::optional<FakeJiraIssue> issue = fake_.Issue("CK-1");
  ASSERT_TRUE(issue.has_value());
  EXPECT_EQ(issue->fields["summary"], "Phishing wave");
  // The description carries Kibana's footer: "Added by <user>." for a case
  // never updated, "(updated at <time> by <user>)" after an update (adding
  // a comment updates the case).
  const std::string description = issue->fields["description"];
  EXPECT_TRUE(absl::StartsWith(description, "Several users got the mail\n\n"))
      << description;
  EXPECT_TRUE(absl::StrContains(description, "by casebridge")) << description;
  // Tags become labels with whitespace replaced; the case label is added.
  EXPECT_NE(issue->fields["labels"].dump().find("phishing-mail"),
            std::string::npos);
  EXPECT_NE(issue->fields["labels"].dump().find("casebridge-case-" + case_id),
            std::string::npos);
  ASSERT_EQ(issue->comments.size(), 1u);
  EXPECT_TRUE(absl::StrContains(issue->comments[0].body, "first note"));

  AddComment(case_id, "second note");
  v1::PushCaseResponse second = PushOk(case_id, connector_id_);
  EXPECT_EQ(fake_.issue_count(), 1u);
  EXPECT_EQ(second.case_().external_service().external_title(), "CK-1");
  issue = fake_.Issue("CK-1");
  ASSERT_EQ(issue->comments.size(), 2u);
  EXPECT_TRUE(absl::StrContains(issue->comments[1].body, "second note"));

  // Nothing new: no comment is sent again.
  PushOk(case_id, connector_id_);
  EXPECT_EQ(fake_.Issue("CK-1")->comments.size(), 2u);

  // The activity has one `pushed` entry per push.
  v1::FindCaseActivityRequest activity;
  activity.set_case_id(case_id);
  activity.set_per_page(100);
  v1::FindCaseActivityResponse found;
  ASSERT_TRUE(cases_->FindCaseActivity(Context().get(), activity, &found).ok());
  int pushed = 0;
  for (const auto& a : found.user_actions())
    if (a.type() == v1::USER_ACTION_TYPE_PUSHED) ++pushed;
  EXPECT_EQ(pushed, 3);
}

TEST_F(PushTest, EditedCommentIsResentAndAlertsAreSummarisedOnce) {
  std::string case_id = CreateCase();
  v1::Case with_comment = AddComment(case_id, "original text");
  AddAlert(case_id, "alert-1");
  AddAlert(case_id, "alert-2");
  PushOk(case_id, connector_id_);
  std::vector<std::string> posted = PostedComments();
  ASSERT_EQ(posted.size(), 2u);
  EXPECT_TRUE(absl::StrContains(posted[0], "original text"));
  EXPECT_EQ(posted[1], "Elastic Alerts attached to the case: 2");

  // The push marked the comment pushed (a new version): read it again.
  v1::GetCommentRequest get_comment;
  get_comment.set_case_id(case_id);
  get_comment.set_comment_id(with_comment.comments(0).id());
  v1::GetCommentResponse got_comment;
  ASSERT_TRUE(
      cases_->GetComment(Context().get(), get_comment, &got_comment).ok());
  const v1::Attachment& comment = got_comment.comment();
  EXPECT_TRUE(comment.has_pushed_at());
  v1::UpdateCommentRequest edit;
  edit.set_case_id(case_id);
  edit.set_comment_id(comment.id());
  edit.set_version(comment.version());
  edit.mutable_attachment()->mutable_user()->set_comment("edited text");
  v1::UpdateCommentResponse edited;
  grpc::Status s = cases_->UpdateComment(Context().get(), edit, &edited);
  ASSERT_TRUE(s.ok()) << s.error_message();
  fake_.server().ClearRequests();
  PushOk(case_id, connector_id_);
  posted = PostedComments();
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_TRUE(absl::StrContains(posted[0], "edited text"));

  AddAlert(case_id, "alert-3");
  fake_.server().ClearRequests();
  PushOk(case_id, connector_id_);
  posted = PostedComments();
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0], "Elastic Alerts attached to the case: 3");
  EXPECT_EQ(fake_.issue_count(), 1u);
}

TEST_F(PushTest, CloseByPushingClosesTheCaseWithAStatusAction) {
  v1::SetConfigurationRequest config;
  config.set_owner("cases");
  config.mutable_connector()->set_id("none");
  config.mutable_connector()->set_name("none");
  config.mutable_connector()->set_type(".none");
  config.set_closure_type(v1::CLOSURE_TYPE_CLOSE_BY_PUSHING);
  v1::SetConfigurationResponse configured;
  grpc::Status s =
      cases_->SetConfiguration(Context().get(), config, &configured);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::string case_id = CreateCase("cases");
  v1::PushCaseResponse pushed = PushOk(case_id, connector_id_);
  EXPECT_EQ(pushed.case_().status(), v1::CASE_STATUS_CLOSED);
  EXPECT_TRUE(pushed.case_().has_closed_at());
  EXPECT_EQ(pushed.case_().closed_by().username(),
            pushed.job().requested_by().username());

  v1::FindCaseActivityRequest activity;
  activity.set_case_id(case_id);
  activity.set_per_page(100);
  v1::FindCaseActivityResponse found;
  ASSERT_TRUE(cases_->FindCaseActivity(Context().get(), activity, &found).ok());
  bool status_action = false;
  for (const auto& a : found.user_actions())
    if (a.type() == v1::USER_ACTION_TYPE_STATUS) status_action = true;
  EXPECT_TRUE(status_action);

  // A closed case cannot be pushed.
  v1::PushCaseResponse again;
  s = Push(case_id, connector_id_, &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "closed"));
}

TEST_F(PushTest, TwoConnectorsKeepTheirOwnRecords) {
  FakeJira other;
  other.Start();
  std::string second = CreateConnector(other, "Jira two");
  std::string case_id = CreateCase();
  AddComment(case_id, "shared note");
  PushOk(case_id, connector_id_);
  v1::PushCaseResponse to_second = PushOk(case_id, second);
  EXPECT_EQ(fake_.issue_count(), 1u);
  EXPECT_EQ(other.issue_count(), 1u);
  // Each system got the comment once.
  EXPECT_EQ(fake_.Issue("CK-1")->comments.size(), 1u);
  EXPECT_EQ(other.Issue("CK-1")->comments.size(), 1u);
  // Kibana's external_service is the last push; statuses keep both.
  EXPECT_EQ(to_second.case_().external_service().connector_id(), second);
  ASSERT_EQ(to_second.case_().push_statuses_size(), 2);
  for (const auto& st : to_second.case_().push_statuses()) {
    EXPECT_EQ(st.state(), v1::PUSH_JOB_STATE_SUCCEEDED);
    EXPECT_EQ(st.external_service().connector_id(), st.connector_id());
  }
  // A new comment goes to each on its next push, once.
  AddComment(case_id, "later note");
  PushOk(case_id, connector_id_);
  PushOk(case_id, second);
  EXPECT_EQ(fake_.Issue("CK-1")->comments.size(), 2u);
  EXPECT_EQ(other.Issue("CK-1")->comments.size(), 2u);

  // GetCase shows both statuses too.
  v1::GetCaseRequest get;
  get.set_id(case_id);
  v1::GetCaseResponse got;
  ASSERT_TRUE(cases_->GetCase(Context().get(), get, &got).ok());
  EXPECT_EQ(got.case_().push_statuses_size(), 2);
}

TEST_F(PushTest, ServerErrorsAreRetriedIntoOneRecord) {
  std::string case_id = CreateCase();
  fake_.FailNext(2, 500, "", "/rest/api/2/issue");
  v1::PushCaseResponse pushed = PushOk(case_id, connector_id_);
  EXPECT_EQ(pushed.job().state(), v1::PUSH_JOB_STATE_SUCCEEDED);
  EXPECT_EQ(pushed.job().attempts(), 3);
  EXPECT_EQ(fake_.issue_count(), 1u);
}

TEST_F(PushTest, RateLimitWaitsForRetryAfter) {
  std::string case_id = CreateCase();
  fake_.FailNext(1, 429, "1", "/rest/api/2/issue");
  auto start = std::chrono::steady_clock::now();
  v1::PushCaseResponse pushed = PushOk(case_id, connector_id_);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(pushed.job().attempts(), 2);
  // Backoff alone is at most 200 ms here; Retry-After asks for 1 s.
  EXPECT_GE(elapsed, std::chrono::milliseconds(950));
  EXPECT_EQ(fake_.issue_count(), 1u);
}

TEST_F(PushTest, BadCredentialsFailAtOnceAndRetryPushJobRecovers) {
  std::string case_id = CreateCase();
  fake_.FailNext(1, 401, "", "/rest/api/2/issue");
  v1::PushCaseResponse failed;
  grpc::Status s = Push(case_id, connector_id_, &failed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "after 1 attempt"))
      << s.error_message();
  EXPECT_EQ(fake_.issue_count(), 0u);

  v1::ListPushJobsRequest list;
  list.set_case_id(case_id);
  list.add_states(v1::PUSH_JOB_STATE_FAILED);
  v1::ListPushJobsResponse listed;
  ASSERT_TRUE(cases_->ListPushJobs(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.jobs_size(), 1);
  const v1::PushJob job = listed.jobs(0);
  EXPECT_EQ(job.attempts(), 1);
  EXPECT_EQ(job.last_error().code(), "UNAUTHENTICATED");
  EXPECT_FALSE(job.last_error().retryable());

  // Nothing on the case changed except its push status.
  v1::GetCaseRequest get;
  get.set_id(case_id);
  v1::GetCaseResponse got;
  ASSERT_TRUE(cases_->GetCase(Context().get(), get, &got).ok());
  EXPECT_FALSE(got.case_().has_external_service());
  EXPECT_FALSE(got.case_().has_updated_at());
  ASSERT_EQ(got.case_().push_statuses_size(), 1);
  EXPECT_EQ(got.case_().push_statuses(0).state(), v1::PUSH_JOB_STATE_FAILED);

  // The fake works again: retry the failed job.
  v1::RetryPushJobRequest retry;
  retry.set_id(job.id());
  v1::RetryPushJobResponse retried;
  s = cases_->RetryPushJob(Context().get(), retry, &retried);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(retried.job().state(), v1::PUSH_JOB_STATE_QUEUED);
  v1::PushJob done = WaitDone(job.id());
  EXPECT_EQ(done.state(), v1::PUSH_JOB_STATE_SUCCEEDED);
  EXPECT_EQ(fake_.issue_count(), 1u);
  // Only failed jobs can be retried.
  s = cases_->RetryPushJob(Context().get(), retry, &retried);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(PushTest, HungSystemHitsTheDeadlineAndTheJobKeepsRetrying) {
  std::string case_id = CreateCase();
  fake_.server().InjectFaults(1, FakeResponse::Hang(), "/rest/api/2/issue");
  v1::PushCaseResponse response;
  grpc::Status s = Push(case_id, connector_id_, &response, false, 1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "keeps retrying"));
  // The message names the job; find it and wait for it.
  v1::ListPushJobsRequest list;
  list.set_case_id(case_id);
  v1::ListPushJobsResponse listed;
  ASSERT_TRUE(cases_->ListPushJobs(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.jobs_size(), 1);
  EXPECT_TRUE(absl::StrContains(s.error_message(), listed.jobs(0).id()));
  v1::PushJob done = WaitDone(listed.jobs(0).id());
  fake_.server().ReleaseHangs();
  EXPECT_EQ(done.state(), v1::PUSH_JOB_STATE_SUCCEEDED);
  EXPECT_GE(done.attempts(), 2);
  EXPECT_EQ(fake_.issue_count(), 1u);
}

TEST_F(PushTest, AsyncPushReturnsTheQueuedJob) {
  std::string case_id = CreateCase();
  v1::PushCaseResponse response;
  grpc::Status s = Push(case_id, connector_id_, &response, /*async=*/true);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.job().state(), v1::PUSH_JOB_STATE_QUEUED);
  EXPECT_EQ(response.job().case_id(), case_id);
  EXPECT_EQ(response.job().connector_type_id(), ".jira");
  EXPECT_EQ(response.job().max_attempts(), 4);
  v1::PushJob done = WaitDone(response.job().id());
  EXPECT_EQ(done.state(), v1::PUSH_JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.external_service().external_title(), "CK-1");
  EXPECT_TRUE(done.has_finished_at());

  v1::ListPushJobsRequest list;
  list.set_case_id(case_id);
  list.add_states(v1::PUSH_JOB_STATE_SUCCEEDED);
  v1::ListPushJobsResponse listed;
  ASSERT_TRUE(cases_->ListPushJobs(Context().get(), list, &listed).ok());
  EXPECT_EQ(listed.total(), 1);
  EXPECT_EQ(listed.page(), 1);
  EXPECT_EQ(listed.per_page(), 20);
  ASSERT_EQ(listed.jobs_size(), 1);
  EXPECT_EQ(listed.jobs(0).id(), response.job().id());
}

TEST_F(PushTest, BadInputGetsTheRightCodes) {
  v1::PushCaseResponse response;
  grpc::Status s = Push("", "", &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "case_id"));
  EXPECT_TRUE(absl::StrContains(s.error_message(), "connector_id"));
  std::string case_id = CreateCase();
  s = Push(case_id, "no-such-connector", &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  s = Push("no-such-case", connector_id_, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  v1::GetPushJobRequest get;
  get.set_id("no-such-job");
  v1::GetPushJobResponse job;
  EXPECT_EQ(cases_->GetPushJob(Context().get(), get, &job).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListPushJobsRequest list;
  list.set_per_page(500);
  v1::ListPushJobsResponse listed;
  s = cases_->ListPushJobs(Context().get(), list, &listed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "per_page"));
}

// The other connector types: create, then update with only the new comment,
// one record each.
TEST_F(PushTest, ServiceNowResilientAndSwimlaneCreateThenUpdate) {
  auto create = [&](const std::string& type, const json& config,
                    const json& secrets) {
    v1::CreateConnectorRequest request;
    request.set_connector_type_id(type);
    request.set_name(type + " push");
    *request.mutable_config() = ToStruct(config);
    *request.mutable_secrets() = ToStruct(secrets);
    v1::CreateConnectorResponse response;
    grpc::Status s =
        connectors_->CreateConnector(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << type << ": " << s.error_message();
    return response.connector().id();
  };
  FakeServiceNow sn;
  sn.Start();
  FakeResilient resilient("201", "kid", "ksecret");
  resilient.Start();
  FakeSwimlane swimlane("app1", "tok");
  swimlane.Start();
  auto map = [](const char* id, const char* type) {
    return json{{"id", id}, {"key", id}, {"name", id}, {"fieldType", type}};
  };
  const std::string sn_id = create(
      ".servicenow",
      {{"apiUrl", sn.base_url()}, {"isOAuth", false}, {"usesTableApi", false}},
      {{"username", "elastic"}, {"password", "changeme"}});
  const std::string resilient_id =
      create(".resilient",
             {{"apiUrl", resilient.base_url()},
              {"orgId", "201"},
              {"caseIdField", "properties.casebridge_case_id"}},
             {{"apiKeyId", "kid"}, {"apiKeySecret", "ksecret"}});
  const std::string swimlane_id = create(
      ".swimlane",
      {{"apiUrl", swimlane.base_url()},
       {"appId", "app1"},
       {"connectorType", "cases"},
       {"mappings",
        {{"caseNameConfig", map(FakeSwimlane::kCaseNameField, "text")},
         {"caseIdConfig", map(FakeSwimlane::kCaseIdField, "text")},
         {"descriptionConfig", map(FakeSwimlane::kDescriptionField, "text")},
         {"commentsConfig", map(FakeSwimlane::kCommentsField, "notes")}}}},
      {{"apiToken", "tok"}});

  std::string case_id = CreateCase();
  AddComment(case_id, "note one");
  std::map<std::string, std::string> external;
  for (const std::string& id : {sn_id, resilient_id, swimlane_id}) {
    v1::PushCaseResponse pushed = PushOk(case_id, id);
    external[id] = pushed.job().external_service().external_id();
    EXPECT_FALSE(external[id].empty()) << id;
  }
  ASSERT_EQ(sn.Incidents("incident").size(), 1u);
  EXPECT_EQ(sn.Incidents("incident")[0]["correlation_id"], case_id);
  EXPECT_EQ(sn.WorkNotes(external[sn_id]).size(), 1u);
  EXPECT_EQ(resilient.incident_count(), 1u);
  EXPECT_EQ(resilient.comments(std::stoll(external[resilient_id])).size(), 1u);
  EXPECT_EQ(swimlane.record_count(), 1u);
  EXPECT_EQ(swimlane.comments(external[swimlane_id]).size(), 1u);

  AddComment(case_id, "note two");
  for (const std::string& id : {sn_id, resilient_id, swimlane_id}) {
    v1::PushCaseResponse pushed = PushOk(case_id, id);
    EXPECT_EQ(pushed.job().external_service().external_id(), external[id]);
  }
  EXPECT_EQ(sn.Incidents("incident").size(), 1u);
  EXPECT_EQ(sn.WorkNotes(external[sn_id]).size(), 2u);
  EXPECT_EQ(resilient.incident_count(), 1u);
  EXPECT_EQ(resilient.comments(std::stoll(external[resilient_id])).size(), 2u);
  EXPECT_EQ(swimlane.record_count(), 1u);
  EXPECT_EQ(swimlane.comments(external[swimlane_id]).size(), 2u);
}

// 200 async pushes against a fake with added latency; the server is
// SIGKILLed mid-way and restarted on the same data: every job completes and
// each case has exactly one issue.
TEST(PushCrashTest, KilledMidwayEveryJobCompletesWithoutDuplicates) {
  FakeJira fake;
  fake.Start();
  // Answers are held while the 200 jobs are queued, then every request
  // takes >= 25 ms, so the 200 pushes (3 requests each) on 4 workers take
  // >= 3.75 s after the queueing however slow it was (ASan, a loaded
  // machine): the kill always lands mid-way.
  fake.server().SetLatency(std::chrono::seconds(30));
  ServerOptions options;
  options.config_yaml = PushServerConfig();
  options.env = {{"CASEBRIDGE_ENCRYPTION_KEY",
                  "push-test-key-0123456789abcdef0123456789"}};
  ServerProcess server(options);
  ASSERT_TRUE(server.Start().ok());
  auto context = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(30));
    return c;
  };
  auto connectors = server.NewConnectorStub();
  v1::CreateConnectorRequest create_connector;
  create_connector.set_connector_type_id(".jira");
  create_connector.set_name("Jira");
  *create_connector.mutable_config() =
      ToStruct({{"apiUrl", fake.base_url()}, {"projectKey", "CK"}});
  *create_connector.mutable_secrets() = ToStruct(
      {{"email", "jira-bot@example.com"}, {"apiToken", "jira-api-token"}});
  v1::CreateConnectorResponse connector;
  ASSERT_TRUE(
      connectors->CreateConnector(context().get(), create_connector, &connector)
          .ok());

  constexpr int kCases = 200;
  auto cases = server.NewCaseStub();
  std::vector<std::string> case_ids;
  for (int i = 0; i < kCases; ++i) {
    v1::CreateCaseRequest request;
    request.set_title(absl::StrCat("Case ", i));
    request.set_description("crash test");
    request.set_owner("securitySolution");
    v1::CreateCaseResponse response;
    ASSERT_TRUE(cases->CreateCase(context().get(), request, &response).ok());
    case_ids.push_back(response.case_().id());
  }
  for (const std::string& id : case_ids) {
    v1::PushCaseRequest request;
    request.set_case_id(id);
    request.set_connector_id(connector.connector().id());
    request.set_async(true);
    v1::PushCaseResponse response;
    grpc::Status s = cases->PushCase(context().get(), request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  fake.server().SetLatency(std::chrono::milliseconds(25));
  // Kill while pushes are in flight.
  for (int i = 0; i < 600 && fake.issue_count() < kCases / 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server.Kill();
  const size_t at_kill = fake.issue_count();
  EXPECT_LT(at_kill, static_cast<size_t>(kCases)) << "the kill came too late";

  ASSERT_TRUE(server.Start().ok());
  cases = server.NewCaseStub();
  int64_t succeeded = 0;
  for (int i = 0; i < 600 && succeeded < kCases; ++i) {
    v1::ListPushJobsRequest list;
    list.add_states(v1::PUSH_JOB_STATE_SUCCEEDED);
    list.set_per_page(1);
    v1::ListPushJobsResponse listed;
    ASSERT_TRUE(cases->ListPushJobs(context().get(), list, &listed).ok());
    succeeded = listed.total();
    if (succeeded < kCases)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(succeeded, kCases);
  EXPECT_EQ(fake.issue_count(), static_cast<size_t>(kCases));
  std::set<std::string> external_ids;
  for (const std::string& id : case_ids) {
    v1::GetCaseRequest get;
    get.set_id(id);
    v1::GetCaseResponse got;
    ASSERT_TRUE(cases->GetCase(context().get(), get, &got).ok());
    ASSERT_TRUE(got.case_().has_external_service()) << id;
    external_ids.insert(got.case_().external_service().external_id());
    std::optional<FakeJiraIssue> issue =
        fake.Issue(got.case_().external_service().external_id());
    ASSERT_TRUE(issue.has_value());
    EXPECT_NE(issue->fields["labels"].dump().find("casebridge-case-" + id),
              std::string::npos);
  }
  EXPECT_EQ(external_ids.size(), static_cast<size_t>(kCases));
}

}  // namespace
}  // namespace casebridge::testing

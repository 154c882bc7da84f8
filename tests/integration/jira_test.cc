// Integration tests of the .jira plugin (build/plugins/jira.so) against the
// strict FakeJira over real HTTP: every sub-action, the exact calls made,
// Cloud and Data Center response forms, validation failures, bad
// credentials, rate limiting, outages and malformed responses.
//
// JiraTest runs the plugin through the plugin host (LoadPluginFile +
// PluginInstance) with the server's CurlHostHttp over the libcurl HttpClient;
// JiraServerTest runs it inside the real casebridge-server over gRPC
// (ConnectorService Create/Execute/TestConnector).
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "casebridge/v1/connector_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/http/http_client.h"
#include "server/plugin_host/curl_host_http.h"
#include "server/plugin_host/plugin_loader.h"
#include "server/plugin_host/token_cache.h"
#include "tests/fakes/fake_jira.h"
#include "tests/integration/server_process.h"

namespace casebridge::testing {
namespace {

using ::casebridge::plugin_host::ExecuteOutcome;
using ::casebridge::plugin_host::HostHttp;
using ::casebridge::plugin_host::PluginInstance;
using ::casebridge::plugin_host::PluginModule;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

constexpr char kCaseId[] = "6f2c1f0e-case-4a31-9d7e-0b1a2c3d4e5f";

std::unique_ptr<http::HttpClient> NewClient() {
  http::HttpClientOptions options;
  options.egress.allow_private_addresses = true;  // the fake is on 127.0.0.1
  options.response_timeout = absl::Seconds(20);
  auto client = http::HttpClient::Create(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

std::shared_ptr<const PluginModule> LoadJira(HostHttp* http,
                                             plugin_host::TokenCache* cache) {
  plugin_host::LoaderOptions options;
  options.services.http = http;
  options.services.token_cache = cache;
  auto module = plugin_host::LoadPluginFile(CASEBRIDGE_JIRA_PLUGIN, options);
  EXPECT_TRUE(module.ok()) << module.status();
  return module.ok() ? std::shared_ptr<const PluginModule>(*module) : nullptr;
}

class JiraTest : public ::testing::Test {
 protected:
  void SetUp() override { Init(FakeJiraOptions{}); }

  // (Re)creates the fake and an instance configured for it.
  void Init(FakeJiraOptions options) {
    instance_.reset();
    fake_ = std::make_unique<FakeJira>(options);
    fake_->Start();
    client_ = NewClient();
    http_ = std::make_unique<plugin_host::CurlHostHttp>(client_.get());
    module_ = LoadJira(http_.get(), &cache_);
    ASSERT_NE(module_, nullptr);
    instance_ = NewInstance(Config(fake_->base_url() + "/"), Secrets());
    ASSERT_NE(instance_, nullptr);
  }

  json Config(std::string url, std::string project = "CK") {
    return {{"apiUrl", std::move(url)}, {"projectKey", std::move(project)}};
  }
  json Secrets(std::string token = "jira-api-token") {
    return {{"email", "jira-bot@example.com"}, {"apiToken", std::move(token)}};
  }

  std::unique_ptr<PluginInstance> NewInstance(const json& config,
                                              const json& secrets) {
    auto instance =
        PluginInstance::Create(module_, ".jira", "jira-1", config, secrets);
    EXPECT_TRUE(instance.ok()) << instance.status();
    return instance.ok() ? std::move(*instance) : nullptr;
  }

  ExecuteOutcome Run(const std::string& sub_action, const json& params,
                     PluginInstance* instance = nullptr,
                     absl::Duration timeout = absl::Seconds(30)) {
    plugin_host::CallOptions options;
    options.deadline = absl::Now() + timeout;
    auto outcome = (instance ? instance : instance_.get())
                       ->Execute(sub_action, params, options);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : ExecuteOutcome{};
  }

  json Push(json incident, json comments = nullptr) {
    ExecuteOutcome outcome =
        Run("pushToService", {{"incident", incident}, {"comments", comments}});
    EXPECT_TRUE(outcome.ok()) << outcome.message;
    return outcome.data;
  }

  // "METHOD path[?query]" of every request the fake received.
  std::vector<std::string> Calls() const {
    std::vector<std::string> calls;
    for (const FakeRequest& r : fake_->requests()) {
      calls.push_back(r.method + " " + r.path +
                      (r.query.empty() ? "" : "?" + r.query));
    }
    return calls;
  }

  std::unique_ptr<FakeJira> fake_;
  std::unique_ptr<http::HttpClient> client_;
  std::unique_ptr<plugin_host::CurlHostHttp> http_;
  plugin_host::InMemoryTokenCache cache_;
  std::shared_ptr<const PluginModule> module_;
  std::unique_ptr<PluginInstance> instance_;
};

TEST_F(JiraTest, DescriptorDeclaresTypeSchemasSubActionsAndMappings) {
  const plugin_host::ConnectorTypeInfo* type = module_->FindType(".jira");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->name, "Jira");
  std::vector<std::string> names;
  for (const auto& sub : type->sub_actions) names.push_back(sub.name);
  EXPECT_THAT(names, ElementsAre("pushToService", "getIncident", "getFields",
                                 "issueTypes", "fieldsByIssueType", "issues",
                                 "issue", "findByCaseId", "handshake"));
  EXPECT_EQ(type->config_schema.at("additionalProperties"), false);
  EXPECT_EQ(type->config_schema.at("required"),
            json::array({"apiUrl", "projectKey"}));
  EXPECT_EQ(type->secrets_schema.at("required"),
            json::array({"email", "apiToken"}));
  const auto* push = type->FindSubAction("pushToService");
  ASSERT_NE(push, nullptr);
  EXPECT_EQ(push->params_schema["properties"]["incident"]["required"],
            json::array({"summary"}));
  std::vector<std::string> mappings;
  for (const auto& m : type->default_mappings) {
    mappings.push_back(m.source + "->" + m.target + ":" + m.action);
  }
  EXPECT_THAT(mappings, ElementsAre("title->summary:overwrite",
                                    "description->description:overwrite",
                                    "comments->comments:append",
                                    "tags->labels:overwrite"));
}

TEST_F(JiraTest, ValidateConfigRejectsWhatSchemasCannot) {
  EXPECT_TRUE(plugin_host::ValidateConfig(*module_, ".jira",
                                          Config("https://x.atlassian.net"),
                                          Secrets())
                  .ok());
  absl::Status bad_url = plugin_host::ValidateConfig(
      *module_, ".jira", Config("ftp://x.example"), Secrets());
  EXPECT_EQ(bad_url.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_url.message(),
              HasSubstr("[Action]Jira: Wrong configuration"));
  EXPECT_EQ(
      plugin_host::ValidateConfig(*module_, ".jira",
                                  Config("https://x.example", "C K"), Secrets())
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plugin_host::ValidateConfig(
                *module_, ".jira", Config("https://x.example"), Secrets(""))
                .code(),
            absl::StatusCode::kInvalidArgument);
  auto created = PluginInstance::Create(module_, ".jira", "j",
                                        Config("not a url"), Secrets());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(JiraTest, PushCreatesIssueWithKibanaCallSequenceAndFields) {
  json result = Push({{"summary", "title \n \n howdy \r test"},
                      {"description", "Case description\n\nAdded by elastic."},
                      {"labels", {"tag-one", "tag-two"}},
                      {"priority", "High"},
                      {"caseId", kCaseId}},
                     {{{"comment", "first comment"}, {"commentId", "c-1"}},
                      {{"comment", ""}, {"commentId", "c-empty"}},
                      {{"comment", "second comment"}, {"commentId", "c-2"}}});

  EXPECT_EQ(result, json({{"id", "10000"},
                          {"title", "CK-1"},
                          {"url", fake_->base_url() + "/browse/CK-1"},
                          {"pushedDate", "2026-03-01T10:00:01.000Z"},
                          {"comments",
                           {{{"commentId", "c-1"},
                             {"pushedDate", "2026-03-01T10:00:02.000Z"}},
                            {{"commentId", "c-2"},
                             {"pushedDate", "2026-03-01T10:00:03.000Z"}}}}}));
  EXPECT_THAT(
      Calls(),
      ElementsAre("GET /rest/api/2/issue/createmeta/CK/issuetypes",
                  "POST /rest/api/2/issue", "GET /rest/api/2/issue/10000",
                  "POST /rest/api/2/issue/10000/comment",
                  "POST /rest/api/2/issue/10000/comment"));
  std::vector<FakeRequest> requests = fake_->requests();
  for (const FakeRequest& r : requests) {
    // base64("jira-bot@example.com:jira-api-token")
    EXPECT_EQ(r.Header("Authorization").value_or(""),
              "Basic amlyYS1ib3RAZXhhbXBsZS5jb206amlyYS1hcGktdG9rZW4=");
  }
  EXPECT_EQ(requests[1].Header("Content-Type").value_or(""),
            "application/json");
  EXPECT_EQ(json::parse(requests[1].body),
            json({{"fields",
                   {{"summary", "title, howdy, test"},
                    {"project", {{"key", "CK"}}},
                    {"issuetype", {{"id", "10001"}}},
                    {"description", "Case description\n\nAdded by elastic."},
                    {"labels",
                     {"tag-one", "tag-two",
                      std::string("casebridge-case-") + kCaseId}},
                    {"priority", {{"name", "High"}}}}}}));
  EXPECT_EQ(json::parse(requests[3].body), json({{"body", "first comment"}}));

  std::optional<FakeJiraIssue> issue = fake_->Issue("CK-1");
  ASSERT_TRUE(issue.has_value());
  ASSERT_EQ(issue->comments.size(), 2u);
  EXPECT_EQ(issue->comments[1].body, "second comment");
  EXPECT_EQ(issue->fields["priority"]["name"], "High");
}

TEST_F(JiraTest, PushWithIssueTypeParentAndOtherFieldsMergedLast) {
  Push({{"summary", "parent"}});
  fake_->server().ClearRequests();
  json child =
      Push({{"summary", "child"}, {"issueType", "10001"}, {"parent", "CK-1"}});
  EXPECT_EQ(child["title"], "CK-2");
  // No issue-type lookup when the type is given.
  EXPECT_THAT(Calls(), ElementsAre("POST /rest/api/2/issue",
                                   "GET /rest/api/2/issue/10001"));
  json body = json::parse(fake_->requests().at(0).body);
  EXPECT_EQ(body["fields"]["issuetype"], json({{"id", "10001"}}));
  EXPECT_EQ(body["fields"]["parent"], json({{"key", "CK-1"}}));
  EXPECT_FALSE(body["fields"].contains("labels"));
  EXPECT_EQ(fake_->Issue("CK-2")->fields["parent"]["key"], "CK-1");

  // otherFields (here as a JSON text) are spread last: they override the
  // issue type built from issueType and add custom fields.
  fake_->server().ClearRequests();
  json bug =
      Push({{"summary", "custom"},
            {"issueType", "10001"},
            {"otherFields",
             R"({"customfield_10010":"sev-1","issuetype":{"id":"10002"}})"}});
  EXPECT_EQ(bug["title"], "CK-3");
  body = json::parse(fake_->requests().at(0).body);
  EXPECT_EQ(body["fields"]["issuetype"], json({{"id", "10002"}}));
  EXPECT_EQ(body["fields"]["customfield_10010"], "sev-1");
  EXPECT_EQ(fake_->Issue("CK-3")->fields["issuetype"]["name"], "Bug");

  // The strict fake refuses a field the issue type does not have.
  ExecuteOutcome refused =
      Run("pushToService", {{"incident",
                             {{"summary", "s"},
                              {"issueType", "10001"},
                              {"otherFields", {{"customfield_10010", "x"}}}}}});
  EXPECT_EQ(refused.code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message,
              HasSubstr("Reason: Field 'customfield_10010' cannot be set."));
}

TEST_F(JiraTest, PushUpdatesWithPutThenGetAndKeepsTheCaseLabel) {
  json created = Push({{"summary", "first"}, {"caseId", kCaseId}});
  fake_->server().ClearRequests();
  json updated = Push({{"summary", "second\nline"},
                       {"externalId", created["id"]},
                       {"description", nullptr},
                       {"labels", {"new-tag"}},
                       {"caseId", kCaseId}},
                      {{{"comment", "update comment"}, {"commentId", "c-9"}}});
  EXPECT_EQ(updated["id"], "10000");
  EXPECT_EQ(updated["title"], "CK-1");
  EXPECT_EQ(updated["pushedDate"], "2026-03-01T10:00:02.000Z");
  EXPECT_EQ(updated["comments"][0]["commentId"], "c-9");
  EXPECT_THAT(Calls(), ElementsAre("PUT /rest/api/2/issue/10000",
                                   "GET /rest/api/2/issue/10000",
                                   "POST /rest/api/2/issue/10000/comment"));
  json body = json::parse(fake_->requests()[0].body);
  EXPECT_EQ(
      body,
      json({{"fields",
             {{"summary", "second, line"},
              {"project", {{"key", "CK"}}},
              {"labels",
               {"new-tag", std::string("casebridge-case-") + kCaseId}}}}}));
  EXPECT_EQ(fake_->Issue("CK-1")->fields["summary"], "second, line");
  EXPECT_EQ(fake_->issue_count(), 1u);
}

TEST_F(JiraTest, DataCenterFormsAndOffsetTimestampsAreConvertedToUtc) {
  FakeJiraOptions options;
  options.data_center = true;
  options.utc_offset = "+0300";
  options.page_size = 1;  // forces createmeta paging
  Init(options);
  ExecuteOutcome types = Run("issueTypes", json::object());
  ASSERT_TRUE(types.ok()) << types.message;
  EXPECT_EQ(types.data, json::parse(R"([{"id":"10001","name":"Task"},
                                         {"id":"10002","name":"Bug"}])"));
  fake_->server().ClearRequests();
  json result =
      Push({{"summary", "dc"}}, {{{"comment", "c"}, {"commentId", "k"}}});
  // Jira wrote 2026-03-01T13:00:01.000+0300.
  EXPECT_EQ(fake_->Issue("CK-1")->fields["created"],
            "2026-03-01T13:00:01.000+0300");
  EXPECT_EQ(result["pushedDate"], "2026-03-01T10:00:01.000Z");
  EXPECT_EQ(result["comments"][0]["pushedDate"], "2026-03-01T10:00:02.000Z");
  EXPECT_EQ(Calls()[0], "GET /rest/api/2/issue/createmeta/CK/issuetypes");
  EXPECT_EQ(Calls()[1],
            "GET /rest/api/2/issue/createmeta/CK/issuetypes?startAt=1");

  ExecuteOutcome incident = Run("getIncident", {{"externalId", "CK-1"}});
  ASSERT_TRUE(incident.ok()) << incident.message;
  EXPECT_EQ(incident.data["created"], "2026-03-01T10:00:01.000Z");
  EXPECT_EQ(incident.data["updated"], "2026-03-01T10:00:02.000Z");
}

TEST_F(JiraTest, FieldsByIssueTypeReadsCloudAndDataCenterForms) {
  for (bool data_center : {false, true}) {
    SCOPED_TRACE(data_center ? "data center" : "cloud");
    FakeJiraOptions options;
    options.data_center = data_center;
    options.page_size = 3;
    Init(options);
    ExecuteOutcome outcome = Run("fieldsByIssueType", {{"id", "10002"}});
    ASSERT_TRUE(outcome.ok()) << outcome.message;
    std::vector<std::string> keys;
    for (const auto& item : outcome.data.items()) keys.push_back(item.key());
    EXPECT_THAT(keys,
                ElementsAre("customfield_10010", "description", "issuetype",
                            "labels", "priority", "project", "summary"));
    EXPECT_EQ(outcome.data["summary"], json({{"required", true},
                                             {"allowedValues", json::array()},
                                             {"defaultValue", json::object()},
                                             {"schema", {{"type", "string"}}},
                                             {"name", "Summary"}}));
    EXPECT_EQ(outcome.data["priority"]["allowedValues"].size(), 5u);
    EXPECT_EQ(outcome.data["priority"]["defaultValue"]["name"], "Medium");
    EXPECT_EQ(fake_->requests().size(), 3u);  // 7 fields, 3 per page
  }
  ExecuteOutcome missing = Run("fieldsByIssueType", {{"id", "999"}});
  EXPECT_EQ(missing.code, absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message,
              StartsWith("[Action][Jira]: Unable to get fields. Error: Request "
                         "failed with status code 404. Reason: Issue type"));
}

TEST_F(JiraTest, GetFieldsReturnsTheIntersectionOverIssueTypes) {
  ExecuteOutcome outcome = Run("getFields", json::object());
  ASSERT_TRUE(outcome.ok()) << outcome.message;
  std::vector<std::string> keys;
  for (const auto& item : outcome.data.items()) keys.push_back(item.key());
  // Task's "parent" and Bug's "customfield_10010" are not common.
  EXPECT_THAT(keys, ElementsAre("description", "issuetype", "labels",
                                "priority", "project", "summary"));
  EXPECT_THAT(
      Calls(),
      ElementsAre("GET /rest/api/2/issue/createmeta/CK/issuetypes",
                  "GET /rest/api/2/issue/createmeta/CK/issuetypes/10001",
                  "GET /rest/api/2/issue/createmeta/CK/issuetypes/10002"));
}

TEST_F(JiraTest, IssuesSearchesWithEscapedJql) {
  Push({{"summary", "Test title"}});
  Push({{"summary", "[th!s] is a-te+st \"quoted\""}});
  Push({{"summary", "unrelated"}});
  fake_->server().ClearRequests();

  ExecuteOutcome plain = Run("issues", {{"title", "Test title"}});
  ASSERT_TRUE(plain.ok()) << plain.message;
  EXPECT_EQ(plain.data, json::parse(R"([{"id":"10000","key":"CK-1",
                                         "title":"Test title"}])"));
  ASSERT_EQ(fake_->requests().size(), 1u);
  EXPECT_EQ(fake_->requests()[0].path, "/rest/api/2/search/jql");
  EXPECT_EQ(fake_->requests()[0].query,
            "jql=project%3D%22CK%22%20and%20summary%20~%22Test%20title%22"
            "&fields=summary,key");

  // Special characters reach Jira doubly escaped (the fake rejects illegal
  // JQL escapes such as \-) and still match literally.
  ExecuteOutcome special = Run("issues", {{"title", "[th!s] is a-te+st"}});
  ASSERT_TRUE(special.ok()) << special.message;
  ASSERT_EQ(special.data.size(), 1u);
  EXPECT_EQ(special.data[0]["key"], "CK-2");
  EXPECT_EQ(fake_->requests()[1].Param("jql").value_or(""),
            "project=\"CK\" and summary ~\"\\\\[th\\\\!s\\\\] is "
            "a\\\\-te\\\\+st\"");

  ExecuteOutcome none = Run("issues", {{"title", "nothing like it"}});
  ASSERT_TRUE(none.ok()) << none.message;
  EXPECT_EQ(none.data, json::array());
}

TEST_F(JiraTest, IssueAndGetIncidentReadOneIssue) {
  Push({{"summary", "read me"}, {"description", "body"}});
  ExecuteOutcome issue = Run("issue", {{"id", "CK-1"}});
  ASSERT_TRUE(issue.ok()) << issue.message;
  EXPECT_EQ(issue.data,
            json({{"id", "10000"}, {"key", "CK-1"}, {"title", "read me"}}));

  ExecuteOutcome incident = Run("getIncident", {{"externalId", "10000"}});
  ASSERT_TRUE(incident.ok()) << incident.message;
  EXPECT_EQ(incident.data["id"], "10000");
  EXPECT_EQ(incident.data["key"], "CK-1");
  EXPECT_EQ(incident.data["summary"], "read me");
  EXPECT_EQ(incident.data["description"], "body");
  EXPECT_EQ(incident.data["created"], "2026-03-01T10:00:01.000Z");

  ExecuteOutcome missing = Run("getIncident", {{"externalId", "CK-404"}});
  EXPECT_EQ(missing.code, absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message,
            "[Action][Jira]: Unable to get incident with id CK-404. Error: "
            "Request failed with status code 404. Reason: Issue does not "
            "exist or you do not have permission to see it.");
  EXPECT_FALSE(missing.retryable);
  ExecuteOutcome missing_issue = Run("issue", {{"id", "CK-404"}});
  EXPECT_THAT(
      missing_issue.message,
      StartsWith("[Action][Jira]: Unable to get issue with id CK-404."));
}

TEST_F(JiraTest, DataCenterSearchFallsBackToTheClassicSearchApi) {
  FakeJiraOptions options;
  options.data_center = true;
  options.enhanced_search = false;
  Init(options);
  Push({{"summary", "on data center"}, {"caseId", kCaseId}});
  fake_->server().ClearRequests();

  ExecuteOutcome issues = Run("issues", {{"title", "data center"}});
  ASSERT_TRUE(issues.ok()) << issues.message;
  EXPECT_EQ(issues.data, json::parse(R"([{"id":"10000","key":"CK-1",
                                          "title":"on data center"}])"));
  ExecuteOutcome found = Run("findByCaseId", {{"caseId", kCaseId}});
  ASSERT_TRUE(found.ok()) << found.message;
  EXPECT_EQ(found.data["title"], "CK-1");
  std::vector<std::string> paths;
  for (const FakeRequest& r : fake_->requests()) paths.push_back(r.path);
  EXPECT_THAT(paths,
              ElementsAre("/rest/api/2/search/jql", "/rest/api/2/search",
                          "/rest/api/2/search/jql", "/rest/api/2/search"));
  EXPECT_EQ(fake_->requests()[0].query, fake_->requests()[1].query);
}

TEST_F(JiraTest, FindByCaseIdReturnsTheOldestIssueCarryingTheCaseLabel) {
  ExecuteOutcome none = Run("findByCaseId", {{"caseId", kCaseId}});
  ASSERT_TRUE(none.ok()) << none.message;
  EXPECT_TRUE(none.data.is_null());

  Push({{"summary", "other case"}, {"caseId", "another-case"}});
  json first = Push({{"summary", "ours"}, {"caseId", kCaseId}});
  Push({{"summary", "ours again"}, {"caseId", kCaseId}});
  fake_->server().ClearRequests();

  ExecuteOutcome found = Run("findByCaseId", {{"caseId", kCaseId}});
  ASSERT_TRUE(found.ok()) << found.message;
  EXPECT_EQ(found.data, json({{"id", first["id"]},
                              {"title", first["title"]},
                              {"url", first["url"]},
                              {"pushedDate", first["pushedDate"]},
                              {"summary", "ours"}}));
  ASSERT_EQ(fake_->requests().size(), 1u);
  EXPECT_EQ(fake_->requests()[0].Param("jql").value_or(""),
            std::string("project=\"CK\" and labels = \"casebridge-case-") +
                kCaseId + "\" ORDER BY created ASC");

  ExecuteOutcome bad = Run("findByCaseId", {{"caseId", "a\" or 1=1"}});
  EXPECT_EQ(bad.code, absl::StatusCode::kInvalidArgument);
}

TEST_F(JiraTest, HandshakeChecksCredentialsAndProject) {
  ExecuteOutcome ok = Run("handshake", json::object());
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_EQ(ok.data,
            json({{"ok", true}, {"projectKey", "CK"}, {"issueTypes", 2}}));

  auto other = NewInstance(Config(fake_->base_url(), "ZZ"), Secrets());
  ExecuteOutcome missing = Run("handshake", json::object(), other.get());
  EXPECT_EQ(missing.code, absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message,
              HasSubstr("Reason: No project could be found with key 'ZZ'."));
}

TEST_F(JiraTest, InvalidIncidentsFailBeforeAnyRequest) {
  struct Case {
    json incident;
    std::string message;
  };
  std::vector<Case> cases = {
      {{{"summary", "s"}, {"labels", {"ok", "has space"}}},
       "The label has space cannot contain spaces"},
      {{{"summary", "s"}, {"labels", {"tab\tbed"}}},
       "The label tab\tbed cannot contain spaces"},
      {{{"summary", "s"}, {"otherFields", {{"summary", "x"}}}},
       "incident.otherFields may not contain the key \"summary\""},
      {{{"summary", "s"}, {"otherFields", "{not json"}},
       "incident.otherFields must be a JSON object"},
      {{{"summary", " \n "}}, "incident.summary is required"},
      {{{"description", "no summary"}}, "incident.summary is required"},
      {{{"summary", "s"}, {"severity", "high"}},
       "incident.severity is not a Jira incident field"},
      {{{"summary", "s"}, {"caseId", "has space"}}, "incident.caseId must be"},
      {{{"summary", 5}}, "incident.summary must be a string"},
  };
  json many = json::object();
  for (int i = 0; i < 21; ++i) many["customfield_" + std::to_string(i)] = i;
  cases.push_back({{{"summary", "s"}, {"otherFields", many}},
                   "A maximum of 20 otherFields can be defined at a time."});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.incident.dump());
    ExecuteOutcome outcome =
        Run("pushToService", {{"incident", c.incident}, {"comments", nullptr}});
    EXPECT_EQ(outcome.code, absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(outcome.message, HasSubstr(c.message));
    EXPECT_FALSE(outcome.retryable);
  }
  EXPECT_EQ(fake_->requests().size(), 0u);
}

TEST_F(JiraTest, JiraValidationErrorsComeBackWithJirasReason) {
  ExecuteOutcome outcome =
      Run("pushToService",
          {{"incident", {{"summary", "s"}, {"priority", "Urgent"}}}});
  EXPECT_EQ(outcome.code, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(outcome.message,
            "[Action][Jira]: Unable to create incident. Error: Request failed "
            "with status code 400. Reason: Priority name '\"Urgent\"' is not "
            "valid");
  EXPECT_FALSE(outcome.retryable);
  EXPECT_EQ(outcome.details["status"], 400);
  EXPECT_EQ(outcome.details["response"]["errors"]["priority"],
            "Priority name '\"Urgent\"' is not valid");
  EXPECT_EQ(outcome.details["service_message"],
            "Priority name '\"Urgent\"' is not valid");
  EXPECT_EQ(fake_->issue_count(), 0u);

  ExecuteOutcome update =
      Run("pushToService",
          {{"incident", {{"summary", "s"}, {"externalId", "CK-77"}}}});
  EXPECT_EQ(update.code, absl::StatusCode::kNotFound);
  EXPECT_THAT(update.message,
              StartsWith("[Action][Jira]: Unable to update incident with id "
                         "CK-77. Error: Request failed with status code 404."));
}

TEST_F(JiraTest, BadCredentialsAreUnauthenticatedAndPermanent) {
  auto wrong = NewInstance(Config(fake_->base_url()), Secrets("wrong-token"));
  ExecuteOutcome outcome =
      Run("pushToService", {{"incident", {{"summary", "s"}}}}, wrong.get());
  EXPECT_EQ(outcome.code, absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(outcome.message,
            "[Action][Jira]: Unable to get issue types. Error: Request failed "
            "with status code 401. Reason: You are not authenticated. "
            "Authentication required to perform this operation.");
  EXPECT_FALSE(outcome.retryable);
  EXPECT_EQ(fake_->issue_count(), 0u);
}

TEST_F(JiraTest, RateLimitAndServerErrorsAreRetryableWithRetryAfter) {
  fake_->FailNext(1, 429, "7");
  ExecuteOutcome limited = Run("issueTypes", json::object());
  EXPECT_EQ(limited.code, absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(limited.retryable);
  EXPECT_EQ(limited.retry_after_ms, 7000);
  EXPECT_THAT(limited.message,
              HasSubstr("Request failed with status code 429. Reason: "
                        "Injected failure 429"));

  fake_->FailNext(1, 503, "3", "/rest/api/2/issue/10000");
  ExecuteOutcome unavailable =
      Run("pushToService", {{"incident", {{"summary", "s"}}}});
  EXPECT_EQ(unavailable.code, absl::StatusCode::kUnavailable);
  EXPECT_TRUE(unavailable.retryable);
  EXPECT_EQ(unavailable.retry_after_ms, 3000);
  EXPECT_THAT(unavailable.message,
              StartsWith("[Action][Jira]: Unable to get incident with id "
                         "10000. Error: Request failed with status code 503."));

  fake_->FailNext(1, 500);
  ExecuteOutcome internal = Run("issue", {{"id", "CK-1"}});
  EXPECT_EQ(internal.code, absl::StatusCode::kUnavailable);
  EXPECT_TRUE(internal.retryable);
  EXPECT_EQ(internal.retry_after_ms, 0);
}

TEST_F(JiraTest, CommentFailureAfterCreateReportsWhatWasPushed) {
  fake_->FailNext(1, 502, "", "/rest/api/2/issue/10000/comment");
  ExecuteOutcome outcome =
      Run("pushToService",
          {{"incident", {{"summary", "s"}}},
           {"comments", {{{"comment", "c"}, {"commentId", "k"}}}}});
  EXPECT_EQ(outcome.code, absl::StatusCode::kUnavailable);
  EXPECT_TRUE(outcome.retryable);
  EXPECT_THAT(outcome.message,
              StartsWith("[Action][Jira]: Unable to create comment at "
                         "incident with id 10000."));
  EXPECT_EQ(outcome.details["pushed"]["id"], "10000");
  EXPECT_EQ(outcome.details["pushed"]["title"], "CK-1");
  EXPECT_EQ(outcome.details["pushed"]["comments"], json::array());
}

TEST_F(JiraTest, SystemDownIsUnavailableAndRetryable) {
  std::string url;
  {
    FakeJira gone;
    gone.Start();
    url = gone.base_url();
  }  // stopped: connections are refused
  auto down = NewInstance(Config(url), Secrets());
  ExecuteOutcome outcome = Run("issueTypes", json::object(), down.get());
  EXPECT_EQ(outcome.code, absl::StatusCode::kUnavailable);
  EXPECT_TRUE(outcome.retryable);
  EXPECT_THAT(outcome.message,
              StartsWith("[Action][Jira]: Unable to get issue types. Error: "));
  EXPECT_THAT(outcome.message,
              HasSubstr("Reason: unknown: errorResponse was null"));
}

TEST_F(JiraTest, HungServerHitsTheCallDeadline) {
  fake_->server().InjectFaults(1, FakeResponse::Hang());
  ExecuteOutcome outcome =
      Run("issueTypes", json::object(), nullptr, absl::Milliseconds(500));
  EXPECT_EQ(outcome.code, absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(outcome.retryable);
  fake_->server().ReleaseHangs();
}

TEST_F(JiraTest, MalformedResponsesAreSchemaErrorsNotCrashes) {
  // An SSO login page instead of JSON.
  fake_->server().InjectFaults(1, FakeResponse::Html(200));
  ExecuteOutcome html = Run("issueTypes", json::object());
  EXPECT_EQ(html.code, absl::StatusCode::kUnknown);
  EXPECT_FALSE(html.retryable);
  EXPECT_THAT(html.message, HasSubstr("Error: Unsupported content type: "
                                      "text/html"));
  EXPECT_THAT(html.message,
              HasSubstr("Supported content types: application/json"));

  // A create answer without an id.
  fake_->server().InjectFaults(1, FakeResponse::Json(201, R"({"key":"CK-9"})"),
                               "/rest/api/2/issue");
  ExecuteOutcome no_id =
      Run("pushToService",
          {{"incident", {{"summary", "s"}, {"issueType", "10001"}}}});
  EXPECT_EQ(no_id.code, absl::StatusCode::kUnknown);
  EXPECT_EQ(no_id.message,
            "[Action][Jira]: Unable to create incident. Error: Response is "
            "missing at least one of the expected fields: id. Reason: "
            "unknown: errorResponse was null");

  // A body that is not JSON at all, and one that is an array.
  fake_->server().InjectFaults(1, FakeResponse::Json(200, "{truncated"));
  EXPECT_THAT(Run("issue", {{"id", "CK-1"}}).message,
              HasSubstr("Error: Response is not a valid JSON."));
  fake_->server().InjectFaults(1, FakeResponse::Json(200, "[]"));
  EXPECT_THAT(Run("issue", {{"id", "CK-1"}}).message,
              HasSubstr("expected fields: id,key"));
  fake_->server().InjectFaults(
      1, FakeResponse::Json(200, R"({"issueTypes":[{"name":"no id"}]})"));
  EXPECT_EQ(Run("issueTypes", json::object()).code, absl::StatusCode::kUnknown);
}

// ---------------------------------------------------------------------------
// Through the real server: ConnectorService with the plugin directory.

namespace v1 = ::casebridge::v1;

google::protobuf::Struct ToStruct(const json& value) {
  google::protobuf::Struct out;
  auto status = google::protobuf::util::JsonStringToMessage(value.dump(), &out);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out;
}

json FromValue(const google::protobuf::Value& value) {
  std::string text;
  auto status = google::protobuf::util::MessageToJsonString(value, &text);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return json::parse(text, nullptr, false);
}

class JiraServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.config_yaml = std::string("log_level: warn\nplugin_dirs: [\"") +
                          CASEBRIDGE_PLUGIN_DIR +
                          "\"]\nhttp:\n  allow_private_addresses: true\n";
    options.env = {{"CASEBRIDGE_ENCRYPTION_KEY",
                    "jira-test-key-0123456789abcdef0123456789"}};
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
    stub_ = server_->NewConnectorStub();
    fake_.Start();
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
    return context;
  }

  json Config(std::string project = "CK") {
    return {{"apiUrl", fake_.base_url()}, {"projectKey", std::move(project)}};
  }
  json Secrets(std::string token = "jira-api-token") {
    return {{"email", "jira-bot@example.com"}, {"apiToken", std::move(token)}};
  }

  grpc::Status Create(const json& config, const json& secrets,
                      std::string* id) {
    v1::CreateConnectorRequest request;
    request.set_connector_type_id(".jira");
    request.set_name("Jira test");
    *request.mutable_config() = ToStruct(config);
    *request.mutable_secrets() = ToStruct(secrets);
    v1::CreateConnectorResponse response;
    grpc::Status status =
        stub_->CreateConnector(Context().get(), request, &response);
    if (id != nullptr) *id = response.connector().id();
    return status;
  }

  std::string CreateOk(const json& config, const json& secrets) {
    std::string id;
    grpc::Status status = Create(config, secrets, &id);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return id;
  }

  v1::ConnectorExecuteResult Execute(const std::string& id,
                                     const std::string& sub_action,
                                     const json& params) {
    v1::ExecuteConnectorRequest request;
    request.set_id(id);
    request.set_sub_action(sub_action);
    *request.mutable_sub_action_params() = ToStruct(params);
    v1::ExecuteConnectorResponse response;
    grpc::Status status =
        stub_->ExecuteConnector(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.result();
  }

  static ServerProcess* server_;
  std::unique_ptr<v1::ConnectorService::Stub> stub_;
  FakeJira fake_;
};

ServerProcess* JiraServerTest::server_ = nullptr;

TEST_F(JiraServerTest, ServerListsTheJiraType) {
  v1::ListConnectorTypesRequest request;
  request.set_feature_id("cases");
  v1::ListConnectorTypesResponse response;
  grpc::Status status =
      stub_->ListConnectorTypes(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::ConnectorType* jira = nullptr;
  for (const auto& type : response.connector_types()) {
    if (type.id() == ".jira") jira = &type;
  }
  ASSERT_NE(jira, nullptr);
  EXPECT_EQ(jira->name(), "Jira");
  EXPECT_EQ(jira->sub_actions_size(), 9);
  EXPECT_EQ(jira->default_mappings_size(), 4);
}

TEST_F(JiraServerTest, EverySubActionRunsThroughTheServer) {
  std::string id = CreateOk(Config(), Secrets());
  v1::ConnectorExecuteResult pushed =
      Execute(id, "pushToService",
              {{"incident",
                {{"summary", "From the server"},
                 {"labels", {"server"}},
                 {"caseId", kCaseId}}},
               {"comments", {{{"comment", "hello"}, {"commentId", "c-1"}}}}});
  ASSERT_EQ(pushed.status(), v1::CONNECTOR_EXECUTE_STATUS_OK)
      << pushed.message();
  json data = FromValue(pushed.data());
  EXPECT_EQ(data["title"], "CK-1");
  EXPECT_EQ(data["url"], fake_.base_url() + "/browse/CK-1");
  EXPECT_EQ(data["pushedDate"], "2026-03-01T10:00:01.000Z");
  EXPECT_EQ(data["comments"][0]["commentId"], "c-1");
  ASSERT_TRUE(fake_.Issue("CK-1").has_value());
  EXPECT_EQ(fake_.Issue("CK-1")->comments.size(), 1u);

  struct Step {
    std::string sub_action;
    json params;
    std::function<void(const json&)> check;
  };
  std::vector<Step> steps = {
      {"getIncident",
       {{"externalId", "CK-1"}},
       [](const json& d) { EXPECT_EQ(d["summary"], "From the server"); }},
      {"issueTypes", json::object(),
       [](const json& d) { EXPECT_EQ(d.size(), 2u); }},
      {"getFields", json::object(),
       [](const json& d) { EXPECT_TRUE(d.contains("priority")); }},
      {"fieldsByIssueType",
       {{"id", "10002"}},
       [](const json& d) { EXPECT_TRUE(d.contains("customfield_10010")); }},
      {"issues",
       {{"title", "server"}},
       [](const json& d) { EXPECT_EQ(d[0]["key"], "CK-1"); }},
      {"issue",
       {{"id", "CK-1"}},
       [](const json& d) { EXPECT_EQ(d["title"], "From the server"); }},
      {"findByCaseId",
       {{"caseId", kCaseId}},
       [](const json& d) { EXPECT_EQ(d["title"], "CK-1"); }},
      {"handshake", json::object(),
       [](const json& d) { EXPECT_EQ(d["ok"], true); }},
  };
  for (const Step& step : steps) {
    SCOPED_TRACE(step.sub_action);
    v1::ConnectorExecuteResult result =
        Execute(id, step.sub_action, step.params);
    ASSERT_EQ(result.status(), v1::CONNECTOR_EXECUTE_STATUS_OK)
        << result.message();
    step.check(FromValue(result.data()));
  }
}

TEST_F(JiraServerTest, FailuresAreResultsWithJirasMessageAndRetryClass) {
  std::string wrong = CreateOk(Config(), Secrets("wrong-token"));
  v1::ConnectorExecuteResult denied =
      Execute(wrong, "pushToService", {{"incident", {{"summary", "s"}}}});
  EXPECT_EQ(denied.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_THAT(denied.message(),
              HasSubstr("Request failed with status code 401. Reason: You are "
                        "not authenticated."));
  EXPECT_FALSE(denied.retry());
  EXPECT_EQ(denied.service_message(),
            "You are not authenticated. Authentication required to perform "
            "this operation.");

  std::string id = CreateOk(Config(), Secrets());
  v1::ConnectorExecuteResult invalid =
      Execute(id, "pushToService",
              {{"incident", {{"summary", "s"}, {"labels", {"two words"}}}}});
  EXPECT_EQ(invalid.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_THAT(invalid.message(),
              HasSubstr("The label two words cannot contain spaces"));
  EXPECT_FALSE(invalid.retry());

  fake_.FailNext(1, 503, "30");
  v1::ConnectorExecuteResult busy = Execute(id, "issueTypes", json::object());
  EXPECT_EQ(busy.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_TRUE(busy.retry());
  EXPECT_TRUE(busy.has_retry_at());
  EXPECT_EQ(fake_.issue_count(), 0u);
}

TEST_F(JiraServerTest, SystemDownIsARetryableError) {
  std::string url;
  {
    FakeJira gone;
    gone.Start();
    url = gone.base_url();
  }
  std::string id = CreateOk({{"apiUrl", url}, {"projectKey", "CK"}}, Secrets());
  v1::ConnectorExecuteResult result =
      Execute(id, "pushToService", {{"incident", {{"summary", "s"}}}});
  EXPECT_EQ(result.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_TRUE(result.retry());
  EXPECT_THAT(result.message(),
              StartsWith("[Action][Jira]: Unable to get issue types."));
}

TEST_F(JiraServerTest, TestConnectorRunsTheHandshake) {
  v1::TestConnectorRequest request;
  request.set_connector_type_id(".jira");
  *request.mutable_config() = ToStruct(Config());
  *request.mutable_secrets() = ToStruct(Secrets());
  v1::TestConnectorResponse response;
  grpc::Status status =
      stub_->TestConnector(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.result().status(), v1::CONNECTOR_EXECUTE_STATUS_OK)
      << response.result().message();

  *request.mutable_config() = ToStruct(Config("NOPE"));
  status = stub_->TestConnector(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.result().status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_THAT(response.result().message(),
              HasSubstr("No project could be found with key 'NOPE'."));
}

TEST_F(JiraServerTest, ConfigOutsideTheSchemasIsRefusedAtCreate) {
  json extra = Config();
  extra["unknown"] = true;
  EXPECT_EQ(Create(extra, Secrets(), nullptr).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Create(Config(), {{"email", "x"}}, nullptr).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Create({{"apiUrl", "ftp://jira.example"}, {"projectKey", "CK"}},
                   Secrets(), nullptr)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace casebridge::testing

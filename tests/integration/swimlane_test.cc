// The .swimlane plugin (plugins/swimlane) loaded through the plugin host,
// against FakeSwimlane over real HTTP: push (create, update, comments),
// handshake, findByCaseId, the per-connectorType config rules, error wording
// and retry classes, and a system that is down.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_swimlane.h"
#include "tests/integration/plugin_test_util.h"

namespace casebridge::testing {
namespace {

using nlohmann::json;
using plugin_host::ExecuteOutcome;
using plugin_host::PluginInstance;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kApp[] = "aAppId01";
constexpr char kToken[] = "sw-token";

json FieldMap(const char* id, const char* key, const char* type) {
  return {{"id", id}, {"key", key}, {"name", key}, {"fieldType", type}};
}

json CaseMappings() {
  return {
      {"caseNameConfig",
       FieldMap(FakeSwimlane::kCaseNameField, "case-name", "text")},
      {"caseIdConfig", FieldMap(FakeSwimlane::kCaseIdField, "case-id", "text")},
      {"descriptionConfig",
       FieldMap(FakeSwimlane::kDescriptionField, "description", "text")},
      {"commentsConfig",
       FieldMap(FakeSwimlane::kCommentsField, "comments", "notes")},
      {"severityConfig",
       FieldMap(FakeSwimlane::kSeverityField, "severity", "numeric")},
      {"ruleNameConfig", nullptr},
      {"alertIdConfig", nullptr}};
}

class SwimlaneTest : public ::testing::Test {
 protected:
  SwimlaneTest() : fake_(kApp, kToken), harness_("swimlane.so") {
    fake_.Start();
  }

  json Config(json mappings = CaseMappings(), std::string type = "cases") {
    return {{"apiUrl", fake_.base_url()},
            {"appId", kApp},
            {"connectorType", type},
            {"mappings", mappings}};
  }
  json Secrets() { return {{"apiToken", kToken}}; }

  std::unique_ptr<PluginInstance> Make(const json& config,
                                       const json& secrets) {
    auto instance = harness_.Instance(".swimlane", config, secrets);
    EXPECT_TRUE(instance.ok()) << instance.status();
    return instance.ok() ? std::move(*instance) : nullptr;
  }
  std::unique_ptr<PluginInstance> Make() { return Make(Config(), Secrets()); }

  ExecuteOutcome Run(PluginInstance* instance, const std::string& sub_action,
                     const json& params) {
    auto outcome = instance->Execute(sub_action, params);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : ExecuteOutcome{};
  }

  FakeSwimlane fake_;
  PluginHarness harness_;
};

bool IsIso(const std::string& s) {
  return s.size() == 24 && s[4] == '-' && s[10] == 'T' && s[19] == '.' &&
         s[23] == 'Z';
}

TEST_F(SwimlaneTest, DescriptorDeclaresSubActionsSchemasAndMappings) {
  const auto* type = harness_.module().FindType(".swimlane");
  ASSERT_NE(type, nullptr);
  std::vector<std::string> names;
  for (const auto& s : type->sub_actions) names.push_back(s.name);
  EXPECT_THAT(names, ElementsAre("pushToService", "handshake", "findByCaseId"));
  EXPECT_EQ(type->config_schema["additionalProperties"], false);
  EXPECT_EQ(type->config_schema["properties"]["connectorType"]["enum"],
            json::array({"all", "alerts", "cases"}));
  ASSERT_EQ(type->default_mappings.size(), 3u);
  EXPECT_EQ(type->default_mappings[0].target, "caseName");
}

TEST_F(SwimlaneTest, ConfigValidationEnforcesConnectorTypeRules) {
  EXPECT_TRUE(harness_.Validate(".swimlane", Config(), Secrets()).ok());
  EXPECT_TRUE(
      harness_.Validate(".swimlane", Config(json::object(), "all"), Secrets())
          .ok());

  json no_case_id = CaseMappings();
  no_case_id["caseIdConfig"] = nullptr;
  absl::Status s =
      harness_.Validate(".swimlane", Config(no_case_id), Secrets());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("caseIdConfig is required when "
                                     "connectorType is cases"));

  s = harness_.Validate(".swimlane", Config(CaseMappings(), "alerts"),
                        Secrets());
  EXPECT_THAT(s.message(), HasSubstr("ruleNameConfig is required"));
  json alerts = {{"ruleNameConfig",
                  FieldMap(FakeSwimlane::kRuleNameField, "rule-name", "text")},
                 {"alertIdConfig",
                  FieldMap(FakeSwimlane::kAlertIdField, "alert-id", "text")}};
  EXPECT_TRUE(
      harness_.Validate(".swimlane", Config(alerts, "alerts"), Secrets()).ok());

  json text_comments = CaseMappings();
  text_comments["commentsConfig"]["fieldType"] = "text";
  EXPECT_THAT(harness_.Validate(".swimlane", Config(text_comments), Secrets())
                  .message(),
              HasSubstr("fieldType notes"));
  json unknown = CaseMappings();
  unknown["bogusConfig"] = nullptr;
  EXPECT_EQ(harness_.Validate(".swimlane", Config(unknown), Secrets()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      harness_
          .Validate(".swimlane", Config(CaseMappings(), "incidents"), Secrets())
          .code(),
      absl::StatusCode::kInvalidArgument);
  json bad_app = Config();
  bad_app["appId"] = "a/b";
  EXPECT_EQ(harness_.Validate(".swimlane", bad_app, Secrets()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(harness_.Validate(".swimlane", Config(), json::object()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SwimlaneTest, PushCreatesRecordWithMappedValuesAndComments) {
  auto instance = Make();
  ASSERT_NE(instance, nullptr);
  ExecuteOutcome out = Run(instance.get(), "pushToService",
                           {{"incident",
                             {{"caseId", "case-1"},
                              {"caseName", "Phishing wave"},
                              {"description", "details"},
                              {"severity", "3"},
                              {"ruleName", "ignored: not mapped"},
                              {"externalId", nullptr}}},
                            {"comments",
                             {{{"comment", "first"}, {"commentId", "c1"}},
                              {{"comment", "second"}, {"commentId", "c2"}}}}});
  ASSERT_TRUE(out.ok()) << out.message;
  const std::string id = out.data["id"];
  EXPECT_EQ(out.data["title"], "SOC-1");
  EXPECT_EQ(out.data["url"], fake_.base_url() + "/record/" + kApp + "/" + id);
  EXPECT_TRUE(IsIso(out.data["pushedDate"])) << out.data.dump();
  ASSERT_EQ(out.data["comments"].size(), 2u);
  EXPECT_EQ(out.data["comments"][1]["commentId"], "c2");
  EXPECT_EQ(out.data["comments"][0]["pushedDate"],
            out.data["comments"][1]["pushedDate"]);

  auto record = fake_.record(id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ((*record)["values"],
            json({{FakeSwimlane::kCaseIdField, "case-1"},
                  {FakeSwimlane::kCaseNameField, "Phishing wave"},
                  {FakeSwimlane::kDescriptionField, "details"},
                  {FakeSwimlane::kSeverityField, 3}}));
  auto comments = fake_.comments(id);
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_EQ(comments[0]["message"], "first");
  EXPECT_EQ(comments[0]["isRichText"], true);
  EXPECT_EQ(comments[0]["fieldId"], FakeSwimlane::kCommentsField);
  EXPECT_EQ(comments[0]["createdDate"], out.data["comments"][0]["pushedDate"]);

  auto requests = fake_.server().requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, std::string("/api/app/") + kApp + "/record");
  EXPECT_EQ(requests[0].Header("Private-Token"), kToken);
  EXPECT_EQ(requests[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(requests[0].body)["applicationId"], kApp);
  EXPECT_EQ(requests[1].path, std::string("/api/app/") + kApp + "/record/" +
                                  id + "/" + FakeSwimlane::kCommentsField +
                                  "/comment");
}

TEST_F(SwimlaneTest, NumericFieldsFollowJavaScriptNumber) {
  auto instance = Make();
  ExecuteOutcome out =
      Run(instance.get(), "pushToService",
          {{"incident",
            {{"caseName", "n"}, {"severity", "high"}, {"description", ""}}}});
  ASSERT_TRUE(out.ok()) << out.message;
  auto record = fake_.record(out.data["id"]);
  // NaN becomes 0; empty strings are skipped.
  EXPECT_EQ((*record)["values"], json({{FakeSwimlane::kCaseNameField, "n"},
                                       {FakeSwimlane::kSeverityField, 0}}));
}

TEST_F(SwimlaneTest, PushUpdatesRecordWhenExternalIdIsSet) {
  auto instance = Make();
  ExecuteOutcome created = Run(instance.get(), "pushToService",
                               {{"incident", {{"caseName", "first"}}}});
  ASSERT_TRUE(created.ok()) << created.message;
  const std::string id = created.data["id"];
  ExecuteOutcome out =
      Run(instance.get(), "pushToService",
          {{"incident",
            {{"caseName", "renamed"}, {"severity", "7"}, {"externalId", id}}},
           {"comments", {{{"comment", "more"}, {"commentId", "c3"}}}}});
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.data["id"], id);
  EXPECT_EQ(out.data["url"], fake_.base_url() + "/record/" + kApp + "/" + id);
  EXPECT_EQ(out.data["comments"][0]["commentId"], "c3");
  auto record = fake_.record(id);
  EXPECT_EQ((*record)["values"][FakeSwimlane::kCaseNameField], "renamed");
  EXPECT_EQ((*record)["values"][FakeSwimlane::kSeverityField], 7);
  EXPECT_EQ(fake_.record_count(), 1u);
  auto requests = fake_.server().requests();
  EXPECT_EQ(requests[1].method, "PATCH");
  json body = json::parse(requests[1].body);
  EXPECT_EQ(body["id"], id);
  EXPECT_EQ(body["applicationId"], kApp);
}

TEST_F(SwimlaneTest, CommentsWithoutNotesMappingFail) {
  json mappings = {{"caseNameConfig", FieldMap(FakeSwimlane::kCaseNameField,
                                               "case-name", "text")}};
  auto instance = Make(Config(mappings, "all"), Secrets());
  ExecuteOutcome out =
      Run(instance.get(), "pushToService",
          {{"incident", {{"caseName", "n"}}},
           {"comments", {{{"comment", "c"}, {"commentId", "1"}}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(out.message,
            std::string("[Action][Swimlane]: Unable to create comment in "
                        "application with id ") +
                kApp +
                ". Status: 500. Error: No comment field mapped in Swimlane "
                "connector. Reason: unknown");
  EXPECT_EQ(fake_.record_count(), 1u);
}

TEST_F(SwimlaneTest, BadTokenIsUnauthenticatedWithSwimlaneReason) {
  auto instance = Make(Config(), {{"apiToken", "wrong"}});
  ExecuteOutcome out =
      Run(instance.get(), "pushToService", {{"incident", {{"caseName", "n"}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(out.message,
            std::string("[Action][Swimlane]: Unable to create record in "
                        "application with id ") +
                kApp +
                ". Status: 401. Error: Request failed with status code 401. "
                "Reason: Private-Token (1001)");
  EXPECT_FALSE(out.retryable);
}

TEST_F(SwimlaneTest, SwimlaneRejectsUnknownFieldIds) {
  json mappings = CaseMappings();
  mappings["descriptionConfig"]["id"] = "zzzzz";
  auto instance = Make(Config(mappings), Secrets());
  ExecuteOutcome out =
      Run(instance.get(), "pushToService",
          {{"incident", {{"caseName", "n"}, {"description", "d"}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.message, HasSubstr("Status: 400. Error: Request failed with "
                                     "status code 400. Reason: zzzzz (1051)"));
  EXPECT_FALSE(out.retryable);

  // handshake finds the same problem before any push.
  ExecuteOutcome hs = Run(instance.get(), "handshake", json::object());
  EXPECT_EQ(hs.code, absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(hs.message, HasSubstr("descriptionConfig refers to field zzzzz"));
}

TEST_F(SwimlaneTest, ServerErrorsAreRetryableWithRetryAfter) {
  auto instance = Make();
  fake_.FailNext(1, 503, 5000, "Maintenance", "5");
  ExecuteOutcome out =
      Run(instance.get(), "pushToService", {{"incident", {{"caseName", "n"}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kUnavailable);
  EXPECT_TRUE(out.retryable);
  EXPECT_EQ(out.retry_after_ms, 5000);
  EXPECT_THAT(out.message, HasSubstr("Status: 503. Error: Request failed with "
                                     "status code 503. Reason: Maintenance "
                                     "(5000)"));
  fake_.FailNext(1, 429, 4290, "Rate", "1");
  out =
      Run(instance.get(), "pushToService", {{"incident", {{"caseName", "n"}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(out.retry_after_ms, 1000);
  EXPECT_EQ(fake_.record_count(), 0u);
}

TEST_F(SwimlaneTest, SystemDownIsUnavailableAndRetryable) {
  json config = Config();
  config["apiUrl"] = "http://127.0.0.1:" + std::to_string(UnusedPort());
  auto instance = Make(config, Secrets());
  ExecuteOutcome out =
      Run(instance.get(), "pushToService", {{"incident", {{"caseName", "n"}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kUnavailable);
  EXPECT_TRUE(out.retryable);
  EXPECT_THAT(out.message,
              StartsWith(std::string("[Action][Swimlane]: Unable to create "
                                     "record in application with id ") +
                         kApp + ". Status: 500. Error: "));
}

TEST_F(SwimlaneTest, MalformedResponsesAreErrorsNotCrashes) {
  auto instance = Make();
  fake_.server().InjectFaults(1, FakeResponse::Json(200, R"({"name":"x"})"),
                              "/api/");
  ExecuteOutcome out =
      Run(instance.get(), "pushToService", {{"incident", {{"caseName", "n"}}}});
  EXPECT_FALSE(out.ok());
  EXPECT_THAT(out.message,
              HasSubstr("Error: Response is missing at least one of the "
                        "expected fields: id,name,createdDate. Reason: "
                        "unknown"));
  EXPECT_FALSE(out.retryable);

  fake_.server().InjectFaults(1, FakeResponse::Html(200), "/api/");
  out =
      Run(instance.get(), "pushToService", {{"incident", {{"caseName", "n"}}}});
  EXPECT_THAT(out.message, HasSubstr("Unsupported content type: text/html"));

  fake_.server().InjectFaults(
      1,
      FakeResponse::Json(200,
                         R"({"id":"r9","name":"SOC-9","createdDate":"soon"})"),
      "/api/");
  out =
      Run(instance.get(), "pushToService", {{"incident", {{"caseName", "n"}}}});
  EXPECT_THAT(out.message, HasSubstr("Invalid time value"));
}

TEST_F(SwimlaneTest, ApiUrlEndingInApiIsUsedAsIs) {
  json config = Config();
  config["apiUrl"] = fake_.base_url() + "/api/";
  auto instance = Make(config, Secrets());
  ExecuteOutcome out =
      Run(instance.get(), "pushToService", {{"incident", {{"caseName", "n"}}}});
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(fake_.server().requests()[0].path,
            std::string("/api/app/") + kApp + "/record");
  EXPECT_EQ(out.data["url"], fake_.base_url() + "/api/record/" + kApp + "/" +
                                 out.data["id"].get<std::string>());
}

TEST_F(SwimlaneTest, HandshakeReturnsTheApplicationFields) {
  auto instance = Make();
  ExecuteOutcome out = Run(instance.get(), "handshake", json::object());
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.data["applicationId"], kApp);
  EXPECT_EQ(out.data["fields"].size(), 7u);
  EXPECT_EQ(fake_.server().requests()[0].path, std::string("/api/app/") + kApp);
  EXPECT_EQ(fake_.server().requests()[0].method, "GET");
}

TEST_F(SwimlaneTest, FindByCaseIdReturnsTheRecordOrNull) {
  auto instance = Make();
  ExecuteOutcome created =
      Run(instance.get(), "pushToService",
          {{"incident", {{"caseName", "n"}, {"caseId", "case-42"}}}});
  ASSERT_TRUE(created.ok()) << created.message;
  Run(instance.get(), "pushToService",
      {{"incident", {{"caseName", "m"}, {"caseId", "case-7"}}}});

  ExecuteOutcome found =
      Run(instance.get(), "findByCaseId", {{"caseId", "case-42"}});
  ASSERT_TRUE(found.ok()) << found.message;
  EXPECT_EQ(found.data["id"], created.data["id"]);
  EXPECT_EQ(found.data["title"], created.data["title"]);
  EXPECT_EQ(found.data["url"], created.data["url"]);
  EXPECT_EQ(fake_.server().requests().back().path, "/api/search");

  ExecuteOutcome missing =
      Run(instance.get(), "findByCaseId", {{"caseId", "case-0"}});
  ASSERT_TRUE(missing.ok()) << missing.message;
  EXPECT_TRUE(missing.data.is_null());

  json mappings = CaseMappings();
  mappings["caseIdConfig"] = nullptr;
  auto plain = Make(Config(mappings, "all"), Secrets());
  ExecuteOutcome unsupported =
      Run(plain.get(), "findByCaseId", {{"caseId", "case-42"}});
  EXPECT_EQ(unsupported.code, absl::StatusCode::kFailedPrecondition);
}

TEST_F(SwimlaneTest, ParamsAreValidated) {
  auto instance = Make();
  auto expect_invalid = [&](const json& params, const std::string& text) {
    ExecuteOutcome out = Run(instance.get(), "pushToService", params);
    EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument) << params.dump();
    EXPECT_THAT(out.message, HasSubstr(text)) << params.dump();
  };
  expect_invalid({{"incident", {{"title", "x"}}}}, "incident.title");
  expect_invalid({{"incident", {{"caseName", 5}}}}, "incident.caseName");
  expect_invalid({{"incident", {{"externalId", "a/b"}}}},
                 "incident.externalId");
  expect_invalid(
      {{"incident", json::object()}, {"comments", {{{"comment", 1}}}}},
      "comments[0].comment");
  expect_invalid({{"comments", nullptr}}, "incident");
  EXPECT_EQ(fake_.server().request_count(), 0u);
}

}  // namespace
}  // namespace casebridge::testing

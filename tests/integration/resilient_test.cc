// The .resilient plugin (plugins/resilient) loaded through the plugin host,
// against FakeResilient over real HTTP: every sub-action, the update change
// shapes, validation, error wording and retry classes, and a system that is
// down.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_resilient.h"
#include "tests/integration/plugin_test_util.h"

namespace casebridge::testing {
namespace {

using nlohmann::json;
using plugin_host::ExecuteOutcome;
using plugin_host::PluginInstance;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kOrg[] = "201";
constexpr char kKeyId[] = "key-id";
constexpr char kKeySecret[] = "key-secret";

bool IsIso(const std::string& s) {
  // 2024-01-02T03:04:05.678Z
  if (s.size() != 24 || s[4] != '-' || s[10] != 'T' || s[19] != '.' ||
      s[23] != 'Z') {
    return false;
  }
  return true;
}

class ResilientTest : public ::testing::Test {
 protected:
  ResilientTest() : fake_(kOrg, kKeyId, kKeySecret), harness_("resilient.so") {
    fake_.Start();
  }

  json Config(json extra = json::object()) {
    json config = {{"apiUrl", fake_.base_url()},
                   {"orgId", kOrg},
                   {"caseIdField", "properties.casebridge_case_id"}};
    for (auto& [k, v] : extra.items()) config[k] = v;
    return config;
  }
  json Secrets() {
    return {{"apiKeyId", kKeyId}, {"apiKeySecret", kKeySecret}};
  }

  std::unique_ptr<PluginInstance> Make(const json& config,
                                       const json& secrets) {
    auto instance = harness_.Instance(".resilient", config, secrets);
    EXPECT_TRUE(instance.ok()) << instance.status();
    return instance.ok() ? std::move(*instance) : nullptr;
  }
  std::unique_ptr<PluginInstance> Make() { return Make(Config(), Secrets()); }

  ExecuteOutcome Run(PluginInstance* instance, const std::string& sub_action,
                     const json& params,
                     plugin_host::CallOptions options = {}) {
    auto outcome = instance->Execute(sub_action, params, options);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : ExecuteOutcome{};
  }

  // Creates an incident through the plugin; returns the push result.
  json CreateIncident(PluginInstance* instance, json incident,
                      json comments = nullptr) {
    ExecuteOutcome out = Run(instance, "pushToService",
                             {{"incident", incident}, {"comments", comments}});
    EXPECT_TRUE(out.ok()) << out.message;
    return out.data;
  }

  FakeResilient fake_;
  PluginHarness harness_;
};

TEST_F(ResilientTest, DescriptorDeclaresSubActionsSchemasAndMappings) {
  const auto* type = harness_.module().FindType(".resilient");
  ASSERT_NE(type, nullptr);
  std::vector<std::string> names;
  for (const auto& s : type->sub_actions) names.push_back(s.name);
  EXPECT_THAT(names, ElementsAre("pushToService", "getIncident", "getFields",
                                 "incidentTypes", "severity", "handshake",
                                 "findByCaseId"));
  EXPECT_EQ(type->config_schema["additionalProperties"], false);
  EXPECT_EQ(type->secrets_schema["required"],
            json::array({"apiKeyId", "apiKeySecret"}));
  ASSERT_EQ(type->default_mappings.size(), 3u);
  EXPECT_EQ(type->default_mappings[0].source, "title");
  EXPECT_EQ(type->default_mappings[0].target, "name");
  EXPECT_EQ(type->default_mappings[2].action, "append");
}

TEST_F(ResilientTest, ValidateConfigRejectsBadSettings) {
  EXPECT_TRUE(harness_.Validate(".resilient", Config(), Secrets()).ok());
  EXPECT_EQ(
      harness_
          .Validate(".resilient", Config({{"apiUrl", "ftp://x"}}), Secrets())
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      harness_.Validate(".resilient", Config({{"orgId", "a/b"}}), Secrets())
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      harness_.Validate(".resilient", Config({{"extra", 1}}), Secrets()).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      harness_
          .Validate(".resilient", Config({{"caseIdField", "a b"}}), Secrets())
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      harness_.Validate(".resilient", Config(), {{"apiKeyId", kKeyId}}).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(ResilientTest, PushCreatesIncidentWithTypesSeverityFieldsAndComments) {
  auto instance = Make();
  ASSERT_NE(instance, nullptr);
  json result = CreateIncident(instance.get(),
                               {{"name", "Suspicious login"},
                                {"description", "<b>desc</b>"},
                                {"externalId", nullptr},
                                {"incidentTypes", {"1001", 16}},
                                {"severityCode", "5"},
                                {"additionalFields",
                                 {{"custom_select", 101},
                                  {"custom_notes", "note"},
                                  {"plan_status", "A"}}},
                                {"caseId", "case-1"}},
                               {{{"comment", "first"}, {"commentId", "c1"}},
                                {{"comment", "second"}, {"commentId", "c2"}}});

  ASSERT_TRUE(result.contains("id")) << result.dump();
  const std::string id = result["id"];
  EXPECT_EQ(result["title"], id);
  EXPECT_EQ(result["url"], fake_.base_url() + "/#incidents/" + id);
  EXPECT_TRUE(IsIso(result["pushedDate"])) << result.dump();
  ASSERT_EQ(result["comments"].size(), 2u);
  EXPECT_EQ(result["comments"][0]["commentId"], "c1");
  EXPECT_EQ(result["comments"][1]["pushedDate"], result["pushedDate"]);

  auto incident = fake_.incident(std::stoll(id));
  ASSERT_TRUE(incident.has_value());
  EXPECT_EQ((*incident)["name"], "Suspicious login");
  EXPECT_EQ((*incident)["description"],
            json({{"format", "html"}, {"content", "<b>desc</b>"}}));
  EXPECT_EQ((*incident)["incident_type_ids"], json::array({1001, 16}));
  EXPECT_EQ((*incident)["severity_code"], 5);
  EXPECT_EQ((*incident)["plan_status"], "A");
  EXPECT_EQ((*incident)["properties"]["custom_select"], 101);
  EXPECT_EQ((*incident)["properties"]["casebridge_case_id"], "case-1");
  auto comments = fake_.comments(std::stoll(id));
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_EQ(comments[0]["text"],
            json({{"format", "text"}, {"content", "first"}}));

  // The create request: discovered_date is "now", the field metadata was
  // fetched first because of additionalFields.
  auto requests = fake_.server().requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].path, "/rest/orgs/201/types/incident/fields");
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].path, "/rest/orgs/201/incidents");
  EXPECT_EQ(requests[1].query, "text_content_output_format=objects_convert");
  json body = json::parse(requests[1].body);
  EXPECT_TRUE(body["discovered_date"].is_number_integer());
  EXPECT_EQ(body["incident_type_ids"],
            json::array({{{"id", 1001}}, {{"id", 16}}}));
  EXPECT_EQ(body["severity_code"], json({{"id", 5}}));
  EXPECT_EQ(requests[1].Header("Content-Type"), "application/json");
}

TEST_F(ResilientTest, PushWithoutOptionalFieldsSendsOnlyNameAndDate) {
  auto instance = Make();
  json result = CreateIncident(instance.get(), {{"name", "Only a name"}});
  ASSERT_TRUE(result.contains("id"));
  EXPECT_FALSE(result.contains("comments"));
  auto requests = fake_.server().requests();
  ASSERT_EQ(requests.size(), 1u);
  json body = json::parse(requests[0].body);
  EXPECT_EQ(body.size(), 2u) << body.dump();
  EXPECT_TRUE(body.contains("discovered_date"));
}

TEST_F(ResilientTest, CreateRejectsSelectValueNotAllowed) {
  auto instance = Make();
  ExecuteOutcome out =
      Run(instance.get(), "pushToService",
          {{"incident",
            {{"name", "x"}, {"additionalFields", {{"custom_select", 999}}}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.message,
              StartsWith("[Action][IBM Resilient]: Unable to create incident. "
                         "Error: Invalid values provided to custom_select"));
  EXPECT_THAT(out.message,
              HasSubstr("Accepted values: 101 (for \"Alpha\"),102 (for "
                        "\"Beta\")"));
  EXPECT_FALSE(out.retryable);
  EXPECT_EQ(fake_.incident_count(), 0u);
}

TEST_F(ResilientTest, UpdateSendsChangesShapedByInputType) {
  auto instance = Make();
  json created = CreateIncident(
      instance.get(), {{"name", "Old name"},
                       {"description", "old text"},
                       {"incidentTypes", {1001, 16, 12}},
                       {"severityCode", 6},
                       {"additionalFields", {{"custom_select", 101}}}});
  const std::string id = created["id"];
  fake_.server().ClearRequests();

  ExecuteOutcome out = Run(
      instance.get(), "pushToService",
      {{"incident",
        {{"name", "New name"},
         {"description", "new text"},
         {"externalId", id},
         {"incidentTypes", {"1001"}},
         {"severityCode", "5"},
         {"additionalFields",
          {{"custom_select", 102},
           {"custom_flag", true},
           {"custom_count", 3},
           {"custom_notes", "notes"}}}}},
       {"comments", {{{"comment", "update comment"}, {"commentId", "c9"}}}}});
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.data["id"], id);
  EXPECT_EQ(out.data["url"], fake_.base_url() + "/#incidents/" + id);
  EXPECT_EQ(out.data["comments"][0]["commentId"], "c9");

  // GET incident -> GET fields -> PATCH -> GET incident -> POST comment.
  auto requests = fake_.server().requests();
  std::vector<std::string> calls;
  for (const auto& r : requests) calls.push_back(r.method + " " + r.path);
  const std::string inc = "/rest/orgs/201/incidents/" + id;
  EXPECT_THAT(
      calls,
      ElementsAre("GET " + inc, "GET /rest/orgs/201/types/incident/fields",
                  "PATCH " + inc, "GET " + inc, "POST " + inc + "/comments"));

  auto patches = fake_.patches();
  ASSERT_EQ(patches.size(), 1u);
  std::map<std::string, json> changes;
  for (const json& c : patches[0]["changes"]) {
    changes[c["field"]["name"]] = c;
  }
  EXPECT_EQ(changes["name"]["old_value"], json({{"text", "Old name"}}));
  EXPECT_EQ(changes["name"]["new_value"], json({{"text", "New name"}}));
  EXPECT_EQ(
      changes["description"]["new_value"],
      json({{"textarea", {{"format", "html"}, {"content", "new text"}}}}));
  EXPECT_EQ(changes["incident_type_ids"]["old_value"],
            json({{"ids", {1001, 16, 12}}}));
  EXPECT_EQ(changes["incident_type_ids"]["new_value"], json({{"ids", {1001}}}));
  EXPECT_EQ(changes["severity_code"]["old_value"], json({{"id", 6}}));
  EXPECT_EQ(changes["severity_code"]["new_value"], json({{"id", 5}}));
  EXPECT_EQ(changes["custom_select"]["old_value"], json({{"id", 101}}));
  EXPECT_EQ(changes["custom_select"]["new_value"], json({{"id", 102}}));
  EXPECT_EQ(changes["custom_flag"]["new_value"], json({{"boolean", true}}));
  EXPECT_EQ(changes["custom_count"]["new_value"], json({{"object", 3}}));
  EXPECT_EQ(changes["custom_notes"]["new_value"],
            json({{"textarea", {{"format", "text"}, {"content", "notes"}}}}));

  auto incident = fake_.incident(std::stoll(id));
  EXPECT_EQ((*incident)["name"], "New name");
  EXPECT_EQ((*incident)["severity_code"], 5);
  EXPECT_EQ((*incident)["properties"]["custom_flag"], true);
  EXPECT_GT((*incident)["inc_last_modified_date"].get<int64_t>(),
            (*incident)["create_date"].get<int64_t>());
}

TEST_F(ResilientTest, UpdateFailsWithoutFieldMetadata) {
  auto instance = Make();
  int64_t id = fake_.SeedIncident({{"name", "seeded"}});
  ExecuteOutcome out =
      Run(instance.get(), "pushToService",
          {{"incident",
            {{"name", "n"},
             {"externalId", std::to_string(id)},
             {"additionalFields", {{"no_such_field", "x"}}}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out.message,
            "[Action][IBM Resilient]: Unable to update incident with id " +
                std::to_string(id) +
                ". Error: No metadata found for field no_such_field.");
  EXPECT_TRUE(fake_.patches().empty());
}

TEST_F(ResilientTest, UpdateReportsUnsuccessfulPatch) {
  auto instance = Make();
  int64_t id = fake_.SeedIncident({{"name", "seeded"}});
  fake_.SetPatchFailure("locked by workflow");
  ExecuteOutcome out =
      Run(instance.get(), "pushToService",
          {{"incident", {{"name", "n"}, {"externalId", std::to_string(id)}}}});
  EXPECT_FALSE(out.ok());
  EXPECT_THAT(out.message,
              HasSubstr("Error while updating incident: locked by workflow"));
  EXPECT_FALSE(out.retryable);
}

TEST_F(ResilientTest, UpdateOfMissingIncidentIsNotFound) {
  auto instance = Make();
  ExecuteOutcome out =
      Run(instance.get(), "pushToService",
          {{"incident", {{"name", "n"}, {"externalId", "999"}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kNotFound);
  EXPECT_EQ(out.message,
            "[Action][IBM Resilient]: Unable to update incident with id 999. "
            "Error: [Action][IBM Resilient]: Unable to get incident with id "
            "999. Error: Status code: 404. Message: API Error: Incident 999 "
            "not found..");
  EXPECT_FALSE(out.retryable);
}

TEST_F(ResilientTest, GetIncidentFieldsTypesAndSeverity) {
  auto instance = Make();
  int64_t id = fake_.SeedIncident({{"name", "seeded"}, {"severity_code", 4}});

  ExecuteOutcome got =
      Run(instance.get(), "getIncident", {{"externalId", std::to_string(id)}});
  ASSERT_TRUE(got.ok()) << got.message;
  EXPECT_EQ(got.data["id"], id);
  EXPECT_EQ(got.data["name"], "seeded");

  ExecuteOutcome fields = Run(instance.get(), "getFields", json::object());
  ASSERT_TRUE(fields.ok()) << fields.message;
  ASSERT_EQ(fields.data.size(), fake_.fields().size());
  EXPECT_EQ(fields.data[0], json({{"name", "name"},
                                  {"input_type", "text"},
                                  {"read_only", false},
                                  {"required", "always"},
                                  {"text", "name"},
                                  {"prefix", nullptr},
                                  {"values", nullptr}}));

  ExecuteOutcome types = Run(instance.get(), "incidentTypes", json::object());
  ASSERT_TRUE(types.ok()) << types.message;
  EXPECT_EQ(types.data, json::parse(R"([{"id":"1001","name":"Malware"},
      {"id":"16","name":"Phishing"},{"id":"12","name":"Denial of Service"}])"));

  ExecuteOutcome severity = Run(instance.get(), "severity", json::object());
  ASSERT_TRUE(severity.ok()) << severity.message;
  EXPECT_EQ(severity.data, json::parse(R"([{"id":"4","name":"Low"},
      {"id":"5","name":"Medium"},{"id":"6","name":"High"}])"));

  auto requests = fake_.server().requests();
  EXPECT_EQ(requests.back().path,
            "/rest/orgs/201/types/incident/fields/severity_code");
  EXPECT_EQ(requests.back().body, "");

  ExecuteOutcome handshake = Run(instance.get(), "handshake", json::object());
  EXPECT_TRUE(handshake.ok()) << handshake.message;
}

TEST_F(ResilientTest, BadCredentialsAreUnauthenticatedAndPermanent) {
  auto instance =
      Make(Config(), {{"apiKeyId", kKeyId}, {"apiKeySecret", "wrong"}});
  ExecuteOutcome out = Run(instance.get(), "handshake", json::object());
  EXPECT_EQ(out.code, absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(out.message,
            "[Action][IBM Resilient]: Unable to get severity. Error: Status "
            "code: 401. Message: Unauthorized API Error.");
  EXPECT_FALSE(out.retryable);
}

TEST_F(ResilientTest, ServerErrorsAreRetryableWithRetryAfter) {
  auto instance = Make();
  fake_.FailNext(1, 503, "maintenance", "7");
  ExecuteOutcome out = Run(instance.get(), "incidentTypes", json::object());
  EXPECT_EQ(out.code, absl::StatusCode::kUnavailable);
  EXPECT_EQ(out.message,
            "[Action][IBM Resilient]: Unable to get incident types. Error: "
            "Status code: 503. Message: API Error: maintenance.");
  EXPECT_TRUE(out.retryable);
  EXPECT_EQ(out.retry_after_ms, 7000);

  fake_.FailNext(1, 429, "slow down", "2");
  out = Run(instance.get(), "pushToService", {{"incident", {{"name", "x"}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(out.retryable);
  EXPECT_EQ(out.retry_after_ms, 2000);
  EXPECT_EQ(fake_.incident_count(), 0u);

  // A 4xx without a JSON message uses the status text.
  fake_.server().InjectFaults(1, FakeResponse::Text(400, "nope"), "/rest/");
  out = Run(instance.get(), "severity", json::object());
  EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.message, HasSubstr("Status code: 400. Message: API Error: "
                                     "Bad Request."));
  EXPECT_FALSE(out.retryable);
}

TEST_F(ResilientTest, SystemDownIsUnavailableAndRetryable) {
  auto instance = Make(
      Config({{"apiUrl", "http://127.0.0.1:" + std::to_string(UnusedPort())}}),
      Secrets());
  ExecuteOutcome out =
      Run(instance.get(), "pushToService", {{"incident", {{"name", "x"}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kUnavailable);
  EXPECT_THAT(out.message,
              StartsWith("[Action][IBM Resilient]: Unable to create incident. "
                         "Error: Status code: undefined. Message: Unknown API "
                         "Error"));
  EXPECT_TRUE(out.retryable);
}

TEST_F(ResilientTest, HangingSystemHitsTheCallDeadline) {
  auto instance = Make();
  fake_.server().InjectFaults(1, FakeResponse::Hang(), "/rest/");
  plugin_host::CallOptions options;
  options.deadline = absl::Now() + absl::Milliseconds(500);
  ExecuteOutcome out = Run(instance.get(), "severity", json::object(), options);
  fake_.server().ReleaseHangs();
  EXPECT_EQ(out.code, absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(out.retryable);
}

TEST_F(ResilientTest, MalformedResponsesAreErrorsNotCrashes) {
  auto instance = Make();
  fake_.server().InjectFaults(
      1, FakeResponse::Json(200, R"({"create_date":1589391874472})"),
      "/rest/orgs/201/incidents");
  ExecuteOutcome out =
      Run(instance.get(), "pushToService", {{"incident", {{"name", "x"}}}});
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(out.message,
            "[Action][IBM Resilient]: Unable to create incident. Error: "
            "Response validation failed (id: expected a number, received "
            "undefined).");
  EXPECT_FALSE(out.retryable);

  fake_.server().InjectFaults(1, FakeResponse::Html(200), "/rest/");
  out = Run(instance.get(), "getFields", json::object());
  EXPECT_THAT(out.message, HasSubstr("Response validation failed"));

  fake_.server().InjectFaults(
      1, FakeResponse::Json(200, R"([{"name":"x","input_type":"text"}])"),
      "/rest/");
  out = Run(instance.get(), "getFields", json::object());
  EXPECT_THAT(out.message, HasSubstr("Response validation failed ([0]"));

  // Kibana's own simulator answers with a string id: accepted.
  fake_.server().InjectFaults(
      1, FakeResponse::Json(200, R"({"id":"123","create_date":1589391874472})"),
      "/rest/orgs/201/incidents");
  out = Run(instance.get(), "pushToService", {{"incident", {{"name", "x"}}}});
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.data["id"], "123");
  EXPECT_EQ(out.data["pushedDate"], "2020-05-13T17:44:34.472Z");
}

TEST_F(ResilientTest, ParamsAreValidated) {
  auto instance = Make();
  auto expect_invalid = [&](const json& params, const std::string& text) {
    ExecuteOutcome out = Run(instance.get(), "pushToService", params);
    EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument) << params.dump();
    EXPECT_THAT(out.message, HasSubstr(text)) << params.dump();
  };
  expect_invalid({{"incident", {{"description", "d"}}}},
                 "Request validation failed (incident.name");
  expect_invalid({{"incident", {{"name", "n"}, {"bogus", 1}}}},
                 "incident.bogus: unknown field");
  expect_invalid({{"incident", {{"name", "n"}, {"severityCode", "high"}}}},
                 "incident.severityCode: expected a number");
  expect_invalid(
      {{"incident", {{"name", "n"}, {"additionalFields", {{"name", "x"}}}}}},
      "property name is not allowed");
  json many = json::object();
  for (int i = 0; i < 51; ++i) many["f" + std::to_string(i)] = i;
  expect_invalid({{"incident", {{"name", "n"}, {"additionalFields", many}}}},
                 "a maximum of 50 fields");
  expect_invalid({{"incident", {{"name", "n"}, {"externalId", "../1"}}}},
                 "incident.externalId");
  expect_invalid({{"incident", {{"name", "n"}}}, {"comments", {{{"x", 1}}}}},
                 "comments[0].x");
  EXPECT_EQ(fake_.server().request_count(), 0u);

  // additionalFields may be a JSON string.
  ExecuteOutcome out =
      Run(instance.get(), "pushToService",
          {{"incident",
            {{"name", "n"}, {"additionalFields", R"({"custom_flag":true})"}}}});
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(
      (*fake_.incident(std::stoll(
          out.data["id"].get<std::string>())))["properties"]["custom_flag"],
      true);
}

TEST_F(ResilientTest, FindByCaseIdReturnsTheIncidentOrNull) {
  auto instance = Make();
  json created =
      CreateIncident(instance.get(), {{"name", "n"}, {"caseId", "case-42"}});
  CreateIncident(instance.get(), {{"name", "other"}, {"caseId", "case-7"}});

  ExecuteOutcome found =
      Run(instance.get(), "findByCaseId", {{"caseId", "case-42"}});
  ASSERT_TRUE(found.ok()) << found.message;
  EXPECT_EQ(found.data["id"], created["id"]);
  EXPECT_EQ(found.data["url"], created["url"]);
  auto requests = fake_.server().requests();
  EXPECT_EQ(requests.back().path, "/rest/orgs/201/incidents/query_paged");
  EXPECT_EQ(requests.back().query, "return_level=normal");

  ExecuteOutcome missing =
      Run(instance.get(), "findByCaseId", {{"caseId", "case-0"}});
  ASSERT_TRUE(missing.ok()) << missing.message;
  EXPECT_TRUE(missing.data.is_null());

  json config = Config();
  config.erase("caseIdField");
  auto plain = Make(config, Secrets());
  ExecuteOutcome unsupported =
      Run(plain.get(), "findByCaseId", {{"caseId", "case-42"}});
  EXPECT_EQ(unsupported.code, absl::StatusCode::kFailedPrecondition);
  // Without caseIdField the case id is not written.
  json other = CreateIncident(plain.get(), {{"name", "n"}, {"caseId", "c"}});
  EXPECT_FALSE((*fake_.incident(
      std::stoll(other["id"].get<std::string>())))["properties"]
                   .contains("casebridge_case_id"));
}

TEST_F(ResilientTest, CommentFailureNamesTheIncident) {
  auto instance = Make();
  fake_.server().InjectFaults(
      1, FakeResponse::Json(500, R"({"success":false,"message":"db down"})"),
      "/rest/orgs/201/incidents/2000/comments");
  ExecuteOutcome out =
      Run(instance.get(), "pushToService",
          {{"incident", {{"name", "n"}}},
           {"comments", {{{"comment", "c"}, {"commentId", "1"}}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kUnavailable);
  EXPECT_EQ(out.message,
            "[Action][IBM Resilient]: Unable to create comment at incident "
            "with id 2000. Error: Status code: 500. Message: API Error: db "
            "down.");
  EXPECT_EQ(fake_.incident_count(), 1u);
}

TEST_F(ResilientTest, TrailingAndDuplicateSlashesAreNormalised) {
  auto instance = Make(Config({{"apiUrl", fake_.base_url() + "/"}}), Secrets());
  json result = CreateIncident(instance.get(), {{"name", "n"}});
  EXPECT_EQ(result["url"], fake_.base_url() + "/#incidents/" +
                               result["id"].get<std::string>());
  EXPECT_EQ(fake_.server().requests()[0].path, "/rest/orgs/201/incidents");
}

}  // namespace
}  // namespace casebridge::testing

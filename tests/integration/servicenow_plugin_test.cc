// The ServiceNow plugin (build/plugins/servicenow.so) loaded by the real
// plugin host and run against FakeServiceNow over real loopback HTTP through
// the server's CurlHostHttp over the libcurl HttpClient: every sub-action in
// import-set and Table API mode, Basic and OAuth (JWT bearer) auth, token
// caching/expiry/purge, validation rules and failure classes.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/http/http_client.h"
#include "server/plugin_host/curl_host_http.h"
#include "server/plugin_host/plugin_loader.h"
#include "server/plugin_host/token_cache.h"
#include "tests/abi/test_keys.h"
#include "tests/fakes/fake_servicenow.h"

namespace casebridge {
namespace {

using json = nlohmann::json;
using plugin_host::CallOptions;
using plugin_host::ExecuteOutcome;
using plugin_host::PluginInstance;
using plugin_host::PluginModule;
using ::testing::ElementsAre;
using testing::FakeRequest;
using testing::FakeServiceNow;
using testing::FakeServiceNowOptions;
using ::testing::HasSubstr;
using ::testing::Not;

// A token cache whose clock can be moved forward, to expire tokens without
// sleeping.
class ClockedTokenCache : public plugin_host::TokenCache {
 public:
  absl::StatusOr<std::optional<std::string>> Get(std::string_view connector_id,
                                                 std::string_view key,
                                                 absl::Time now) override {
    return inner_.Get(connector_id, key, now + skew_);
  }
  absl::Status Put(std::string_view connector_id, std::string_view key,
                   std::string_view value, absl::Time expires_at) override {
    ++puts_;
    return inner_.Put(connector_id, key, value, expires_at + skew_);
  }
  absl::Status Delete(std::string_view connector_id,
                      std::string_view key) override {
    ++deletes_;
    return inner_.Delete(connector_id, key);
  }
  void Advance(absl::Duration d) { skew_ += d; }
  int puts_ = 0;
  int deletes_ = 0;

 private:
  plugin_host::InMemoryTokenCache inner_;
  absl::Duration skew_ = absl::ZeroDuration();
};

const test_keys::TestKey& Key() {
  static const test_keys::TestKey* key =
      new test_keys::TestKey(test_keys::MakeRsaKey());
  return *key;
}

class ServiceNowPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::HttpClientOptions http_options;
    http_options.egress.allowed_private_cidrs = {"127.0.0.1/32"};
    http_options.response_timeout = absl::Seconds(10);
    auto client = http::HttpClient::Create(http_options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    http_ = std::make_unique<plugin_host::CurlHostHttp>(client_.get());
    FakeServiceNowOptions options;
    options.jwt_public_key_pem = Key().public_pem;
    options.token_expires_in_seconds = 1800;
    sn_ = std::make_unique<FakeServiceNow>(options);
    sn_->Start();
    plugin_host::LoaderOptions loader;
    loader.services.http = http_.get();
    loader.services.token_cache = &tokens_;
    auto module =
        plugin_host::LoadPluginFile(CASEBRIDGE_SERVICENOW_PLUGIN, loader);
    ASSERT_TRUE(module.ok()) << module.status();
    module_ = *module;
  }

  json BasicConfig(bool table_api) const {
    return {{"apiUrl", sn_->base_url() + "/"},
            {"isOAuth", false},
            {"usesTableApi", table_api}};
  }
  json BasicSecrets() const {
    return {{"username", "elastic"}, {"password", "changeme"}};
  }
  json OAuthConfig(bool table_api) const {
    return {{"apiUrl", sn_->base_url()},
            {"isOAuth", true},
            {"usesTableApi", table_api},
            {"clientId", "sn-client-id"},
            {"jwtKeyId", "sn-kid-1"},
            {"userIdentifierValue", "elastic@example.com"}};
  }
  json OAuthSecrets(bool encrypted = false, std::string passphrase = "") const {
    json secrets = {{"clientSecret", "sn-client-secret"},
                    {"privateKey", encrypted ? Key().encrypted_private_pem
                                             : Key().private_pem}};
    if (encrypted) {
      secrets["privateKeyPassword"] =
          passphrase.empty() ? Key().passphrase : passphrase;
    }
    return secrets;
  }

  std::unique_ptr<PluginInstance> Make(const std::string& type,
                                       const json& config, const json& secrets,
                                       const std::string& id = "conn-1") {
    auto instance = PluginInstance::Create(module_, type, id, config, secrets);
    EXPECT_TRUE(instance.ok()) << instance.status();
    return instance.ok() ? std::move(*instance) : nullptr;
  }

  ExecuteOutcome Run(PluginInstance& instance, const std::string& sub_action,
                     const json& params,
                     absl::Duration timeout = absl::Seconds(20)) {
    CallOptions options;
    options.deadline = absl::Now() + timeout;
    auto outcome = instance.Execute(sub_action, params, options);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : ExecuteOutcome{};
  }

  // "METHOD path" of every request the fake received.
  std::vector<std::string> Calls() const {
    std::vector<std::string> out;
    for (const FakeRequest& r : sn_->requests()) {
      out.push_back(r.method + " " + r.path);
    }
    return out;
  }

  static json Incident(const std::string& title,
                       const std::string& correlation_id = "case-1") {
    return {{"short_description", title},
            {"description", "Details\n\nAdded by elastic."},
            {"externalId", nullptr},
            {"correlation_id", correlation_id},
            {"correlation_display", "Elastic Case"},
            {"urgency", "2"}};
  }

  static std::string Iso(const json& record, const char* field) {
    std::string v = record[field].get<std::string>();
    v[10] = 'T';
    return v + ".000Z";
  }

  std::unique_ptr<http::HttpClient> client_;
  std::unique_ptr<plugin_host::CurlHostHttp> http_;
  ClockedTokenCache tokens_;
  std::unique_ptr<FakeServiceNow> sn_;
  std::shared_ptr<PluginModule> module_;
};

constexpr char kItsm[] = ".servicenow";
constexpr char kSir[] = ".servicenow-sir";
constexpr char kHealth[] = "GET /api/x_elas2_inc_int/elastic_api/health";
constexpr char kImport[] =
    "POST /api/now/import/x_elas2_inc_int_elastic_incident";

// ---------------------------------------------------------------------------
// Descriptor and validation.

TEST_F(ServiceNowPluginTest, DescriptorDeclaresBothTypesWithMappings) {
  ASSERT_EQ(module_->connector_types().size(), 2u);
  const auto* itsm = module_->FindType(kItsm);
  const auto* sir = module_->FindType(kSir);
  ASSERT_NE(itsm, nullptr);
  ASSERT_NE(sir, nullptr);
  EXPECT_EQ(itsm->name, "ServiceNow ITSM");
  EXPECT_NE(itsm->FindSubAction("closeIncident"), nullptr);
  EXPECT_EQ(sir->FindSubAction("closeIncident"), nullptr);
  for (const char* sub :
       {"pushToService", "getIncident", "getFields", "getChoices", "handshake",
        "findIncidentByCorrelationId"}) {
    EXPECT_NE(itsm->FindSubAction(sub), nullptr) << sub;
    EXPECT_NE(sir->FindSubAction(sub), nullptr) << sub;
  }
  ASSERT_EQ(itsm->default_mappings.size(), 3u);
  EXPECT_EQ(itsm->default_mappings[0].source, "title");
  EXPECT_EQ(itsm->default_mappings[0].target, "short_description");
  EXPECT_EQ(itsm->default_mappings[0].action, "overwrite");
  EXPECT_EQ(itsm->default_mappings[1].target, "description");
  EXPECT_EQ(itsm->default_mappings[2].source, "comments");
  EXPECT_EQ(itsm->default_mappings[2].target, "work_notes");
  EXPECT_EQ(itsm->default_mappings[2].action, "append");
  EXPECT_EQ(itsm->config_schema["properties"]["usesTableApi"]["default"], true);
  EXPECT_EQ(itsm->config_schema["required"], json::array({"apiUrl"}));
}

struct RuleCase {
  json config;
  json secrets;
  std::string expected;
};

TEST_F(ServiceNowPluginTest, ValidateConfigEnforcesEveryCrossFieldRule) {
  const std::string url = "https://dev.service-now.com";
  const json basic = {{"username", "u"}, {"password", "p"}};
  const json oauth_secrets = {{"clientSecret", "s"},
                              {"privateKey", Key().private_pem}};
  const json oauth_config = {{"apiUrl", url},
                             {"isOAuth", true},
                             {"clientId", "c"},
                             {"jwtKeyId", "k"},
                             {"userIdentifierValue", "u@x"}};
  std::vector<RuleCase> cases = {
      {{{"apiUrl", url}},
       json::object(),
       "Either basic auth or OAuth credentials must be specified"},
      {{{"apiUrl", url}},
       {{"username", "u"}},
       "username and password must both be specified"},
      {{{"apiUrl", url},
        {"isOAuth", true},
        {"jwtKeyId", "k"},
        {"userIdentifierValue", "u"}},
       oauth_secrets,
       "clientId must be provided when isOAuth = true"},
      {{{"apiUrl", url},
        {"isOAuth", true},
        {"clientId", "c"},
        {"userIdentifierValue", "u"}},
       oauth_secrets,
       "jwtKeyId must be provided when isOAuth = true"},
      {{{"apiUrl", url},
        {"isOAuth", true},
        {"clientId", "c"},
        {"jwtKeyId", "k"}},
       oauth_secrets,
       "userIdentifierValue must be provided when isOAuth = true"},
      {oauth_config,
       {{"clientSecret", "s"}},
       "clientSecret and privateKey must both be specified"},
      {oauth_config,
       {{"clientSecret", "s"},
        {"privateKey", Key().private_pem},
        {"username", "u"},
        {"password", "p"}},
       "username should not be provided with isOAuth = true"},
      {oauth_config, basic,
       "clientSecret must be provided when isOAuth = true"},
      {{{"apiUrl", url}, {"clientId", "c"}},
       basic,
       "clientId should not be provided with isOAuth = false"},
      {{{"apiUrl", url}},
       {{"username", "u"}, {"password", "p"}, {"privateKeyPassword", "x"}},
       "privateKeyPassword should not be provided with isOAuth = false"},
      {{{"apiUrl", url}},
       oauth_secrets,
       "username must be provided when isOAuth = false"},
      {{{"apiUrl", ""}}, basic, "apiUrl must not be empty"},
      {{{"apiUrl", "ftp://x"}}, basic, "apiUrl must be an http:// or https://"},
      {{{"apiUrl", url}},
       {{"username", "u"}, {"password", ""}},
       "password must not be empty"},
      {oauth_config,
       {{"clientSecret", "s"}, {"privateKey", "not a pem"}},
       "privateKey must be a PEM-encoded RSA private key"},
  };
  for (const RuleCase& c : cases) {
    absl::Status status =
        plugin_host::ValidateConfig(*module_, kItsm, c.config, c.secrets);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << c.config << c.secrets;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.expected))
        << c.config << c.secrets;
    // instance_create applies the same rules.
    auto instance =
        PluginInstance::Create(module_, kSir, "x", c.config, c.secrets);
    EXPECT_FALSE(instance.ok());
  }
  EXPECT_TRUE(
      plugin_host::ValidateConfig(*module_, kItsm, {{"apiUrl", url}}, basic)
          .ok());
  EXPECT_TRUE(
      plugin_host::ValidateConfig(*module_, kSir, oauth_config, oauth_secrets)
          .ok());
  EXPECT_TRUE(sn_->requests().empty());  // validation never calls out
}

// ---------------------------------------------------------------------------
// Import-set mode (Basic auth).

TEST_F(ServiceNowPluginTest, ImportSetCreateWithCommentsAsWorkNotes) {
  auto sn = Make(kItsm, BasicConfig(false), BasicSecrets());
  json params = {{"incident", Incident("Malware on host-1")},
                 {"comments",
                  {{{"comment", "first note"}, {"commentId", "c-1"}},
                   {{"comment", "second note"}, {"commentId", "c-2"}}}}};
  ExecuteOutcome out = Run(*sn, "pushToService", params);
  ASSERT_TRUE(out.ok()) << out.message;

  std::vector<json> records = sn_->Incidents("incident");
  ASSERT_EQ(records.size(), 1u);
  const json& record = records[0];
  EXPECT_EQ(record["short_description"], "Malware on host-1");
  EXPECT_EQ(record["correlation_id"], "case-1");
  EXPECT_EQ(record["correlation_display"], "Elastic Case");
  EXPECT_EQ(record["caller_id"], "elastic");
  EXPECT_EQ(record["opened_by"], "elastic");
  EXPECT_EQ(record["urgency"], "2");
  EXPECT_THAT(sn_->WorkNotes(record["sys_id"]),
              ElementsAre("first note", "second note"));

  const std::string id = record["sys_id"];
  const std::string base = sn_->base_url();
  // The record read right after the create carries sys_created_on; the
  // fake's clock moved on with the comment updates.
  EXPECT_EQ(out.data["id"], id);
  EXPECT_EQ(out.data["title"], record["number"]);
  EXPECT_EQ(out.data["url"], base + "/nav_to.do?uri=incident.do?sys_id=" + id);
  EXPECT_EQ(out.data["pushedDate"], Iso(record, "sys_created_on"));
  EXPECT_EQ(
      out.data["comments"],
      json::array(
          {{{"commentId", "c-1"}, {"pushedDate", out.data["pushedDate"]}},
           {{"commentId", "c-2"}, {"pushedDate", out.data["pushedDate"]}}}));

  const std::string get = "GET /api/now/v2/table/incident/" + id;
  EXPECT_THAT(Calls(), ElementsAre(kHealth, kImport, get, kHealth, kImport, get,
                                   kHealth, kImport, get));
  // The create body: every declared field u_-prefixed (null when unset),
  // caller, no elastic_incident_id; comment updates carry it and work notes.
  std::vector<FakeRequest> requests = sn_->requests();
  json create = json::parse(requests[1].body);
  EXPECT_EQ(create["u_short_description"], "Malware on host-1");
  EXPECT_TRUE(create.contains("u_category"));
  EXPECT_TRUE(create["u_category"].is_null());
  EXPECT_EQ(create["u_caller_id"], "elastic");
  EXPECT_FALSE(create.contains("elastic_incident_id"));
  EXPECT_FALSE(create.contains("short_description"));
  json note = json::parse(requests[4].body);
  EXPECT_EQ(note["elastic_incident_id"], id);
  EXPECT_EQ(note["u_work_notes"], "first note");
  EXPECT_FALSE(note.contains("u_caller_id"));
  EXPECT_THAT(*requests[1].Header("Authorization"), HasSubstr("Basic "));
  EXPECT_EQ(*requests[1].Header("Content-Type"), "application/json");
}

TEST_F(ServiceNowPluginTest, ImportSetUpdateWithAdditionalFields) {
  auto sn = Make(kItsm, BasicConfig(false), BasicSecrets());
  json created = sn_->AddIncident(
      "incident", {{"short_description", "old"}, {"correlation_id", "case-1"}});
  const std::string id = created["sys_id"];
  json incident = Incident("new title");
  incident["externalId"] = id;
  incident["additional_fields"] =
      R"({"assignment_group":"secops","u_custom_text":"x"})";
  ExecuteOutcome out = Run(*sn, "pushToService", {{"incident", incident}});
  ASSERT_TRUE(out.ok()) << out.message;
  json record = *sn_->Incident("incident", id);
  EXPECT_EQ(record["short_description"], "new title");
  EXPECT_EQ(record["assignment_group"], "secops");
  EXPECT_EQ(out.data["pushedDate"], Iso(record, "sys_updated_on"));
  EXPECT_NE(record["sys_updated_on"], record["sys_created_on"]);
  EXPECT_FALSE(out.data.contains("comments"));
  json body = json::parse(sn_->requests()[1].body);
  EXPECT_EQ(body["elastic_incident_id"], id);
  EXPECT_EQ(body["assignment_group"], "secops");  // additional: unprefixed
  EXPECT_FALSE(body.contains("u_caller_id"));     // only on create
  EXPECT_EQ(sn_->Incidents("incident").size(), 1u);
}

TEST_F(ServiceNowPluginTest, AdditionalFieldsRulesAndTableModeRefusal) {
  auto sn = Make(kItsm, BasicConfig(false), BasicSecrets());
  json too_many = json::object();
  for (int i = 0; i < 21; ++i) too_many["f" + std::to_string(i)] = "v";
  json incident = Incident("t");
  incident["additional_fields"] = too_many;
  ExecuteOutcome out = Run(*sn, "pushToService", {{"incident", incident}});
  EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.message, HasSubstr("at most 20 keys"));
  incident["additional_fields"] = {{"short_description", "x"}};
  out = Run(*sn, "pushToService", {{"incident", incident}});
  EXPECT_THAT(out.message, HasSubstr("may not set \"short_description\""));

  auto legacy = Make(kItsm, BasicConfig(true), BasicSecrets());
  incident["additional_fields"] = {{"assignment_group", "x"}};
  out = Run(*legacy, "pushToService", {{"incident", incident}});
  EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(out.retryable);
  EXPECT_THAT(out.message,
              HasSubstr("ServiceNow additional fields are not supported for "
                        "deprecated connectors."));
  EXPECT_TRUE(sn_->requests().empty());
}

TEST_F(ServiceNowPluginTest, CorrelationIdOver100CharactersIsRefused) {
  auto sn = Make(kItsm, BasicConfig(false), BasicSecrets());
  ExecuteOutcome out =
      Run(*sn, "pushToService",
          {{"incident", Incident("t", std::string(101, 'c'))}});
  EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.message, HasSubstr("at most 100 characters"));
  out = Run(*sn, "closeIncident",
            {{"incident", {{"correlation_id", std::string(101, 'c')}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
  out = Run(*sn, "pushToService",
            {{"incident", Incident("t", std::string(100, 'c'))}});
  EXPECT_TRUE(out.ok()) << out.message;
}

// ---------------------------------------------------------------------------
// Table API (legacy) mode.

TEST_F(ServiceNowPluginTest, TableApiCreateAndUpdateUnprefixed) {
  auto sn = Make(kItsm, BasicConfig(true), BasicSecrets());
  ExecuteOutcome out =
      Run(*sn, "pushToService",
          {{"incident", Incident("legacy")},
           {"comments", {{{"comment", "note"}, {"commentId", "c-1"}}}}});
  ASSERT_TRUE(out.ok()) << out.message;
  json record = sn_->Incidents("incident").at(0);
  const std::string id = record["sys_id"];
  EXPECT_EQ(out.data["pushedDate"], Iso(record, "sys_created_on"));
  EXPECT_THAT(sn_->WorkNotes(id), ElementsAre("note"));
  const std::string get = "GET /api/now/v2/table/incident/" + id;
  const std::string patch = "PATCH /api/now/v2/table/incident/" + id;
  EXPECT_THAT(Calls(),
              ElementsAre("POST /api/now/v2/table/incident", get, patch, get));
  json body = json::parse(sn_->requests()[0].body);
  EXPECT_EQ(body["short_description"], "legacy");
  EXPECT_EQ(body["caller_id"], "elastic");
  EXPECT_FALSE(body.contains("u_short_description"));

  sn_->http().ClearRequests();
  json incident = Incident("legacy v2");
  incident["externalId"] = id;
  out = Run(*sn, "pushToService", {{"incident", incident}});
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_THAT(Calls(), ElementsAre(patch, get));
  EXPECT_EQ(sn_->Incident("incident", id)->at("short_description"),
            "legacy v2");
  EXPECT_EQ(out.data["pushedDate"],
            Iso(*sn_->Incident("incident", id), "sys_updated_on"));
}

TEST_F(ServiceNowPluginTest, GetIncidentFieldsAndChoicesInBothModes) {
  for (bool table_api : {false, true}) {
    SCOPED_TRACE(table_api ? "table api" : "import set");
    auto sn = Make(kItsm, BasicConfig(table_api), BasicSecrets());
    json created = sn_->AddIncident("incident", {{"short_description", "x"}});
    ExecuteOutcome out =
        Run(*sn, "getIncident", {{"externalId", created["sys_id"]}});
    ASSERT_TRUE(out.ok()) << out.message;
    EXPECT_EQ(out.data["number"], created["number"]);
    EXPECT_EQ(out.data["short_description"], "x");

    out = Run(*sn, "getIncident", {{"externalId", "missing"}});
    EXPECT_EQ(out.code, absl::StatusCode::kNotFound);
    EXPECT_THAT(out.message,
                HasSubstr("[Action][ServiceNow]: Unable to get incident with "
                          "id missing. Error: Request failed with status code "
                          "404 Reason: No Record found: Record doesn't exist"));
    EXPECT_THAT(out.message,
                HasSubstr("[status=404] [method=get] [endpoint=table]"));

    out = Run(*sn, "getFields", json::object());
    ASSERT_TRUE(out.ok()) << out.message;
    ASSERT_TRUE(out.data.is_array());
    EXPECT_EQ(out.data[0]["element"], "short_description");
    EXPECT_EQ(out.data[0]["max_length"], "160");

    out = Run(*sn, "getChoices", {{"fields", {"urgency", "category"}}});
    ASSERT_TRUE(out.ok()) << out.message;
    ASSERT_EQ(out.data.size(), 4u);
    EXPECT_EQ(out.data[3], json({{"label", "Network"},
                                 {"value", "network"},
                                 {"dependent_value", ""},
                                 {"element", "category"}}));
  }
}

// ---------------------------------------------------------------------------
// closeIncident and the correlation-id lookup.

TEST_F(ServiceNowPluginTest, CloseIncidentByIdAndByCorrelationId) {
  for (bool table_api : {false, true}) {
    SCOPED_TRACE(table_api ? "table api" : "import set");
    const std::string cid = table_api ? "case-t" : "case-i";
    auto sn = Make(kItsm, BasicConfig(table_api), BasicSecrets());
    json older = sn_->AddIncident(
        "incident", {{"short_description", "a"}, {"correlation_id", cid}});
    json newer = sn_->AddIncident(
        "incident", {{"short_description", "b"}, {"correlation_id", cid}});
    sn_->http().ClearRequests();

    // By correlation id: the most recently created one is closed.
    ExecuteOutcome out =
        Run(*sn, "closeIncident", {{"incident", {{"correlation_id", cid}}}});
    ASSERT_TRUE(out.ok()) << out.message;
    json closed = *sn_->Incident("incident", newer["sys_id"]);
    EXPECT_EQ(closed["state"], "7");
    EXPECT_EQ(closed["close_code"], "Closed/Resolved by Caller");
    EXPECT_EQ(closed["close_notes"], "Closed by Caller");
    EXPECT_EQ(sn_->Incident("incident", older["sys_id"])->at("state"), "1");
    EXPECT_EQ(out.data["id"], newer["sys_id"]);
    EXPECT_EQ(out.data["pushedDate"], Iso(closed, "sys_updated_on"));
    EXPECT_EQ(sn_->requests().size(), table_api ? 3u : 4u);
    EXPECT_EQ(sn_->requests()[0].Param("sysparm_query"),
              "ORDERBYDESCsys_created_on^correlation_id=" + cid);

    // Already closed: no update, same answer.
    sn_->http().ClearRequests();
    ExecuteOutcome again =
        Run(*sn, "closeIncident", {{"incident", {{"correlation_id", cid}}}});
    ASSERT_TRUE(again.ok()) << again.message;
    EXPECT_EQ(again.data, out.data);
    EXPECT_EQ(sn_->requests().size(), 1u);

    // By external id.
    out = Run(*sn, "closeIncident",
              {{"incident", {{"externalId", older["sys_id"]}}}});
    ASSERT_TRUE(out.ok()) << out.message;
    EXPECT_EQ(sn_->Incident("incident", older["sys_id"])->at("state"), "7");

    // Nothing found: null, no error.
    out = Run(*sn, "closeIncident",
              {{"incident", {{"correlation_id", "nobody"}}}});
    ASSERT_TRUE(out.ok()) << out.message;
    EXPECT_TRUE(out.data.is_null());
    out = Run(*sn, "closeIncident", {{"incident", {{"externalId", "gone"}}}});
    ASSERT_TRUE(out.ok()) << out.message;
    EXPECT_TRUE(out.data.is_null());

    out = Run(
        *sn, "closeIncident",
        {{"incident", {{"externalId", nullptr}, {"correlation_id", nullptr}}}});
    EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(out.message,
                HasSubstr("No correlationId or incidentId found."));
  }
}

TEST_F(ServiceNowPluginTest, FindIncidentByCorrelationIdForDuplicateChecks) {
  auto sn = Make(kItsm, BasicConfig(false), BasicSecrets());
  ExecuteOutcome out =
      Run(*sn, "findIncidentByCorrelationId", {{"correlation_id", "case-42"}});
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_TRUE(out.data.is_null());

  ASSERT_TRUE(
      Run(*sn, "pushToService", {{"incident", Incident("t", "case-42")}}).ok());
  json record = sn_->Incidents("incident").at(0);
  out =
      Run(*sn, "findIncidentByCorrelationId", {{"correlation_id", "case-42"}});
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.data["id"], record["sys_id"]);
  EXPECT_EQ(out.data["title"], record["number"]);
  EXPECT_EQ(out.data["state"], "1");
  EXPECT_EQ(out.data["createdDate"], Iso(record, "sys_created_on"));
  EXPECT_EQ(out.data["url"], sn_->base_url() +
                                 "/nav_to.do?uri=incident.do?sys_id=" +
                                 record["sys_id"].get<std::string>());
}

// ---------------------------------------------------------------------------
// SecOps.

TEST_F(ServiceNowPluginTest, SirImportSetSendsDeduplicatedObservables) {
  auto sn = Make(kSir, BasicConfig(false), BasicSecrets());
  json incident = {{"short_description", "Intrusion"},
                   {"correlation_id", "case-9"},
                   {"dest_ip", "10.0.0.1, 10.0.0.2|10.0.0.1"},
                   {"source_ip", {"10.0.0.2", "10.0.0.3\n"}},
                   {"malware_hash", "abc\tdef abc"},
                   {"malware_url", nullptr},
                   {"priority", "1"}};
  ExecuteOutcome out = Run(*sn, "pushToService", {{"incident", incident}});
  ASSERT_TRUE(out.ok()) << out.message;
  json record = sn_->Incidents("sn_si_incident").at(0);
  const std::string id = record["sys_id"];
  EXPECT_EQ(out.data["url"],
            sn_->base_url() + "/nav_to.do?uri=sn_si_incident.do?sys_id=" + id);
  EXPECT_THAT(record["number"].get<std::string>(), HasSubstr("SIR"));
  EXPECT_FALSE(record.contains("dest_ip"));  // sent as null
  EXPECT_EQ(sn_->Observables(id),
            json::parse(R"([{"value":"10.0.0.1","type":"ipv4-addr"},
                            {"value":"10.0.0.2","type":"ipv4-addr"},
                            {"value":"10.0.0.3","type":"ipv4-addr"},
                            {"value":"abc","type":"SHA256"},
                            {"value":"def","type":"SHA256"}])"));
  const std::string health = "GET /api/x_elas2_sir_int/elastic_api/health";
  EXPECT_THAT(
      Calls(),
      ElementsAre(health,
                  "POST /api/now/import/x_elas2_sir_int_elastic_si_incident",
                  "GET /api/now/v2/table/sn_si_incident/" + id, health,
                  "POST /api/x_elas2_sir_int/elastic_api/incident/" + id +
                      "/observables/bulk"));
}

TEST_F(ServiceNowPluginTest, SirTableApiJoinsObservableFields) {
  auto sn = Make(kSir, BasicConfig(true), BasicSecrets());
  json incident = {{"short_description", "Intrusion"},
                   {"dest_ip", {"10.0.0.1", "10.0.0.2"}},
                   {"malware_url", "http://bad.example"}};
  ExecuteOutcome out = Run(*sn, "pushToService", {{"incident", incident}});
  ASSERT_TRUE(out.ok()) << out.message;
  json record = sn_->Incidents("sn_si_incident").at(0);
  EXPECT_EQ(record["dest_ip"], "10.0.0.1,10.0.0.2");
  EXPECT_EQ(record["malware_url"], "http://bad.example");
  EXPECT_EQ(sn_->requests().size(), 2u);  // create + read, no observables

  // closeIncident is ITSM only: the host refuses the undeclared sub-action.
  auto refused =
      sn->Execute("closeIncident", {{"incident", {{"externalId", "x"}}}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// OAuth.

TEST_F(ServiceNowPluginTest, OAuthTokenIsReusedAndRefreshedAfterExpiry) {
  for (bool table_api : {false, true}) {
    SCOPED_TRACE(table_api ? "table api" : "import set");
    const std::string connector = table_api ? "oauth-t" : "oauth-i";
    const int issued_before = sn_->tokens_issued();
    auto sn = Make(kItsm, OAuthConfig(table_api), OAuthSecrets(), connector);
    ASSERT_TRUE(
        Run(*sn, "pushToService", {{"incident", Incident("one")}}).ok());
    ASSERT_TRUE(
        Run(*sn, "pushToService", {{"incident", Incident("two")}}).ok());
    ASSERT_TRUE(Run(*sn, "getFields", json::object()).ok());
    EXPECT_EQ(sn_->tokens_issued(), issued_before + 1);

    json header = sn_->last_jwt_header();
    EXPECT_EQ(header["alg"], "RS256");
    EXPECT_EQ(header["kid"], "sn-kid-1");
    json claims = sn_->last_jwt_claims();
    EXPECT_EQ(claims["sub"], "elastic@example.com");
    EXPECT_EQ(claims["iss"], "sn-client-id");
    EXPECT_EQ(claims["aud"], "sn-client-id");
    EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(),
              3600);
    EXPECT_FALSE(claims.contains("jti"));
    EXPECT_FALSE(claims.contains("nbf"));

    std::vector<FakeRequest> requests = sn_->requests();
    const FakeRequest* token_request = nullptr;
    for (const FakeRequest& r : requests) {
      if (r.path == "/oauth_token.do")
        token_request = &r;
      else
        EXPECT_THAT(r.Header("Authorization").value_or(""),
                    HasSubstr("Bearer "));
    }
    ASSERT_NE(token_request, nullptr);
    EXPECT_EQ(token_request->body.rfind("assertion=", 0), 0u);
    EXPECT_THAT(token_request->body,
                HasSubstr("&client_id=sn-client-id&client_secret=sn-client-"
                          "secret&grant_type=urn%3Aietf%3Aparams%3Aoauth%"
                          "3Agrant-type%3Ajwt-bearer"));
    EXPECT_FALSE(token_request->Header("Authorization").has_value());

    // Past expires_in (1800 s) the cached token is gone: a new grant.
    tokens_.Advance(absl::Seconds(1801));
    ASSERT_TRUE(Run(*sn, "getFields", json::object()).ok());
    EXPECT_EQ(sn_->tokens_issued(), issued_before + 2);
    sn_->http().ClearRequests();
  }
}

TEST_F(ServiceNowPluginTest, UnauthorizedPurgesTheTokenWithoutRetry) {
  auto sn = Make(kItsm, OAuthConfig(false), OAuthSecrets());
  ASSERT_TRUE(Run(*sn, "getFields", json::object()).ok());
  EXPECT_EQ(sn_->tokens_issued(), 1);
  sn_->RevokeAllTokens();  // the instance forgets the token
  sn_->http().ClearRequests();

  ExecuteOutcome out = Run(*sn, "getFields", json::object());
  EXPECT_EQ(out.code, absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(out.retryable);
  EXPECT_THAT(out.message,
              HasSubstr("Unable to get fields. Error: Request failed with "
                        "status code 401 Reason: User Not Authenticated: "
                        "Required to provide Auth information [status=401]"));
  EXPECT_EQ(sn_->requests().size(), 1u);  // no automatic retry
  EXPECT_EQ(tokens_.deletes_, 1);

  ASSERT_TRUE(Run(*sn, "getFields", json::object()).ok());
  EXPECT_EQ(sn_->tokens_issued(), 2);
}

TEST_F(ServiceNowPluginTest, EncryptedPrivateKeyWithPassphrase) {
  auto good = Make(kSir, OAuthConfig(false), OAuthSecrets(true), "enc-ok");
  ExecuteOutcome out = Run(*good, "handshake", json::object());
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.data["mode"], "import_set");
  EXPECT_EQ(out.data["application"]["scope"], "x_elas2_sir_int");

  auto bad =
      Make(kSir, OAuthConfig(false), OAuthSecrets(true, "wrong"), "enc-bad");
  sn_->http().ClearRequests();
  out = Run(*bad, "pushToService",
            {{"incident", {{"short_description", "t"}, {"priority", "2"}}}});
  EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(out.retryable);
  EXPECT_THAT(out.message,
              HasSubstr("Unable to retrieve access token for connectorId: "
                        "enc-bad. Error: Unable to generate JWT token"));
  EXPECT_THAT(out.message, HasSubstr("wrong passphrase?"));
  EXPECT_THAT(out.message, Not(HasSubstr("BEGIN")));
  EXPECT_TRUE(sn_->requests().empty());
}

TEST_F(ServiceNowPluginTest, RefusedGrantIsAClearAuthenticationError) {
  json config = OAuthConfig(true);
  config["userIdentifierValue"] = "someone-else@example.com";
  auto sn = Make(kItsm, config, OAuthSecrets());
  ExecuteOutcome out = Run(*sn, "getFields", json::object());
  EXPECT_EQ(out.code, absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(out.message,
              HasSubstr("[Action][ServiceNow]: Unable to get fields. Error: "
                        "[Action][ServiceNow]: Unable to retrieve access token "
                        "for connectorId: conn-1. Error: invalid_grant Reason: "
                        "User not found [status=401] [method=post]"));
  EXPECT_EQ(sn_->tokens_issued(), 0);
}

// ---------------------------------------------------------------------------
// Failures.

TEST_F(ServiceNowPluginTest, SleepingInstanceAsksToCheckTheInstance) {
  auto sn = Make(kItsm, BasicConfig(false), BasicSecrets());
  sn_->SetSleeping(true);
  ExecuteOutcome out = Run(*sn, "pushToService", {{"incident", Incident("t")}});
  EXPECT_EQ(out.code, absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(out.retryable);
  EXPECT_THAT(out.message,
              HasSubstr("Unable to create incident. Error: [Action][ServiceNow]"
                        ": Unable to get application version. Error: There is "
                        "an issue with your Service Now Instance. Please check "
                        "127.0.0.1."));
  EXPECT_THAT(out.message, Not(HasSubstr("JSON")));

  auto oauth = Make(kItsm, OAuthConfig(true), OAuthSecrets(), "sleepy-oauth");
  out = Run(*oauth, "getFields", json::object());
  EXPECT_EQ(out.code, absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(out.message, HasSubstr("Please check 127.0.0.1."));
  sn_->SetSleeping(false);
  EXPECT_TRUE(Run(*sn, "getFields", json::object()).ok());
}

TEST_F(ServiceNowPluginTest, RateLimitAndServerErrorsAreRetryable) {
  auto sn = Make(kItsm, BasicConfig(true), BasicSecrets());
  sn_->InjectRateLimit(1, 7);
  ExecuteOutcome out = Run(*sn, "pushToService", {{"incident", Incident("t")}});
  EXPECT_EQ(out.code, absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(out.retryable);
  EXPECT_EQ(out.retry_after_ms, 7000);
  EXPECT_THAT(out.message,
              HasSubstr("Unable to create incident. Error: Request failed with "
                        "status code 429 Reason: Rate limit exceeded: Too many "
                        "requests for this user [status=429] [method=post] "
                        "[endpoint=table]"));
  EXPECT_EQ(out.details["httpStatus"], 429);

  sn_->InjectError(1, 503, "Service Unavailable");
  out = Run(*sn, "getChoices", {{"fields", {"urgency"}}});
  EXPECT_EQ(out.code, absl::StatusCode::kUnavailable);
  EXPECT_TRUE(out.retryable);

  sn_->InjectError(1, 403, "Operation Failed", "/api/now/v2/table/incident");
  out = Run(*sn, "pushToService", {{"incident", Incident("t")}});
  EXPECT_EQ(out.code, absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(out.retryable);
  EXPECT_EQ(out.retry_after_ms, 0);

  EXPECT_TRUE(sn_->Incidents("incident").empty());
  EXPECT_TRUE(Run(*sn, "pushToService", {{"incident", Incident("t")}}).ok());
}

TEST_F(ServiceNowPluginTest, ImportSetRowErrorIsPermanent) {
  auto sn = Make(kItsm, BasicConfig(false), BasicSecrets());
  json incident = Incident("t");
  incident["externalId"] = "does-not-exist";
  ExecuteOutcome out = Run(*sn, "pushToService", {{"incident", incident}});
  EXPECT_EQ(out.code, absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(out.retryable);
  EXPECT_THAT(out.message,
              HasSubstr("Unable to update incident with id does-not-exist. "
                        "Error: Incident does-not-exist not found"));
}

TEST_F(ServiceNowPluginTest, MissingElasticAppFailsImportSetModeOnly) {
  sn_->set_elastic_app_installed(false);
  auto sn = Make(kItsm, BasicConfig(false), BasicSecrets());
  ExecuteOutcome out = Run(*sn, "handshake", json::object());
  EXPECT_EQ(out.code, absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(out.retryable);
  EXPECT_THAT(out.message, HasSubstr("is the Elastic ServiceNow app, scope "
                                     "x_elas2_inc_int, installed"));
  EXPECT_THAT(out.message,
              HasSubstr("Unable to get application version. Error: Request "
                        "failed with status code 400 Reason: Requested URI "
                        "does not represent any resource [status=400] "
                        "[method=get] [endpoint=health]"));
  out = Run(*sn, "pushToService", {{"incident", Incident("t")}});
  EXPECT_THAT(out.message, HasSubstr("Unable to create incident. Error: "
                                     "[Action][ServiceNow]: Unable to get "
                                     "application version."));
  EXPECT_TRUE(sn_->Incidents("incident").empty());

  auto legacy = Make(kItsm, BasicConfig(true), BasicSecrets());
  out = Run(*legacy, "handshake", json::object());
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(out.data, json({{"mode", "table_api"}, {"deprecated", true}}));
}

TEST_F(ServiceNowPluginTest, HangingInstanceHitsTheCallDeadline) {
  auto sn = Make(kItsm, BasicConfig(true), BasicSecrets());
  sn_->InjectHang(1);
  ExecuteOutcome out =
      Run(*sn, "getFields", json::object(), absl::Milliseconds(500));
  sn_->http().ReleaseHangs();
  EXPECT_EQ(out.code, absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(out.retryable);
  EXPECT_THAT(out.message, HasSubstr("Unable to get fields. Error: "));
  EXPECT_THAT(out.message, HasSubstr("[status=none] [method=get]"));
}

TEST_F(ServiceNowPluginTest, WrongBasicCredentialsArePermanent) {
  auto sn = Make(kItsm, BasicConfig(true),
                 {{"username", "elastic"}, {"password", "nope"}});
  ExecuteOutcome out = Run(*sn, "getFields", json::object());
  EXPECT_EQ(out.code, absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(out.retryable);
  EXPECT_EQ(tokens_.deletes_, 0);  // nothing to purge under Basic auth
}

}  // namespace
}  // namespace casebridge

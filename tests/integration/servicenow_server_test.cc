// ServiceNow connectors end to end: the real casebridge-server process loads
// build/plugins/servicenow.so, connectors are created over gRPC with sealed
// secrets, and ExecuteConnector / TestConnector drive FakeServiceNow over
// real loopback HTTP (egress policy, CurlHostHttp, the store-backed token
// cache).
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "casebridge/v1/connector_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/abi/test_keys.h"
#include "tests/fakes/fake_servicenow.h"
#include "tests/integration/server_process.h"

namespace casebridge::testing {
namespace {

namespace v1 = ::casebridge::v1;
using json = nlohmann::json;
using ::testing::HasSubstr;

const test_keys::TestKey& Key() {
  static const test_keys::TestKey* key =
      new test_keys::TestKey(test_keys::MakeRsaKey());
  return *key;
}

google::protobuf::Struct ToStruct(const json& value) {
  google::protobuf::Struct out;
  auto status = google::protobuf::util::JsonStringToMessage(value.dump(), &out);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out;
}

template <typename Message>
json ToJson(const Message& message) {
  std::string text;
  auto status = google::protobuf::util::MessageToJsonString(message, &text);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return json::parse(text);
}

std::unique_ptr<FakeServiceNow> NewFake(int token_expires_in_seconds = 3600) {
  FakeServiceNowOptions options;
  options.jwt_public_key_pem = Key().public_pem;
  options.token_expires_in_seconds = token_expires_in_seconds;
  auto fake = std::make_unique<FakeServiceNow>(options);
  fake->Start();
  return fake;
}

class ServiceNowServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.config_yaml = std::string("log_level: info\nplugin_dirs: [\"") +
                          CASEBRIDGE_PLUGIN_DIR +
                          "\"]\n"
                          "http:\n"
                          "  allowed_private_cidrs: [\"127.0.0.1/32\"]\n"
                          "  response_timeout_ms: 5000\n"
                          "connectors:\n"
                          "  execute_timeout_ms: 15000\n";
    options.env = {{"CASEBRIDGE_ENCRYPTION_KEY",
                    "servicenow-e2e-test-key-0123456789abcdef"}};
    server_ = new ServerProcess(options);
    absl::Status s = server_->Start();
    if (!s.ok()) {
      delete server_;
      server_ = nullptr;
      FAIL() << "cannot start casebridge-server: " << s;
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(server_->Running()) << server_->ReadStderr();
    stub_ = server_->NewConnectorStub();
    sn_ = NewFake();
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(30));
    return ctx;
  }

  grpc::Status TryCreate(const std::string& type, const json& config,
                         const json& secrets, v1::Connector* out) {
    v1::CreateConnectorRequest request;
    request.set_connector_type_id(type);
    request.set_name("ServiceNow " + type);
    *request.mutable_config() = ToStruct(config);
    *request.mutable_secrets() = ToStruct(secrets);
    v1::CreateConnectorResponse response;
    grpc::Status status =
        stub_->CreateConnector(Context().get(), request, &response);
    if (out != nullptr) *out = response.connector();
    return status;
  }
  v1::Connector Create(const std::string& type, const json& config,
                       const json& secrets) {
    v1::Connector connector;
    grpc::Status status = TryCreate(type, config, secrets, &connector);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return connector;
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
  static json Data(const v1::ConnectorExecuteResult& result) {
    return ToJson(result.data());
  }
  static bool Ok(const v1::ConnectorExecuteResult& result) {
    return result.status() == v1::CONNECTOR_EXECUTE_STATUS_OK;
  }

  json BasicConfig(bool table_api) const {
    return {{"apiUrl", sn_->base_url()},
            {"isOAuth", false},
            {"usesTableApi", table_api}};
  }
  static json BasicSecrets() {
    return {{"username", "elastic"}, {"password", "changeme"}};
  }
  static json OAuthConfig(const FakeServiceNow& sn) {
    return {{"apiUrl", sn.base_url()},
            {"isOAuth", true},
            {"usesTableApi", false},
            {"clientId", "sn-client-id"},
            {"jwtKeyId", "sn-kid-1"},
            {"userIdentifierValue", "elastic@example.com"}};
  }
  static json OAuthSecrets(const std::string& passphrase) {
    return {{"clientSecret", "sn-client-secret"},
            {"privateKey", Key().encrypted_private_pem},
            {"privateKeyPassword", passphrase}};
  }
  static json Push(const std::string& title, const std::string& case_id,
                   json comments = nullptr) {
    return {{"incident",
             {{"short_description", title},
              {"description", "From casebridge"},
              {"externalId", nullptr},
              {"correlation_id", case_id},
              {"correlation_display", "Elastic Case"}}},
            {"comments", comments}};
  }

  static ServerProcess* server_;
  std::unique_ptr<v1::ConnectorService::Stub> stub_;
  std::unique_ptr<FakeServiceNow> sn_;
};

ServerProcess* ServiceNowServerTest::server_ = nullptr;

TEST_F(ServiceNowServerTest, ServerListsBothTypes) {
  v1::ListConnectorTypesRequest request;
  v1::ListConnectorTypesResponse response;
  ASSERT_TRUE(
      stub_->ListConnectorTypes(Context().get(), request, &response).ok());
  json types = ToJson(response);
  std::vector<std::string> ids;
  for (const json& t : types["connectorTypes"]) ids.push_back(t["id"]);
  EXPECT_THAT(ids, ::testing::IsSupersetOf({".servicenow", ".servicenow-sir"}));
}

TEST_F(ServiceNowServerTest, DeprecationFollowsUsesTableApi) {
  v1::Connector modern =
      Create(".servicenow", BasicConfig(false), BasicSecrets());
  EXPECT_FALSE(modern.is_deprecated());
  v1::Connector legacy =
      Create(".servicenow", {{"apiUrl", sn_->base_url()}}, BasicSecrets());
  EXPECT_TRUE(legacy.is_deprecated());  // usesTableApi defaults to true
}

TEST_F(ServiceNowServerTest, CrossFieldRulesRejectCreate) {
  json config = BasicConfig(false);
  config["isOAuth"] = true;
  grpc::Status status =
      TryCreate(".servicenow", config, BasicSecrets(), nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("clientId must be provided when isOAuth = true"));
  EXPECT_TRUE(sn_->requests().empty());
}

TEST_F(ServiceNowServerTest, PushUpdateGetCloseThroughTheServer) {
  v1::Connector c = Create(".servicenow", BasicConfig(false), BasicSecrets());
  v1::ConnectorExecuteResult r =
      Execute(c.id(), "pushToService",
              Push("Suspicious login", "case-e2e-1",
                   {{{"comment", "looked at it"}, {"commentId", "cm-1"}}}));
  ASSERT_TRUE(Ok(r)) << r.message();
  json data = Data(r);
  json record = sn_->Incidents("incident").at(0);
  const std::string id = record["sys_id"];
  EXPECT_EQ(data["id"], id);
  EXPECT_EQ(data["title"], record["number"]);
  EXPECT_EQ(data["url"],
            sn_->base_url() + "/nav_to.do?uri=incident.do?sys_id=" + id);
  EXPECT_EQ(data["comments"][0]["commentId"], "cm-1");
  EXPECT_EQ(record["correlation_id"], "case-e2e-1");
  EXPECT_THAT(sn_->WorkNotes(id), ::testing::ElementsAre("looked at it"));

  json update = Push("Suspicious login (edited)", "case-e2e-1");
  update["incident"]["externalId"] = id;
  r = Execute(c.id(), "pushToService", update);
  ASSERT_TRUE(Ok(r)) << r.message();
  EXPECT_EQ(sn_->Incident("incident", id)->at("short_description"),
            "Suspicious login (edited)");

  r = Execute(c.id(), "getIncident", {{"externalId", id}});
  ASSERT_TRUE(Ok(r)) << r.message();
  EXPECT_EQ(Data(r)["short_description"], "Suspicious login (edited)");

  r = Execute(c.id(), "findIncidentByCorrelationId",
              {{"correlation_id", "case-e2e-1"}});
  ASSERT_TRUE(Ok(r)) << r.message();
  EXPECT_EQ(Data(r)["id"], id);

  r = Execute(c.id(), "getFields", json::object());
  ASSERT_TRUE(Ok(r)) << r.message();
  EXPECT_FALSE(Data(r).empty());
  r = Execute(c.id(), "getChoices", {{"fields", {"urgency"}}});
  ASSERT_TRUE(Ok(r)) << r.message();
  EXPECT_EQ(Data(r).size(), 3u);

  r = Execute(c.id(), "closeIncident",
              {{"incident", {{"correlation_id", "case-e2e-1"}}}});
  ASSERT_TRUE(Ok(r)) << r.message();
  EXPECT_EQ(sn_->Incident("incident", id)->at("state"), "7");

  // Params are checked against the declared schema before the plugin runs.
  r = Execute(c.id(), "pushToService",
              {{"incident",
                {{"short_description", "x"},
                 {"correlation_id", std::string(101, 'x')}}}});
  EXPECT_FALSE(Ok(r));
  EXPECT_EQ(sn_->Incidents("incident").size(), 1u);
}

TEST_F(ServiceNowServerTest, SirTableApiThroughTheServer) {
  v1::Connector c =
      Create(".servicenow-sir", BasicConfig(true), BasicSecrets());
  EXPECT_TRUE(c.is_deprecated());
  json params = Push("Intrusion", "case-sir-1");
  params["incident"]["dest_ip"] = json::array({"10.1.1.1", "10.1.1.2"});
  v1::ConnectorExecuteResult r = Execute(c.id(), "pushToService", params);
  ASSERT_TRUE(Ok(r)) << r.message();
  EXPECT_EQ(sn_->Incidents("sn_si_incident").at(0)["dest_ip"],
            "10.1.1.1,10.1.1.2");
}

TEST_F(ServiceNowServerTest, OAuthTokenCachedPurgedOn401AndRefreshed) {
  v1::Connector c =
      Create(".servicenow", OAuthConfig(*sn_), OAuthSecrets(Key().passphrase));
  ASSERT_TRUE(Ok(Execute(c.id(), "pushToService", Push("one", "case-o1"))));
  ASSERT_TRUE(Ok(Execute(c.id(), "pushToService", Push("two", "case-o2"))));
  EXPECT_EQ(sn_->tokens_issued(), 1);

  sn_->RevokeAllTokens();
  v1::ConnectorExecuteResult r =
      Execute(c.id(), "pushToService", Push("three", "case-o3"));
  EXPECT_FALSE(Ok(r));
  EXPECT_FALSE(r.retry());
  EXPECT_THAT(r.message(), HasSubstr("status code 401"));
  EXPECT_THAT(r.service_message(), HasSubstr("User Not Authenticated"));

  ASSERT_TRUE(Ok(Execute(c.id(), "pushToService", Push("three", "case-o3"))));
  EXPECT_EQ(sn_->tokens_issued(), 2);
  EXPECT_EQ(sn_->Incidents("incident").size(), 3u);
}

TEST_F(ServiceNowServerTest, ExpiredTokenIsReplaced) {
  auto sn = NewFake(/*token_expires_in_seconds=*/1);
  v1::Connector c =
      Create(".servicenow", OAuthConfig(*sn), OAuthSecrets(Key().passphrase));
  ASSERT_TRUE(Ok(Execute(c.id(), "getFields", json::object())));
  ASSERT_TRUE(Ok(Execute(c.id(), "getFields", json::object())));
  // Reuse within the second is likely but not guaranteed on a loaded
  // machine, so only the refresh after expiry is asserted.
  const int issued = sn->tokens_issued();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_TRUE(Ok(Execute(c.id(), "getFields", json::object())));
  EXPECT_EQ(sn->tokens_issued(), issued + 1);
}

TEST_F(ServiceNowServerTest, WrongPassphraseIsAClearError) {
  v1::Connector c = Create(".servicenow", OAuthConfig(*sn_),
                           OAuthSecrets("not the passphrase"));
  v1::ConnectorExecuteResult r =
      Execute(c.id(), "pushToService", Push("t", "case-p"));
  EXPECT_FALSE(Ok(r));
  EXPECT_FALSE(r.retry());
  EXPECT_THAT(r.message(), HasSubstr("Unable to generate JWT token"));
  EXPECT_THAT(r.message(), HasSubstr("wrong passphrase?"));
  EXPECT_TRUE(sn_->requests().empty());
}

TEST_F(ServiceNowServerTest, SleepingInstanceAndRetryClasses) {
  v1::Connector c = Create(".servicenow", BasicConfig(false), BasicSecrets());
  sn_->SetSleeping(true);
  v1::ConnectorExecuteResult r =
      Execute(c.id(), "pushToService", Push("t", "case-s"));
  EXPECT_FALSE(Ok(r));
  EXPECT_FALSE(r.retry());
  EXPECT_THAT(r.message(), HasSubstr("There is an issue with your Service Now "
                                     "Instance. Please check 127.0.0.1."));
  sn_->SetSleeping(false);

  sn_->InjectRateLimit(1, 30);
  const auto before = std::chrono::system_clock::now();
  r = Execute(c.id(), "pushToService", Push("t", "case-s"));
  EXPECT_FALSE(Ok(r));
  EXPECT_TRUE(r.retry());
  ASSERT_TRUE(r.has_retry_at());
  const auto retry_at = std::chrono::system_clock::time_point(
      std::chrono::seconds(r.retry_at().seconds()));
  EXPECT_GE(retry_at, before + std::chrono::seconds(25));

  sn_->InjectError(1, 500, "Internal error");
  r = Execute(c.id(), "pushToService", Push("t", "case-s"));
  EXPECT_FALSE(Ok(r));
  EXPECT_TRUE(r.retry());
  EXPECT_TRUE(sn_->Incidents("incident").empty());
}

TEST_F(ServiceNowServerTest, TestConnectorRunsTheHandshake) {
  v1::TestConnectorRequest request;
  request.set_connector_type_id(".servicenow");
  *request.mutable_config() = ToStruct(BasicConfig(false));
  *request.mutable_secrets() = ToStruct(BasicSecrets());
  v1::TestConnectorResponse response;
  ASSERT_TRUE(stub_->TestConnector(Context().get(), request, &response).ok());
  ASSERT_TRUE(Ok(response.result())) << response.result().message();
  EXPECT_EQ(Data(response.result())["application"]["scope"], "x_elas2_inc_int");

  // The check to run before switching a Table API connector to import-set
  // mode: it fails while the Elastic app is missing.
  sn_->set_elastic_app_installed(false);
  ASSERT_TRUE(stub_->TestConnector(Context().get(), request, &response).ok());
  EXPECT_FALSE(Ok(response.result()));
  EXPECT_THAT(response.result().message(),
              HasSubstr("is the Elastic ServiceNow app"));
}

TEST_F(ServiceNowServerTest, SwitchingToImportSetModeChecksTheElasticApp) {
  v1::Connector legacy =
      Create(".servicenow", BasicConfig(/*table_api=*/true), BasicSecrets());
  ASSERT_TRUE(legacy.is_deprecated());
  auto update = [&](const json& config, v1::UpdateConnectorResponse* out) {
    v1::UpdateConnectorRequest request;
    request.set_id(legacy.id());
    request.set_name(legacy.name());
    *request.mutable_config() = ToStruct(config);
    *request.mutable_secrets() = ToStruct(BasicSecrets());
    return stub_->UpdateConnector(Context().get(), request, out);
  };

  sn_->set_elastic_app_installed(false);
  v1::UpdateConnectorResponse refused;
  grpc::Status status = update(BasicConfig(false), &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(),
              HasSubstr("is the Elastic ServiceNow app"));
  v1::GetConnectorRequest get;
  get.set_id(legacy.id());
  v1::GetConnectorResponse still;
  ASSERT_TRUE(stub_->GetConnector(Context().get(), get, &still).ok());
  EXPECT_TRUE(still.connector().is_deprecated())
      << "nothing may change on refusal";

  sn_->set_elastic_app_installed(true);
  v1::UpdateConnectorResponse switched;
  status = update(BasicConfig(false), &switched);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(switched.connector().is_deprecated());
}

}  // namespace
}  // namespace casebridge::testing

// The .resilient and .swimlane plugins through the real casebridge-server
// (ConnectorService over gRPC, plugins loaded from build/plugins, outbound
// HTTP through the server's client) against their strict fakes: type
// listing, config validation by schema and by the plugins' validate_config,
// pushToService, findByCaseId, TestConnector (handshake), bad credentials and
// a system that is down.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_resilient.h"
#include "tests/fakes/fake_swimlane.h"
#include "tests/integration/plugin_test_util.h"
#include "tests/integration/server_process.h"

namespace casebridge::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace v1 = ::casebridge::v1;

google::protobuf::Struct ToStruct(const json& j) {
  google::protobuf::Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(j.dump(), &s);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return s;
}

json FromValue(const google::protobuf::Value& v) {
  std::string text;
  auto status = google::protobuf::util::MessageToJsonString(v, &text);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return json::parse(text, nullptr, false);
}

class ConnectorPluginsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.config_yaml = std::string("log_level: info\nplugin_dirs:\n  - ") +
                          CASEBRIDGE_PLUGIN_DIR +
                          "\nhttp:\n  allow_private_addresses: true\n"
                          "  response_timeout_ms: 5000\n";
    options.env = {{"CASEBRIDGE_ENCRYPTION_KEY",
                    "0123456789abcdef0123456789abcdef-itest"}};
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
    stub_ = server_->NewConnectorStub();
  }

  grpc::Status Create(const std::string& type, const json& config,
                      const json& secrets, std::string* id) {
    v1::CreateConnectorRequest request;
    request.set_connector_type_id(type);
    request.set_name("test " + type);
    *request.mutable_config() = ToStruct(config);
    *request.mutable_secrets() = ToStruct(secrets);
    v1::CreateConnectorResponse response;
    grpc::ClientContext ctx;
    grpc::Status status = stub_->CreateConnector(&ctx, request, &response);
    if (status.ok() && id != nullptr) *id = response.connector().id();
    return status;
  }

  v1::ConnectorExecuteResult Execute(const std::string& id,
                                     const std::string& sub_action,
                                     const json& params) {
    v1::ExecuteConnectorRequest request;
    request.set_id(id);
    request.set_sub_action(sub_action);
    *request.mutable_sub_action_params() = ToStruct(params);
    v1::ExecuteConnectorResponse response;
    grpc::ClientContext ctx;
    grpc::Status status = stub_->ExecuteConnector(&ctx, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.result();
  }

  v1::ConnectorExecuteResult Test(const std::string& type, const json& config,
                                  const json& secrets) {
    v1::TestConnectorRequest request;
    request.set_connector_type_id(type);
    *request.mutable_config() = ToStruct(config);
    *request.mutable_secrets() = ToStruct(secrets);
    v1::TestConnectorResponse response;
    grpc::ClientContext ctx;
    grpc::Status status = stub_->TestConnector(&ctx, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.result();
  }

  static ServerProcess* server_;
  std::unique_ptr<v1::ConnectorService::Stub> stub_;
};

ServerProcess* ConnectorPluginsServerTest::server_ = nullptr;

TEST_F(ConnectorPluginsServerTest, ListsBothTypes) {
  v1::ListConnectorTypesRequest request;
  request.set_feature_id("cases");
  v1::ListConnectorTypesResponse response;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->ListConnectorTypes(&ctx, request, &response).ok());
  bool resilient = false, swimlane = false;
  for (const auto& t : response.connector_types()) {
    resilient = resilient || t.id() == ".resilient";
    swimlane = swimlane || t.id() == ".swimlane";
  }
  EXPECT_TRUE(resilient);
  EXPECT_TRUE(swimlane);
}

TEST_F(ConnectorPluginsServerTest, ResilientPushFindAndTest) {
  FakeResilient fake("201", "kid", "ksecret");
  fake.Start();
  json config = {{"apiUrl", fake.base_url()},
                 {"orgId", "201"},
                 {"caseIdField", "properties.casebridge_case_id"}};
  json secrets = {{"apiKeyId", "kid"}, {"apiKeySecret", "ksecret"}};

  // Schema (unknown key) and plugin validation (orgId with a slash).
  json extra = config;
  extra["bogus"] = true;
  EXPECT_EQ(Create(".resilient", extra, secrets, nullptr).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  json bad_org = config;
  bad_org["orgId"] = "2/01";
  EXPECT_EQ(Create(".resilient", bad_org, secrets, nullptr).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  std::string id;
  grpc::Status created = Create(".resilient", config, secrets, &id);
  ASSERT_TRUE(created.ok()) << created.error_message();

  v1::ConnectorExecuteResult push =
      Execute(id, "pushToService",
              {{"incident",
                {{"name", "From the server"},
                 {"description", "d"},
                 {"incidentTypes", {"1001"}},
                 {"severityCode", "6"},
                 {"caseId", "case-srv"},
                 {"externalId", nullptr}}},
               {"comments", {{{"comment", "hello"}, {"commentId", "c1"}}}}});
  ASSERT_EQ(push.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << push.message();
  json data = FromValue(push.data());
  const std::string incident_id = data["id"];
  EXPECT_EQ(data["url"], fake.base_url() + "/#incidents/" + incident_id);
  EXPECT_EQ((*fake.incident(std::stoll(incident_id)))["severity_code"], 6);
  EXPECT_EQ(fake.comments(std::stoll(incident_id)).size(), 1u);

  v1::ConnectorExecuteResult found =
      Execute(id, "findByCaseId", {{"caseId", "case-srv"}});
  ASSERT_EQ(found.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << found.message();
  EXPECT_EQ(FromValue(found.data())["id"], incident_id);

  // Params are checked against the declared schema before the plugin runs.
  v1::ConnectorExecuteResult invalid =
      Execute(id, "pushToService", {{"incident", {{"description", "x"}}}});
  EXPECT_EQ(invalid.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_FALSE(invalid.retry());

  v1::ConnectorExecuteResult ok = Test(".resilient", config, secrets);
  EXPECT_EQ(ok.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ok.message();
  json wrong = secrets;
  wrong["apiKeySecret"] = "nope";
  v1::ConnectorExecuteResult denied = Test(".resilient", config, wrong);
  EXPECT_EQ(denied.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_THAT(denied.message() + " " + denied.service_message(),
              HasSubstr("Unauthorized API Error"));
  EXPECT_FALSE(denied.retry());
}

TEST_F(ConnectorPluginsServerTest, SwimlanePushAndDownSystem) {
  FakeSwimlane fake("app1", "tok");
  fake.Start();
  auto map = [](const char* id, const char* type) {
    return json{{"id", id}, {"key", id}, {"name", id}, {"fieldType", type}};
  };
  json mappings = {
      {"caseNameConfig", map(FakeSwimlane::kCaseNameField, "text")},
      {"caseIdConfig", map(FakeSwimlane::kCaseIdField, "text")},
      {"descriptionConfig", map(FakeSwimlane::kDescriptionField, "text")},
      {"commentsConfig", map(FakeSwimlane::kCommentsField, "notes")},
      {"severityConfig", map(FakeSwimlane::kSeverityField, "numeric")}};
  json config = {{"apiUrl", fake.base_url()},
                 {"appId", "app1"},
                 {"connectorType", "cases"},
                 {"mappings", mappings}};
  json secrets = {{"apiToken", "tok"}};

  // The cases form rules hold on the server.
  json incomplete = config;
  incomplete["mappings"].erase("caseIdConfig");
  grpc::Status rejected = Create(".swimlane", incomplete, secrets, nullptr);
  EXPECT_EQ(rejected.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  std::string id;
  grpc::Status created = Create(".swimlane", config, secrets, &id);
  ASSERT_TRUE(created.ok()) << created.error_message();
  v1::ConnectorExecuteResult push =
      Execute(id, "pushToService",
              {{"incident",
                {{"caseName", "srv"}, {"caseId", "case-9"}, {"severity", "2"}}},
               {"comments", {{{"comment", "note"}, {"commentId", "c1"}}}}});
  ASSERT_EQ(push.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << push.message();
  json data = FromValue(push.data());
  auto record = fake.record(data["id"]);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ((*record)["values"][FakeSwimlane::kSeverityField], 2);
  EXPECT_EQ(fake.comments(data["id"]).size(), 1u);

  v1::ConnectorExecuteResult handshake = Test(".swimlane", config, secrets);
  EXPECT_EQ(handshake.status(), v1::CONNECTOR_EXECUTE_STATUS_OK)
      << handshake.message();

  json down = config;
  down["apiUrl"] = "http://127.0.0.1:" + std::to_string(UnusedPort());
  v1::ConnectorExecuteResult failed = Test(".swimlane", down, secrets);
  EXPECT_EQ(failed.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_TRUE(failed.retry());
}

}  // namespace
}  // namespace casebridge::testing

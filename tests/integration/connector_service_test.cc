// ConnectorService (and CaseService.FindConnectors) through the real server
// binary: real plugin .so files (tests/integration/plugins/test_connectors.cc
// and the ABI suite's invalid-JSON plugin), real HTTP to a FakeHttpServer on
// loopback, secrets sealed in the real SQLite store.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "casebridge/v1/case_service.grpc.pb.h"
#include "casebridge/v1/connector_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "sqlite3.h"
#include "tests/fakes/fake_http_server.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_util.h"

namespace casebridge::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kKeyA[] = "itest-primary-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kKeyB[] = "itest-rotated-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbb";
// A secret that must never come back: checked against every response and
// the server log.
constexpr char kSecret[] = "planted-SECRET-7f3c9a1e-do-not-leak";

google::protobuf::Struct ToStruct(const std::string& json) {
  google::protobuf::Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(json, &s);
  EXPECT_TRUE(status.ok()) << json;
  return s;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out);
  return out;
}

// A plugin directory with the test plugins, in its own temp directory.
class PluginDir {
 public:
  PluginDir() {
    std::string templ =
        (fs::temp_directory_path() / "cb-plugins-XXXXXX").string();
    path_ = mkdtemp(templ.data());
    fs::copy_file(CASEBRIDGE_TEST_CONNECTORS_PLUGIN,
                  fs::path(path_) / "test_connectors.so");
    fs::copy_file(CASEBRIDGE_INVALID_JSON_PLUGIN,
                  fs::path(path_) / "invalid_json.so");
  }
  ~PluginDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ConnectorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.Start(); }

  // Starts a server with the test plugins and `extra_yaml` appended.
  std::unique_ptr<ServerProcess> StartServer(
      const std::string& extra_yaml = "", std::string key = kKeyA,
      std::vector<std::pair<std::string, std::string>> env = {},
      const std::string& data_dir = "") {
    ServerOptions options;
    options.config_yaml = absl::StrCat("log_level: debug\nplugin_dirs: [\"",
                                       plugins_.path(), "\"]\n", extra_yaml);
    options.env = std::move(env);
    options.env.emplace_back("CASEBRIDGE_ENCRYPTION_KEY", key);
    options.data_dir = data_dir;
    auto server = std::make_unique<ServerProcess>(std::move(options));
    absl::Status s = server->Start();
    EXPECT_TRUE(s.ok()) << s;
    if (!s.ok()) return nullptr;
    stub_ = server->NewConnectorStub();
    return server;
  }

  static std::string AllowLoopbackYaml() {
    return "http:\n  allowed_private_cidrs: [\"127.0.0.1/32\"]\n";
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::ConnectorService::Stub::*method)(
                        grpc::ClientContext*, const Req&, Resp*),
                    const Req& request, Resp* response, int deadline_s = 30) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(deadline_s));
    grpc::Status status = (stub_.get()->*method)(&ctx, request, response);
    transcript_ += ToJson(*response);
    transcript_ += status.error_message();
    transcript_ += status.error_details();
    return status;
  }

  grpc::Status CreateHttp(const std::string& name, const std::string& url,
                          v1::Connector* out, const std::string& id = "",
                          const std::string& token = kSecret) {
    v1::CreateConnectorRequest req;
    if (!id.empty()) req.set_id(id);
    req.set_connector_type_id(".test-http");
    req.set_name(name);
    *req.mutable_config() = ToStruct(absl::StrCat(R"({"url":")", url, R"("})"));
    *req.mutable_secrets() =
        ToStruct(absl::StrCat(R"({"token":")", token, R"("})"));
    v1::CreateConnectorResponse resp;
    grpc::Status s =
        Call(&v1::ConnectorService::Stub::CreateConnector, req, &resp);
    if (out != nullptr) *out = resp.connector();
    return s;
  }

  v1::ConnectorExecuteResult Execute(const std::string& id,
                                     const std::string& sub_action,
                                     const std::string& params = "{}",
                                     grpc::Status* status_out = nullptr,
                                     int deadline_s = 30) {
    v1::ExecuteConnectorRequest req;
    req.set_id(id);
    req.set_sub_action(sub_action);
    *req.mutable_sub_action_params() = ToStruct(params);
    v1::ExecuteConnectorResponse resp;
    grpc::Status s = Call(&v1::ConnectorService::Stub::ExecuteConnector, req,
                          &resp, deadline_s);
    if (status_out != nullptr)
      *status_out = s;
    else
      EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.result();
  }

  FakeHttpServer fake_;
  PluginDir plugins_;
  std::unique_ptr<v1::ConnectorService::Stub> stub_;
  std::string transcript_;  // every response, serialized
};

TEST_F(ConnectorServiceTest, ListsTypesWithFeatureFilterAndPluginInfo) {
  auto server = StartServer(
      "connectors:\n  enabled_connector_types: [\".test-http\", "
      "\".invalid-json\"]\n");
  ASSERT_NE(server, nullptr);
  v1::ListConnectorTypesResponse all;
  ASSERT_TRUE(Call(&v1::ConnectorService::Stub::ListConnectorTypes,
                   v1::ListConnectorTypesRequest(), &all)
                  .ok());
  std::vector<std::string> ids;
  for (const auto& t : all.connector_types()) ids.push_back(t.id());
  EXPECT_THAT(
      ids, ::testing::ElementsAre(".invalid-json", ".test-echo", ".test-http"));
  for (const auto& t : all.connector_types()) {
    if (t.id() == ".test-http") {
      EXPECT_TRUE(t.enabled());
      EXPECT_EQ(t.plugin().file(), "test_connectors.so");
      EXPECT_EQ(t.plugin().version(), "0.3.1");
      EXPECT_EQ(t.plugin().abi_version(), "1.0");
      EXPECT_THAT(t.supported_feature_ids(),
                  ::testing::ElementsAre("cases", "alerting"));
      ASSERT_EQ(t.sub_actions_size(), 3);
      EXPECT_EQ(t.sub_actions(0).name(), "get");
      EXPECT_TRUE(t.config_schema().fields().contains("required"));
      ASSERT_EQ(t.default_mappings_size(), 2);
      EXPECT_EQ(t.default_mappings(1).action_type(),
                v1::MAPPING_ACTION_TYPE_APPEND);
    }
    if (t.id() == ".test-echo") {
      EXPECT_FALSE(t.enabled());
      EXPECT_FALSE(t.enabled_in_config());
    }
  }
  v1::ListConnectorTypesRequest alerting;
  alerting.set_feature_id("alerting");
  v1::ListConnectorTypesResponse filtered;
  ASSERT_TRUE(
      Call(&v1::ConnectorService::Stub::ListConnectorTypes, alerting, &filtered)
          .ok());
  ids.clear();
  for (const auto& t : filtered.connector_types()) ids.push_back(t.id());
  EXPECT_THAT(ids, ::testing::ElementsAre(".test-echo", ".test-http"));

  // The disabled type cannot be used.
  v1::CreateConnectorRequest req;
  req.set_connector_type_id(".test-echo");
  req.set_name("echo");
  v1::CreateConnectorResponse resp;
  grpc::Status s =
      Call(&v1::ConnectorService::Stub::CreateConnector, req, &resp);
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(s.error_message(),
              HasSubstr("connector type .test-echo is disabled in the config"));
  EXPECT_THAT(server->ReadStderr(), HasSubstr("connector type .test-http"));
}

TEST_F(ConnectorServiceTest, CrudAndErrorsNameTheField) {
  auto server = StartServer(
      "connectors:\n  preconfigured:\n    pre-1:\n      name: Aaa "
      "preconfigured\n"
      "      connector_type_id: .test-http\n      config: {url: "
      "\"http://example.invalid\"}\n"
      "      secrets: {token: \"pre-token\"}\n");
  ASSERT_NE(server, nullptr);
  v1::Connector created;
  ASSERT_TRUE(CreateHttp("Zed", fake_.base_url(), &created, "my-id").ok());
  EXPECT_EQ(created.id(), "my-id");
  EXPECT_EQ(created.connector_type_id(), ".test-http");
  EXPECT_FALSE(created.is_preconfigured());
  EXPECT_FALSE(created.is_missing_secrets());
  EXPECT_FALSE(created.is_deprecated());
  EXPECT_EQ(created.config().fields().at("url").string_value(),
            fake_.base_url());

  v1::Connector generated;
  ASSERT_TRUE(CreateHttp("Mid", fake_.base_url(), &generated).ok());
  EXPECT_FALSE(generated.id().empty());

  // Errors.
  EXPECT_TRUE(
      IsInvalidField(CreateHttp(" ", fake_.base_url(), nullptr), "name"));
  EXPECT_TRUE(StatusIs(CreateHttp("dup", fake_.base_url(), nullptr, "my-id"),
                       grpc::StatusCode::ALREADY_EXISTS));
  EXPECT_TRUE(StatusIs(CreateHttp("pre", fake_.base_url(), nullptr, "pre-1"),
                       grpc::StatusCode::ALREADY_EXISTS));
  EXPECT_TRUE(IsInvalidField(CreateHttp("bad", "ftp://x", nullptr), "config"));
  {
    v1::CreateConnectorRequest req;
    req.set_connector_type_id(".test-http");
    req.set_name("schema");
    *req.mutable_config() = ToStruct(R"({"extra": 1})");
    *req.mutable_secrets() = ToStruct(R"({"token": 5})");
    v1::CreateConnectorResponse resp;
    grpc::Status s =
        Call(&v1::ConnectorService::Stub::CreateConnector, req, &resp);
    EXPECT_TRUE(IsInvalidField(s, "config.url")) << Describe(s);
    EXPECT_TRUE(IsInvalidField(s, "config.extra")) << Describe(s);
    EXPECT_TRUE(IsInvalidField(s, "secrets.token")) << Describe(s);
    req.set_connector_type_id(".nope");
    s = Call(&v1::ConnectorService::Stub::CreateConnector, req, &resp);
    EXPECT_TRUE(IsInvalidField(s, "connector_type_id")) << Describe(s);
    req.set_connector_type_id(".test-http");
    *req.mutable_config() = ToStruct(R"({"url": "http://x"})");
    *req.mutable_secrets() = ToStruct(R"({})");
    s = Call(&v1::ConnectorService::Stub::CreateConnector, req, &resp);
    EXPECT_TRUE(IsInvalidField(s, "secrets.token")) << Describe(s);
  }

  // Get and List (sorted by name, preconfigured included without config).
  v1::GetConnectorRequest get;
  get.set_id("my-id");
  v1::GetConnectorResponse got;
  ASSERT_TRUE(Call(&v1::ConnectorService::Stub::GetConnector, get, &got).ok());
  EXPECT_EQ(got.connector().name(), "Zed");
  get.set_id("missing");
  EXPECT_TRUE(
      StatusIs(Call(&v1::ConnectorService::Stub::GetConnector, get, &got),
               grpc::StatusCode::NOT_FOUND));
  get.set_id("pre-1");
  ASSERT_TRUE(Call(&v1::ConnectorService::Stub::GetConnector, get, &got).ok());
  EXPECT_TRUE(got.connector().is_preconfigured());
  EXPECT_FALSE(got.connector().has_config());

  v1::ListConnectorsResponse list;
  ASSERT_TRUE(Call(&v1::ConnectorService::Stub::ListConnectors,
                   v1::ListConnectorsRequest(), &list)
                  .ok());
  std::vector<std::string> names;
  for (const auto& c : list.connectors()) names.push_back(c.name());
  EXPECT_THAT(names, ::testing::ElementsAre("Aaa preconfigured", "Mid", "Zed"));

  // Update replaces name, config and secrets; preconfigured is immutable.
  v1::UpdateConnectorRequest update;
  update.set_id("my-id");
  update.set_name("Zed 2");
  *update.mutable_config() = ToStruct(absl::StrCat(
      R"({"url":")", fake_.base_url(), R"(","usesTableApi":false})"));
  *update.mutable_secrets() =
      ToStruct(absl::StrCat(R"({"token":")", kSecret, R"("})"));
  v1::UpdateConnectorResponse updated;
  ASSERT_TRUE(
      Call(&v1::ConnectorService::Stub::UpdateConnector, update, &updated)
          .ok());
  EXPECT_EQ(updated.connector().name(), "Zed 2");
  EXPECT_TRUE(updated.connector().config().fields().contains("usesTableApi"));
  update.set_name("");
  EXPECT_TRUE(IsInvalidField(
      Call(&v1::ConnectorService::Stub::UpdateConnector, update, &updated),
      "name"));
  update.set_id("pre-1");
  update.set_name("x");
  grpc::Status s =
      Call(&v1::ConnectorService::Stub::UpdateConnector, update, &updated);
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(s.error_message(),
              HasSubstr("preconfigured connector pre-1 cannot be updated"));
  update.set_id("missing");
  EXPECT_TRUE(StatusIs(
      Call(&v1::ConnectorService::Stub::UpdateConnector, update, &updated),
      grpc::StatusCode::NOT_FOUND));

  // Delete: preconfigured refused, unknown NOT_FOUND, a referenced one
  // allowed and reported.
  v1::DeleteConnectorRequest del;
  v1::DeleteConnectorResponse deleted;
  del.set_id("pre-1");
  EXPECT_TRUE(StatusIs(
      Call(&v1::ConnectorService::Stub::DeleteConnector, del, &deleted),
      grpc::StatusCode::INVALID_ARGUMENT));
  del.set_id("missing");
  EXPECT_TRUE(StatusIs(
      Call(&v1::ConnectorService::Stub::DeleteConnector, del, &deleted),
      grpc::StatusCode::NOT_FOUND));

  auto cases = server->NewCaseStub();
  v1::CreateCaseRequest create_case;
  create_case.set_title("uses the connector");
  create_case.set_description("d");
  create_case.set_owner("cases");
  create_case.mutable_connector()->set_id("my-id");
  create_case.mutable_connector()->set_name("Zed 2");
  create_case.mutable_connector()->set_type(".jira");
  v1::CreateCaseResponse case_resp;
  {
    grpc::ClientContext ctx;
    grpc::Status cs = cases->CreateCase(&ctx, create_case, &case_resp);
    ASSERT_TRUE(cs.ok()) << Describe(cs);
  }
  ASSERT_TRUE(Call(&v1::ConnectorService::Stub::ListConnectors,
                   v1::ListConnectorsRequest(), &list)
                  .ok());
  for (const auto& c : list.connectors()) {
    EXPECT_EQ(c.referenced_by_count(), c.id() == "my-id" ? 1 : 0) << c.id();
  }
  // FindConnectors lists the connectors whose type supports cases.
  {
    grpc::ClientContext ctx;
    v1::FindConnectorsResponse found;
    ASSERT_TRUE(
        cases->FindConnectors(&ctx, v1::FindConnectorsRequest(), &found).ok());
    transcript_ += ToJson(found);
    EXPECT_EQ(found.connectors_size(), 3);
  }
  del.set_id("my-id");
  ASSERT_TRUE(
      Call(&v1::ConnectorService::Stub::DeleteConnector, del, &deleted).ok());
  EXPECT_EQ(deleted.referenced_by_count(), 1);
  get.set_id("my-id");
  EXPECT_TRUE(
      StatusIs(Call(&v1::ConnectorService::Stub::GetConnector, get, &got),
               grpc::StatusCode::NOT_FOUND));

  EXPECT_THAT(transcript_, ::testing::Not(HasSubstr(kSecret)));
  EXPECT_THAT(transcript_, ::testing::Not(HasSubstr("pre-token")));
}

TEST_F(ConnectorServiceTest, ExecutesThroughTheHostAndSecretsNeverLeak) {
  fake_.Handle("GET", "/ok", [](const FakeRequest&) {
    return FakeResponse::Json(200, R"({"incident":"INC-1"})");
  });
  fake_.Handle("GET", "/down", [](const FakeRequest&) {
    return FakeResponse::Json(503, R"({"error":"maintenance window"})")
        .WithRetryAfter("30");
  });
  auto server = StartServer(AllowLoopbackYaml());
  ASSERT_NE(server, nullptr);
  v1::Connector c;
  ASSERT_TRUE(CreateHttp("exec", fake_.base_url(), &c).ok());

  v1::ConnectorExecuteResult ok = Execute(c.id(), "get", R"({"path":"/ok"})");
  EXPECT_EQ(ok.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(ok);
  EXPECT_EQ(ok.connector_id(), c.id());
  EXPECT_EQ(ok.data()
                .struct_value()
                .fields()
                .at("body")
                .struct_value()
                .fields()
                .at("incident")
                .string_value(),
            "INC-1");
  ASSERT_GE(fake_.request_count(), 1u);
  EXPECT_EQ(fake_.requests().back().Header("Authorization").value_or(""),
            std::string("Bearer ") + kSecret);

  v1::ConnectorExecuteResult down =
      Execute(c.id(), "get", R"({"path":"/down"})");
  EXPECT_EQ(down.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_EQ(down.message(), "external service failed");
  EXPECT_THAT(down.service_message(), HasSubstr("maintenance window"));
  EXPECT_TRUE(down.retry());
  EXPECT_TRUE(down.has_retry_at());

  v1::ConnectorExecuteResult unknown = Execute(c.id(), "explode");
  EXPECT_EQ(unknown.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_THAT(unknown.message(), HasSubstr("unknown sub-action \"explode\""));
  EXPECT_FALSE(unknown.retry());

  v1::ConnectorExecuteResult bad_params =
      Execute(c.id(), "get", R"({"path": 5})");
  EXPECT_EQ(bad_params.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_THAT(bad_params.message(),
              HasSubstr("error validating action params"));
  EXPECT_THAT(bad_params.message(), HasSubstr("sub_action_params.path"));

  grpc::Status status;
  Execute("no-such-connector", "get", "{}", &status);
  EXPECT_TRUE(StatusIs(status, grpc::StatusCode::NOT_FOUND));

  // TestConnector runs the handshake and stores nothing.
  v1::TestConnectorRequest test;
  test.set_connector_type_id(".test-http");
  *test.mutable_config() =
      ToStruct(absl::StrCat(R"({"url":")", fake_.base_url(), R"(/ok"})"));
  *test.mutable_secrets() =
      ToStruct(absl::StrCat(R"({"token":")", kSecret, R"("})"));
  v1::TestConnectorResponse tested;
  ASSERT_TRUE(
      Call(&v1::ConnectorService::Stub::TestConnector, test, &tested).ok());
  EXPECT_EQ(tested.result().status(), v1::CONNECTOR_EXECUTE_STATUS_OK)
      << ToJson(tested);
  *test.mutable_config() = ToStruct("{}");
  EXPECT_TRUE(IsInvalidField(
      Call(&v1::ConnectorService::Stub::TestConnector, test, &tested),
      "config.url"));
  v1::ListConnectorsResponse list;
  ASSERT_TRUE(Call(&v1::ConnectorService::Stub::ListConnectors,
                   v1::ListConnectorsRequest(), &list)
                  .ok());
  EXPECT_EQ(list.connectors_size(), 1);

  // The secret reached the external system, but no response and no log line.
  EXPECT_THAT(transcript_, ::testing::Not(HasSubstr(kSecret)));
  server->Stop();
  const std::string log = server->ReadStderr();
  EXPECT_THAT(log, HasSubstr("created connector"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr(kSecret)));
  // Nor the database file in clear text.
  std::ifstream db(fs::path(server->data_dir()) / "casebridge.db",
                   std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)),
                    std::istreambuf_iterator<char>());
  EXPECT_FALSE(bytes.empty());
  EXPECT_THAT(bytes, ::testing::Not(HasSubstr(kSecret)));
}

// Execute keeps connector records and plugin instances in memory; an update
// or a delete must still be seen by the very next call.
TEST_F(ConnectorServiceTest, UpdateAndDeleteTakeEffectOnTheNextExecute) {
  fake_.Handle("GET", "/ok", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  auto server = StartServer(AllowLoopbackYaml());
  ASSERT_NE(server, nullptr);
  v1::Connector c;
  ASSERT_TRUE(CreateHttp("cached", fake_.base_url(), &c).ok());
  for (int i = 0; i < 3; ++i) {
    v1::ConnectorExecuteResult r = Execute(c.id(), "get", R"({"path":"/ok"})");
    ASSERT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(r);
  }
  EXPECT_EQ(fake_.requests().back().Header("Authorization").value_or(""),
            std::string("Bearer ") + kSecret);

  v1::UpdateConnectorRequest update;
  update.set_id(c.id());
  update.set_name("cached, new token");
  *update.mutable_config() =
      ToStruct(absl::StrCat(R"({"url":")", fake_.base_url(), R"("})"));
  *update.mutable_secrets() = ToStruct(R"({"token":"rotated-token"})");
  v1::UpdateConnectorResponse updated;
  ASSERT_TRUE(
      Call(&v1::ConnectorService::Stub::UpdateConnector, update, &updated)
          .ok());
  v1::ConnectorExecuteResult r = Execute(c.id(), "get", R"({"path":"/ok"})");
  ASSERT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(r);
  EXPECT_EQ(fake_.requests().back().Header("Authorization").value_or(""),
            "Bearer rotated-token");

  v1::DeleteConnectorRequest del;
  del.set_id(c.id());
  v1::DeleteConnectorResponse deleted;
  ASSERT_TRUE(
      Call(&v1::ConnectorService::Stub::DeleteConnector, del, &deleted).ok());
  const size_t requests_before = fake_.request_count();
  grpc::Status status;
  Execute(c.id(), "get", R"({"path":"/ok"})", &status);
  EXPECT_TRUE(StatusIs(status, grpc::StatusCode::NOT_FOUND))
      << Describe(status);
  EXPECT_EQ(fake_.request_count(), requests_before);
}

TEST_F(ConnectorServiceTest, BrokenAndHangingPluginsDoNotTakeTheServerDown) {
  auto server = StartServer(AllowLoopbackYaml() +
                            "connectors:\n  execute_timeout_ms: 1500\n");
  ASSERT_NE(server, nullptr);
  v1::CreateConnectorRequest req;
  req.set_connector_type_id(".invalid-json");
  req.set_name("garbage");
  v1::CreateConnectorResponse garbage;
  ASSERT_TRUE(
      Call(&v1::ConnectorService::Stub::CreateConnector, req, &garbage).ok());
  v1::ConnectorExecuteResult r = Execute(garbage.connector().id(), "run");
  EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("plugin returned invalid JSON"));

  v1::Connector hanging, healthy;
  ASSERT_TRUE(CreateHttp("hangs", fake_.base_url(), &hanging).ok());
  ASSERT_TRUE(CreateHttp("healthy", fake_.base_url(), &healthy).ok());
  fake_.Handle("GET", "/ok", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  const auto start = std::chrono::steady_clock::now();
  r = Execute(hanging.id(), "hang", R"({"ms": 20000})");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("DEADLINE_EXCEEDED"));
  EXPECT_TRUE(r.retry());
  EXPECT_LT(took, std::chrono::seconds(10));

  // A caller deadline shorter than the config cap also bounds the call.
  grpc::Status status;
  r = Execute(hanging.id(), "hang", R"({"ms": 20000})", &status,
              /*deadline_s=*/1);
  EXPECT_TRUE(status.ok() ||
              status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      << Describe(status);

  // Still serving: health, CRUD and other connectors.
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckResponse health;
  ASSERT_TRUE(server->NewHealthStub()
                  ->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &health)
                  .ok());
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  r = Execute(healthy.id(), "get", R"({"path":"/ok"})");
  EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(r);
  EXPECT_TRUE(server->Running());
  EXPECT_THAT(server->ReadStderr(),
              HasSubstr("did not finish by its deadline"));
}

// Calls of a sub-action that has proven cheap (no host I/O, fast) run on
// gRPC's thread instead of an execute worker. When that plugin then hangs, it
// holds at most `inline_execute_slots` of those threads: its calls still end
// at the deadline, the server keeps serving, and once the slow calls return
// the sub-action goes back to the workers.
TEST_F(ConnectorServiceTest, CheapCallsRunInlineAndAHangHoldsAtMostItsSlots) {
  auto server = StartServer(
      AllowLoopbackYaml() +
      "metrics:\n  listen: 127.0.0.1:0\n"
      "connectors:\n  execute_timeout_ms: 1000\n  inline_execute_slots: 2\n");
  ASSERT_NE(server, nullptr);
  const int port = MetricsPort(server->ReadStderr());
  ASSERT_GT(port, 0) << server->ReadStderr();
  auto inline_calls = [port](const std::string& sub_action) {
    double v = SeriesValue(
        HttpGet(port, "/metrics"), "casebridge_plugin_inline_calls_total",
        {{"connector_type", ".test-http"}, {"sub_action", sub_action}});
    return v < 0 ? 0.0 : v;
  };
  fake_.Handle("GET", "/ok", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  v1::Connector turns_slow, other;
  ASSERT_TRUE(CreateHttp("turns-slow", fake_.base_url(), &turns_slow).ok());
  ASSERT_TRUE(CreateHttp("other", fake_.base_url(), &other).ok());

  // Calls that use the host's HTTP service never run inline.
  for (int i = 0; i < 40; ++i) {
    v1::ConnectorExecuteResult r =
        Execute(other.id(), "get", R"({"path":"/ok"})");
    ASSERT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(r);
  }
  EXPECT_EQ(inline_calls("get"), 0);

  // "hang" with 0 ms is cheap: after a streak of such calls they run inline.
  // Stop right after one that did.
  bool ran_inline = false;
  for (int i = 0; i < 500 && !ran_inline; ++i) {
    const double before = inline_calls("hang");
    v1::ConnectorExecuteResult r =
        Execute(turns_slow.id(), "hang", R"({"ms": 0})");
    ASSERT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(r);
    ran_inline = inline_calls("hang") == before + 1;
  }
  ASSERT_TRUE(ran_inline) << "cheap calls never ran inline";

  // Now it hangs, three times at once: at most two run inline (the slots),
  // the rest on the workers; all end at the 1 s deadline. (This plugin runs
  // one call per connector at a time, so the sleeps add up to 3.6 s.)
  const double inline_before = inline_calls("hang");
  const auto hang_start = std::chrono::steady_clock::now();
  std::vector<v1::ConnectorExecuteResult> hung(3);
  std::vector<grpc::Status> hung_status(3);
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([&, i] {
      v1::ExecuteConnectorRequest req;
      req.set_id(turns_slow.id());
      req.set_sub_action("hang");
      *req.mutable_sub_action_params() = ToStruct(R"({"ms": 1200})");
      v1::ExecuteConnectorResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
      hung_status[i] = stub_->ExecuteConnector(&ctx, req, &resp);
      hung[i] = resp.result();
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Meanwhile the server serves health, other connectors and CRUD.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    grpc::health::v1::HealthCheckResponse health;
    EXPECT_TRUE(
        server->NewHealthStub()
            ->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &health)
            .ok());
  }
  grpc::Status status;
  v1::ConnectorExecuteResult r =
      Execute(other.id(), "get", R"({"path":"/ok"})", &status,
              /*deadline_s=*/5);
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(r);
  v1::GetConnectorRequest get;
  get.set_id(other.id());
  v1::GetConnectorResponse got;
  EXPECT_TRUE(
      Call(&v1::ConnectorService::Stub::GetConnector, get, &got, 5).ok());

  for (auto& t : callers) t.join();
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(hung_status[i].ok()) << Describe(hung_status[i]);
    EXPECT_EQ(hung[i].status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR)
        << ToJson(hung[i]);
    EXPECT_THAT(hung[i].message(), HasSubstr("DEADLINE_EXCEEDED"));
  }
  const double hung_inline = inline_calls("hang") - inline_before;
  EXPECT_GE(hung_inline, 1);
  EXPECT_LE(hung_inline, 2);

  // Once the hung calls have returned, the sub-action is back on the
  // workers: a cheap call no longer runs inline.
  std::this_thread::sleep_until(hang_start + std::chrono::seconds(5));
  const double after_hang = inline_calls("hang");
  r = Execute(turns_slow.id(), "hang", R"({"ms": 0})");
  EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(r);
  EXPECT_EQ(inline_calls("hang"), after_hang);
  EXPECT_TRUE(server->Running());
  EXPECT_THAT(server->ReadStderr(),
              HasSubstr("did not finish by its deadline"));
}

TEST_F(ConnectorServiceTest, WithoutAKeyCreatingIsRefusedWithHowToFixIt) {
  auto server = StartServer("", "");
  ASSERT_NE(server, nullptr);
  grpc::Status s = CreateHttp("nokey", fake_.base_url(), nullptr);
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(s.error_message(), HasSubstr("CASEBRIDGE_ENCRYPTION_KEY"));
}

TEST_F(ConnectorServiceTest, KeyRotationKeepsConnectorsUsable) {
  fake_.Handle("GET", "/ok", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  std::string templ = (fs::temp_directory_path() / "cb-rotate-XXXXXX").string();
  const std::string data_dir = mkdtemp(templ.data());
  std::string id;
  {
    auto server = StartServer(AllowLoopbackYaml(), kKeyA, {}, data_dir);
    ASSERT_NE(server, nullptr);
    v1::Connector c;
    ASSERT_TRUE(CreateHttp("rotating", fake_.base_url(), &c).ok());
    id = c.id();
    EXPECT_EQ(Execute(id, "get", R"({"path":"/ok"})").status(),
              v1::CONNECTOR_EXECUTE_STATUS_OK);
    server->Stop();
  }
  {
    // New primary key, old one kept for decryption.
    auto server =
        StartServer(AllowLoopbackYaml(), kKeyB,
                    {{"CASEBRIDGE_OLD_ENCRYPTION_KEYS", kKeyA}}, data_dir);
    ASSERT_NE(server, nullptr);
    v1::ConnectorExecuteResult r = Execute(id, "get", R"({"path":"/ok"})");
    EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(r);
    EXPECT_EQ(fake_.requests().back().Header("Authorization").value_or(""),
              std::string("Bearer ") + kSecret);
    server->Stop();
  }
  {
    // Without the old key the secrets cannot be opened: refused, not leaked.
    auto server = StartServer(AllowLoopbackYaml(), kKeyB, {}, data_dir);
    ASSERT_NE(server, nullptr);
    grpc::Status status;
    Execute(id, "get", R"({"path":"/ok"})", &status);
    EXPECT_TRUE(StatusIs(status, grpc::StatusCode::FAILED_PRECONDITION));
    server->Stop();
  }
  std::error_code ec;
  fs::remove_all(data_dir, ec);
}

TEST_F(ConnectorServiceTest,
       EgressToPrivateAndMetadataAddressesIsRefusedByDefault) {
  fake_.Handle("GET", "/ok", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  {
    auto server = StartServer();
    ASSERT_NE(server, nullptr);
    for (const std::string& url :
         {fake_.base_url(), std::string("http://169.254.169.254"),
          std::string("http://10.0.0.1")}) {
      v1::Connector c;
      ASSERT_TRUE(CreateHttp("egress", url, &c).ok());
      v1::ConnectorExecuteResult r =
          Execute(c.id(), "get", R"({"path":"/ok"})");
      EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR) << url;
      EXPECT_THAT(r.message(), HasSubstr("egress policy")) << url;
      EXPECT_THAT(r.message(), HasSubstr("http.allowed_private_")) << url;
      EXPECT_FALSE(r.retry()) << url;
    }
    EXPECT_EQ(fake_.request_count(), 0u);
  }
  {
    auto server = StartServer(AllowLoopbackYaml());
    ASSERT_NE(server, nullptr);
    v1::Connector c;
    ASSERT_TRUE(CreateHttp("loopback", fake_.base_url(), &c).ok());
    v1::ConnectorExecuteResult r = Execute(c.id(), "get", R"({"path":"/ok"})");
    EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(r);
    ASSERT_TRUE(CreateHttp("metadata", "http://169.254.169.254", &c).ok());
    r = Execute(c.id(), "get", R"({"path":"/ok"})");
    EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  }
}

TEST_F(ConnectorServiceTest, MissingSecretsAreReportedAndRefuseToRun) {
  auto server = StartServer(AllowLoopbackYaml());
  ASSERT_NE(server, nullptr);
  v1::Connector c;
  ASSERT_TRUE(CreateHttp("lost secrets", fake_.base_url(), &c).ok());
  EXPECT_FALSE(c.is_missing_secrets());
  server->Stop();
  // Secrets lost (e.g. an import without them): the sealed value is gone.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(
                (fs::path(server->data_dir()) / "casebridge.db").c_str(), &db),
            SQLITE_OK);
  const std::string sql = absl::StrCat(
      "UPDATE connectors SET sealed_secrets = x'' WHERE id = '", c.id(), "'");
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  ASSERT_TRUE(server->Restart().ok());
  stub_ = server->NewConnectorStub();

  v1::GetConnectorRequest get;
  get.set_id(c.id());
  v1::GetConnectorResponse got;
  ASSERT_TRUE(Call(&v1::ConnectorService::Stub::GetConnector, get, &got).ok());
  EXPECT_TRUE(got.connector().is_missing_secrets());
  v1::ConnectorExecuteResult r = Execute(c.id(), "get");
  EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("missing its secrets"));
  EXPECT_EQ(fake_.request_count(), 0u);

  // Updating with secrets makes it usable again.
  fake_.Handle("GET", "/ok", [](const FakeRequest&) {
    return FakeResponse::Json(200, "{}");
  });
  v1::UpdateConnectorRequest update;
  update.set_id(c.id());
  update.set_name("secrets back");
  *update.mutable_config() =
      ToStruct(absl::StrCat(R"({"url":")", fake_.base_url(), R"("})"));
  *update.mutable_secrets() = ToStruct(R"({"token":"new-token"})");
  v1::UpdateConnectorResponse updated;
  ASSERT_TRUE(
      Call(&v1::ConnectorService::Stub::UpdateConnector, update, &updated)
          .ok());
  EXPECT_FALSE(updated.connector().is_missing_secrets());
  r = Execute(c.id(), "get", R"({"path":"/ok"})");
  EXPECT_EQ(r.status(), v1::CONNECTOR_EXECUTE_STATUS_OK) << ToJson(r);
  EXPECT_EQ(fake_.requests().back().Header("Authorization").value_or(""),
            "Bearer new-token");
}

TEST_F(ConnectorServiceTest, DeprecatedServiceNowRuleIsNotAppliedToOtherTypes) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  v1::Connector c;
  ASSERT_TRUE(CreateHttp("plain", fake_.base_url(), &c).ok());
  EXPECT_FALSE(c.is_deprecated());
}

}  // namespace
}  // namespace casebridge::testing

// Operator-facing behaviour of the real server binary: the Prometheus
// endpoint (RPC, plugin, HTTP egress and store series with their values), the
// request id in response metadata and in the per-RPC log line,
// --check-config listing every problem, and --version.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "casebridge/v1/case_service.grpc.pb.h"
#include "casebridge/v1/connector_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_http_server.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/server_process.h"

namespace casebridge::testing {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::casebridge::v1;
using ::testing::HasSubstr;

constexpr char kKey[] = "ops-test-primary-key-aaaaaaaaaaaaaaaaaaaaaaaaa";

std::string TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "cb-ops-XXXXXX").string();
  char* made = mkdtemp(tmpl.data());
  return made == nullptr ? std::string() : std::string(made);
}

// The JSON log lines of `stderr_text` with component "rpc".
std::vector<nlohmann::json> RpcLogLines(const std::string& stderr_text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(stderr_text);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("component", "") == "rpc") out.push_back(j);
  }
  return out;
}

google::protobuf::Struct ToStruct(const std::string& json) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &s).ok());
  return s;
}

// Runs the server binary with `args`; returns its exit code and output.
int RunBinary(const std::vector<std::string>& args, std::string* out,
              std::string* err, const std::string& dir) {
  std::string cmd = ServerProcess::DefaultBinary();
  for (const auto& a : args) absl::StrAppend(&cmd, " '", a, "'");
  const std::string out_path = dir + "/run.out";
  const std::string err_path = dir + "/run.err";
  absl::StrAppend(&cmd, " >", out_path, " 2>", err_path);
  // The key must not come from the test's environment.
  const int rc = std::system(
      absl::StrCat("env -u CASEBRIDGE_ENCRYPTION_KEY ", cmd).c_str());
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  *out = slurp(out_path);
  *err = slurp(err_path);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_F(OpsTest, MetricsRequestIdsAndRequestLog) {
  const std::string plugins = dir_ + "/plugins";
  fs::create_directories(plugins);
  fs::copy_file(CASEBRIDGE_TEST_CONNECTORS_PLUGIN,
                fs::path(plugins) / "test_connectors.so");
  FakeHttpServer fake;
  fake.Handle("GET", "/ping", [](const FakeRequest&) {
    return FakeResponse::Json(200, R"({"pong":true})");
  });
  fake.Start();

  ServerOptions options;
  options.config_yaml = absl::StrCat(
      "plugin_dirs: [\"", plugins, "\"]\n",
      "metrics:\n  listen: 127.0.0.1:0\n",
      "default_principal: {username: ops-tester}\n",
      "http:\n  allowed_private_cidrs: [\"127.0.0.1/32\"]\n");
  options.env.emplace_back("CASEBRIDGE_ENCRYPTION_KEY", kKey);
  ServerProcess server(options);
  ASSERT_TRUE(server.Start().ok());

  const int metrics_port = MetricsPort(server.ReadStderr());
  ASSERT_GT(metrics_port, 0) << server.ReadStderr();

  auto cases = server.NewCaseStub();
  v1::CreateCaseRequest create;
  create.set_title("metrics");
  create.set_description("metrics test");
  create.set_owner("ops-owner");
  create.mutable_settings()->set_sync_alerts(false);

  // A sane client id is kept and echoed.
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-request-id", "client-req.42:a_b");
    v1::CreateCaseResponse resp;
    ASSERT_TRUE(cases->CreateCase(&ctx, create, &resp).ok());
    auto it = ctx.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(it, ctx.GetServerInitialMetadata().end());
    EXPECT_EQ(std::string(it->second.data(), it->second.size()),
              "client-req.42:a_b");
  }
  // An insane one is replaced by a generated id.
  std::string generated;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-request-id", "bad id with spaces");
    v1::CreateCaseResponse resp;
    ASSERT_TRUE(cases->CreateCase(&ctx, create, &resp).ok());
    auto it = ctx.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(it, ctx.GetServerInitialMetadata().end());
    generated = std::string(it->second.data(), it->second.size());
    EXPECT_EQ(generated.size(), 36u) << generated;
  }
  // An error: the id comes back with the status too.
  {
    grpc::ClientContext ctx;
    v1::GetCaseRequest get;
    get.set_id("no-such-case");
    v1::GetCaseResponse resp;
    grpc::Status s = cases->GetCase(&ctx, get, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_NE(ctx.GetServerInitialMetadata().find("x-request-id"),
              ctx.GetServerInitialMetadata().end());
  }

  // A plugin call that goes out over HTTP.
  auto connectors = server.NewConnectorStub();
  std::string connector_id;
  {
    grpc::ClientContext ctx;
    v1::CreateConnectorRequest req;
    req.set_connector_type_id(".test-http");
    req.set_name("ops");
    *req.mutable_config() =
        ToStruct(absl::StrCat(R"({"url":")", fake.base_url(), R"("})"));
    *req.mutable_secrets() = ToStruct(R"({"token":"t0ken"})");
    v1::CreateConnectorResponse resp;
    grpc::Status s = connectors->CreateConnector(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    connector_id = resp.connector().id();
  }
  {
    grpc::ClientContext ctx;
    v1::ExecuteConnectorRequest req;
    req.set_id(connector_id);
    req.set_sub_action("get");
    *req.mutable_sub_action_params() = ToStruct(R"({"path":"/ping"})");
    v1::ExecuteConnectorResponse resp;
    grpc::Status s = connectors->ExecuteConnector(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.result().status(), v1::CONNECTOR_EXECUTE_STATUS_OK)
        << resp.result().message();
  }

  const std::string text = HttpGet(metrics_port, "/metrics");
  ASSERT_FALSE(text.empty());
  const std::string cs = "casebridge.v1.CaseService";
  EXPECT_EQ(SeriesValue(text, "casebridge_grpc_server_handled_total",
                        {{"grpc_service", cs},
                         {"grpc_method", "CreateCase"},
                         {"grpc_code", "OK"}}),
            2)
      << text;
  EXPECT_EQ(SeriesValue(text, "casebridge_grpc_server_started_total",
                        {{"grpc_service", cs}, {"grpc_method", "CreateCase"}}),
            2);
  EXPECT_EQ(SeriesValue(text, "casebridge_grpc_server_handling_seconds_count",
                        {{"grpc_service", cs},
                         {"grpc_method", "CreateCase"},
                         {"grpc_code", "OK"}}),
            2);
  EXPECT_EQ(SeriesValue(text, "casebridge_grpc_server_handled_total",
                        {{"grpc_service", cs},
                         {"grpc_method", "GetCase"},
                         {"grpc_code", "NOT_FOUND"}}),
            1);
  EXPECT_GE(SeriesValue(text, "casebridge_grpc_server_handled_total",
                        {{"grpc_service", "grpc.health.v1.Health"},
                         {"grpc_method", "Check"},
                         {"grpc_code", "OK"}}),
            1);
  EXPECT_EQ(SeriesValue(text, "casebridge_plugin_calls_total",
                        {{"connector_type", ".test-http"},
                         {"sub_action", "get"},
                         {"code", "OK"}}),
            1);
  EXPECT_EQ(SeriesValue(text, "casebridge_plugin_call_duration_seconds_count",
                        {{"connector_type", ".test-http"}, {"sub_action", "get"}}),
            1);
  EXPECT_EQ(SeriesValue(text, "casebridge_http_egress_requests_total",
                        {{"host", "127.0.0.1"}, {"status", "200"}}),
            1);
  // Two cases and a connector were written.
  EXPECT_GE(SeriesValue(text, "casebridge_store_operation_duration_seconds_count",
                        {{"op", "commit_write"}}),
            3);
  EXPECT_GE(SeriesValue(text, "casebridge_store_operation_duration_seconds_count",
                        {{"op", "begin_write"}}),
            3);
  EXPECT_EQ(SeriesValue(text, "casebridge_build_info",
                        {{"api", "casebridge.v1"}, {"plugin_abi", "1.0"}}),
            1);
  EXPECT_EQ(SeriesValue(text, "casebridge_push_queue_depth", {}), 0);

  // One log line per RPC with the same request id the client saw.
  const auto lines = RpcLogLines(server.ReadStderr());
  bool saw_client_id = false, saw_generated = false, saw_not_found = false;
  for (const auto& l : lines) {
    EXPECT_TRUE(l.contains("duration_ms")) << l.dump();
    if (l.value("request_id", "") == "client-req.42:a_b") {
      saw_client_id = true;
      EXPECT_EQ(l.value("method", ""), "/casebridge.v1.CaseService/CreateCase");
      EXPECT_EQ(l.value("code", ""), "OK");
      EXPECT_EQ(l.value("principal", ""), "ops-tester");
      EXPECT_EQ(l.value("level", ""), "info");
    }
    if (l.value("request_id", "") == generated) saw_generated = true;
    if (l.value("method", "") == "/casebridge.v1.CaseService/GetCase" &&
        l.value("code", "") == "NOT_FOUND") {
      saw_not_found = true;
    }
  }
  EXPECT_TRUE(saw_client_id);
  EXPECT_TRUE(saw_generated);
  EXPECT_TRUE(saw_not_found);
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(OpsTest, MetricsOffByDefault) {
  ServerProcess server(ServerOptions{});
  ASSERT_TRUE(server.Start().ok());
  EXPECT_THAT(server.ReadStderr(), ::testing::Not(HasSubstr("Prometheus")));
}

TEST_F(OpsTest, CheckConfigListsEveryProblem) {
  const std::string path = dir_ + "/bad.yaml";
  std::ofstream(path) << "listen: nowhere\n"
                         "log_level: loud\n"
                         "surprise: 1\n"
                         "max_request_bytes: lots\n"
                         "plugin_dirs: [\"" << dir_ << "/missing-plugins\"]\n"
                         "metrics: {listen: 9090, extra: 1}\n"
                         "watch: {retention_hours: 0}\n"
                         "connectors:\n"
                         "  encryption_key_file: " << dir_ << "/no-key\n"
                         "  execute_threads: 0\n"
                         "http:\n"
                         "  verification_mode: sometimes\n"
                         "  host_settings:\n"
                         "    - url: https://x.example\n"
                         "      ca_files: [\"" << dir_ << "/no-ca.pem\"]\n";
  std::string out, err;
  EXPECT_EQ(RunBinary({"--check-config", path}, &out, &err, dir_), 1);
  for (const char* expected : {
           "unknown key 'surprise'",
           "'max_request_bytes' has the wrong type",
           "unknown key 'metrics.extra'",
           "listen must be host:port",
           "log_level must be debug, info, warn or error",
           "metrics.listen must be host:port",
           "watch.retention_hours must be positive",
           "connectors.execute_threads must be between 1 and 256",
           "http.verification_mode must be none, certificate or full",
           "missing-plugins is not a directory",
           "connectors.encryption_key_file: file",
           "http.host_settings[0].ca_files[0]: file",
       }) {
    EXPECT_THAT(err, HasSubstr(expected));
  }
  EXPECT_THAT(err, HasSubstr("has 13 problems"));
  EXPECT_EQ(out, "");

  const std::string key_path = dir_ + "/key";
  std::ofstream(key_path) << "short\n";
  const std::string short_key = dir_ + "/short.yaml";
  std::ofstream(short_key) << "connectors: {encryption_key_file: " << key_path
                           << "}\n";
  EXPECT_EQ(RunBinary({"--check-config", short_key}, &out, &err, dir_), 1);
  EXPECT_THAT(err, HasSubstr("shorter than 32 characters"));
  EXPECT_THAT(err, ::testing::Not(HasSubstr("short\n  ")));

  const std::string good = dir_ + "/good.yaml";
  std::ofstream(good) << "listen: 127.0.0.1:0\nplugin_dirs: [\"" << dir_
                      << "\"]\nmetrics: {listen: \"127.0.0.1:9464\"}\n"
                      << "tls: {mode: plaintext}\n";
  EXPECT_EQ(RunBinary({"--check-config", good}, &out, &err, dir_), 0) << err;
  EXPECT_THAT(out, HasSubstr("config OK"));

  EXPECT_EQ(RunBinary({"--check-config", dir_ + "/absent.yaml"}, &out, &err,
                      dir_),
            1);
  EXPECT_THAT(err, HasSubstr("cannot be read"));
}

TEST_F(OpsTest, VersionPrintsServerApiAndAbi) {
  std::string out, err;
  EXPECT_EQ(RunBinary({"--version"}, &out, &err, dir_), 0);
  EXPECT_THAT(out, HasSubstr("casebridge-server 0.1.0"));
  EXPECT_THAT(out, HasSubstr("api casebridge.v1"));
  EXPECT_THAT(out, HasSubstr("plugin abi 1.0"));
}

}  // namespace
}  // namespace casebridge::testing

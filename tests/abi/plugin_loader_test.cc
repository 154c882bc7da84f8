// The plugin host against real plugins: the C test plugins (one per failure
// mode) and a C++ plugin built with plugin.hpp. Each test copies the plugins
// it needs into its own temporary directory.
#include "server/plugin_host/plugin_loader.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/plugin_host/host_http.h"
#include "server/plugin_host/token_cache.h"
#include "tests/abi/test_keys.h"

namespace casebridge::plugin_host {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

namespace fs = std::filesystem;

// A directory under the test temp dir holding copies of the named plugins.
std::string PluginDir(const std::vector<std::string>& names) {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) /
                 (std::string("plugins_") + info->name() + "_" +
                  std::to_string(getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& name : names) {
    fs::copy_file(fs::path(CASEBRIDGE_TEST_PLUGIN_DIR) / (name + ".so"),
                  dir / (name + ".so"));
  }
  return dir.string();
}

std::vector<std::string> ModuleIds(const LoadedPlugins& loaded) {
  std::vector<std::string> ids;
  for (const auto& m : loaded.modules) ids.push_back(m->id());
  return ids;
}

const SkippedPlugin* FindSkipped(const LoadedPlugins& loaded,
                                 const std::string& file) {
  for (const auto& s : loaded.skipped) {
    if (fs::path(s.path).filename() == file) return &s;
  }
  return nullptr;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::shared_ptr<const PluginModule> LoadOne(const std::string& name,
                                            HostServices services = {}) {
  LoaderOptions options;
  options.directories = {PluginDir({name})};
  options.services = services;
  LoadedPlugins loaded = LoadPlugins(options);
  if (loaded.modules.size() != 1) return nullptr;
  return loaded.modules[0];
}

TEST(PluginLoaderTest, SkipsEachBadPluginWithOneLogLineAndKeepsTheRest) {
  std::string dir =
      PluginDir({"no_entry", "wrong_major", "bad_descriptor", "newer_minor",
                 "cpp_plugin", "create_fails", "slow"});
  LoaderOptions options;
  options.directories = {dir};
  ::testing::internal::CaptureStderr();
  LoadedPlugins loaded = LoadPlugins(options);
  std::string log = ::testing::internal::GetCapturedStderr();

  EXPECT_THAT(ModuleIds(loaded), UnorderedElementsAre("newer-minor", "cpp-test",
                                                      "create-fails", "slow"));
  ASSERT_EQ(loaded.skipped.size(), 3u);
  const SkippedPlugin* no_entry = FindSkipped(loaded, "no_entry.so");
  const SkippedPlugin* wrong_major = FindSkipped(loaded, "wrong_major.so");
  const SkippedPlugin* bad = FindSkipped(loaded, "bad_descriptor.so");
  ASSERT_TRUE(no_entry && wrong_major && bad);
  EXPECT_THAT(no_entry->reason,
              HasSubstr("missing entry symbol casebridge_plugin_entry_v1"));
  EXPECT_THAT(wrong_major->reason, HasSubstr("ABI major version 2"));
  EXPECT_THAT(bad->reason, HasSubstr("duplicate sub-action \"run\""));

  // Exactly one warning line per skipped file, naming the file and reason.
  for (const auto* skipped : {no_entry, wrong_major, bad}) {
    int matching = 0;
    for (const auto& line : Lines(log)) {
      if (line.find(fs::path(skipped->path).filename().string()) ==
          std::string::npos)
        continue;
      if (line.find("\"level\":\"warn\"") == std::string::npos) continue;
      ++matching;
      json parsed = json::parse(line);
      EXPECT_THAT(parsed.at("msg").get<std::string>(),
                  HasSubstr(skipped->path));
      EXPECT_THAT(parsed.at("msg").get<std::string>(),
                  HasSubstr(skipped->reason));
    }
    EXPECT_EQ(matching, 1) << skipped->path << "\n" << log;
  }
}

TEST(PluginLoaderTest, DuplicateTypeIdSkipsTheLaterPlugin) {
  LoaderOptions options;
  options.directories = {PluginDir({"dup_a", "dup_b"})};
  ::testing::internal::CaptureStderr();
  LoadedPlugins loaded = LoadPlugins(options);
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(ModuleIds(loaded), ElementsAre("dup-a"));
  const SkippedPlugin* skipped = FindSkipped(loaded, "dup_b.so");
  ASSERT_NE(skipped, nullptr);
  EXPECT_THAT(
      skipped->reason,
      HasSubstr("connector type id \".dup-type\" is already provided by"));
  EXPECT_THAT(skipped->reason, HasSubstr("dup_a.so"));
  EXPECT_THAT(log, HasSubstr("dup_b.so"));
  EXPECT_EQ(loaded.FindType(".dup-type").module->id(), "dup-a");
}

TEST(PluginLoaderTest, MissingDirectoryIsLoggedAndOthersStillLoad) {
  LoaderOptions options;
  options.directories = {"/nonexistent/casebridge/plugins",
                         PluginDir({"slow"})};
  ::testing::internal::CaptureStderr();
  LoadedPlugins loaded = LoadPlugins(options);
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(ModuleIds(loaded), ElementsAre("slow"));
  EXPECT_THAT(
      log, HasSubstr(
               "cannot scan plugin directory /nonexistent/casebridge/plugins"));
}

TEST(PluginLoaderTest, LoadPluginFileReportsReason) {
  std::string dir = PluginDir({"wrong_major"});
  auto module = LoadPluginFile(dir + "/wrong_major.so", LoaderOptions());
  ASSERT_FALSE(module.ok());
  EXPECT_THAT(std::string(module.status().message()),
              HasSubstr("plugin ABI major version 2 (2.0), host supports 1.x"));
  EXPECT_FALSE(LoadPluginFile(dir + "/missing.so", LoaderOptions()).ok());
}

TEST(PluginLoaderTest, NewerMinorWithLargerTablesLoadsAndRuns) {
  auto module = LoadOne("newer_minor");
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->abi_major(), 1u);
  EXPECT_EQ(module->abi_minor(), 7u);
  EXPECT_EQ(module->version(), "1.7.0");
  ASSERT_EQ(module->connector_types().size(), 1u);
  auto instance = PluginInstance::Create(module, ".newer-minor", "conn-1",
                                         json::object(), json::object());
  ASSERT_TRUE(instance.ok()) << instance.status();
  auto outcome = (*instance)->Execute("run", json::object());
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->data, json({{"host_minor", 0}, {"connector_id_size", 6}}));
}

TEST(PluginLoaderTest, DescriptorIsParsed) {
  auto module = LoadOne("cpp_plugin");
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->id(), "cpp-test");
  EXPECT_EQ(module->name(), "C++ test plugin");
  EXPECT_EQ(module->version(), "2.3.4-beta.1");
  EXPECT_TRUE(module->concurrent_execute());
  EXPECT_TRUE(fs::path(module->path()).is_absolute());
  const ConnectorTypeInfo* type = module->FindType(".cpp-test");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->name, "C++ test connector");
  EXPECT_THAT(type->supported_features, ElementsAre("cases", "alerting"));
  EXPECT_EQ(type->config_schema, json({{"type", "object"}}));
  EXPECT_EQ(type->sub_actions.size(), 9u);
  ASSERT_NE(type->FindSubAction("jwt"), nullptr);
  EXPECT_EQ(type->FindSubAction("jwt")->params_schema,
            json({{"type", "object"}}));
  ASSERT_EQ(type->default_mappings.size(), 2u);
  EXPECT_EQ(type->default_mappings[1].source, "comments");
  EXPECT_EQ(type->default_mappings[1].target, "work_notes");
  EXPECT_EQ(type->default_mappings[1].action, "append");
}

TEST(PluginInstanceTest, InstanceCreateFailureCarriesCodeAndMessage) {
  auto module = LoadOne("create_fails");
  ASSERT_NE(module, nullptr);
  auto instance = PluginInstance::Create(module, ".create-fails", "c",
                                         json::object(), json::object());
  ASSERT_FALSE(instance.ok());
  EXPECT_EQ(instance.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(instance.status().message(), "config rejected: url is required");
  EXPECT_EQ(PluginInstance::Create(module, ".other", "c", json::object(),
                                   json::object())
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST(PluginInstanceTest, ValidateConfigHook) {
  auto module = LoadOne("create_fails");
  ASSERT_NE(module, nullptr);
  absl::Status rejected =
      ValidateConfig(*module, ".create-fails", json::object(), json::object());
  EXPECT_EQ(rejected.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rejected.message(), "config.url is required");
  EXPECT_TRUE(ValidateConfig(*module, ".create-fails",
                             json({{"url", "https://x"}}), json::object())
                  .ok());
  EXPECT_EQ(
      ValidateConfig(*module, ".nope", json::object(), json::object()).code(),
      absl::StatusCode::kNotFound);
}

TEST(PluginInstanceTest, UntrustedOutputIsRejected) {
  LoaderOptions options;
  options.directories = {PluginDir({"invalid_json"})};
  options.max_output_bytes = 1 << 20;
  LoadedPlugins loaded = LoadPlugins(options);
  ASSERT_EQ(loaded.modules.size(), 1u);
  auto instance = PluginInstance::Create(loaded.modules[0], ".invalid-json",
                                         "c", json::object(), json::object());
  ASSERT_TRUE(instance.ok());

  auto invalid = (*instance)->Execute("run", json::object());
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(invalid.status().message(), "plugin returned invalid JSON");

  auto unknown = (*instance)->Execute("bad_status", json::object());
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->code, absl::StatusCode::kUnknown);
  EXPECT_THAT(unknown->message, HasSubstr("unknown status code 99"));
  EXPECT_FALSE(unknown->retryable);

  auto huge = (*instance)->Execute("huge", json::object());
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(huge.status().message()),
              HasSubstr("exceeds 1048576 bytes"));

  auto undeclared = (*instance)->Execute("pushToService", json::object());
  ASSERT_FALSE(undeclared.ok());
  EXPECT_EQ(undeclared.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PluginInstanceTest, ExecuteStopsAtDeadlineWhenPluginPolls) {
  auto module = LoadOne("slow");
  ASSERT_NE(module, nullptr);
  auto instance = PluginInstance::Create(module, ".slow", "c", json::object(),
                                         json::object());
  ASSERT_TRUE(instance.ok());
  CallOptions options;
  options.deadline = absl::Now() + absl::Milliseconds(50);
  auto outcome = (*instance)->Execute("run", json::object(), options);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->code, absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(outcome->message, "stopped: call cancelled");
  EXPECT_TRUE(outcome->retryable);  // DEADLINE_EXCEEDED is retryable by default
}

TEST(PluginInstanceTest, CallerCancellationReachesPlugin) {
  auto module = LoadOne("slow");
  ASSERT_NE(module, nullptr);
  auto instance = PluginInstance::Create(module, ".slow", "c", json::object(),
                                         json::object());
  ASSERT_TRUE(instance.ok());
  CallOptions options;
  options.is_cancelled = [] { return true; };
  auto outcome = (*instance)->Execute("run", json::object(), options);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->code, absl::StatusCode::kDeadlineExceeded);
}

class CppPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = LoadOne("cpp_plugin", services_);
    ASSERT_NE(module_, nullptr);
    auto instance = PluginInstance::Create(module_, ".cpp-test", "conn-42",
                                           json({{"x", 1}}), json::object());
    ASSERT_TRUE(instance.ok()) << instance.status();
    instance_ = *std::move(instance);
  }

  ExecuteOutcome Run(const std::string& sub_action,
                     const json& params = json::object()) {
    CallOptions options;
    options.request_id = "req-1";
    options.deadline = absl::Now() + absl::Seconds(30);
    auto outcome = instance_->Execute(sub_action, params, options);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : ExecuteOutcome{};
  }

  InMemoryTokenCache token_cache_;
  HostServices services_{nullptr, &token_cache_};
  std::shared_ptr<const PluginModule> module_;
  std::unique_ptr<PluginInstance> instance_;
};

TEST_F(CppPluginTest, EchoSeesParamsAndCallContext) {
  ExecuteOutcome outcome = Run("echo", {{"message", "hi"}});
  ASSERT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(outcome.data, json({{"params", {{"message", "hi"}}},
                                {"connector_id", "conn-42"},
                                {"ctx_connector_id", "conn-42"},
                                {"request_id", "req-1"}}));
}

TEST_F(CppPluginTest, PluginLogsAreAttributedToThePlugin) {
  ::testing::internal::CaptureStderr();
  ExecuteOutcome outcome = Run("log");
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome.data.is_null());
  bool found = false;
  for (const auto& line : Lines(log)) {
    json parsed = json::parse(line, nullptr, false);
    if (parsed.is_object() &&
        parsed.value("msg", "") == "hello from the plugin") {
      found = true;
      EXPECT_EQ(parsed.value("component", ""), "plugin:cpp-test");
      EXPECT_EQ(parsed.value("level", ""), "warn");
    }
  }
  EXPECT_TRUE(found) << log;
}

TEST_F(CppPluginTest, StdExceptionBecomesInternal) {
  ExecuteOutcome outcome = Run("throw_std");
  EXPECT_EQ(outcome.code, absl::StatusCode::kInternal);
  EXPECT_EQ(outcome.message, "boom from std");
  EXPECT_FALSE(outcome.retryable);
}

TEST_F(CppPluginTest, UnknownExceptionBecomesInternal) {
  ExecuteOutcome outcome = Run("throw_int");
  EXPECT_EQ(outcome.code, absl::StatusCode::kInternal);
  EXPECT_EQ(outcome.message, "unknown exception");
}

TEST_F(CppPluginTest, SdkErrorCarriesRetryInformationAndDetails) {
  ExecuteOutcome outcome = Run("fail");
  EXPECT_EQ(outcome.code, absl::StatusCode::kUnavailable);
  EXPECT_EQ(outcome.message, "upstream is down");
  EXPECT_TRUE(outcome.retryable);
  EXPECT_EQ(outcome.retry_after_ms, 1500);
  EXPECT_EQ(outcome.details, json({{"upstream_status", 503}}));

  ExecuteOutcome permanent = Run("permanent");
  EXPECT_EQ(permanent.code, absl::StatusCode::kUnavailable);
  EXPECT_FALSE(permanent.retryable);
}

TEST_F(CppPluginTest, CreateThrowingBecomesError) {
  auto instance = PluginInstance::Create(
      module_, ".cpp-test", "c", json({{"fail_create", true}}), json::object());
  ASSERT_FALSE(instance.ok());
  EXPECT_EQ(instance.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(instance.status().message(), "fail_create was set");
}

TEST_F(CppPluginTest, SdkValidatorRunsThroughValidateConfig) {
  absl::Status status =
      ValidateConfig(*module_, ".cpp-test", json({{"x", -1}}), json::object());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "x must not be negative");
  EXPECT_TRUE(
      ValidateConfig(*module_, ".cpp-test", json({{"x", 1}}), json::object())
          .ok());
}

TEST_F(CppPluginTest, TokenCacheIsNamespacedByConnector) {
  ASSERT_TRUE(token_cache_
                  .Put("other-connector", "access", "theirs",
                       absl::Now() + absl::Hours(1))
                  .ok());
  ExecuteOutcome outcome = Run("token");
  ASSERT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(outcome.data, json({{"first", "t0ken"}, {"second", "<none>"}}));
  auto theirs = token_cache_.Get("other-connector", "access", absl::Now());
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(theirs->value_or(""), "theirs");
}

TEST_F(CppPluginTest, HttpWithoutServiceFailsCleanly) {
  ExecuteOutcome outcome = Run("http", {{"url", "https://example.invalid/"}});
  EXPECT_EQ(outcome.code, absl::StatusCode::kUnavailable);
  EXPECT_THAT(outcome.message, HasSubstr("HTTP service not configured"));
  EXPECT_FALSE(outcome.retryable);
}

TEST_F(CppPluginTest, JwtSignedThroughHostVerifies) {
  test_keys::TestKey key = test_keys::MakeRsaKey();
  json claims = {{"sub", "user"},
                 {"aud", "client"},
                 {"iss", "client"},
                 {"iat", 1},
                 {"exp", 2}};
  ExecuteOutcome outcome = Run("jwt", {{"claims", claims},
                                       {"key", key.encrypted_private_pem},
                                       {"passphrase", key.passphrase}});
  ASSERT_TRUE(outcome.ok()) << outcome.message;
  std::string jwt = outcome.data.at("jwt");
  EXPECT_TRUE(test_keys::VerifyRs256(jwt, key.public_pem));
  EXPECT_EQ(json::parse(test_keys::JwtPart(jwt, 0)).at("kid"), "key-1");
  EXPECT_EQ(json::parse(test_keys::JwtPart(jwt, 1)), claims);

  ExecuteOutcome wrong = Run("jwt", {{"claims", claims},
                                     {"key", key.encrypted_private_pem},
                                     {"passphrase", "nope"}});
  EXPECT_EQ(wrong.code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      wrong.message,
      HasSubstr("private key could not be decrypted: wrong passphrase?"));
  EXPECT_FALSE(wrong.retryable);
}

// Records requests and answers with a canned response or failure.
class FakeHttp : public HostHttp {
 public:
  HostHttpResult Send(const HostHttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    return result_;
  }
  HostHttpResult result_;
  std::vector<HostHttpRequest> requests_;
  std::mutex mu_;
};

TEST(PluginHttpTest, RequestAndResponseCrossTheBoundary) {
  FakeHttp http;
  http.result_.response.status = 429;
  http.result_.response.headers = {{"Content-Type", "application/json"},
                                   {"Retry-After", "7"}};
  http.result_.response.body = R"({"error":"slow down"})";
  auto module = LoadOne("cpp_plugin", HostServices{&http, nullptr});
  ASSERT_NE(module, nullptr);
  auto instance = PluginInstance::Create(module, ".cpp-test", "c",
                                         json::object(), json::object());
  ASSERT_TRUE(instance.ok());
  CallOptions options;
  options.deadline =
      absl::FromUnixMillis(absl::ToUnixMillis(absl::Now()) + 60000);
  auto outcome = (*instance)->Execute(
      "http",
      {{"url", "https://sn.example/api/now/table/incident"},
       {"method", "POST"},
       {"body", "{}"}},
      options);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->ok()) << outcome->message;
  EXPECT_EQ(outcome->data, json({{"status", 429},
                                 {"body", R"({"error":"slow down"})"},
                                 {"content_type", "application/json"},
                                 {"retry_after_ms", 7000}}));
  ASSERT_EQ(http.requests_.size(), 1u);
  const HostHttpRequest& sent = http.requests_[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://sn.example/api/now/table/incident");
  EXPECT_EQ(sent.body, "{}");
  EXPECT_THAT(sent.headers,
              ElementsAre(std::make_pair(std::string("Accept"),
                                         std::string("application/json"))));
  EXPECT_EQ(sent.deadline, options.deadline);
}

TEST(PluginHttpTest, TransportFailureKeepsItsRetryClass) {
  FakeHttp http;
  http.result_.status =
      absl::PermissionDeniedError("egress to 169.254.169.254 refused");
  http.result_.retryable = false;
  auto module = LoadOne("cpp_plugin", HostServices{&http, nullptr});
  ASSERT_NE(module, nullptr);
  auto instance = PluginInstance::Create(module, ".cpp-test", "c",
                                         json::object(), json::object());
  ASSERT_TRUE(instance.ok());
  auto outcome =
      (*instance)->Execute("http", {{"url", "http://169.254.169.254/"}});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->code, absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(outcome->message, HasSubstr("egress to 169.254.169.254 refused"));
  EXPECT_FALSE(outcome->retryable);

  http.result_.status = absl::UnavailableError("connection refused");
  http.result_.retryable = true;
  outcome = (*instance)->Execute("http", {{"url", "http://10.0.0.1/"}});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->code, absl::StatusCode::kUnavailable);
  EXPECT_TRUE(outcome->retryable);
}

TEST(PluginHttpTest, NoRequestAfterDeadline) {
  FakeHttp http;
  auto module = LoadOne("cpp_plugin", HostServices{&http, nullptr});
  ASSERT_NE(module, nullptr);
  auto instance = PluginInstance::Create(module, ".cpp-test", "c",
                                         json::object(), json::object());
  ASSERT_TRUE(instance.ok());
  CallOptions options;
  options.deadline = absl::Now() - absl::Seconds(1);
  auto outcome =
      (*instance)->Execute("http", {{"url", "https://x.example/"}}, options);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->code, absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(http.requests_.empty());
}

}  // namespace
}  // namespace casebridge::plugin_host

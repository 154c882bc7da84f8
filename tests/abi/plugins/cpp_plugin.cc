// A C++ test plugin built with casebridge/plugin.hpp. Its sub-actions exercise
// the SDK's exception guard and every host service:
//   "echo"       returns the params and the connector id
//   "log"        logs a warning through the host
//   "throw_std"  throws std::runtime_error        -> INTERNAL with what()
//   "throw_int"  throws an int                     -> INTERNAL "unknown
//   exception" "fail"       throws sdk::Error UNAVAILABLE with details and
//   retry_after "permanent"  throws sdk::Error UNAVAILABLE marked not retryable
//   "http"       GETs params.url through the host, returns status/body/header
//   "token"      put, get, delete, get again
//   "jwt"        signs params.claims with params.key / params.passphrase
#include <stdexcept>
#include <string>
#include <string_view>

#include "casebridge/plugin.hpp"

namespace {

namespace sdk = casebridge::sdk;
using nlohmann::json;

class TestConnector : public sdk::Connector {
 public:
  TestConnector(const sdk::CreateArgs& args, sdk::Context& /*ctx*/)
      : connector_id_(args.connector_id), config_(args.config) {
    if (config_.value("fail_create", false)) {
      throw sdk::Error(sdk::Code::kInvalidArgument, "fail_create was set");
    }
  }

  sdk::Result Execute(std::string_view sub_action, const json& params,
                      sdk::Context& ctx) override {
    if (sub_action == "echo") {
      return {{"params", params},
              {"connector_id", connector_id_},
              {"ctx_connector_id", std::string(ctx.connector_id())},
              {"request_id", std::string(ctx.request_id())}};
    }
    if (sub_action == "log") {
      ctx.Log(sdk::LogLevel::kWarn, "hello from the plugin");
      return nullptr;
    }
    if (sub_action == "throw_std") throw std::runtime_error("boom from std");
    if (sub_action == "throw_int") throw 42;
    if (sub_action == "fail") {
      throw sdk::Error(sdk::Code::kUnavailable, "upstream is down",
                       sdk::Retry::kDefault, 1500, {{"upstream_status", 503}});
    }
    if (sub_action == "permanent") {
      throw sdk::Error(sdk::Code::kUnavailable, "gone for good",
                       sdk::Retry::kNo);
    }
    if (sub_action == "http") {
      sdk::HttpRequest request;
      request.method = params.value("method", "GET");
      request.url = params.at("url").get<std::string>();
      request.headers = {{"Accept", "application/json"}};
      request.body = params.value("body", "");
      sdk::HttpResponse response = ctx.Http(request);
      return {{"status", response.status},
              {"body", response.body},
              {"content_type", response.Header("content-type").value_or("")},
              {"retry_after_ms", response.RetryAfterMs()}};
    }
    if (sub_action == "token") {
      ctx.TokenPut("access", "t0ken", 60000);
      std::string first = ctx.TokenGet("access").value_or("<none>");
      ctx.TokenDelete("access");
      std::string second = ctx.TokenGet("access").value_or("<none>");
      return {{"first", first}, {"second", second}};
    }
    if (sub_action == "jwt") {
      return {{"jwt", ctx.SignJwtRs256({{"kid", "key-1"}}, params.at("claims"),
                                       params.at("key").get<std::string>(),
                                       params.value("passphrase", ""))}};
    }
    throw sdk::Error(sdk::Code::kInvalidArgument, "unknown sub-action");
  }

 private:
  std::string connector_id_;
  json config_;
};

sdk::PluginDef DefinePlugin() {
  sdk::ConnectorTypeDef type;
  type.id = ".cpp-test";
  type.name = "C++ test connector";
  type.supported_features = {"cases", "alerting"};
  type.config_schema = {{"type", "object"}};
  type.secrets_schema = {{"type", "object"}};
  for (const char* name : {"echo", "log", "throw_std", "throw_int", "fail",
                           "permanent", "http", "token", "jwt"}) {
    type.sub_actions.push_back({name, {{"type", "object"}}});
  }
  type.default_mappings = {{"title", "short_description", "overwrite"},
                           {"comments", "work_notes", "append"}};
  type.factory = sdk::MakeFactory<TestConnector>();
  type.validate = [](const json& config, const json& /*secrets*/) {
    if (config.value("x", 0) < 0) {
      throw sdk::Error(sdk::Code::kInvalidArgument, "x must not be negative");
    }
  };

  sdk::PluginDef plugin;
  plugin.id = "cpp-test";
  plugin.name = "C++ test plugin";
  plugin.version = "2.3.4-beta.1";
  plugin.concurrent_execute = true;
  plugin.connector_types.push_back(std::move(type));
  return plugin;
}

}  // namespace

CASEBRIDGE_PLUGIN(DefinePlugin)

// Connector types for the ConnectorService integration tests, built with the
// SDK like a third-party plugin:
//   ".test-http"  calls <config.url><params.path> through the host's HTTP
//                 service with "Authorization: Bearer <secrets.token>", so
//                 tests can prove the secret reached the external system
//                 (and nowhere else). Sub-actions: get, handshake, hang.
//   ".test-echo"  echoes its params; used to test enabled_connector_types.
// The plugin never puts a secret into a result, an error or a log line.
#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include "casebridge/plugin.hpp"

namespace {

using casebridge::sdk::Code;
using casebridge::sdk::Context;
using casebridge::sdk::Error;
using casebridge::sdk::Retry;
using nlohmann::json;

class HttpConnector : public casebridge::sdk::Connector {
 public:
  HttpConnector(const casebridge::sdk::CreateArgs& args, Context&)
      : url_(args.config.value("url", std::string())),
        token_(args.secrets.value("token", std::string())) {}

  casebridge::sdk::Result Execute(std::string_view sub_action,
                                  const json& params, Context& ctx) override {
    if (sub_action == "get" || sub_action == "handshake") {
      casebridge::sdk::HttpRequest request;
      request.method = "GET";
      request.url = url_ + params.value("path", std::string());
      request.headers = {{"Authorization", "Bearer " + token_}};
      casebridge::sdk::HttpResponse response = ctx.Http(request);
      if (response.status >= 500) {
        throw Error(Code::kUnavailable, "external service failed",
                    Retry::kYes, response.RetryAfterMs(),
                    json{{"service_message", response.body}});
      }
      if (response.status >= 400) {
        throw Error(Code::kFailedPrecondition, "external service refused the request",
                    Retry::kNo, 0, json{{"service_message", response.body}});
      }
      json body = json::parse(response.body, nullptr, false);
      return {{"status", response.status},
              {"body", body.is_discarded() ? json(response.body) : body}};
    }
    if (sub_action == "hang") {
      // Ignores cancellation on purpose: a misbehaving plugin.
      std::this_thread::sleep_for(
          std::chrono::milliseconds(params.value("ms", 20000)));
      return {{"woke", true}};
    }
    throw Error(Code::kInvalidArgument,
                "Unsupported subAction " + std::string(sub_action));
  }

 private:
  std::string url_;
  std::string token_;
};

class EchoConnector : public casebridge::sdk::Connector {
 public:
  EchoConnector(const casebridge::sdk::CreateArgs&, Context&) {}
  casebridge::sdk::Result Execute(std::string_view, const json& params,
                                  Context&) override {
    return {{"echo", params}};
  }
};

casebridge::sdk::PluginDef DefinePlugin() {
  casebridge::sdk::ConnectorTypeDef http;
  http.id = ".test-http";
  http.name = "Test HTTP";
  http.supported_features = {"cases", "alerting"};
  http.config_schema = {
      {"type", "object"},
      {"properties",
       {{"url", {{"type", "string"}}}, {"usesTableApi", {{"type", "boolean"}}}}},
      {"required", {"url"}},
      {"additionalProperties", false}};
  http.secrets_schema = {{"type", "object"},
                         {"properties", {{"token", {{"type", "string"}}}}},
                         {"required", {"token"}},
                         {"additionalProperties", false}};
  http.sub_actions = {
      {"get",
       {{"type", "object"},
        {"properties", {{"path", {{"type", "string"}}}}},
        {"additionalProperties", false}}},
      {"handshake", {{"type", "object"}}},
      {"hang",
       {{"type", "object"}, {"properties", {{"ms", {{"type", "integer"}}}}}}},
  };
  http.default_mappings = {{"title", "summary", "overwrite"},
                           {"comments", "comments", "append"}};
  http.factory = casebridge::sdk::MakeFactory<HttpConnector>();
  http.validate = [](const json& config, const json&) {
    const std::string url = config.value("url", std::string());
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      throw Error(Code::kInvalidArgument, "url must start with http:// or https://");
    }
  };

  casebridge::sdk::ConnectorTypeDef echo;
  echo.id = ".test-echo";
  echo.name = "Test echo";
  echo.supported_features = {"alerting"};
  echo.config_schema = {{"type", "object"}};
  echo.secrets_schema = {{"type", "object"}};
  echo.sub_actions = {{"echo", {{"type", "object"}}}};
  echo.factory = casebridge::sdk::MakeFactory<EchoConnector>();

  casebridge::sdk::PluginDef plugin;
  plugin.id = "test-connectors";
  plugin.name = "Integration test connectors";
  plugin.version = "0.3.1";
  plugin.connector_types.push_back(std::move(http));
  plugin.connector_types.push_back(std::move(echo));
  return plugin;
}

}  // namespace

CASEBRIDGE_PLUGIN(DefinePlugin)

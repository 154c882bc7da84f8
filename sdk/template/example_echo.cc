// The ".example-echo" connector: a minimal casebridge plugin showing the SDK.
// Sub-actions:
//   "echo"      returns {"echo": <params.message>, "connector_id": <id>}
//   "handshake" returns {"ok": true, "greeting": <config.greeting>}
// Thread-safety: instances are immutable after construction.
#include <string>
#include <string_view>

#include "casebridge/plugin.hpp"

namespace {

using casebridge::sdk::Code;
using casebridge::sdk::Context;
using casebridge::sdk::Error;
using nlohmann::json;

class EchoConnector : public casebridge::sdk::Connector {
 public:
  EchoConnector(const casebridge::sdk::CreateArgs& args, Context& /*ctx*/)
      : connector_id_(args.connector_id),
        greeting_(args.config.value("greeting", std::string("hello"))) {}

  casebridge::sdk::Result Execute(std::string_view sub_action,
                                  const json& params, Context& ctx) override {
    if (sub_action == "echo") {
      ctx.Log(casebridge::sdk::LogLevel::kDebug, "echo called");
      return {{"echo", params.value("message", std::string())},
              {"connector_id", connector_id_}};
    }
    if (sub_action == "handshake") {
      return {{"ok", true}, {"greeting", greeting_}};
    }
    throw Error(Code::kInvalidArgument,
                "Unsupported subAction type " + std::string(sub_action));
  }

 private:
  std::string connector_id_;
  std::string greeting_;
};

casebridge::sdk::PluginDef DefinePlugin() {
  casebridge::sdk::ConnectorTypeDef type;
  type.id = ".example-echo";
  type.name = "Example echo";
  type.supported_features = {"cases"};
  type.config_schema = {{"type", "object"},
                        {"properties", {{"greeting", {{"type", "string"}}}}},
                        {"additionalProperties", false}};
  type.secrets_schema = {{"type", "object"}, {"additionalProperties", false}};
  type.sub_actions = {
      {"echo",
       {{"type", "object"},
        {"properties", {{"message", {{"type", "string"}}}}},
        {"required", {"message"}}}},
      {"handshake", {{"type", "object"}}},
  };
  type.default_mappings = {{"title", "summary", "overwrite"},
                           {"description", "description", "overwrite"},
                           {"comments", "comments", "append"}};
  type.factory = casebridge::sdk::MakeFactory<EchoConnector>();

  casebridge::sdk::PluginDef plugin;
  plugin.id = "example-echo";
  plugin.name = "Example echo plugin";
  plugin.version = "1.0.0";
  plugin.connector_types.push_back(std::move(type));
  return plugin;
}

}  // namespace

CASEBRIDGE_PLUGIN(DefinePlugin)

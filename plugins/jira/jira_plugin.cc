// The Jira plugin (jira.so): declares the ".jira" connector type (schemas,
// sub-actions, default case-field mappings) and exports the plugin entry.
// The descriptor is built once, at load, and is immutable afterwards.
#include <utility>

#include "casebridge/plugin.hpp"
#include "plugins/jira/jira_connector.h"

namespace casebridge::jira {
namespace {

using nlohmann::json;

json NullableString() { return {{"type", json::array({"string", "null"})}}; }

json Strict(json properties, json required) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

json NonEmptyString() { return {{"type", "string"}, {"minLength", 1}}; }

json PushToServiceSchema() {
  json incident = Strict(
      {{"summary", NonEmptyString()},
       {"description", NullableString()},
       {"externalId", NullableString()},
       {"issueType", NullableString()},
       {"priority", NullableString()},
       // Labels with whitespace, otherFields beyond 20 keys and bad case
       // ids are refused by the connector itself, with Kibana's messages.
       {"labels",
        {{"type", json::array({"array", "null"})},
         {"items", {{"type", "string"}}}}},
       {"parent", NullableString()},
       {"otherFields", {{"type", json::array({"object", "string", "null"})}}},
       // casebridge extension: marks the issue with the label
       // "casebridge-case-<caseId>" so findByCaseId can find it again.
       {"caseId", NullableString()}},
      json::array({"summary"}));
  json comment = Strict(
      {{"comment", NullableString()}, {"commentId", {{"type", "string"}}}},
      json::array({"comment", "commentId"}));
  return Strict({{"incident", std::move(incident)},
                 {"comments",
                  {{"type", json::array({"array", "null"})},
                   {"items", std::move(comment)}}}},
                json::array({"incident"}));
}

sdk::PluginDef DefinePlugin() {
  sdk::ConnectorTypeDef type;
  type.id = ".jira";
  type.name = "Jira";
  type.supported_features = {"alerting", "cases", "uptime", "security"};
  type.config_schema =
      Strict({{"apiUrl", NonEmptyString()}, {"projectKey", NonEmptyString()}},
             json::array({"apiUrl", "projectKey"}));
  type.secrets_schema =
      Strict({{"email", NonEmptyString()}, {"apiToken", NonEmptyString()}},
             json::array({"email", "apiToken"}));
  json empty = Strict(json::object(), json::array());
  type.sub_actions = {
      {"pushToService", PushToServiceSchema()},
      {"getIncident",
       Strict({{"externalId", NonEmptyString()}}, json::array({"externalId"}))},
      {"getFields", empty},
      {"issueTypes", empty},
      {"fieldsByIssueType",
       Strict({{"id", NonEmptyString()}}, json::array({"id"}))},
      {"issues", Strict({{"title", NonEmptyString()}}, json::array({"title"}))},
      {"issue", Strict({{"id", NonEmptyString()}}, json::array({"id"}))},
      {"findByCaseId",
       Strict({{"caseId", NonEmptyString()}}, json::array({"caseId"}))},
      {"handshake", empty},
  };
  // tags -> labels: the case's tags with every whitespace run replaced by
  // "-" (Jira labels cannot contain whitespace; pushToService rejects them).
  type.default_mappings = {{"title", "summary", "overwrite"},
                           {"description", "description", "overwrite"},
                           {"comments", "comments", "append"},
                           {"tags", "labels", "overwrite"}};
  type.factory = sdk::MakeFactory<JiraConnector>();
  type.validate = &ValidateJiraConfig;

  sdk::PluginDef plugin;
  plugin.id = "jira";
  plugin.name = "Jira";
  plugin.version = "1.0.0";
  plugin.concurrent_execute = true;
  plugin.connector_types.push_back(std::move(type));
  return plugin;
}

}  // namespace
}  // namespace casebridge::jira

CASEBRIDGE_PLUGIN(casebridge::jira::DefinePlugin)

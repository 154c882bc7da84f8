// The ServiceNow plugin's descriptor: connector types .servicenow (ITSM) and
// .servicenow-sir (SecOps), their config/secrets/params JSON Schemas, default
// Cases mappings, the validate_config hook and the entry symbol.
#include <string>
#include <vector>

#include "casebridge/plugin.hpp"
#include "nlohmann/json.hpp"
#include "plugins/servicenow/servicenow_connector.h"

namespace casebridge::servicenow {
namespace {

using nlohmann::json;

json NullableString(const char* description) {
  return {{"type", {"string", "null"}},
          {"default", nullptr},
          {"description", description}};
}

json ConfigSchema() {
  return {
      {"type", "object"},
      {"properties",
       {{"apiUrl",
         {{"type", "string"},
          {"minLength", 1},
          {"description",
           "ServiceNow instance URL, e.g. "
           "https://example.service-now.com"}}},
        {"isOAuth",
         {{"type", "boolean"},
          {"default", false},
          {"description",
           "Authenticate with the OAuth JWT bearer grant "
           "instead of Basic auth"}}},
        {"usesTableApi",
         {{"type", "boolean"},
          {"default", true},
          {"description",
           "true: legacy Table API mode (deprecated); false: import-set mode "
           "through the Elastic ServiceNow app. Omitted means true."}}},
        {"clientId", NullableString("OAuth client id (isOAuth = true)")},
        {"jwtKeyId",
         NullableString("JWT verifier map key id, sent as the JWT kid "
                        "(isOAuth = true)")},
        {"userIdentifierValue",
         NullableString("Value of the user field the JWT sub claim "
                        "identifies, e.g. an e-mail (isOAuth = true)")}}},
      {"required", {"apiUrl"}},
      {"additionalProperties", false}};
}

json SecretsSchema() {
  return {{"type", "object"},
          {"properties",
           {{"username", NullableString("Basic auth user (isOAuth = false)")},
            {"password", NullableString("Basic auth password")},
            {"clientSecret", NullableString("OAuth client secret")},
            {"privateKey",
             NullableString("PEM RSA private key signing the JWT assertion")},
            {"privateKeyPassword",
             NullableString("Passphrase of an encrypted privateKey")}}},
          {"additionalProperties", false}};
}

json IncidentSchema(bool is_sir) {
  json nullable = {{"type", {"string", "null"}}};
  json properties = {
      {"externalId", nullable},
      {"short_description", {{"type", "string"}, {"minLength", 1}}},
      {"description", nullable},
      {"category", nullable},
      {"subcategory", nullable},
      {"correlation_id", {{"type", {"string", "null"}}, {"maxLength", 100}}},
      {"correlation_display", nullable},
      {"additional_fields",
       {{"type", {"object", "string", "null"}}, {"maxProperties", 20}}}};
  if (is_sir) {
    json observable = {{"type", {"string", "array", "null"}},
                       {"items", {{"type", "string"}}}};
    properties["dest_ip"] = observable;
    properties["source_ip"] = observable;
    properties["malware_hash"] = observable;
    properties["malware_url"] = observable;
    properties["priority"] = nullable;
  } else {
    properties["severity"] = nullable;
    properties["urgency"] = nullable;
    properties["impact"] = nullable;
  }
  return {{"type", "object"},
          {"properties", properties},
          {"required", {"short_description"}},
          {"additionalProperties", false}};
}

std::vector<sdk::SubActionDef> SubActions(bool is_sir) {
  std::vector<sdk::SubActionDef> subs;
  subs.push_back({"pushToService",
                  {{"type", "object"},
                   {"properties",
                    {{"incident", IncidentSchema(is_sir)},
                     {"comments",
                      {{"type", {"array", "null"}},
                       {"items",
                        {{"type", "object"},
                         {"properties",
                          {{"comment", {{"type", "string"}}},
                           {"commentId", {{"type", "string"}}}}},
                         {"required", {"comment", "commentId"}}}}}}}},
                   {"required", {"incident"}}}});
  subs.push_back({"getIncident",
                  {{"type", "object"},
                   {"properties",
                    {{"externalId", {{"type", "string"}, {"minLength", 1}}}}},
                   {"required", {"externalId"}}}});
  subs.push_back(
      {"findIncidentByCorrelationId",
       {{"type", "object"},
        {"properties",
         {{"correlation_id",
           {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}}}},
        {"required", {"correlation_id"}}}});
  subs.push_back({"getFields", {{"type", "object"}}});
  subs.push_back({"getChoices",
                  {{"type", "object"},
                   {"properties",
                    {{"fields",
                      {{"type", "array"},
                       {"minItems", 1},
                       {"items", {{"type", "string"}, {"minLength", 1}}}}}}},
                   {"required", {"fields"}}}});
  if (!is_sir) {
    subs.push_back(
        {"closeIncident",
         {{"type", "object"},
          {"properties",
           {{"incident",
             {{"type", "object"},
              {"properties",
               {{"externalId", {{"type", {"string", "null"}}}},
                {"correlation_id",
                 {{"type", {"string", "null"}}, {"maxLength", 100}}}}}}}}},
          {"required", {"incident"}}}});
  }
  subs.push_back({"handshake", {{"type", "object"}}});
  return subs;
}

sdk::ConnectorTypeDef Type(const char* id, const char* name, bool is_sir) {
  sdk::ConnectorTypeDef type;
  type.id = id;
  type.name = name;
  type.supported_features = {"alerting", "cases", "siem"};
  type.config_schema = ConfigSchema();
  type.secrets_schema = SecretsSchema();
  type.sub_actions = SubActions(is_sir);
  type.default_mappings = {{"title", "short_description", "overwrite"},
                           {"description", "description", "overwrite"},
                           {"comments", "work_notes", "append"}};
  type.factory = sdk::MakeFactory<ServiceNowConnector>();
  type.validate = &ValidateServiceNowConfig;
  return type;
}

sdk::PluginDef DefineServiceNowPlugin() {
  sdk::PluginDef def;
  def.id = "servicenow";
  def.name = "ServiceNow";
  def.version = "1.0.0";
  // Instances hold only immutable settings; tokens live in the host cache.
  def.concurrent_execute = true;
  def.connector_types = {Type(kItsmTypeId, "ServiceNow ITSM", false),
                         Type(kSirTypeId, "ServiceNow SecOps", true)};
  return def;
}

}  // namespace
}  // namespace casebridge::servicenow

CASEBRIDGE_PLUGIN(casebridge::servicenow::DefineServiceNowPlugin)

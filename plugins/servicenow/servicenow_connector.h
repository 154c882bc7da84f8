// ServiceNowConnector: one configured ServiceNow ITSM (.servicenow) or SecOps
// (.servicenow-sir) connector, talking to the instance as Kibana's connector
// does (external-systems.md §2): Basic or OAuth JWT-bearer auth, Table API
// (legacy) or import-set (Elastic app) mode, and the sub-actions
// pushToService, getIncident, findIncidentByCorrelationId, getFields,
// getChoices, closeIncident (ITSM only) and handshake.
//
// Thread-safety: an instance holds only immutable configuration (OAuth tokens
// live in the host's per-connector token cache), so Execute may run
// concurrently. Every failure is thrown as sdk::Error with the §2.10 message
// form, an error code, a retry class and, for 429/5xx, Retry-After.
#ifndef CASEBRIDGE_PLUGINS_SERVICENOW_SERVICENOW_CONNECTOR_H_
#define CASEBRIDGE_PLUGINS_SERVICENOW_SERVICENOW_CONNECTOR_H_

#include <optional>
#include <string>
#include <string_view>

#include "casebridge/plugin.hpp"
#include "nlohmann/json.hpp"

namespace casebridge::servicenow {

inline constexpr char kItsmTypeId[] = ".servicenow";
inline constexpr char kSirTypeId[] = ".servicenow-sir";
// Longest correlation id accepted (ServiceNow's correlation_id column).
inline constexpr size_t kMaxCorrelationIdLength = 100;
// Most keys accepted in incident.additional_fields.
inline constexpr size_t kMaxAdditionalFields = 20;

// Per connector type constants (§2.1).
struct Product {
  const char* type_id;
  const char* table;       // target table
  const char* import_set;  // staging table of the Elastic app
  const char* app_scope;   // scope of the Elastic app's scripted REST API
  bool is_sir;
};
const Product* FindProduct(std::string_view type_id);

// Throws sdk::Error(kInvalidArgument) listing every violated rule when the
// config/secrets pair is not a valid ServiceNow connector.
void ValidateServiceNowConfig(const nlohmann::json& config,
                              const nlohmann::json& secrets);

class ServiceNowConnector : public sdk::Connector {
 public:
  // Validates (as ValidateServiceNowConfig) and keeps the configuration. No
  // network traffic.
  ServiceNowConnector(const sdk::CreateArgs& args, sdk::Context& ctx);

  sdk::Result Execute(std::string_view sub_action, const nlohmann::json& params,
                      sdk::Context& ctx) override;

 private:
  struct Response {
    int status = 0;
    nlohmann::json body;  // parsed JSON (null when the body was empty)
  };
  enum class Endpoint { kTable, kImportSet, kHealth, kOAuth, kOther };

  // One authenticated request to the instance. `context` names the operation
  // for error messages ("Unable to create incident"). Throws on transport
  // failure, on HTTP >= 400 and on a 2xx/3xx answer without "result".
  Response Call(sdk::Context& ctx, const std::string& method,
                const std::string& url, const nlohmann::json* body,
                Endpoint endpoint, const std::string& context);
  // The "Authorization" header value (Basic, or "<type> <token>" from the
  // cache or a new JWT-bearer grant).
  std::string Authorization(sdk::Context& ctx);
  // Requests a token (JWT bearer grant); returns "<expires_in>\n<auth>".
  std::string RequestAccessToken(sdk::Context& ctx);
  // Token cache key of this connector's OAuth identity.
  std::string TokenKey() const;

  // Elastic app health (§2.6); returns result.{name,scope,version}.
  nlohmann::json CheckApplication(sdk::Context& ctx);
  // Creates (incident_id empty) or updates an incident from unprefixed
  // fields; returns the incident record read back.
  nlohmann::json CreateIncident(sdk::Context& ctx, const nlohmann::json& fields,
                                const nlohmann::json& additional_fields);
  nlohmann::json UpdateIncident(sdk::Context& ctx, const std::string& id,
                                const nlohmann::json& fields,
                                const nlohmann::json& additional_fields);
  // The incident, or nullopt on 404 when `not_found_ok`.
  std::optional<nlohmann::json> GetIncidentRecord(sdk::Context& ctx,
                                                  const std::string& id,
                                                  bool not_found_ok);
  // Most recently created incident with this correlation id, or nullopt.
  std::optional<nlohmann::json> FindByCorrelationId(sdk::Context& ctx,
                                                    const std::string& cid);
  nlohmann::json ImportSetWrite(sdk::Context& ctx, const nlohmann::json& body,
                                const std::string& context);

  nlohmann::json PushToService(sdk::Context& ctx, const nlohmann::json& params);
  nlohmann::json GetIncident(sdk::Context& ctx, const nlohmann::json& params);
  nlohmann::json FindIncidentByCorrelationId(sdk::Context& ctx,
                                             const nlohmann::json& params);
  nlohmann::json GetFields(sdk::Context& ctx);
  nlohmann::json GetChoices(sdk::Context& ctx, const nlohmann::json& params);
  nlohmann::json CloseIncident(sdk::Context& ctx, const nlohmann::json& params);
  nlohmann::json Handshake(sdk::Context& ctx);

  std::string IncidentUrl(const std::string& sys_id) const;
  // {id, title, url, pushedDate} of an incident record; pushedDate from
  // `date_field` (sys_created_on / sys_updated_on) or now.
  nlohmann::json Summary(sdk::Context& ctx, const nlohmann::json& record,
                         const char* date_field) const;

  const Product* product_;
  std::string connector_id_;
  std::string api_url_;  // without trailing slash
  bool is_oauth_ = false;
  bool uses_table_api_ = true;
  std::string client_id_, jwt_key_id_, user_identifier_value_;
  std::string username_, password_;
  std::string client_secret_, private_key_, private_key_password_;
};

}  // namespace casebridge::servicenow

#endif  // CASEBRIDGE_PLUGINS_SERVICENOW_SERVICENOW_CONNECTOR_H_

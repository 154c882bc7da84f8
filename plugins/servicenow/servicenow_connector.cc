#include "plugins/servicenow/servicenow_connector.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "plugins/servicenow/servicenow_util.h"

namespace casebridge::servicenow {
namespace {

using nlohmann::json;
using sdk::Code;
using sdk::Error;
using sdk::Retry;

constexpr Product kProducts[] = {
    {kItsmTypeId, "incident", "x_elas2_inc_int_elastic_incident",
     "x_elas2_inc_int", false},
    {kSirTypeId, "sn_si_incident", "x_elas2_sir_int_elastic_si_incident",
     "x_elas2_sir_int", true},
};

const std::string kPrefix = "[Action][ServiceNow]: ";
constexpr char kClosedState[] = "7";

// Incident fields every push sends (null when unset), per type (§2.4).
const std::vector<std::string>& DeclaredFields(bool is_sir) {
  static const std::vector<std::string> kItsm = {
      "short_description", "description",    "category",
      "subcategory",       "correlation_id", "correlation_display",
      "severity",          "urgency",        "impact"};
  static const std::vector<std::string> kSir = {
      "short_description", "description",         "category", "subcategory",
      "correlation_id",    "correlation_display", "dest_ip",  "source_ip",
      "malware_hash",      "malware_url",         "priority"};
  return is_sir ? kSir : kItsm;
}

// Keys additional_fields may not use (they are first-class fields).
bool IsReservedAdditionalKey(const std::string& key) {
  static const char* const kReserved[] = {
      "short_description",   "description",
      "externalId",          "category",
      "subcategory",         "correlation_id",
      "correlation_display", "additional_fields"};
  for (const char* reserved : kReserved) {
    if (key == reserved) return true;
  }
  return false;
}

const char* EndpointName(int endpoint) {
  switch (endpoint) {
    case 0:
      return "table";
    case 1:
      return "import_set";
    case 2:
      return "health";
    default:
      return "other";
  }
}

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::string Suffix(const std::string& status, const std::string& method,
                   int endpoint) {
  return " [status=" + status + "] [method=" + Lower(method) +
         "] [endpoint=" + EndpointName(endpoint) + "]";
}

// Wraps a lower-level failure into `context`, keeping its code, retry class
// and details (§2.10 nesting).
Error Nest(const std::string& context, const Error& inner) {
  return Error(inner.code(), kPrefix + context + ". Error: " + inner.message(),
               inner.retry(), inner.retry_after_ms(), inner.details());
}

Error InvalidParams(const std::string& message) {
  return Error(Code::kInvalidArgument, kPrefix + message, Retry::kNo);
}

std::string TrimSpaces(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// FNV-1a 64, hex: a stable fingerprint for token cache keys.
std::string Fingerprint(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[hash & 0xF];
    hash >>= 4;
  }
  return out;
}

void CheckCorrelationIdLength(const json& value) {
  if (value.is_string() &&
      value.get<std::string>().size() > kMaxCorrelationIdLength) {
    throw InvalidParams("correlation_id must be at most " +
                        std::to_string(kMaxCorrelationIdLength) +
                        " characters, got " +
                        std::to_string(value.get<std::string>().size()));
  }
}

}  // namespace

const Product* FindProduct(std::string_view type_id) {
  for (const Product& product : kProducts) {
    if (type_id == product.type_id) return &product;
  }
  return nullptr;
}

void ValidateServiceNowConfig(const json& config, const json& secrets) {
  std::vector<Violation> violations = CheckConnectorConfig(config, secrets);
  if (violations.empty()) return;
  std::string message = kPrefix;
  message += "Wrong configuration: ";
  json details = {{"field_violations", json::array()}};
  for (size_t i = 0; i < violations.size(); ++i) {
    if (i > 0) message += "; ";
    message += violations[i].description;
    details["field_violations"].push_back(
        {{"field", violations[i].field},
         {"description", violations[i].description}});
  }
  throw Error(Code::kInvalidArgument, message, Retry::kNo, 0,
              std::move(details));
}

ServiceNowConnector::ServiceNowConnector(const sdk::CreateArgs& args,
                                         sdk::Context& /*ctx*/)
    : product_(FindProduct(args.type_id)), connector_id_(args.connector_id) {
  if (product_ == nullptr) {
    throw Error(Code::kNotFound, "unknown connector type " + args.type_id);
  }
  ValidateServiceNowConfig(args.config, args.secrets);
  const json& config = args.config;
  const json& secrets = args.secrets;
  api_url_ = StripOneTrailingSlash(GetString(config, "apiUrl"));
  is_oauth_ = config.value("isOAuth", false);
  // Kibana's server schema defaults usesTableApi to true (legacy mode).
  uses_table_api_ = !config.contains("usesTableApi") ||
                    config["usesTableApi"].is_null() ||
                    config["usesTableApi"].get<bool>();
  client_id_ = GetString(config, "clientId");
  jwt_key_id_ = GetString(config, "jwtKeyId");
  user_identifier_value_ = GetString(config, "userIdentifierValue");
  username_ = GetString(secrets, "username");
  password_ = GetString(secrets, "password");
  client_secret_ = GetString(secrets, "clientSecret");
  private_key_ = GetString(secrets, "privateKey");
  private_key_password_ = GetString(secrets, "privateKeyPassword");
}

sdk::Result ServiceNowConnector::Execute(std::string_view sub_action,
                                         const json& params,
                                         sdk::Context& ctx) {
  if (sub_action == "pushToService") return PushToService(ctx, params);
  if (sub_action == "getIncident") return GetIncident(ctx, params);
  if (sub_action == "findIncidentByCorrelationId") {
    return FindIncidentByCorrelationId(ctx, params);
  }
  if (sub_action == "getFields") return GetFields(ctx);
  if (sub_action == "getChoices") return GetChoices(ctx, params);
  if (sub_action == "handshake") return Handshake(ctx);
  if (sub_action == "closeIncident") {
    if (product_->is_sir) {
      throw Error(Code::kUnimplemented,
                  "[Action][ExternalService] subAction closeIncident not "
                  "implemented.",
                  Retry::kNo);
    }
    return CloseIncident(ctx, params);
  }
  throw Error(Code::kUnimplemented,
              "[Action][ExternalService] Unsupported subAction type " +
                  std::string(sub_action) + ".",
              Retry::kNo);
}

// ---------------------------------------------------------------------------
// Transport and authentication.

std::string ServiceNowConnector::Authorization(sdk::Context& ctx) {
  if (!is_oauth_) {
    return "Basic " + Base64Encode(username_ + ":" + password_);
  }
  const std::string key = TokenKey();
  try {
    if (std::optional<std::string> cached = ctx.TokenGet(key)) return *cached;
  } catch (const Error& e) {
    ctx.Log(sdk::LogLevel::kWarn,
            "ServiceNow: token cache unavailable for connector " +
                connector_id_ + ": " + e.message());
  }
  const int64_t requested_at = ctx.NowUnixMs();
  std::string token = RequestAccessToken(ctx);
  // RequestAccessToken packs "<expires_in seconds>\n<authorization>".
  size_t newline = token.find('\n');
  int64_t expires_in = std::stoll(token.substr(0, newline));
  std::string authorization = token.substr(newline + 1);
  int64_t ttl_ms = requested_at + expires_in * 1000 - ctx.NowUnixMs();
  if (ttl_ms > 0) {
    try {
      ctx.TokenPut(key, authorization, ttl_ms);
    } catch (const Error& e) {
      // As in Kibana, a token-store failure only costs a new grant later.
      ctx.Log(sdk::LogLevel::kWarn,
              "ServiceNow: could not cache the access token for connector " +
                  connector_id_ + ": " + e.message());
    }
  }
  return authorization;
}

std::string ServiceNowConnector::TokenKey() const {
  // One cached token per connector and OAuth identity, so a config change
  // never reuses a token issued for other settings.
  return "oauth_access_token:" +
         Fingerprint(api_url_ + "\n" + client_id_ + "\n" +
                     user_identifier_value_ + "\n" + jwt_key_id_);
}

std::string ServiceNowConnector::RequestAccessToken(sdk::Context& ctx) {
  const std::string context =
      "Unable to retrieve access token for connectorId: " + connector_id_;
  const int64_t iat = ctx.NowUnixMs() / 1000;
  json claims = {{"sub", user_identifier_value_},
                 {"aud", client_id_},
                 {"iss", client_id_},
                 {"iat", iat},
                 {"exp", iat + 3600}};
  std::string assertion;
  try {
    assertion = ctx.SignJwtRs256({{"kid", jwt_key_id_}}, claims, private_key_,
                                 private_key_password_);
  } catch (const Error& e) {
    // The host says e.g. "private key could not be decrypted: wrong
    // passphrase?"; no retry can fix a key problem.
    throw Error(Code::kInvalidArgument,
                kPrefix + context + ". Error: " + e.message(), Retry::kNo);
  }
  const std::string body =
      "assertion=" + UrlEncode(assertion) +
      "&client_id=" + UrlEncode(client_id_) +
      "&client_secret=" + UrlEncode(client_secret_) +
      "&grant_type=" + UrlEncode("urn:ietf:params:oauth:grant-type:jwt-bearer");
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = api_url_ + "/oauth_token.do";
  request.headers = {
      {"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"},
      {"Accept", "application/json"}};
  request.body = body;
  const int kEndpoint = static_cast<int>(Endpoint::kOAuth);
  sdk::HttpResponse response;
  try {
    response = ctx.Http(request);
  } catch (const Error& e) {
    throw Error(e.code(),
                kPrefix + context + ". Error: " + e.message() +
                    Suffix("none", "post", kEndpoint),
                e.retry(), e.retry_after_ms());
  }
  json parsed = json::parse(response.body, nullptr, false);
  if (response.status == 200) {
    if (parsed.is_discarded() || !parsed.is_object() ||
        !parsed.contains("access_token") ||
        !parsed["access_token"].is_string()) {
      throw Error(Code::kFailedPrecondition,
                  kPrefix + context +
                      ". Error: There is an issue with your Service Now "
                      "Instance. Please check " +
                      UrlHost(api_url_) + "." +
                      Suffix("200", "post", kEndpoint),
                  Retry::kNo);
    }
    std::string token_type = GetString(parsed, "token_type");
    if (token_type.empty()) token_type = "Bearer";
    int64_t expires_in = 3600;
    if (parsed.contains("expires_in")) {
      if (parsed["expires_in"].is_number()) {
        expires_in = parsed["expires_in"].get<int64_t>();
      } else if (parsed["expires_in"].is_string()) {
        expires_in =
            std::atoll(parsed["expires_in"].get<std::string>().c_str());
      }
    }
    return std::to_string(expires_in) + "\n" + token_type + " " +
           parsed["access_token"].get<std::string>();
  }
  std::string err =
      "Request failed with status code " + std::to_string(response.status);
  std::string reason = "unknown: no error in error response";
  if (!parsed.is_discarded() && parsed.is_object() &&
      parsed.contains("error")) {
    if (parsed["error"].is_string()) {
      err = parsed["error"].get<std::string>();
      reason = GetString(parsed, "error_description");
    } else if (parsed["error"].is_object()) {
      reason = GetString(parsed["error"], "message");
    }
  }
  auto [code, retry] = sdk::ClassifyHttpStatus(response.status);
  if (code == Code::kFailedPrecondition || code == Code::kInvalidArgument ||
      code == Code::kNotFound) {
    // A refused grant means the OAuth settings are wrong.
    code = Code::kUnauthenticated;
  }
  json details = {{"httpStatus", response.status},
                  {"method", "post"},
                  {"endpoint", "oauth"}};
  if (!parsed.is_discarded()) details["response"] = parsed;
  details["service_message"] = err + ": " + reason;
  throw Error(code,
              kPrefix + context + ". Error: " + err + " Reason: " + reason +
                  Suffix(std::to_string(response.status), "post", kEndpoint),
              retry, retry == Retry::kYes ? response.RetryAfterMs() : 0,
              std::move(details));
}

ServiceNowConnector::Response ServiceNowConnector::Call(
    sdk::Context& ctx, const std::string& method, const std::string& url,
    const json* body, Endpoint endpoint, const std::string& context) {
  const int endpoint_id = static_cast<int>(endpoint);
  std::string authorization;
  try {
    authorization = Authorization(ctx);
  } catch (const Error& e) {
    throw Nest(context, e);
  }
  sdk::HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers = {{"Authorization", authorization},
                     {"Accept", "application/json"}};
  if (body != nullptr) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body->dump();
  }
  sdk::HttpResponse response;
  try {
    response = ctx.Http(request);
  } catch (const Error& e) {
    throw Error(e.code(),
                kPrefix + context + ". Error: " + e.message() +
                    Suffix("none", method, endpoint_id),
                e.retry(), e.retry_after_ms(),
                json{{"method", Lower(method)},
                     {"endpoint", EndpointName(endpoint_id)}});
  }
  json parsed = response.body.empty()
                    ? json()
                    : json::parse(response.body, nullptr, false);
  const std::string status_text = std::to_string(response.status);
  if (response.status >= 400) {
    if (is_oauth_ && response.status < 500) {
      // Kibana purges the connector's tokens on any 4xx; the next call
      // requests a new one. The failed request is not retried here.
      try {
        ctx.TokenDelete(TokenKey());
      } catch (const Error& e) {
        ctx.Log(sdk::LogLevel::kWarn,
                "ServiceNow: could not purge the access token of connector " +
                    connector_id_ + ": " + e.message());
      }
    }
    std::string reason = "unknown: no error in error response";
    json service_error;
    if (!parsed.is_discarded() && parsed.is_object() &&
        parsed.contains("error") && parsed["error"].is_object()) {
      service_error = parsed["error"];
      std::string message = GetString(service_error, "message");
      std::string detail = GetString(service_error, "detail");
      if (!message.empty()) {
        reason = detail.empty() ? message : message + ": " + detail;
      }
    }
    auto [code, retry] = sdk::ClassifyHttpStatus(response.status);
    json details = {{"httpStatus", response.status},
                    {"method", Lower(method)},
                    {"endpoint", EndpointName(endpoint_id)}};
    if (!service_error.is_null()) details["serviceError"] = service_error;
    // ServiceNow's own words, for ExecuteConnector's service_message.
    details["service_message"] = reason;
    throw Error(code,
                kPrefix + context +
                    ". Error: Request failed with status code " + status_text +
                    " Reason: " + reason +
                    Suffix(status_text, method, endpoint_id),
                retry, retry == Retry::kYes ? response.RetryAfterMs() : 0,
                std::move(details));
  }
  if (parsed.is_discarded() || !parsed.is_object() ||
      !parsed.contains("result")) {
    // A hibernating developer instance answers 200 with an HTML page.
    throw Error(Code::kFailedPrecondition,
                kPrefix + context +
                    ". Error: There is an issue with your Service Now "
                    "Instance. Please check " +
                    UrlHost(api_url_) + "." +
                    Suffix(status_text, method, endpoint_id),
                Retry::kNo, 0,
                json{{"httpStatus", response.status},
                     {"method", Lower(method)},
                     {"endpoint", EndpointName(endpoint_id)},
                     {"service_message",
                      "There is an issue with your Service Now Instance. "
                      "Please check " +
                          UrlHost(api_url_) + "."}});
  }
  return Response{response.status, std::move(parsed)};
}

// ---------------------------------------------------------------------------
// ServiceNow operations.

json ServiceNowConnector::CheckApplication(sdk::Context& ctx) {
  Response response;
  try {
    response =
        Call(ctx, "GET",
             api_url_ + "/api/" + product_->app_scope + "/elastic_api/health",
             nullptr, Endpoint::kHealth, "Unable to get application version");
  } catch (const Error& e) {
    const json& details = e.details();
    const int status = details.is_object() ? details.value("httpStatus", 0) : 0;
    if (status != 400 && status != 404) throw;
    // The instance does not serve the app's REST API: it is not installed.
    throw Error(Code::kFailedPrecondition,
                e.message() + " (is the Elastic ServiceNow app, scope " +
                    product_->app_scope +
                    ", installed on the instance? Without it only the "
                    "deprecated Table API mode works)",
                Retry::kNo, 0, e.details());
  }
  const json& result = response.body["result"];
  ctx.Log(sdk::LogLevel::kDebug, "ServiceNow: Elastic application " +
                                     GetString(result, "name") + " scope " +
                                     GetString(result, "scope") + " version " +
                                     GetString(result, "version"));
  return json{
      {"name", result.is_object() ? result.value("name", json()) : json()},
      {"scope", result.is_object() ? result.value("scope", json()) : json()},
      {"version",
       result.is_object() ? result.value("version", json()) : json()}};
}

json ServiceNowConnector::ImportSetWrite(sdk::Context& ctx, const json& body,
                                         const std::string& context) {
  Response response =
      Call(ctx, "POST", api_url_ + "/api/now/import/" + product_->import_set,
           &body, Endpoint::kImportSet, context);
  const json& result = response.body["result"];
  const std::string status_text = std::to_string(response.status);
  const int endpoint = static_cast<int>(Endpoint::kImportSet);
  if (!result.is_array() || result.empty() || !result[0].is_object()) {
    throw Error(Code::kUnknown,
                kPrefix + context + ". Error: Unexpected result" +
                    Suffix(status_text, "post", endpoint),
                Retry::kNo);
  }
  const json& row = result[0];
  if (GetString(row, "status") == "error") {
    // The transform map refused the row: the data is wrong, not the server.
    throw Error(Code::kInvalidArgument,
                kPrefix + context +
                    ". Error: " + GetString(row, "error_message") +
                    Suffix(status_text, "post", endpoint),
                Retry::kNo, 0, json{{"importSetResult", row}});
  }
  std::string sys_id = GetString(row, "sys_id");
  if (sys_id.empty()) {
    throw Error(Code::kUnknown,
                kPrefix + context + ". Error: Unexpected result (no sys_id)" +
                    Suffix(status_text, "post", endpoint),
                Retry::kNo);
  }
  return row;
}

namespace {

// The import-set body: additional fields unprefixed, overridden by the
// u_-prefixed incident fields on collision (§2.6).
json ImportSetBody(const json& fields, const json& additional_fields) {
  json body =
      additional_fields.is_object() ? additional_fields : json::object();
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    body["u_" + it.key()] = it.value();
  }
  return body;
}

}  // namespace

json ServiceNowConnector::CreateIncident(sdk::Context& ctx, const json& fields,
                                         const json& additional_fields) {
  const std::string context = "Unable to create incident";
  std::string sys_id;
  if (uses_table_api_) {
    Response response =
        Call(ctx, "POST", api_url_ + "/api/now/v2/table/" + product_->table,
             &fields, Endpoint::kTable, context);
    sys_id = GetString(response.body["result"], "sys_id");
  } else {
    try {
      CheckApplication(ctx);
    } catch (const Error& e) {
      throw Nest(context, e);
    }
    json row =
        ImportSetWrite(ctx, ImportSetBody(fields, additional_fields), context);
    sys_id = GetString(row, "sys_id");
  }
  if (sys_id.empty()) {
    throw Error(Code::kUnknown,
                kPrefix + context + ". Error: Unexpected result (no sys_id)",
                Retry::kNo);
  }
  try {
    return *GetIncidentRecord(ctx, sys_id, /*not_found_ok=*/false);
  } catch (const Error& e) {
    throw Nest(context, e);
  }
}

json ServiceNowConnector::UpdateIncident(sdk::Context& ctx,
                                         const std::string& id,
                                         const json& fields,
                                         const json& additional_fields) {
  const std::string context = "Unable to update incident with id " + id;
  if (uses_table_api_) {
    Call(
        ctx, "PATCH",
        api_url_ + "/api/now/v2/table/" + product_->table + "/" + UrlEncode(id),
        &fields, Endpoint::kTable, context);
  } else {
    try {
      CheckApplication(ctx);
    } catch (const Error& e) {
      throw Nest(context, e);
    }
    json body = ImportSetBody(fields, additional_fields);
    body["elastic_incident_id"] = id;
    ImportSetWrite(ctx, body, context);
  }
  try {
    return *GetIncidentRecord(ctx, id, /*not_found_ok=*/false);
  } catch (const Error& e) {
    throw Nest(context, e);
  }
}

std::optional<json> ServiceNowConnector::GetIncidentRecord(
    sdk::Context& ctx, const std::string& id, bool not_found_ok) {
  if (TrimSpaces(id).empty()) throw InvalidParams("Incident id is empty.");
  try {
    Response response = Call(
        ctx, "GET",
        api_url_ + "/api/now/v2/table/" + product_->table + "/" + UrlEncode(id),
        nullptr, Endpoint::kTable, "Unable to get incident with id " + id);
    const json& result = response.body["result"];
    if (!result.is_object() || result.empty()) {
      if (not_found_ok) return std::nullopt;
      throw Error(Code::kNotFound,
                  kPrefix + "Unable to get incident with id " + id +
                      ". Error: incident not found",
                  Retry::kNo);
    }
    return result;
  } catch (const Error& e) {
    if (not_found_ok && e.code() == Code::kNotFound) return std::nullopt;
    throw;
  }
}

std::optional<json> ServiceNowConnector::FindByCorrelationId(
    sdk::Context& ctx, const std::string& cid) {
  if (TrimSpaces(cid).empty()) throw InvalidParams("Correlation ID is empty.");
  if (cid.find('^') != std::string::npos) {
    // '^' separates encoded-query terms; it would change the query.
    throw InvalidParams("Correlation ID may not contain '^'.");
  }
  try {
    Response response = Call(
        ctx, "GET",
        api_url_ + "/api/now/v2/table/" + product_->table + "?sysparm_query=" +
            EncodeQueryValue("ORDERBYDESCsys_created_on^correlation_id=" +
                             cid) +
            "&sysparm_limit=1",
        nullptr, Endpoint::kTable,
        "Unable to get incident by correlation ID " + cid);
    const json& result = response.body["result"];
    if (!result.is_array() || result.empty() || !result[0].is_object() ||
        result[0].empty()) {
      return std::nullopt;
    }
    return result[0];
  } catch (const Error& e) {
    if (e.code() == Code::kNotFound) return std::nullopt;
    throw;
  }
}

std::string ServiceNowConnector::IncidentUrl(const std::string& sys_id) const {
  return api_url_ + "/nav_to.do?uri=" + product_->table +
         ".do?sys_id=" + sys_id;
}

json ServiceNowConnector::Summary(sdk::Context& ctx, const json& record,
                                  const char* date_field) const {
  std::string sys_id = GetString(record, "sys_id");
  std::optional<std::string> pushed =
      ServiceNowTimeToIso(GetString(record, date_field));
  return json{{"id", sys_id},
              {"title", GetString(record, "number")},
              {"url", IncidentUrl(sys_id)},
              {"pushedDate", pushed ? *pushed : UnixMsToIso(ctx.NowUnixMs())}};
}

// ---------------------------------------------------------------------------
// Sub-actions.

json ServiceNowConnector::PushToService(sdk::Context& ctx, const json& params) {
  if (!params.is_object() || !params.contains("incident") ||
      !params["incident"].is_object()) {
    throw InvalidParams("pushToService needs an incident object");
  }
  const json& incident = params["incident"];
  const std::vector<std::string>& declared = DeclaredFields(product_->is_sir);
  for (auto it = incident.begin(); it != incident.end(); ++it) {
    const std::string& key = it.key();
    if (key == "externalId" || key == "additional_fields") continue;
    bool known = false;
    for (const std::string& field : declared) known = known || field == key;
    if (!known) {
      throw InvalidParams("incident." + key + " is not a field of " +
                          product_->type_id + " incidents");
    }
  }
  if (!incident.contains("short_description") ||
      !incident["short_description"].is_string() ||
      TrimSpaces(incident["short_description"].get<std::string>()).empty()) {
    throw InvalidParams("incident.short_description is required");
  }
  if (incident.contains("correlation_id")) {
    CheckCorrelationIdLength(incident["correlation_id"]);
  }

  // additional_fields: object or JSON text, at most 20 keys, none reserved.
  json additional = json::object();
  if (incident.contains("additional_fields") &&
      !incident["additional_fields"].is_null()) {
    const json& raw = incident["additional_fields"];
    additional = raw.is_string()
                     ? json::parse(raw.get<std::string>(), nullptr, false)
                     : raw;
    if (additional.is_discarded() || !additional.is_object()) {
      throw InvalidParams("incident.additional_fields must be a JSON object");
    }
    if (additional.size() > kMaxAdditionalFields) {
      throw InvalidParams("incident.additional_fields may have at most " +
                          std::to_string(kMaxAdditionalFields) + " keys, got " +
                          std::to_string(additional.size()));
    }
    for (auto it = additional.begin(); it != additional.end(); ++it) {
      if (IsReservedAdditionalKey(it.key())) {
        throw InvalidParams("incident.additional_fields may not set \"" +
                            it.key() + "\"; use the incident field instead");
      }
    }
    if (uses_table_api_ && !additional.empty()) {
      throw InvalidParams(
          "ServiceNow additional fields are not supported for deprecated "
          "connectors.");
    }
  }

  json fields = json::object();
  for (const std::string& field : declared) {
    fields[field] = incident.contains(field) ? incident[field] : json();
  }
  if (fields["correlation_display"].is_null() &&
      !fields["correlation_id"].is_null()) {
    fields["correlation_display"] = "Elastic Case";
  }
  if (product_->is_sir) {
    for (const char* key :
         {"dest_ip", "source_ip", "malware_hash", "malware_url"}) {
      json& value = fields[key];
      if (!uses_table_api_) {
        // Sent as observables after the push instead.
        value = nullptr;
      } else if (value.is_array()) {
        std::string joined;
        for (const json& item : value) {
          if (!item.is_string()) continue;
          if (!joined.empty()) joined += ",";
          joined += item.get<std::string>();
        }
        value = joined;
      }
    }
  }

  const std::string external_id = GetString(incident, "externalId");
  json record;
  json result;
  if (external_id.empty()) {
    json create_fields = fields;
    json caller = is_oauth_ ? json() : json(username_);
    create_fields["caller_id"] = caller;
    create_fields["opened_by"] = caller;
    record = CreateIncident(ctx, create_fields, additional);
    result = Summary(ctx, record, "sys_created_on");
  } else {
    record = UpdateIncident(ctx, external_id, fields, additional);
    result = Summary(ctx, record, "sys_updated_on");
  }
  const std::string sys_id = result["id"].get<std::string>();

  if (params.contains("comments") && params["comments"].is_array() &&
      !params["comments"].empty()) {
    json pushed_comments = json::array();
    for (const json& comment : params["comments"]) {
      if (!comment.is_object()) {
        throw InvalidParams("comments must be objects {comment, commentId}");
      }
      json with_note = fields;
      with_note["work_notes"] = comment.value("comment", json());
      UpdateIncident(ctx, sys_id, with_note, additional);
      pushed_comments.push_back(
          {{"commentId", comment.value("commentId", json())},
           {"pushedDate", result["pushedDate"]}});
    }
    result["comments"] = std::move(pushed_comments);
  }

  if (product_->is_sir && !uses_table_api_) {
    json observables = BuildObservables(incident);
    if (!observables.empty()) {
      const std::string context =
          "Unable to add observables to security incident with id " + sys_id;
      try {
        CheckApplication(ctx);
      } catch (const Error& e) {
        throw Nest(context, e);
      }
      Call(ctx, "POST",
           api_url_ + "/api/" + product_->app_scope + "/elastic_api/incident/" +
               UrlEncode(sys_id) + "/observables/bulk",
           &observables, Endpoint::kOther, context);
    }
  }
  return result;
}

json ServiceNowConnector::GetIncident(sdk::Context& ctx, const json& params) {
  std::string id = GetString(params, "externalId");
  return *GetIncidentRecord(ctx, id, /*not_found_ok=*/false);
}

json ServiceNowConnector::FindIncidentByCorrelationId(sdk::Context& ctx,
                                                      const json& params) {
  json cid =
      params.is_object() ? params.value("correlation_id", json()) : json();
  if (!cid.is_string()) throw InvalidParams("Correlation ID is empty.");
  CheckCorrelationIdLength(cid);
  std::optional<json> record = FindByCorrelationId(ctx, cid.get<std::string>());
  if (!record) return nullptr;
  json summary = Summary(ctx, *record, "sys_updated_on");
  summary["createdDate"] =
      ServiceNowTimeToIso(GetString(*record, "sys_created_on")).value_or("");
  summary["state"] = record->value("state", json());
  summary["correlation_id"] = record->value("correlation_id", json());
  return summary;
}

json ServiceNowConnector::GetFields(sdk::Context& ctx) {
  Response response =
      Call(ctx, "GET",
           api_url_ + "/api/now/table/sys_dictionary?sysparm_query=" +
               EncodeQueryValue(std::string("name=task^ORname=") +
                                product_->table + "^internal_type=string") +
               "&active=true&array=false&read_only=false"
               "&sysparm_fields=max_length,element,column_label,mandatory",
           nullptr, Endpoint::kTable, "Unable to get fields");
  const json& result = response.body["result"];
  return result.is_array() ? result : json::array();
}

json ServiceNowConnector::GetChoices(sdk::Context& ctx, const json& params) {
  if (!params.is_object() || !params.contains("fields") ||
      !params["fields"].is_array() || params["fields"].empty()) {
    throw InvalidParams("getChoices needs a non-empty fields array");
  }
  std::string elements;
  for (const json& field : params["fields"]) {
    if (!field.is_string() || field.get<std::string>().empty() ||
        field.get<std::string>().find('^') != std::string::npos) {
      throw InvalidParams(
          "getChoices fields must be non-empty strings without '^'");
    }
    elements += elements.empty() ? "^element=" : "^ORelement=";
    elements += field.get<std::string>();
  }
  Response response =
      Call(ctx, "GET",
           api_url_ + "/api/now/table/sys_choice?sysparm_query=" +
               EncodeQueryValue(std::string("name=task^ORname=") +
                                product_->table + elements + "^language=en") +
               "&sysparm_fields=label,value,dependent_value,element",
           nullptr, Endpoint::kTable, "Unable to get choices");
  const json& result = response.body["result"];
  return result.is_array() ? result : json::array();
}

json ServiceNowConnector::CloseIncident(sdk::Context& ctx, const json& params) {
  const json incident = params.is_object() && params.contains("incident") &&
                                params["incident"].is_object()
                            ? params["incident"]
                            : json::object();
  const std::string external_id = TrimSpaces(GetString(incident, "externalId"));
  const json cid = incident.value("correlation_id", json());
  CheckCorrelationIdLength(cid);
  const std::string correlation_id =
      cid.is_string() ? TrimSpaces(cid.get<std::string>()) : "";
  if (external_id.empty() && correlation_id.empty()) {
    throw InvalidParams("No correlationId or incidentId found.");
  }
  const std::string context = "Unable to close incident";
  std::optional<json> record;
  try {
    record = !external_id.empty()
                 ? GetIncidentRecord(ctx, external_id, /*not_found_ok=*/true)
                 : FindByCorrelationId(ctx, correlation_id);
  } catch (const Error& e) {
    throw Nest(context, e);
  }
  if (!record) {
    ctx.Log(sdk::LogLevel::kWarn,
            "ServiceNow: no incident to close for " +
                (!external_id.empty() ? "id " + external_id
                                      : "correlation id " + correlation_id));
    return nullptr;
  }
  if (GetString(*record, "state") == kClosedState) {
    return Summary(ctx, *record, "sys_updated_on");
  }
  json fields = {{"state", kClosedState},
                 {"close_code", "Closed/Resolved by Caller"},
                 {"close_notes", "Closed by Caller"}};
  json updated;
  try {
    updated = UpdateIncident(ctx, GetString(*record, "sys_id"), fields,
                             json::object());
  } catch (const Error& e) {
    throw Nest(context, e);
  }
  return Summary(ctx, updated, "sys_updated_on");
}

json ServiceNowConnector::Handshake(sdk::Context& ctx) {
  if (!uses_table_api_) {
    json application = CheckApplication(ctx);
    return json{{"mode", "import_set"},
                {"deprecated", false},
                {"application", std::move(application)}};
  }
  Call(ctx, "GET",
       api_url_ + "/api/now/v2/table/" + product_->table +
           "?sysparm_limit=1&sysparm_fields=sys_id",
       nullptr, Endpoint::kTable, "Unable to reach the incident table");
  return json{{"mode", "table_api"}, {"deprecated", true}};
}

}  // namespace casebridge::servicenow

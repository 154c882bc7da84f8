// The ".resilient" connector: IBM Resilient / QRadar SOAR incidents, matching
// Kibana's sub-action-framework connector call for call
// (../shared/reference/external-systems.md §4). Written only against the
// plugin SDK.
//
// Sub-actions (params -> result):
//   pushToService {incident:{name, description?, externalId?, incidentTypes?,
//                 severityCode?, additionalFields?, caseId?},
//                 comments?:[{comment, commentId}]}
//                 -> {id, title, url, pushedDate, comments?:[{commentId,
//                    pushedDate}]}
//   getIncident   {externalId} -> the incident as Resilient returns it
//   getFields     {} -> [{name, input_type, read_only, required, text, prefix,
//                        values}]
//   incidentTypes {} -> [{id, name}]
//   severity      {} -> [{id, name}]
//   handshake     {} -> {} once an authenticated call succeeded
//   findByCaseId  {caseId} -> {id, title, url, pushedDate} or null; needs
//                 config.caseIdField (the incident field pushToService fills
//                 with incident.caseId on create), FAILED_PRECONDITION
//                 otherwise.
// Errors: "[Action][IBM Resilient]: <context>. Error: <message>." with HTTP
// errors rendered "Status code: <n>. Message: <API Error: ...>"; 429 and 5xx
// (and transport failures the host marks retryable) are retryable with
// Retry-After, other 4xx permanent.
// Thread-safety: an instance is immutable after construction, so Execute may
// run concurrently.
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casebridge/plugin.hpp"

namespace {

using casebridge::sdk::ClassifyHttpStatus;
using casebridge::sdk::Code;
using casebridge::sdk::Context;
using casebridge::sdk::Error;
using casebridge::sdk::HttpRequest;
using casebridge::sdk::HttpResponse;
using casebridge::sdk::IsHttpUrl;
using casebridge::sdk::IsSafePathSegment;
using casebridge::sdk::Retry;
using nlohmann::json;

constexpr char kName[] = "IBM Resilient";
constexpr size_t kMaxAdditionalFields = 50;
constexpr size_t kMaxErrorBodyChars = 1000;

// ---------------------------------------------------------------- helpers

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                 (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                 (static_cast<uint8_t>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// JavaScript's Date.prototype.toISOString for epoch milliseconds.
std::string IsoFromEpochMs(int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int millis = static_cast<int>(ms - secs * 1000);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, millis);
  return buf;
}

// JavaScript's Number(value) for the JSON types; nullopt stands for NaN.
std::optional<double> JsNumber(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_boolean()) return value.get<bool>() ? 1.0 : 0.0;
  if (value.is_null()) return 0.0;
  if (!value.is_string()) return std::nullopt;
  std::string s = value.get<std::string>();
  size_t b = s.find_first_not_of(" \t\n\r\f\v");
  if (b == std::string::npos) return 0.0;
  size_t e = s.find_last_not_of(" \t\n\r\f\v");
  s = s.substr(b, e - b + 1);
  if (s == "Infinity" || s == "+Infinity") return HUGE_VAL;
  if (s == "-Infinity") return -HUGE_VAL;
  for (char c : s) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' ||
          c == 'E' || c == '+' || c == '-')) {
      return std::nullopt;  // hex/binary forms are not used by these APIs
    }
  }
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return d;
}

// A number as a JSON value: integral values become integers.
json NumberJson(double d) {
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15) {
    return static_cast<int64_t>(d);
  }
  return d;
}

// JavaScript's String(number).
std::string NumberString(double d) {
  json j = NumberJson(d);
  return j.is_number_integer() ? std::to_string(j.get<int64_t>()) : j.dump();
}

// JavaScript truthiness.
bool Truthy(const json* value) {
  if (value == nullptr || value->is_null()) return false;
  if (value->is_boolean()) return value->get<bool>();
  if (value->is_string()) return !value->get_ref<const std::string&>().empty();
  if (value->is_number()) {
    double d = value->get<double>();
    return d != 0 && !std::isnan(d);
  }
  return true;
}

const json* Find(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

// Collapses duplicate slashes after the scheme and drops a trailing slash
// (the sub-action framework's URL normalisation).
std::string NormalizeUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  std::string out = url.substr(0, start);
  for (size_t i = start; i < url.size(); ++i) {
    if (url[i] == '/' && !out.empty() && out.back() == '/' &&
        out.size() > start) {
      continue;
    }
    out += url[i];
  }
  size_t query = out.find('?');
  size_t path_end = query == std::string::npos ? out.size() : query;
  if (path_end > start && out[path_end - 1] == '/') out.erase(path_end - 1, 1);
  return out;
}

[[noreturn]] void InvalidParams(const std::string& detail) {
  throw Error(Code::kInvalidArgument,
              "Request validation failed (" + detail + ")", Retry::kNo);
}

[[noreturn]] void BadResponse(const std::string& detail) {
  throw Error(Code::kUnknown, "Response validation failed (" + detail + ")",
              Retry::kNo);
}

// Wraps an error from one step in Kibana's connector message format, keeping
// its code, retry class and details.
[[noreturn]] void Rethrow(const Error& e, const std::string& context) {
  throw Error(e.code(),
              std::string("[Action][") + kName + "]: " + context +
                  ". Error: " + e.message() + ".",
              e.retry(), e.retry_after_ms(), e.details());
}

// Maps a non-2xx response to an Error in Kibana's Resilient wording.
[[noreturn]] void ThrowHttpError(const HttpResponse& response) {
  std::string message;
  json body = json::parse(response.body, nullptr, false);
  if (response.status == 401) {
    message = "Unauthorized API Error";
  } else if (body.is_object() && body.contains("message")) {
    const json& m = body["message"];
    message = "API Error: " + (m.is_string() ? m.get<std::string>() : m.dump());
  } else {
    std::string reason;
    switch (response.status) {
      case 400:
        reason = "Bad Request";
        break;
      case 403:
        reason = "Forbidden";
        break;
      case 404:
        reason = "Not Found";
        break;
      case 409:
        reason = "Conflict";
        break;
      case 422:
        reason = "Unprocessable Entity";
        break;
      case 429:
        reason = "Too Many Requests";
        break;
      case 500:
        reason = "Internal Server Error";
        break;
      case 502:
        reason = "Bad Gateway";
        break;
      case 503:
        reason = "Service Unavailable";
        break;
      case 504:
        reason = "Gateway Timeout";
        break;
      default:
        reason = "HTTP " + std::to_string(response.status);
    }
    message = "API Error: " + reason;
  }
  const int s = response.status;
  const auto [code, retry] = ClassifyHttpStatus(s);
  const int64_t retry_after =
      retry == Retry::kYes ? response.RetryAfterMs() : 0;
  json details = {{"status", s}};
  if (!response.body.empty()) {
    details["body"] = response.body.substr(0, kMaxErrorBodyChars);
  }
  throw Error(code,
              "Status code: " + std::to_string(s) + ". Message: " + message,
              retry, retry_after, std::move(details));
}

// ------------------------------------------------------ response checking

json RequireNumber(const json& object, const char* key) {
  const json* v = Find(object, key);
  std::optional<double> n = v ? JsNumber(*v) : std::nullopt;
  if (!n || !std::isfinite(*n)) {
    BadResponse(std::string(key) + ": expected a number, received " +
                (v ? v->type_name() : "undefined"));
  }
  return NumberJson(*n);
}

json CheckFieldMeta(const json& field, size_t index) {
  std::string where = "[" + std::to_string(index) + "]";
  if (!field.is_object()) BadResponse(where + ": expected an object");
  auto str = [&](const char* key) {
    const json* v = Find(field, key);
    if (!v || !v->is_string()) {
      BadResponse(where + "." + key + ": expected a string");
    }
    return *v;
  };
  auto nullable_str = [&](const char* key) -> json {
    const json* v = Find(field, key);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_string()) {
      BadResponse(where + "." + key + ": expected a string or null");
    }
    return *v;
  };
  json out;
  out["name"] = str("name");
  out["input_type"] = str("input_type");
  const json* read_only = Find(field, "read_only");
  if (!read_only || !read_only->is_boolean()) {
    BadResponse(where + ".read_only: expected a boolean");
  }
  out["read_only"] = *read_only;
  out["required"] = nullable_str("required");
  out["text"] = str("text");
  out["prefix"] = nullable_str("prefix");
  const json* values = Find(field, "values");
  if (!values || values->is_null()) {
    out["values"] = nullptr;
  } else {
    if (!values->is_array()) {
      BadResponse(where + ".values: expected an array or null");
    }
    json list = json::array();
    for (size_t i = 0; i < values->size(); ++i) {
      const json& item = (*values)[i];
      std::string at = where + ".values[" + std::to_string(i) + "]";
      if (!item.is_object()) BadResponse(at + ": expected an object");
      json copy = item;
      const json* value = Find(item, "value");
      if (!value || !(value->is_number() || value->is_string())) {
        BadResponse(at + ".value: expected a number or a string");
      }
      if (value->is_string()) {
        // z.union([z.coerce.number(), z.string()]): numeric strings become
        // numbers, others stay strings.
        std::optional<double> n = JsNumber(*value);
        if (n && std::isfinite(*n)) copy["value"] = NumberJson(*n);
      }
      const json* label = Find(item, "label");
      if (!label || !label->is_string()) {
        BadResponse(at + ".label: expected a string");
      }
      for (const char* flag : {"enabled", "hidden", "default"}) {
        const json* f = Find(item, flag);
        if (!f || !f->is_boolean()) {
          BadResponse(at + "." + flag + ": expected a boolean");
        }
      }
      list.push_back(std::move(copy));
    }
    out["values"] = std::move(list);
  }
  return out;
}

// ------------------------------------------------------ params checking

struct Comment {
  std::string comment;
  std::string comment_id;
};

struct Incident {
  std::string name;
  std::optional<std::string> description;
  std::optional<std::string> external_id;
  std::optional<std::vector<json>> incident_types;  // numbers
  std::optional<json> severity_code;                // number
  std::optional<json> additional_fields;            // object
  std::optional<std::string> case_id;
};

struct PushParams {
  Incident incident;
  std::optional<std::vector<Comment>> comments;
};

const char* const kIncidentKeys[] = {
    "name",         "description",      "externalId", "incidentTypes",
    "severityCode", "additionalFields", "caseId"};

std::optional<std::string> NullableString(const json& object, const char* key,
                                          const std::string& path) {
  const json* v = Find(object, key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string())
    InvalidParams(path + key + ": expected a string or null");
  return v->get<std::string>();
}

json CoercedNumber(const json& value, const std::string& path) {
  std::optional<double> n = JsNumber(value);
  if (!(value.is_number() || value.is_string()) || !n || !std::isfinite(*n)) {
    InvalidParams(path + ": expected a number");
  }
  return NumberJson(*n);
}

PushParams ParsePushParams(const json& params) {
  if (!params.is_object()) InvalidParams("expected an object");
  for (const auto& [key, value] : params.items()) {
    if (key != "incident" && key != "comments") {
      InvalidParams(key + ": unknown parameter");
    }
  }
  const json* incident = Find(params, "incident");
  if (!incident || !incident->is_object()) {
    InvalidParams("incident: expected an object");
  }
  for (const auto& [key, value] : incident->items()) {
    bool known = false;
    for (const char* k : kIncidentKeys) known = known || key == k;
    if (!known) InvalidParams("incident." + key + ": unknown field");
  }
  PushParams out;
  const json* name = Find(*incident, "name");
  if (!name || !name->is_string()) {
    InvalidParams("incident.name: expected a string");
  }
  out.incident.name = name->get<std::string>();
  out.incident.description =
      NullableString(*incident, "description", "incident.");
  out.incident.external_id =
      NullableString(*incident, "externalId", "incident.");
  out.incident.case_id = NullableString(*incident, "caseId", "incident.");
  if (out.incident.external_id &&
      !IsSafePathSegment(*out.incident.external_id)) {
    InvalidParams("incident.externalId: not a valid incident id");
  }
  if (const json* types = Find(*incident, "incidentTypes");
      types && !types->is_null()) {
    if (!types->is_array()) {
      InvalidParams("incident.incidentTypes: expected an array or null");
    }
    std::vector<json> ids;
    for (size_t i = 0; i < types->size(); ++i) {
      ids.push_back(CoercedNumber(
          (*types)[i], "incident.incidentTypes[" + std::to_string(i) + "]"));
    }
    out.incident.incident_types = std::move(ids);
  }
  if (const json* severity = Find(*incident, "severityCode");
      severity && !severity->is_null()) {
    out.incident.severity_code =
        CoercedNumber(*severity, "incident.severityCode");
  }
  if (const json* extra = Find(*incident, "additionalFields");
      extra && !extra->is_null()) {
    json fields = *extra;
    if (fields.is_string()) {
      fields = json::parse(fields.get<std::string>(), nullptr, false);
      if (fields.is_discarded()) {
        InvalidParams("incident.additionalFields: not valid JSON");
      }
    }
    if (!fields.is_object()) {
      InvalidParams("incident.additionalFields: expected an object");
    }
    for (const auto& [key, value] : fields.items()) {
      for (const char* k : kIncidentKeys) {
        if (key == k) {
          InvalidParams("incident.additionalFields: property " + key +
                        " is not allowed");
        }
      }
    }
    if (fields.size() > kMaxAdditionalFields) {
      InvalidParams("incident.additionalFields: a maximum of " +
                    std::to_string(kMaxAdditionalFields) +
                    " fields is allowed, got " + std::to_string(fields.size()));
    }
    out.incident.additional_fields = std::move(fields);
  }
  if (const json* comments = Find(params, "comments");
      comments && !comments->is_null()) {
    if (!comments->is_array()) {
      InvalidParams("comments: expected an array or null");
    }
    std::vector<Comment> list;
    for (size_t i = 0; i < comments->size(); ++i) {
      const json& c = (*comments)[i];
      std::string at = "comments[" + std::to_string(i) + "]";
      if (!c.is_object()) InvalidParams(at + ": expected an object");
      for (const auto& [key, value] : c.items()) {
        if (key != "comment" && key != "commentId") {
          InvalidParams(at + "." + key + ": unknown field");
        }
      }
      const json* text = Find(c, "comment");
      const json* id = Find(c, "commentId");
      if (!text || !text->is_string()) {
        InvalidParams(at + ".comment: expected a string");
      }
      if (!id || !id->is_string()) {
        InvalidParams(at + ".commentId: expected a string");
      }
      list.push_back({text->get<std::string>(), id->get<std::string>()});
    }
    out.comments = std::move(list);
  }
  return out;
}

void RequireEmptyParams(const json& params) {
  if (params.is_null()) return;
  if (!params.is_object()) InvalidParams("expected an object");
  for (const auto& [key, value] : params.items()) {
    InvalidParams(key + ": unknown parameter");
  }
}

std::string RequireIdParam(const json& params, const char* key) {
  if (!params.is_object()) InvalidParams("expected an object");
  for (const auto& [k, value] : params.items()) {
    if (k != key) InvalidParams(k + ": unknown parameter");
  }
  const json* v = Find(params, key);
  if (!v || !v->is_string()) {
    InvalidParams(std::string(key) + ": expected a string");
  }
  std::string id = v->get<std::string>();
  if (id.empty()) InvalidParams(std::string(key) + ": must not be empty");
  return id;
}

// --------------------------------------------------------- field shapes

// Throws unless every given value is one of the field's allowed values.
void ValidateValues(const json& meta, const json& given) {
  const json& values = meta["values"];
  if (!values.is_array()) return;
  for (const json& id : given) {
    bool allowed = false;
    for (const json& option : values) {
      if (option.contains("value") && option["value"] == id) allowed = true;
    }
    if (!allowed) {
      std::string accepted;
      for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) accepted += ",";
        const json& v = values[i]["value"];
        accepted += (v.is_string() ? v.get<std::string>() : v.dump()) +
                    " (for \"" + values[i].value("label", "") + "\")";
      }
      throw Error(Code::kInvalidArgument,
                  "Invalid values provided to " +
                      meta["name"].get<std::string>() + ": " + given.dump(2) +
                      ". Accepted values: " + accepted,
                  Retry::kNo);
    }
  }
}

json OldFieldValue(const json& meta, const json& value) {
  const std::string& type = meta["input_type"].get_ref<const std::string&>();
  if (type == "textarea" || type == "multiselect" || type == "select" ||
      type == "datetimepicker" || type == "datepicker" || type == "boolean" ||
      type == "number" || type == "text") {
    return value;
  }
  return nullptr;
}

// The change-value shape Resilient expects for a field of meta.input_type.
json FieldShape(const json& meta, const json& value,
                const json& old_value = nullptr) {
  const std::string& type = meta["input_type"].get_ref<const std::string&>();
  if (type == "textarea") {
    if (value.is_null()) return {{"textarea", nullptr}};
    if (value.is_object() && value.contains("format") &&
        value.contains("content")) {
      return {{"textarea", value}};
    }
    json format = "text";
    if (old_value.is_object() && old_value.contains("format")) {
      format = old_value["format"];
    }
    return {{"textarea", {{"format", format}, {"content", value}}}};
  }
  if (type == "multiselect") {
    if (value.is_null()) return json::object();
    json ids = value.is_array() ? value : json::array({value});
    ValidateValues(meta, ids);
    return {{"ids", ids}};
  }
  if (type == "select") {
    if (value.is_null()) return json::object();
    ValidateValues(meta, json::array({value}));
    return {{"id", value}};
  }
  if (type == "datetimepicker" || type == "datepicker") {
    return value.is_number() ? json{{"date", value}} : json::object();
  }
  if (type == "boolean") {
    return value.is_boolean() ? json{{"boolean", value}} : json::object();
  }
  if (type == "number") {
    return value.is_number() ? json{{"object", value}} : json::object();
  }
  if (type == "text") {
    return value.is_string() ? json{{"text", value}} : json::object();
  }
  return json::object();
}

// ------------------------------------------------------------ connector

struct Config {
  std::string api_url;
  std::string org_id;
  std::optional<std::string> case_id_field;  // "name" or "prefix.name"
};

void ValidateCaseIdField(const std::string& field) {
  size_t dot = field.find('.');
  std::string prefix = dot == std::string::npos ? "" : field.substr(0, dot);
  std::string name = dot == std::string::npos ? field : field.substr(dot + 1);
  auto ok = [](const std::string& s) {
    if (s.empty()) return false;
    for (char c : s) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return false;
      }
    }
    return true;
  };
  if (!ok(name) || (dot != std::string::npos && !ok(prefix))) {
    throw Error(Code::kInvalidArgument,
                "config.caseIdField must be a field name such as "
                "\"properties.casebridge_case_id\"",
                Retry::kNo);
  }
}

Config ParseConfig(const json& config) {
  if (!config.is_object()) {
    throw Error(Code::kInvalidArgument, "config must be an object", Retry::kNo);
  }
  for (const auto& [key, value] : config.items()) {
    if (key != "apiUrl" && key != "orgId" && key != "caseIdField") {
      throw Error(Code::kInvalidArgument,
                  "config." + key + " is not a known setting", Retry::kNo);
    }
  }
  Config out;
  const json* url = Find(config, "apiUrl");
  if (!url || !url->is_string() || !IsHttpUrl(url->get<std::string>())) {
    throw Error(Code::kInvalidArgument,
                "config.apiUrl must be an http or https URL with a host",
                Retry::kNo);
  }
  out.api_url = url->get<std::string>();
  const json* org = Find(config, "orgId");
  if (!org || !org->is_string() ||
      !IsSafePathSegment(org->get<std::string>())) {
    throw Error(Code::kInvalidArgument,
                "config.orgId must be a non-empty organisation id "
                "(letters, digits, '-', '_', '.', '~')",
                Retry::kNo);
  }
  out.org_id = org->get<std::string>();
  const json* field = Find(config, "caseIdField");
  if (field && !field->is_null()) {
    if (!field->is_string()) {
      throw Error(Code::kInvalidArgument,
                  "config.caseIdField must be a string or null", Retry::kNo);
    }
    ValidateCaseIdField(field->get<std::string>());
    out.case_id_field = field->get<std::string>();
  }
  return out;
}

struct Secrets {
  std::string api_key_id;
  std::string api_key_secret;
};

Secrets ParseSecrets(const json& secrets) {
  if (!secrets.is_object()) {
    throw Error(Code::kInvalidArgument, "secrets must be an object",
                Retry::kNo);
  }
  for (const auto& [key, value] : secrets.items()) {
    if (key != "apiKeyId" && key != "apiKeySecret") {
      throw Error(Code::kInvalidArgument,
                  "secrets." + key + " is not a known secret", Retry::kNo);
    }
  }
  Secrets out;
  for (auto [key, target] : {std::pair{"apiKeyId", &out.api_key_id},
                             std::pair{"apiKeySecret", &out.api_key_secret}}) {
    const json* v = Find(secrets, key);
    if (!v || !v->is_string() || v->get_ref<const std::string&>().empty()) {
      throw Error(Code::kInvalidArgument,
                  std::string("secrets.") + key + " is required", Retry::kNo);
    }
    *target = v->get<std::string>();
  }
  return out;
}

void ValidateConnector(const json& config, const json& secrets) {
  ParseConfig(config);
  ParseSecrets(secrets);
}

class ResilientConnector : public casebridge::sdk::Connector {
 public:
  ResilientConnector(const casebridge::sdk::CreateArgs& args, Context& /*ctx*/)
      : config_(ParseConfig(args.config)) {
    Secrets secrets = ParseSecrets(args.secrets);
    auth_ =
        "Basic " + Base64(secrets.api_key_id + ":" + secrets.api_key_secret);
    org_url_ = NormalizeUrl(config_.api_url + "/rest/orgs/" + config_.org_id);
  }

  casebridge::sdk::Result Execute(std::string_view sub_action,
                                  const json& params, Context& ctx) override {
    if (sub_action == "pushToService")
      return Push(ParsePushParams(params), ctx);
    if (sub_action == "getIncident") {
      std::string id = RequireIdParam(params, "externalId");
      if (!IsSafePathSegment(id)) InvalidParams("externalId: not a valid id");
      return GetIncident(id, ctx);
    }
    if (sub_action == "getFields") {
      RequireEmptyParams(params);
      return GetFields(ctx);
    }
    if (sub_action == "incidentTypes") {
      RequireEmptyParams(params);
      return GetValues("incident_type_ids", "Unable to get incident types",
                       ctx);
    }
    if (sub_action == "severity") {
      RequireEmptyParams(params);
      return GetValues("severity_code", "Unable to get severity", ctx);
    }
    if (sub_action == "handshake") {
      RequireEmptyParams(params);
      GetValues("severity_code", "Unable to get severity", ctx);
      return json::object();
    }
    if (sub_action == "findByCaseId") {
      return FindByCaseId(RequireIdParam(params, "caseId"), ctx);
    }
    throw Error(Code::kInvalidArgument,
                "Sub-action \"" + std::string(sub_action) +
                    "\" is not registered. Connector name: " + kName +
                    ". Connector type: .resilient",
                Retry::kNo);
  }

 private:
  // One request; returns the parsed 2xx body or throws the HTTP/transport
  // error (unwrapped: callers add their context).
  json Request(const std::string& method, const std::string& url,
               const json* body, Context& ctx) const {
    ctx.ThrowIfCancelled();
    HttpRequest request;
    request.method = method;
    request.url = NormalizeUrl(url);
    request.headers = {{"Authorization", auth_},
                       {"Content-Type", "application/json"}};
    if (body != nullptr) request.body = body->dump();
    HttpResponse response;
    try {
      response = ctx.Http(request);
    } catch (const Error& e) {
      throw Error(e.code(),
                  "Status code: undefined. Message: Unknown API Error (" +
                      e.message() + ")",
                  e.retry(), e.retry_after_ms(), e.details());
    }
    if (!response.Ok()) ThrowHttpError(response);
    json parsed = json::parse(response.body, nullptr, false);
    if (parsed.is_discarded()) BadResponse("response body is not JSON");
    return parsed;
  }

  std::string ViewUrl(const std::string& id) const {
    std::string base = config_.api_url;
    if (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/#incidents/" + id;
  }

  json GetIncidentRaw(const std::string& id, Context& ctx) const {
    try {
      json incident = Request("GET",
                              org_url_ + "/incidents/" + id +
                                  "?text_content_output_format=objects_convert",
                              nullptr, ctx);
      if (!incident.is_object()) BadResponse("expected an object");
      incident["id"] = RequireNumber(incident, "id");
      incident["inc_last_modified_date"] =
          RequireNumber(incident, "inc_last_modified_date");
      return incident;
    } catch (const Error& e) {
      Rethrow(e, "Unable to get incident with id " + id);
    }
  }

  json GetIncident(const std::string& id, Context& ctx) const {
    return GetIncidentRaw(id, ctx);
  }

  json GetFieldsRaw(Context& ctx) const {
    try {
      json fields =
          Request("GET", org_url_ + "/types/incident/fields", nullptr, ctx);
      if (!fields.is_array()) BadResponse("expected an array");
      json out = json::array();
      for (size_t i = 0; i < fields.size(); ++i) {
        out.push_back(CheckFieldMeta(fields[i], i));
      }
      return out;
    } catch (const Error& e) {
      Rethrow(e, "Unable to get fields");
    }
  }

  json GetFields(Context& ctx) const { return GetFieldsRaw(ctx); }

  json GetValues(const std::string& field, const std::string& context,
                 Context& ctx) const {
    try {
      json res = Request("GET", org_url_ + "/types/incident/fields/" + field,
                         nullptr, ctx);
      const json* values = Find(res, "values");
      if (!values || !values->is_array()) {
        BadResponse("values: expected an array");
      }
      json out = json::array();
      for (size_t i = 0; i < values->size(); ++i) {
        const json& v = (*values)[i];
        std::string at = "values[" + std::to_string(i) + "]";
        const json* value = Find(v, "value");
        std::optional<double> n = value ? JsNumber(*value) : std::nullopt;
        if (!n || !std::isfinite(*n) ||
            !(value->is_number() || value->is_string())) {
          BadResponse(at + ".value: expected a number");
        }
        const json* label = Find(v, "label");
        if (!label || !label->is_string()) {
          BadResponse(at + ".label: expected a string");
        }
        out.push_back({{"id", NumberString(*n)}, {"name", *label}});
      }
      return out;
    } catch (const Error& e) {
      Rethrow(e, context);
    }
  }

  static const json* FindMeta(const json& fields, const std::string& name) {
    for (const json& f : fields) {
      if (f["name"] == name) return &f;
    }
    return nullptr;
  }

  json Push(const PushParams& params, Context& ctx) const {
    json result =
        params.incident.external_id
            ? Update(*params.incident.external_id, params.incident, ctx)
            : Create(params.incident, ctx);
    if (params.comments && !params.comments->empty()) {
      json comments = json::array();
      for (const Comment& c : *params.comments) {
        AddComment(result["id"].get<std::string>(), c.comment, ctx);
        comments.push_back({{"commentId", c.comment_id},
                            {"pushedDate", result["pushedDate"]}});
      }
      result["comments"] = std::move(comments);
    }
    return result;
  }

  json Create(const Incident& incident, Context& ctx) const {
    try {
      json data = {{"name", incident.name},
                   {"discovered_date", ctx.NowUnixMs()}};
      if (incident.description && !incident.description->empty()) {
        data["description"] = {{"format", "html"},
                               {"content", *incident.description}};
      }
      if (incident.incident_types) {
        json ids = json::array();
        for (const json& id : *incident.incident_types) {
          ids.push_back({{"id", id}});
        }
        data["incident_type_ids"] = std::move(ids);
      }
      if (incident.severity_code && Truthy(&*incident.severity_code)) {
        data["severity_code"] = {{"id", *incident.severity_code}};
      }
      if (incident.additional_fields) {
        json fields = GetFieldsRaw(ctx);
        json flat = json::object();
        if (const json* props = Find(*incident.additional_fields, "properties");
            props && props->is_object()) {
          flat = *props;
        }
        for (const auto& [key, value] : incident.additional_fields->items()) {
          if (key != "properties") flat[key] = value;
        }
        for (const auto& [key, value] : flat.items()) {
          const json* meta = FindMeta(fields, key);
          if (meta && ((*meta)["input_type"] == "select" ||
                       (*meta)["input_type"] == "multiselect")) {
            ValidateValues(*meta,
                           value.is_array() ? value : json::array({value}));
          }
          if (meta && (*meta)["prefix"].is_string() &&
              !(*meta)["prefix"].get_ref<const std::string&>().empty()) {
            const std::string& prefix =
                (*meta)["prefix"].get_ref<const std::string&>();
            if (!data[prefix].is_object()) data[prefix] = json::object();
            data[prefix][key] = value;
          } else {
            data[key] = value;
          }
        }
      }
      if (incident.case_id && config_.case_id_field) {
        const std::string& field = *config_.case_id_field;
        size_t dot = field.find('.');
        if (dot == std::string::npos) {
          data[field] = *incident.case_id;
        } else {
          std::string prefix = field.substr(0, dot);
          if (!data[prefix].is_object()) data[prefix] = json::object();
          data[prefix][field.substr(dot + 1)] = *incident.case_id;
        }
      }
      json res = Request(
          "POST",
          org_url_ + "/incidents?text_content_output_format=objects_convert",
          &data, ctx);
      if (!res.is_object()) BadResponse("expected an object");
      json id = RequireNumber(res, "id");
      json created = RequireNumber(res, "create_date");
      std::string id_text = NumberString(id.get<double>());
      return {{"id", id_text},
              {"title", id_text},
              {"url", ViewUrl(id_text)},
              {"pushedDate", IsoFromEpochMs(created.get<int64_t>())}};
    } catch (const Error& e) {
      Rethrow(e, "Unable to create incident");
    }
  }

  json Update(const std::string& id, const Incident& incident,
              Context& ctx) const {
    try {
      json old = GetIncidentRaw(id, ctx);
      json fields = GetFieldsRaw(ctx);
      // Null standard fields are left out (a null would clear the field in
      // Resilient); standard fields win over additional fields of the same
      // name.
      json updates = incident.additional_fields ? *incident.additional_fields
                                                : json::object();
      updates["name"] = incident.name;
      if (incident.description) updates["description"] = *incident.description;
      if (incident.incident_types) {
        updates["incidentTypes"] = *incident.incident_types;
      }
      if (incident.severity_code) {
        updates["severityCode"] = *incident.severity_code;
      }
      json changes = json::array();
      for (const auto& [key, value] : updates.items()) {
        std::string name = key;
        if (key == "incidentTypes") name = "incident_type_ids";
        if (key == "severityCode") name = "severity_code";
        const json* meta = FindMeta(fields, name);
        if (meta == nullptr) {
          throw Error(Code::kInvalidArgument,
                      "No metadata found for field " + name, Retry::kNo);
        }
        const json* old_value =
            Truthy(Find(old, name)) ? Find(old, name) : Find(old, key);
        json old_json = old_value ? *old_value : json(nullptr);
        if ((*meta)["prefix"].is_string() &&
            !(*meta)["prefix"].get_ref<const std::string&>().empty()) {
          const json* container =
              Find(old, (*meta)["prefix"].get<std::string>());
          const json* nested =
              Truthy(container) ? Find(*container, key) : nullptr;
          old_json = nested ? *nested : json(nullptr);
        }
        const json* named = Find(updates, name);
        json new_value = Truthy(named) ? *named : value;
        changes.push_back(
            {{"field", {{"name", name}}},
             {"old_value", FieldShape(*meta, OldFieldValue(*meta, old_json))},
             {"new_value", FieldShape(*meta, new_value, old_json)}});
      }
      json body = {{"changes", std::move(changes)}};
      json res = Request("PATCH", org_url_ + "/incidents/" + id, &body, ctx);
      const json* success = Find(res, "success");
      if (!success || !success->is_boolean()) {
        BadResponse("success: expected a boolean");
      }
      const json* message = Find(res, "message");
      if (message && !message->is_null() && !message->is_string()) {
        BadResponse("message: expected a string or null");
      }
      if (!success->get<bool>()) {
        throw Error(
            Code::kFailedPrecondition,
            "Error while updating incident: " +
                (message && message->is_string() ? message->get<std::string>()
                                                 : std::string("null")),
            Retry::kNo);
      }
      json updated = GetIncidentRaw(id, ctx);
      std::string id_text = NumberString(updated["id"].get<double>());
      return {
          {"id", id_text},
          {"title", id_text},
          {"url", ViewUrl(id_text)},
          {"pushedDate",
           IsoFromEpochMs(updated["inc_last_modified_date"].get<int64_t>())}};
    } catch (const Error& e) {
      Rethrow(e, "Unable to update incident with id " + id);
    }
  }

  void AddComment(const std::string& id, const std::string& comment,
                  Context& ctx) const {
    try {
      json body = {{"text", {{"format", "text"}, {"content", comment}}}};
      json res = Request("POST", org_url_ + "/incidents/" + id + "/comments",
                         &body, ctx);
      if (!res.is_object()) BadResponse("expected an object");
    } catch (const Error& e) {
      Rethrow(e, "Unable to create comment at incident with id " + id);
    }
  }

  json FindByCaseId(const std::string& case_id, Context& ctx) const {
    if (!config_.case_id_field) {
      throw Error(Code::kFailedPrecondition,
                  "findByCaseId needs config.caseIdField (the incident field "
                  "that carries the case id)",
                  Retry::kNo);
    }
    try {
      json body = {{"filters",
                    {{{"conditions",
                       {{{"field_name", *config_.case_id_field},
                         {"method", "equals"},
                         {"value", case_id}}}}}}},
                   {"sorts", {{{"field_name", "id"}, {"type", "asc"}}}},
                   {"start", 0},
                   {"length", 1}};
      json res = Request(
          "POST", org_url_ + "/incidents/query_paged?return_level=normal",
          &body, ctx);
      const json* data = Find(res, "data");
      if (!data || !data->is_array()) BadResponse("data: expected an array");
      if (data->empty()) return nullptr;
      const json& first = (*data)[0];
      if (!first.is_object()) BadResponse("data[0]: expected an object");
      json id = RequireNumber(first, "id");
      const json* modified = Find(first, "inc_last_modified_date");
      json when = modified ? RequireNumber(first, "inc_last_modified_date")
                           : RequireNumber(first, "create_date");
      std::string id_text = NumberString(id.get<double>());
      return {{"id", id_text},
              {"title", id_text},
              {"url", ViewUrl(id_text)},
              {"pushedDate", IsoFromEpochMs(when.get<int64_t>())}};
    } catch (const Error& e) {
      Rethrow(e, "Unable to find incident for case " + case_id);
    }
  }

  Config config_;
  std::string auth_;
  std::string org_url_;
};

// ------------------------------------------------------------ descriptor

json StringOrNull() { return {{"type", json::array({"string", "null"})}}; }

json NumberLike() { return {{"type", json::array({"number", "string"})}}; }

casebridge::sdk::PluginDef DefinePlugin() {
  casebridge::sdk::ConnectorTypeDef type;
  type.id = ".resilient";
  type.name = "IBM Resilient";
  type.supported_features = {"alerting", "cases"};
  type.config_schema = {{"type", "object"},
                        {"properties",
                         {{"apiUrl", {{"type", "string"}, {"minLength", 1}}},
                          {"orgId", {{"type", "string"}, {"minLength", 1}}},
                          {"caseIdField", StringOrNull()}}},
                        {"required", {"apiUrl", "orgId"}},
                        {"additionalProperties", false}};
  type.secrets_schema = {
      {"type", "object"},
      {"properties",
       {{"apiKeyId", {{"type", "string"}, {"minLength", 1}}},
        {"apiKeySecret", {{"type", "string"}, {"minLength", 1}}}}},
      {"required", {"apiKeyId", "apiKeySecret"}},
      {"additionalProperties", false}};
  json empty = {{"type", "object"}, {"additionalProperties", false}};
  json incident = {
      {"type", "object"},
      {"properties",
       {{"name", {{"type", "string"}}},
        {"description", StringOrNull()},
        {"externalId", StringOrNull()},
        {"incidentTypes",
         {{"type", json::array({"array", "null"})}, {"items", NumberLike()}}},
        {"severityCode", {{"type", json::array({"number", "string", "null"})}}},
        {"additionalFields",
         {{"type", json::array({"object", "string", "null"})},
          {"maxProperties", kMaxAdditionalFields}}},
        {"caseId", StringOrNull()}}},
      {"required", {"name"}},
      {"additionalProperties", false}};
  json comments = {{"type", json::array({"array", "null"})},
                   {"items",
                    {{"type", "object"},
                     {"properties",
                      {{"comment", {{"type", "string"}}},
                       {"commentId", {{"type", "string"}}}}},
                     {"required", {"comment", "commentId"}},
                     {"additionalProperties", false}}}};
  type.sub_actions = {
      {"pushToService",
       {{"type", "object"},
        {"properties", {{"incident", incident}, {"comments", comments}}},
        {"required", {"incident"}},
        {"additionalProperties", false}}},
      {"getIncident",
       {{"type", "object"},
        {"properties",
         {{"externalId", {{"type", "string"}, {"minLength", 1}}}}},
        {"required", {"externalId"}},
        {"additionalProperties", false}}},
      {"getFields", empty},
      {"incidentTypes", empty},
      {"severity", empty},
      {"handshake", empty},
      {"findByCaseId",
       {{"type", "object"},
        {"properties", {{"caseId", {{"type", "string"}, {"minLength", 1}}}}},
        {"required", {"caseId"}},
        {"additionalProperties", false}}},
  };
  type.default_mappings = {{"title", "name", "overwrite"},
                           {"description", "description", "overwrite"},
                           {"comments", "comments", "append"}};
  type.factory = casebridge::sdk::MakeFactory<ResilientConnector>();
  type.validate = &ValidateConnector;

  casebridge::sdk::PluginDef plugin;
  plugin.id = "resilient";
  plugin.name = "IBM Resilient connector";
  plugin.version = "1.0.0";
  plugin.concurrent_execute = true;
  plugin.connector_types.push_back(std::move(type));
  return plugin;
}

}  // namespace

CASEBRIDGE_PLUGIN(DefinePlugin)

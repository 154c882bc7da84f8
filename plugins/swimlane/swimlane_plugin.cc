// The ".swimlane" connector: Swimlane records, matching Kibana's classic
// Swimlane connector call for call (../shared/reference/external-systems.md
// §5). Written only against the plugin SDK.
//
// Sub-actions (params -> result):
//   pushToService {incident:{alertId?, ruleName?, caseId?, caseName?,
//                 severity?, description?, externalId?},
//                 comments?:[{comment, commentId}]}
//                 -> {id, title, url, pushedDate, comments?:[{commentId,
//                    pushedDate}]}
//   handshake     {} -> {applicationId, name, fields:[{id, key, name,
//                 fieldType}]}; fails when a configured mapping names a
//                 field the application lacks.
//   findByCaseId  {caseId} -> {id, title, url, pushedDate} or null: the first
//                 record whose caseIdConfig field equals caseId (the value
//                 pushToService wrote from incident.caseId);
//                 FAILED_PRECONDITION without a caseIdConfig mapping.
// Config validation enforces what Kibana's form enforces per connectorType
// (cases: caseName, description, comments and caseId mappings; alerts: rule
// name and alert id mappings) and that comments map to a "notes" field.
// Errors: "[Action][Swimlane]: Unable to <action> in application with id
// <appId>. Status: <n>. Error: <message>. Reason: <Argument> (<ErrorCode>)";
// 429 and 5xx (and retryable transport failures) are retryable with
// Retry-After, other 4xx permanent.
// Thread-safety: an instance is immutable after construction.
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

constexpr size_t kMaxErrorBodyChars = 1000;

// The mapping keys, and the incident parameter each one carries (comments
// have none: they go to the notes field).
constexpr std::pair<const char*, const char*> kMappings[] = {
    {"ruleNameConfig", "ruleName"},      {"alertIdConfig", "alertId"},
    {"caseIdConfig", "caseId"},          {"caseNameConfig", "caseName"},
    {"commentsConfig", nullptr},         {"severityConfig", "severity"},
    {"descriptionConfig", "description"}};

const char* const kIncidentKeys[] = {"alertId",   "ruleName", "caseId",
                                     "caseName",  "severity", "description",
                                     "externalId"};

// ---------------------------------------------------------------- helpers

const json* Find(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

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

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Parses ISO-8601 "YYYY-MM-DDTHH:MM:SS[.fff...][Z|+HH:MM|+HHMM]" (no zone =
// UTC) into epoch milliseconds; nullopt when it is not such a date.
std::optional<int64_t> ParseIsoMs(const std::string& s) {
  auto digits = [&](size_t pos, size_t n, int* out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!digits(0, 4, &y) || s.size() < 10 || s[4] != '-' || !digits(5, 2, &mo) ||
      s[7] != '-' || !digits(8, 2, &d)) {
    return std::nullopt;
  }
  size_t pos = 10;
  int64_t millis = 0;
  int64_t offset_min = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return std::nullopt;
    if (!digits(pos + 1, 2, &h) || s[pos + 3] != ':' ||
        !digits(pos + 4, 2, &mi)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(pos + 1, 2, &sec)) return std::nullopt;
      pos += 3;
    }
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int scale = 100;
      size_t start = pos;
      while (pos < s.size() &&
             std::isdigit(static_cast<unsigned char>(s[pos]))) {
        millis += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z' && pos + 1 == s.size()) {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int oh, om;
        int sign = s[pos] == '-' ? -1 : 1;
        if (!digits(pos + 1, 2, &oh)) return std::nullopt;
        size_t m = pos + 3;
        if (m < s.size() && s[m] == ':') ++m;
        if (!digits(m, 2, &om) || m + 2 != s.size()) return std::nullopt;
        offset_min = sign * (oh * 60 + om);
        pos = s.size();
      } else {
        return std::nullopt;
      }
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || sec > 59) {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(y, mo, d);
  int64_t total = ((days * 24 + h) * 60 + mi - offset_min) * 60 + sec;
  return total * 1000 + millis;
}

// JavaScript's Number(string); NaN as nullopt.
std::optional<double> JsNumber(const std::string& text) {
  size_t b = text.find_first_not_of(" \t\n\r\f\v");
  if (b == std::string::npos) return 0.0;
  size_t e = text.find_last_not_of(" \t\n\r\f\v");
  std::string s = text.substr(b, e - b + 1);
  if (s == "Infinity" || s == "+Infinity") return HUGE_VAL;
  if (s == "-Infinity") return -HUGE_VAL;
  if (s.size() > 2 && s[0] == '0' &&
      (s[1] == 'x' || s[1] == 'X' || s[1] == 'o' || s[1] == 'O' ||
       s[1] == 'b' || s[1] == 'B')) {
    int base = (s[1] == 'x' || s[1] == 'X')   ? 16
               : (s[1] == 'o' || s[1] == 'O') ? 8
                                              : 2;
    double v = 0;
    for (size_t i = 2; i < s.size(); ++i) {
      int digit;
      char c = static_cast<char>(std::tolower(s[i]));
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else {
        return std::nullopt;
      }
      if (digit >= base) return std::nullopt;
      v = v * base + digit;
    }
    return v;
  }
  for (char c : s) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' ||
          c == 'E' || c == '+' || c == '-')) {
      return std::nullopt;
    }
  }
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return d;
}

// Number(value) as Kibana sends it for numeric fields: NaN becomes 0,
// infinities serialise as null (JSON.stringify).
json NumericValue(const std::string& value) {
  std::optional<double> n = JsNumber(value);
  if (!n) return 0;
  if (!std::isfinite(*n)) return nullptr;
  if (std::floor(*n) == *n && std::fabs(*n) < 9.0e15) {
    return static_cast<int64_t>(*n);
  }
  return *n;
}

// An http(s) URL without a query or fragment: the base of every API path.
bool IsBaseUrl(const std::string& url) {
  return IsHttpUrl(url) && url.find_first_of("?#") == std::string::npos;
}

[[noreturn]] void InvalidParams(const std::string& detail) {
  throw Error(Code::kInvalidArgument,
              "[Action][ExternalService] -> [Swimlane] request validation "
              "failed (" +
                  detail + ")",
              Retry::kNo);
}

[[noreturn]] void InvalidConfig(const std::string& detail) {
  throw Error(Code::kInvalidArgument, detail, Retry::kNo);
}

// The failure of one step: an HTTP status (0 = none), the message, and the
// body's Swimlane reason when it has Argument and ErrorCode.
struct StepError {
  Code code = Code::kUnknown;
  Retry retry = Retry::kNo;
  int64_t retry_after_ms = 0;
  int status = 0;
  std::string message;
  std::string reason = "unknown";
  json details = nullptr;
};

[[noreturn]] void ThrowStep(const StepError& e, const std::string& action,
                            const std::string& app_id) {
  throw Error(e.code,
              "[Action][Swimlane]: Unable to " + action +
                  " in application with id " + app_id + ". Status: " +
                  std::to_string(e.status == 0 ? 500 : e.status) +
                  ". Error: " + e.message + ". Reason: " + e.reason,
              e.retry, e.retry_after_ms, e.details);
}

StepError HttpStepError(const HttpResponse& response) {
  StepError e;
  int s = response.status;
  e.status = s;
  e.message = "Request failed with status code " + std::to_string(s);
  json body = json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    const json* argument = Find(body, "Argument");
    const json* error_code = Find(body, "ErrorCode");
    if (argument && !argument->is_null() && error_code &&
        !error_code->is_null()) {
      auto text = [](const json& v) {
        return v.is_string() ? v.get<std::string>() : v.dump();
      };
      e.reason = text(*argument) + " (" + text(*error_code) + ")";
    }
  }
  const auto [code, retry] = ClassifyHttpStatus(s);
  e.code = code;
  e.retry = retry;
  if (retry == Retry::kYes) e.retry_after_ms = response.RetryAfterMs();
  e.details = {{"status", s}};
  if (!response.body.empty()) {
    e.details["body"] = response.body.substr(0, kMaxErrorBodyChars);
  }
  return e;
}

// ------------------------------------------------------------ config

struct FieldMap {
  std::string id, key, name, field_type;
};

struct Config {
  std::string url;      // apiUrl without one trailing slash
  std::string api_url;  // url, or url + "/api"
  std::string app_id;
  std::string connector_type;
  std::vector<std::pair<std::string, std::optional<FieldMap>>> mappings;

  const std::optional<FieldMap>* Mapping(std::string_view key) const {
    for (const auto& [k, v] : mappings) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

Config ParseConfig(const json& config) {
  if (!config.is_object()) InvalidConfig("config must be an object");
  for (const auto& [key, value] : config.items()) {
    if (key != "apiUrl" && key != "appId" && key != "connectorType" &&
        key != "mappings") {
      InvalidConfig("config." + key + " is not a known setting");
    }
  }
  Config out;
  const json* url = Find(config, "apiUrl");
  if (!url || !url->is_string() || !IsBaseUrl(url->get<std::string>())) {
    InvalidConfig("config.apiUrl must be an http or https URL with a host");
  }
  out.url = url->get<std::string>();
  if (!out.url.empty() && out.url.back() == '/') out.url.pop_back();
  out.api_url =
      out.url.size() >= 3 && out.url.compare(out.url.size() - 3, 3, "api") == 0
          ? out.url
          : out.url + "/api";
  const json* app = Find(config, "appId");
  if (!app || !app->is_string() ||
      !IsSafePathSegment(app->get<std::string>())) {
    InvalidConfig(
        "config.appId must be a Swimlane application id (letters, digits, "
        "'-', '_', '.', '~')");
  }
  out.app_id = app->get<std::string>();
  const json* type = Find(config, "connectorType");
  if (!type || !type->is_string() ||
      (*type != "all" && *type != "alerts" && *type != "cases")) {
    InvalidConfig("config.connectorType must be one of all, alerts, cases");
  }
  out.connector_type = type->get<std::string>();
  const json* mappings = Find(config, "mappings");
  if (!mappings || !mappings->is_object()) {
    InvalidConfig("config.mappings must be an object");
  }
  for (const auto& [key, value] : mappings->items()) {
    bool known = false;
    for (const auto& m : kMappings) known = known || key == m.first;
    if (!known) InvalidConfig("config.mappings." + key + " is not a mapping");
  }
  for (const auto& [key, param] : kMappings) {
    (void)param;
    const json* m = Find(*mappings, key);
    std::string where = std::string("config.mappings.") + key;
    if (!m || m->is_null()) {
      out.mappings.emplace_back(key, std::nullopt);
      continue;
    }
    if (!m->is_object()) InvalidConfig(where + " must be an object or null");
    for (const auto& [k, v] : m->items()) {
      if (k != "id" && k != "key" && k != "name" && k != "fieldType") {
        InvalidConfig(where + "." + k + " is not allowed");
      }
    }
    FieldMap field;
    for (auto [k, target] :
         {std::pair{"id", &field.id}, std::pair{"key", &field.key},
          std::pair{"name", &field.name},
          std::pair{"fieldType", &field.field_type}}) {
      const json* v = Find(*m, k);
      if (!v || !v->is_string()) {
        InvalidConfig(where + "." + k + " must be a string");
      }
      *target = v->get<std::string>();
    }
    if (!IsSafePathSegment(field.id)) {
      InvalidConfig(where + ".id must be a Swimlane field id");
    }
    out.mappings.emplace_back(key, std::move(field));
  }
  // What Kibana's connector form requires per connector type.
  std::vector<const char*> required;
  if (out.connector_type == "cases") {
    required = {"caseNameConfig", "descriptionConfig", "commentsConfig",
                "caseIdConfig"};
  } else if (out.connector_type == "alerts") {
    required = {"ruleNameConfig", "alertIdConfig"};
  }
  for (const char* key : required) {
    if (!out.Mapping(key)->has_value()) {
      InvalidConfig(std::string("config.mappings.") + key +
                    " is required when connectorType is " + out.connector_type);
    }
  }
  const auto& comments = *out.Mapping("commentsConfig");
  if (comments && comments->field_type != "notes") {
    InvalidConfig(
        "config.mappings.commentsConfig must map a field of fieldType notes");
  }
  return out;
}

std::string ParseToken(const json& secrets) {
  if (!secrets.is_object()) InvalidConfig("secrets must be an object");
  for (const auto& [key, value] : secrets.items()) {
    if (key != "apiToken") {
      InvalidConfig("secrets." + key + " is not a known secret");
    }
  }
  const json* token = Find(secrets, "apiToken");
  if (!token || !token->is_string() || token->get<std::string>().empty()) {
    InvalidConfig("secrets.apiToken is required");
  }
  return token->get<std::string>();
}

void ValidateConnector(const json& config, const json& secrets) {
  ParseConfig(config);
  ParseToken(secrets);
}

// ------------------------------------------------------------ params

struct Comment {
  std::string comment;
  std::string comment_id;
};

struct PushParams {
  json incident;  // the mapped keys, strings or null
  std::optional<std::string> external_id;
  std::vector<Comment> comments;
};

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
  PushParams out;
  out.incident = json::object();
  for (const auto& [key, value] : incident->items()) {
    bool known = false;
    for (const char* k : kIncidentKeys) known = known || key == k;
    if (!known) InvalidParams("incident." + key + ": unknown field");
    if (!value.is_null() && !value.is_string()) {
      InvalidParams("incident." + key + ": expected a string or null");
    }
    if (key == "externalId") {
      if (value.is_string()) {
        if (!IsSafePathSegment(value.get<std::string>())) {
          InvalidParams("incident.externalId: not a valid record id");
        }
        out.external_id = value.get<std::string>();
      }
    } else {
      out.incident[key] = value;
    }
  }
  if (const json* comments = Find(params, "comments");
      comments && !comments->is_null()) {
    if (!comments->is_array()) {
      InvalidParams("comments: expected an array or null");
    }
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
      out.comments.push_back(
          {text->get<std::string>(), id->get<std::string>()});
    }
  }
  return out;
}

void RequireNoParams(const json& params) {
  if (params.is_null()) return;
  if (!params.is_object()) InvalidParams("expected an object");
  for (const auto& [key, value] : params.items()) {
    InvalidParams(key + ": unknown parameter");
  }
}

// ------------------------------------------------------------ connector

class SwimlaneConnector : public casebridge::sdk::Connector {
 public:
  SwimlaneConnector(const casebridge::sdk::CreateArgs& args, Context& /*ctx*/)
      : config_(ParseConfig(args.config)), token_(ParseToken(args.secrets)) {}

  casebridge::sdk::Result Execute(std::string_view sub_action,
                                  const json& params, Context& ctx) override {
    if (sub_action == "pushToService")
      return Push(ParsePushParams(params), ctx);
    if (sub_action == "handshake") {
      RequireNoParams(params);
      return Handshake(ctx);
    }
    if (sub_action == "findByCaseId") {
      if (!params.is_object()) InvalidParams("expected an object");
      for (const auto& [key, value] : params.items()) {
        if (key != "caseId") InvalidParams(key + ": unknown parameter");
      }
      const json* case_id = Find(params, "caseId");
      if (!case_id || !case_id->is_string() ||
          case_id->get_ref<const std::string&>().empty()) {
        InvalidParams("caseId: expected a non-empty string");
      }
      return FindByCaseId(case_id->get<std::string>(), ctx);
    }
    throw Error(Code::kInvalidArgument,
                "[Action][ExternalService] -> [Swimlane] Unsupported "
                "subAction type " +
                    std::string(sub_action) + ".",
                Retry::kNo);
  }

 private:
  // Sends one request; returns the response (2xx) or throws through
  // ThrowStep with `action` as the context. With `check_response` the reply
  // must be JSON carrying the `required` keys (Kibana does not look at the
  // comment reply at all).
  json Send(const std::string& method, const std::string& url, const json* body,
            const std::vector<std::string>& required, const std::string& action,
            Context& ctx, bool check_response = true) const {
    ctx.ThrowIfCancelled();
    HttpRequest request;
    request.method = method;
    request.url = url;
    request.headers = {{"Content-Type", "application/json"},
                       {"Private-Token", token_}};
    if (body != nullptr) request.body = body->dump();
    HttpResponse response;
    try {
      response = ctx.Http(request);
    } catch (const Error& e) {
      StepError step;
      step.code = e.code();
      step.retry = e.retry();
      step.retry_after_ms = e.retry_after_ms();
      step.message = e.message();
      step.details = e.details();
      ThrowStep(step, action, config_.app_id);
    }
    if (!response.Ok()) {
      ThrowStep(HttpStepError(response), action, config_.app_id);
    }
    if (response.status == 204 || !check_response) return json::object();
    StepError invalid;
    invalid.code = Code::kUnknown;
    std::string content_type =
        response.Header("content-type").value_or("undefined");
    if (content_type.find("application/json") == std::string::npos) {
      invalid.message = "Unsupported content type: " + content_type + " in " +
                        method + " " + url +
                        ". Supported content types: application/json";
      ThrowStep(invalid, action, config_.app_id);
    }
    json parsed = response.body.empty()
                      ? json::object()
                      : json::parse(response.body, nullptr, false);
    if (parsed.is_discarded() || !(parsed.is_object() || parsed.is_array())) {
      invalid.message = "Response is not a valid JSON";
      ThrowStep(invalid, action, config_.app_id);
    }
    for (const std::string& key : required) {
      if (!parsed.is_object() || !parsed.contains(key)) {
        std::string keys;
        for (const std::string& k : required) {
          keys += (keys.empty() ? "" : ",") + k;
        }
        invalid.message =
            "Response is missing at least one of the expected fields: " + keys;
        ThrowStep(invalid, action, config_.app_id);
      }
    }
    return parsed;
  }

  std::string RecordUrl(const std::string& id) const {
    return config_.url + "/record/" + config_.app_id + "/" + id;
  }

  // new Date(value).toISOString() for a Swimlane date.
  std::string Iso(const json& value, const std::string& action) const {
    std::optional<int64_t> ms;
    if (value.is_string()) ms = ParseIsoMs(value.get<std::string>());
    if (value.is_number()) ms = value.get<int64_t>();
    if (!ms) {
      StepError e;
      e.message = "Invalid time value";
      ThrowStep(e, action, config_.app_id);
    }
    return IsoFromEpochMs(*ms);
  }

  static std::string Text(const json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
  }

  json Values(const json& incident) const {
    json values = json::object();
    for (const auto& [key, param] : kMappings) {
      if (param == nullptr) continue;
      const auto& mapping = *config_.Mapping(key);
      if (!mapping) continue;
      const json* value = Find(incident, param);
      if (!value || !value->is_string() ||
          value->get_ref<const std::string&>().empty()) {
        continue;
      }
      values[mapping->id] = mapping->field_type == "numeric"
                                ? NumericValue(value->get<std::string>())
                                : *value;
    }
    return values;
  }

  json Push(const PushParams& params, Context& ctx) const {
    const std::string records =
        config_.api_url + "/app/" + config_.app_id + "/record";
    json result;
    if (params.external_id) {
      const std::string action = "update record";
      json body = {{"applicationId", config_.app_id},
                   {"id", *params.external_id},
                   {"values", Values(params.incident)}};
      json res = Send("PATCH", records + "/" + *params.external_id, &body,
                      {"id", "name", "modifiedDate"}, action, ctx);
      result = {{"id", Text(res["id"])},
                {"title", Text(res["name"])},
                {"url", RecordUrl(*params.external_id)},
                {"pushedDate", Iso(res["modifiedDate"], action)}};
    } else {
      const std::string action = "create record";
      json body = {{"applicationId", config_.app_id},
                   {"values", Values(params.incident)}};
      json res = Send("POST", records, &body, {"id", "name", "createdDate"},
                      action, ctx);
      std::string id = Text(res["id"]);
      result = {{"id", id},
                {"title", Text(res["name"])},
                {"url", RecordUrl(id)},
                {"pushedDate", Iso(res["createdDate"], action)}};
    }
    if (params.comments.empty()) return result;

    const std::string action = "create comment";
    const std::string created = IsoFromEpochMs(ctx.NowUnixMs());
    const auto& notes = *config_.Mapping("commentsConfig");
    json comments = json::array();
    for (const Comment& c : params.comments) {
      if (!notes) {
        StepError e;
        e.code = Code::kFailedPrecondition;
        e.message = "No comment field mapped in Swimlane connector";
        ThrowStep(e, action, config_.app_id);
      }
      json body = {{"createdDate", created},
                   {"fieldId", notes->id},
                   {"isRichText", true},
                   {"message", c.comment}};
      Send("POST",
           records + "/" + result["id"].get<std::string>() + "/" + notes->id +
               "/comment",
           &body, {}, action, ctx, /*check_response=*/false);
      comments.push_back(
          {{"commentId", c.comment_id}, {"pushedDate", created}});
    }
    result["comments"] = std::move(comments);
    return result;
  }

  json Handshake(Context& ctx) const {
    const std::string action = "get application";
    json app = Send("GET", config_.api_url + "/app/" + config_.app_id, nullptr,
                    {"fields"}, action, ctx);
    if (!app["fields"].is_array()) {
      StepError e;
      e.message = "Response field fields is not an array";
      ThrowStep(e, action, config_.app_id);
    }
    json fields = json::array();
    for (const json& f : app["fields"]) {
      if (!f.is_object()) continue;
      fields.push_back({{"id", f.value("id", "")},
                        {"key", f.value("key", "")},
                        {"name", f.value("name", "")},
                        {"fieldType", f.value("fieldType", "")}});
    }
    for (const auto& [key, mapping] : config_.mappings) {
      if (!mapping) continue;
      bool present = false;
      for (const json& f : fields) present = present || f["id"] == mapping->id;
      if (!present) {
        throw Error(Code::kFailedPrecondition,
                    "[Action][Swimlane]: mapping " + key + " refers to field " +
                        mapping->id + " which application " + config_.app_id +
                        " does not have",
                    Retry::kNo);
      }
    }
    return {{"applicationId", config_.app_id},
            {"name", app.value("name", json(nullptr))},
            {"fields", std::move(fields)}};
  }

  json FindByCaseId(const std::string& case_id, Context& ctx) const {
    const auto& mapping = *config_.Mapping("caseIdConfig");
    if (!mapping) {
      throw Error(Code::kFailedPrecondition,
                  "findByCaseId needs the caseIdConfig mapping (the field "
                  "that carries the case id)",
                  Retry::kNo);
    }
    const std::string action = "search records";
    json body = {
        {"applicationIds", {config_.app_id}},
        {"filters",
         {{{"fieldId", mapping->id},
           {"filterType", "equals"},
           {"value", mapping->field_type == "numeric" ? NumericValue(case_id)
                                                      : json(case_id)}}}},
        {"keywords", ""},
        {"pageSize", 1},
        {"offset", 0}};
    json res = Send("POST", config_.api_url + "/search", &body, {"results"},
                    action, ctx);
    const json* results = Find(res["results"], config_.app_id);
    if (!results || !results->is_array() || results->empty()) return nullptr;
    const json& record = (*results)[0];
    const json* id = Find(record, "id");
    if (!id || !(id->is_string() || id->is_number())) {
      StepError e;
      e.message = "Response is missing at least one of the expected fields: id";
      ThrowStep(e, action, config_.app_id);
    }
    const json* when = Find(record, "modifiedDate");
    if (!when || when->is_null()) when = Find(record, "createdDate");
    return {{"id", Text(*id)},
            {"title", Text(record.value("name", json(nullptr)))},
            {"url", RecordUrl(Text(*id))},
            {"pushedDate", when ? json(Iso(*when, action)) : json(nullptr)}};
  }

  Config config_;
  std::string token_;
};

// ------------------------------------------------------------ descriptor

casebridge::sdk::PluginDef DefinePlugin() {
  json string_or_null = {{"type", json::array({"string", "null"})}};
  json field_map = {{"type", json::array({"object", "null"})},
                    {"properties",
                     {{"id", {{"type", "string"}}},
                      {"key", {{"type", "string"}}},
                      {"name", {{"type", "string"}}},
                      {"fieldType", {{"type", "string"}}}}},
                    {"required", {"id", "key", "name", "fieldType"}},
                    {"additionalProperties", false}};
  json mapping_props = json::object();
  for (const auto& [key, param] : kMappings) {
    (void)param;
    mapping_props[key] = field_map;
  }

  casebridge::sdk::ConnectorTypeDef type;
  type.id = ".swimlane";
  type.name = "Swimlane";
  type.supported_features = {"alerting", "cases"};
  type.config_schema = {
      {"type", "object"},
      {"properties",
       {{"apiUrl", {{"type", "string"}, {"minLength", 1}}},
        {"appId", {{"type", "string"}, {"minLength", 1}}},
        {"connectorType", {{"enum", {"all", "alerts", "cases"}}}},
        {"mappings",
         {{"type", "object"},
          {"properties", mapping_props},
          {"additionalProperties", false}}}}},
      {"required", {"apiUrl", "appId", "connectorType", "mappings"}},
      {"additionalProperties", false}};
  type.secrets_schema = {
      {"type", "object"},
      {"properties", {{"apiToken", {{"type", "string"}, {"minLength", 1}}}}},
      {"required", {"apiToken"}},
      {"additionalProperties", false}};
  json incident_props = json::object();
  for (const char* key : kIncidentKeys) incident_props[key] = string_or_null;
  type.sub_actions = {
      {"pushToService",
       {{"type", "object"},
        {"properties",
         {{"incident",
           {{"type", "object"},
            {"properties", incident_props},
            {"additionalProperties", false}}},
          {"comments",
           {{"type", json::array({"array", "null"})},
            {"items",
             {{"type", "object"},
              {"properties",
               {{"comment", {{"type", "string"}}},
                {"commentId", {{"type", "string"}}}}},
              {"required", {"comment", "commentId"}},
              {"additionalProperties", false}}}}}}},
        {"required", {"incident"}},
        {"additionalProperties", false}}},
      {"handshake", {{"type", "object"}, {"additionalProperties", false}}},
      {"findByCaseId",
       {{"type", "object"},
        {"properties", {{"caseId", {{"type", "string"}, {"minLength", 1}}}}},
        {"required", {"caseId"}},
        {"additionalProperties", false}}},
  };
  type.default_mappings = {{"title", "caseName", "overwrite"},
                           {"description", "description", "overwrite"},
                           {"comments", "comments", "append"}};
  type.factory = casebridge::sdk::MakeFactory<SwimlaneConnector>();
  type.validate = &ValidateConnector;

  casebridge::sdk::PluginDef plugin;
  plugin.id = "swimlane";
  plugin.name = "Swimlane connector";
  plugin.version = "1.0.0";
  plugin.concurrent_execute = true;
  plugin.connector_types.push_back(std::move(type));
  return plugin;
}

}  // namespace

CASEBRIDGE_PLUGIN(DefinePlugin)

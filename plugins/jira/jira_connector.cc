#include "plugins/jira/jira_connector.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "plugins/jira/jira_util.h"

namespace casebridge::jira {
namespace {

using nlohmann::json;
using sdk::Code;
using sdk::Context;
using sdk::Error;
using sdk::Retry;

constexpr size_t kMaxOtherFields = 20;
constexpr int kMaxCreateMetaPages = 20;
constexpr size_t kMaxCaseIdLength = 200;  // Jira labels hold 255 characters

// Incident keys Kibana accepts, plus our "caseId".
const std::set<std::string>& IncidentKeys() {
  static const std::set<std::string> keys = {
      "summary", "description", "externalId",  "issueType", "priority",
      "labels",  "parent",      "otherFields", "caseId"};
  return keys;
}

[[noreturn]] void Invalid(std::string message) {
  throw Error(Code::kInvalidArgument, std::move(message), Retry::kNo);
}

// The string at `object[key]`; nullopt when absent or null. Throws
// INVALID_ARGUMENT for any other type.
std::optional<std::string> OptionalString(const json& object,
                                          const std::string& key,
                                          const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) Invalid(path + key + " must be a string");
  return it->get<std::string>();
}

std::string RequiredString(const json& object, const std::string& key,
                           const std::string& path) {
  std::optional<std::string> value = OptionalString(object, key, path);
  if (!value || value->empty()) Invalid(path + key + " is required");
  return *value;
}

// Jira ids are strings on the wire; some Data Center answers use numbers.
std::optional<std::string> IdText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  return std::nullopt;
}

// object[key] when `object` is an object holding it, else null.
json Member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? json(nullptr) : *it;
}

bool IsCaseIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

void ValidateCaseId(const std::string& case_id, const std::string& what) {
  if (case_id.empty() || case_id.size() > kMaxCaseIdLength ||
      !std::all_of(case_id.begin(), case_id.end(), IsCaseIdChar)) {
    Invalid(what +
            " must be 1 to 200 characters of A-Z, a-z, 0-9, '-', '_' or '.'");
  }
}

std::string Message(const std::string& context, const std::string& cause,
                    const std::string& reason) {
  return "[Action][Jira]: " + context + ". Error: " + cause +
         ". Reason: " + reason;
}

std::string JoinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& key : keys) {
    if (!out.empty()) out += ",";
    out += key;
  }
  return out;
}

// A response that is not what Jira sends: permanent, no HTTP details.
[[noreturn]] void BadResponse(const std::string& context,
                              const std::string& cause) {
  throw Error(Code::kUnknown, Message(context, cause, ErrorReason(nullptr)),
              Retry::kNo);
}

[[noreturn]] void MissingFields(const std::string& context,
                                const std::vector<std::string>& keys) {
  BadResponse(context,
              "Response is missing at least one of the expected fields: " +
                  JoinKeys(keys));
}

// ISO-8601 UTC of a Jira timestamp; the host's clock when Jira sent none or
// an unreadable one (the record exists, so the push must not fail on it).
std::string PushedDate(const json& fields, const char* key, Context& ctx) {
  json value = Member(fields, key);
  if (value.is_string()) {
    std::optional<int64_t> ms = ParseJiraTimestamp(value.get<std::string>());
    if (ms) return FormatIsoUtc(*ms);
    ctx.Log(sdk::LogLevel::kWarn, std::string("Jira sent an unreadable ") +
                                      key +
                                      " timestamp; using the current time");
  }
  return FormatIsoUtc(ctx.NowUnixMs());
}

// `otherFields` as an object: given as one or as a JSON text of one.
json ParseOtherFields(const json& value) {
  json parsed = value;
  if (value.is_string()) {
    parsed = json::parse(value.get<std::string>(), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      Invalid("incident.otherFields must be a JSON object");
    }
  }
  if (!parsed.is_object()) Invalid("incident.otherFields must be an object");
  if (parsed.size() > kMaxOtherFields) {
    Invalid("A maximum of 20 otherFields can be defined at a time.");
  }
  for (const auto& item : parsed.items()) {
    if (IncidentKeys().count(item.key()) > 0 || item.key().empty()) {
      Invalid("incident.otherFields may not contain the key \"" + item.key() +
              "\"; set the incident field instead");
    }
  }
  return parsed;
}

}  // namespace

void ValidateJiraConfig(const json& config, const json& secrets) {
  if (!config.is_object() || !secrets.is_object()) {
    Invalid("[Action]Jira: Wrong configuration.");
  }
  std::string api_url = RequiredString(config, "apiUrl", "config.");
  std::string project_key = RequiredString(config, "projectKey", "config.");
  RequiredString(secrets, "email", "secrets.");
  RequiredString(secrets, "apiToken", "secrets.");
  std::string_view rest(api_url);
  if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else {
    Invalid(
        "[Action]Jira: Wrong configuration. config.apiUrl must be an "
        "http:// or https:// URL");
  }
  if (rest.empty() || rest.front() == '/' || ContainsWhitespace(api_url) ||
      api_url.find_first_of("?#") != std::string::npos) {
    Invalid(
        "[Action]Jira: Wrong configuration. config.apiUrl must name a "
        "host and carry no query or fragment");
  }
  for (char c : project_key) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      Invalid(
          "[Action]Jira: Wrong configuration. config.projectKey must "
          "contain only letters, digits and '_'");
    }
  }
}

JiraConnector::JiraConnector(const sdk::CreateArgs& args, Context& /*ctx*/) {
  ValidateJiraConfig(args.config, args.secrets);
  base_url_ =
      StripOneTrailingSlash(args.config.at("apiUrl").get<std::string>());
  project_key_ = args.config.at("projectKey").get<std::string>();
  authorization_ =
      "Basic " +
      Base64Encode(args.secrets.at("email").get<std::string>() + ":" +
                   args.secrets.at("apiToken").get<std::string>());
}

sdk::Result JiraConnector::Execute(std::string_view sub_action,
                                   const json& params, Context& ctx) {
  if (!params.is_object() && !params.is_null()) {
    Invalid("params must be an object");
  }
  const json p = params.is_object() ? params : json::object();
  if (sub_action == "pushToService") return PushToService(p, ctx);
  if (sub_action == "getIncident") {
    return GetIncident(RequiredString(p, "externalId", ""), ctx);
  }
  if (sub_action == "getFields") return GetFields(ctx);
  if (sub_action == "issueTypes") return GetIssueTypes(ctx);
  if (sub_action == "fieldsByIssueType") {
    return GetFieldsByIssueType(RequiredString(p, "id", ""), ctx);
  }
  if (sub_action == "issues") {
    return SearchIssues(RequiredString(p, "title", ""), ctx);
  }
  if (sub_action == "issue") return GetIssue(RequiredString(p, "id", ""), ctx);
  if (sub_action == "findByCaseId") {
    return FindByCaseId(RequiredString(p, "caseId", ""), ctx);
  }
  if (sub_action == "handshake") return Handshake(ctx);
  Invalid("[Action][ExternalService] Unsupported subAction type " +
          std::string(sub_action) + ".");
}

std::string JiraConnector::IssueUrl(std::string_view id_or_key) const {
  return base_url_ + "/rest/api/2/issue/" + EncodeUriComponent(id_or_key);
}

std::string JiraConnector::BrowseUrl(std::string_view key) const {
  return base_url_ + "/browse/" + std::string(key);
}

json JiraConnector::Call(Context& ctx, const std::string& method,
                         const std::string& url, const json* body,
                         const std::string& context,
                         const std::vector<std::string>& required) const {
  ctx.ThrowIfCancelled();
  sdk::HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers = {{"Authorization", authorization_},
                     {"Accept", "application/json"}};
  if (body != nullptr) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  sdk::HttpResponse response;
  try {
    response = ctx.Http(request);
  } catch (const Error& e) {
    // Transport failure: keep the host's code and retry class.
    throw Error(e.code(), Message(context, e.message(), ErrorReason(nullptr)),
                e.retry(), e.retry_after_ms(), e.details());
  }

  if (!response.Ok()) {
    json error_body = json::parse(response.body, nullptr, false);
    const json* reason_body =
        !error_body.is_discarded() && error_body.is_object() ? &error_body
                                                             : nullptr;
    auto [code, retry] = sdk::ClassifyHttpStatus(response.status);
    int64_t retry_after_ms = retry == Retry::kYes ? response.RetryAfterMs() : 0;
    std::string reason = ErrorReason(reason_body);
    // service_message: Jira's own words (ExecuteConnector's service_message).
    json details = {{"status", response.status},
                    {"response", reason_body ? error_body : json(nullptr)},
                    {"service_message", reason}};
    throw Error(code,
                Message(context,
                        "Request failed with status code " +
                            std::to_string(response.status),
                        reason),
                retry, retry_after_ms, std::move(details));
  }
  if (response.status == 204) return nullptr;

  std::string content_type = response.Header("content-type").value_or("");
  if (content_type.find("application/json") == std::string::npos) {
    BadResponse(context, "Unsupported content type: " + content_type + " in " +
                             method + " " + url +
                             ". Supported content types: application/json");
  }
  json parsed = response.body.empty()
                    ? json::object()
                    : json::parse(response.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    // Kibana reports an array body as missing fields.
    if (!parsed.is_discarded() && parsed.is_array() && !required.empty()) {
      MissingFields(context, required);
    }
    BadResponse(context, "Response is not a valid JSON");
  }
  for (const std::string& key : required) {
    if (!parsed.contains(key) || parsed.at(key).is_null()) {
      MissingFields(context, required);
    }
  }
  return parsed;
}

std::vector<json> JiraConnector::GetCreateMetaList(const std::string& url,
                                                   const char* cloud_key,
                                                   const std::string& context,
                                                   Context& ctx) const {
  std::vector<json> items;
  std::string page_url = url;
  for (int page = 0; page < kMaxCreateMetaPages; ++page) {
    json body = Call(ctx, "GET", page_url, nullptr, context, {});
    json list = Member(body, cloud_key);
    if (!list.is_array()) list = Member(body, "values");
    if (!list.is_array()) MissingFields(context, {cloud_key, "values"});
    for (const json& item : list) items.push_back(item);
    // Jira pages createmeta (50 per page by default); Kibana reads only the
    // first page. Follow the paging fields when Jira says there is more.
    bool more = false;
    json is_last = Member(body, "isLast");
    json total = Member(body, "total");
    if (is_last.is_boolean()) {
      more = !is_last.get<bool>();
    } else if (total.is_number_integer()) {
      more = static_cast<int64_t>(items.size()) < total.get<int64_t>();
    }
    if (!more || list.empty()) break;
    page_url = url + "?startAt=" + std::to_string(items.size());
  }
  return items;
}

json JiraConnector::GetIssueTypes(Context& ctx) const {
  const std::string context = "Unable to get issue types";
  std::vector<json> items =
      GetCreateMetaList(base_url_ + "/rest/api/2/issue/createmeta/" +
                            EncodeUriComponent(project_key_) + "/issuetypes",
                        "issueTypes", context, ctx);
  json result = json::array();
  for (const json& item : items) {
    std::optional<std::string> id = IdText(Member(item, "id"));
    if (!id) MissingFields(context, {"id"});
    result.push_back({{"id", *id}, {"name", Member(item, "name")}});
  }
  return result;
}

json JiraConnector::GetFieldsByIssueType(const std::string& issue_type_id,
                                         Context& ctx) const {
  const std::string context = "Unable to get fields";
  std::vector<json> items =
      GetCreateMetaList(base_url_ + "/rest/api/2/issue/createmeta/" +
                            EncodeUriComponent(project_key_) + "/issuetypes/" +
                            EncodeUriComponent(issue_type_id),
                        "fields", context, ctx);
  json result = json::object();
  for (const json& item : items) {
    json field_id = Member(item, "fieldId");
    if (!field_id.is_string()) MissingFields(context, {"fieldId"});
    json required = Member(item, "required");
    json allowed = Member(item, "allowedValues");
    json default_value = Member(item, "defaultValue");
    json field = {
        {"required", required.is_boolean() ? required : json(false)},
        {"allowedValues", allowed.is_null() ? json::array() : allowed},
        {"defaultValue",
         default_value.is_null() ? json::object() : default_value},
    };
    if (item.contains("schema")) field["schema"] = item.at("schema");
    if (item.contains("name")) field["name"] = item.at("name");
    result[field_id.get<std::string>()] = std::move(field);
  }
  return result;
}

json JiraConnector::GetFields(Context& ctx) const {
  json issue_types = GetIssueTypes(ctx);
  std::optional<json> common;
  for (const json& type : issue_types) {
    json fields = GetFieldsByIssueType(type.at("id").get<std::string>(), ctx);
    if (!common) {
      common = std::move(fields);
      continue;
    }
    json kept = json::object();
    for (const auto& item : common->items()) {
      if (fields.contains(item.key())) kept[item.key()] = item.value();
    }
    common = std::move(kept);
  }
  return common ? *common : json::object();
}

json JiraConnector::BuildFields(const json& incident, bool create,
                                Context& ctx) const {
  for (const auto& item : incident.items()) {
    if (IncidentKeys().count(item.key()) == 0) {
      Invalid("incident." + item.key() + " is not a Jira incident field");
    }
  }
  std::string summary =
      NormalizeSummary(RequiredString(incident, "summary", "incident."));
  if (summary.empty()) Invalid("incident.summary is required");

  std::optional<std::string> case_id =
      OptionalString(incident, "caseId", "incident.");
  if (case_id) ValidateCaseId(*case_id, "incident.caseId");

  // Validate everything before the first request.
  json labels = json::array();
  auto labels_it = incident.find("labels");
  bool has_labels = labels_it != incident.end() && !labels_it->is_null();
  if (has_labels) {
    if (!labels_it->is_array()) Invalid("incident.labels must be an array");
    for (const json& label : *labels_it) {
      if (!label.is_string()) {
        Invalid("incident.labels must contain only strings");
      }
      const std::string& text = label.get_ref<const std::string&>();
      if (ContainsWhitespace(text)) {
        Invalid("The label " + text + " cannot contain spaces");
      }
      labels.push_back(text);
    }
  }
  std::optional<json> other_fields;
  auto other = incident.find("otherFields");
  if (other != incident.end() && !other->is_null()) {
    other_fields = ParseOtherFields(*other);
  }
  std::optional<std::string> issue_type =
      OptionalString(incident, "issueType", "incident.");
  std::optional<std::string> description =
      OptionalString(incident, "description", "incident.");
  std::optional<std::string> priority =
      OptionalString(incident, "priority", "incident.");
  std::optional<std::string> parent =
      OptionalString(incident, "parent", "incident.");

  json fields = {{"summary", summary}, {"project", {{"key", project_key_}}}};
  if (issue_type && !issue_type->empty()) {
    fields["issuetype"] = {{"id", *issue_type}};
  } else if (create) {
    json types = GetIssueTypes(ctx);
    fields["issuetype"] = {{"id", types.empty()
                                      ? std::string()
                                      : types[0].at("id").get<std::string>()}};
  }
  if (description && !description->empty()) {
    fields["description"] = *description;
  }
  // The case label survives label overwrites, so the issue stays findable.
  if (case_id) {
    std::string mark = CaseLabel(*case_id);
    if (std::find(labels.begin(), labels.end(), json(mark)) == labels.end()) {
      labels.push_back(mark);
    }
  }
  if (has_labels || (create && case_id)) fields["labels"] = std::move(labels);
  if (priority && !priority->empty()) {
    fields["priority"] = {{"name", *priority}};
  }
  if (parent && !parent->empty()) fields["parent"] = {{"key", *parent}};
  if (other_fields) {
    for (const auto& item : other_fields->items()) {
      fields[item.key()] = item.value();
    }
  }
  return fields;
}

json JiraConnector::PushToService(const json& params, Context& ctx) const {
  for (const auto& item : params.items()) {
    if (item.key() != "incident" && item.key() != "comments") {
      Invalid(item.key() + " is not a pushToService parameter");
    }
  }
  auto incident_it = params.find("incident");
  if (incident_it == params.end() || !incident_it->is_object()) {
    Invalid("incident is required and must be an object");
  }
  const json& incident = *incident_it;
  json comments = Member(params, "comments");
  if (!comments.is_null() && !comments.is_array()) {
    Invalid("comments must be an array or null");
  }
  for (const json& comment : comments.is_array() ? comments : json::array()) {
    if (!comment.is_object()) Invalid("comments[] must be objects");
    OptionalString(comment, "comment", "comments[].");
    RequiredString(comment, "commentId", "comments[].");
  }
  std::optional<std::string> external_id =
      OptionalString(incident, "externalId", "incident.");
  bool create = !external_id || external_id->empty();
  json fields = BuildFields(incident, create, ctx);
  json body = {{"fields", std::move(fields)}};

  std::string id;
  std::string date_field;
  if (create) {
    json created = Call(ctx, "POST", base_url_ + "/rest/api/2/issue", &body,
                        "Unable to create incident", {"id"});
    std::optional<std::string> new_id = IdText(created.at("id"));
    if (!new_id || new_id->empty()) {
      MissingFields("Unable to create incident", {"id"});
    }
    id = *new_id;
    date_field = "created";
  } else {
    id = *external_id;
    Call(ctx, "PUT", IssueUrl(id), &body,
         "Unable to update incident with id " + id, {});
    date_field = "updated";
  }
  json issue = Call(ctx, "GET", IssueUrl(id), nullptr,
                    "Unable to get incident with id " + id, {"id", "key"});
  std::string key = IdText(issue.at("key")).value_or(id);
  json result = {{"id", IdText(issue.at("id")).value_or(id)},
                 {"title", key},
                 {"url", BrowseUrl(key)},
                 {"pushedDate", PushedDate(Member(issue, "fields"),
                                           date_field.c_str(), ctx)}};

  if (comments.is_array() && !comments.empty()) {
    result["comments"] = json::array();
    const std::string issue_id = result.at("id").get<std::string>();
    for (const json& comment : comments) {
      std::string text =
          OptionalString(comment, "comment", "comments[].").value_or("");
      if (text.empty()) continue;
      json comment_body = {{"body", text}};
      try {
        json posted =
            Call(ctx, "POST", IssueUrl(issue_id) + "/comment", &comment_body,
                 "Unable to create comment at incident with id " + issue_id,
                 {"id", "created"});
        result["comments"].push_back(
            {{"commentId", comment.at("commentId")},
             {"pushedDate", PushedDate(posted, "created", ctx)}});
      } catch (const Error& e) {
        // The issue exists: say what was pushed before failing, so the
        // caller records it and a retry updates instead of creating again.
        json details = e.details().is_object() ? e.details() : json::object();
        details["pushed"] = result;
        throw Error(e.code(), e.message(), e.retry(), e.retry_after_ms(),
                    std::move(details));
      }
    }
  }
  return result;
}

json JiraConnector::GetIncident(const std::string& external_id,
                                Context& ctx) const {
  json issue =
      Call(ctx, "GET", IssueUrl(external_id), nullptr,
           "Unable to get incident with id " + external_id, {"id", "key"});
  json fields = Member(issue, "fields");
  json result = fields.is_object() ? fields : json::object();
  result["id"] = issue.at("id");
  result["key"] = issue.at("key");
  for (const char* key : {"created", "updated"}) {
    json value = Member(fields, key);
    if (value.is_string()) {
      std::optional<int64_t> ms = ParseJiraTimestamp(value.get<std::string>());
      if (ms) value = FormatIsoUtc(*ms);
    }
    result[key] = value;
  }
  return result;
}

json JiraConnector::Search(Context& ctx, const std::string& jql,
                           const std::string& rest_of_query,
                           const std::string& context) const {
  const std::string query = "?jql=" + EncodeUriComponent(jql) + rest_of_query;
  try {
    return Call(ctx, "GET", base_url_ + "/rest/api/2/search/jql" + query,
                nullptr, context, {});
  } catch (const Error& e) {
    // Jira Data Center has no /search/jql (Cloud removed /search instead).
    if (e.code() != Code::kNotFound || !e.details().is_object() ||
        e.details().value("status", 0) != 404) {
      throw;
    }
  }
  return Call(ctx, "GET", base_url_ + "/rest/api/2/search" + query, nullptr,
              context, {});
}

json JiraConnector::SearchIssues(const std::string& title, Context& ctx) const {
  const std::string context = "Unable to get issues";
  std::string jql = "project=\"" + project_key_ + "\" and summary ~\"" +
                    EscapeJqlText(title) + "\"";
  json body = Search(ctx, jql, "&fields=summary,key", context);
  json issues = Member(body, "issues");
  if (issues.is_null()) issues = json::array();
  if (!issues.is_array()) BadResponse(context, "Response is not a valid JSON");
  json result = json::array();
  for (const json& issue : issues) {
    std::optional<std::string> id = IdText(Member(issue, "id"));
    if (!id) MissingFields(context, {"id"});
    result.push_back({{"id", *id},
                      {"key", Member(issue, "key")},
                      {"title", Member(Member(issue, "fields"), "summary")}});
  }
  return result;
}

json JiraConnector::GetIssue(const std::string& id, Context& ctx) const {
  json issue = Call(ctx, "GET", IssueUrl(id), nullptr,
                    "Unable to get issue with id " + id, {"id", "key"});
  return {{"id", IdText(issue.at("id")).value_or(id)},
          {"key", issue.at("key")},
          {"title", Member(Member(issue, "fields"), "summary")}};
}

json JiraConnector::FindByCaseId(const std::string& case_id,
                                 Context& ctx) const {
  ValidateCaseId(case_id, "caseId");
  const std::string context = "Unable to get issues";
  std::string jql = "project=\"" + project_key_ + "\" and labels = \"" +
                    CaseLabel(case_id) + "\" ORDER BY created ASC";
  json body =
      Search(ctx, jql, "&fields=summary,key,created&maxResults=1", context);
  json issues = Member(body, "issues");
  if (issues.is_null()) issues = json::array();
  if (!issues.is_array()) BadResponse(context, "Response is not a valid JSON");
  if (issues.empty()) return nullptr;
  const json& issue = issues.at(0);
  std::optional<std::string> id = IdText(Member(issue, "id"));
  std::optional<std::string> key = IdText(Member(issue, "key"));
  if (!id || !key) MissingFields(context, {"id", "key"});
  json fields = Member(issue, "fields");
  return {{"id", *id},
          {"title", *key},
          {"url", BrowseUrl(*key)},
          {"pushedDate", PushedDate(fields, "created", ctx)},
          {"summary", Member(fields, "summary")}};
}

json JiraConnector::Handshake(Context& ctx) const {
  json types = GetIssueTypes(ctx);
  return {
      {"ok", true}, {"projectKey", project_key_}, {"issueTypes", types.size()}};
}

}  // namespace casebridge::jira

#include "tests/fakes/fake_jira.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>

namespace casebridge::testing {
namespace {

using nlohmann::json;

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n =
        (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6)
      out += kAlphabet[(n >> shift) & 63];
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

FakeResponse JiraError(int status, std::vector<std::string> messages,
                       json errors = json::object()) {
  return FakeResponse::Json(
      status, FakeJira::ErrorBody(std::move(messages), std::move(errors)));
}

bool IsJsonRequest(const FakeRequest& request) {
  std::string type = request.Header("Content-Type").value_or("");
  return type.find("application/json") != std::string::npos;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(uint8_t(c)));
  return text;
}

bool HasWhitespace(const std::string& text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(uint8_t(c)) != 0; });
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Non-empty '/'-separated segments of `path`.
std::vector<std::string> PathSegments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// One `field op "value"` clause of the JQL subset the connector sends.
struct JqlClause {
  std::string field;
  std::string op;
  std::string value;  // JQL string escapes resolved
};

struct JqlQuery {
  std::vector<JqlClause> clauses;
  std::string order_field;
  bool ascending = true;
};

// Parses `a = "x" and b ~ "y" [ORDER BY f ASC|DESC]`. Only the JQL string
// escapes \" \' \\ \n \r \t and "\ " are legal, as in Jira.
bool ParseJql(const std::string& jql, JqlQuery* query, std::string* error) {
  size_t pos = 0;
  auto skip = [&] {
    while (pos < jql.size() && std::isspace(uint8_t(jql[pos]))) ++pos;
  };
  auto word = [&] {
    size_t start = pos;
    while (pos < jql.size() &&
           (std::isalnum(uint8_t(jql[pos])) || jql[pos] == '_')) {
      ++pos;
    }
    return jql.substr(start, pos - start);
  };
  while (true) {
    skip();
    JqlClause clause;
    clause.field = word();
    if (clause.field.empty()) {
      *error = "Error in the JQL Query: Expecting a field name at position " +
               std::to_string(pos);
      return false;
    }
    skip();
    if (jql.compare(pos, 2, "!=") == 0) {
      clause.op = "!=";
      pos += 2;
    } else if (pos < jql.size() && (jql[pos] == '=' || jql[pos] == '~')) {
      clause.op = std::string(1, jql[pos++]);
    } else {
      *error = "Error in the JQL Query: Expecting operator but got '" +
               jql.substr(pos, 1) + "'.";
      return false;
    }
    skip();
    if (pos >= jql.size() || jql[pos] != '"') {
      *error = "Error in the JQL Query: Expecting a quoted string.";
      return false;
    }
    ++pos;
    bool closed = false;
    while (pos < jql.size()) {
      char c = jql[pos++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c != '\\') {
        clause.value += c;
        continue;
      }
      if (pos >= jql.size()) break;
      char e = jql[pos++];
      switch (e) {
        case '"':
        case '\'':
        case '\\':
        case ' ':
          clause.value += e;
          break;
        case 'n':
          clause.value += '\n';
          break;
        case 'r':
          clause.value += '\r';
          break;
        case 't':
          clause.value += '\t';
          break;
        default:
          *error = "Error in the JQL Query: '\\" + std::string(1, e) +
                   "' is an illegal JQL escape sequence. The valid escape "
                   "sequences are \\', \\\", \\t, \\n, \\r, \\\\, '\\ ' and "
                   "\\uXXXX.";
          return false;
      }
    }
    if (!closed) {
      *error =
          "Error in the JQL Query: The quoted string has not been "
          "completed.";
      return false;
    }
    query->clauses.push_back(std::move(clause));
    skip();
    if (pos >= jql.size()) return true;
    size_t keyword_start = pos;
    std::string keyword = Lower(word());
    if (keyword == "and") continue;
    if (keyword == "order") {
      skip();
      if (Lower(word()) != "by") break;
      skip();
      query->order_field = word();
      skip();
      std::string direction = Lower(word());
      query->ascending = direction != "desc";
      skip();
      if (pos == jql.size() && !query->order_field.empty()) return true;
    }
    pos = keyword_start;
    break;
  }
  *error = "Error in the JQL Query: Expecting either 'OR' or 'AND' but got '" +
           jql.substr(pos) + "'.";
  return false;
}

// Resolves Lucene escapes (\x -> x) of a text-search term.
std::string LuceneText(const std::string& term) {
  std::string out;
  for (size_t i = 0; i < term.size(); ++i) {
    if (term[i] == '\\' && i + 1 < term.size()) ++i;
    out += term[i];
  }
  return out;
}

}  // namespace

std::string FakeJira::ErrorBody(std::vector<std::string> messages,
                                json errors) {
  return json{{"errorMessages", std::move(messages)},
              {"errors", std::move(errors)}}
      .dump();
}

FakeJira::FakeJira(FakeJiraOptions options) : options_(std::move(options)) {
  json priority_values = json::array();
  priorities_ = {"Highest", "High", "Medium", "Low", "Lowest"};
  for (size_t i = 0; i < priorities_.size(); ++i) {
    priority_values.push_back(
        {{"id", std::to_string(i + 1)}, {"name", priorities_[i]}});
  }
  auto common = [&] {
    return std::vector<FakeJiraField>{
        {"summary", "Summary", true, {{"type", "string"}}, nullptr, nullptr},
        {"issuetype",
         "Issue Type",
         true,
         {{"type", "issuetype"}},
         nullptr,
         nullptr},
        {"project", "Project", true, {{"type", "project"}}, nullptr, nullptr},
        {"description",
         "Description",
         false,
         {{"type", "string"}},
         nullptr,
         nullptr},
        {"labels",
         "Labels",
         false,
         {{"type", "array"}, {"items", "string"}},
         nullptr,
         nullptr},
        {"priority",
         "Priority",
         false,
         {{"type", "priority"}},
         priority_values,
         priority_values[2]},
    };
  };
  FakeJiraIssueType task{"10001", "Task", common()};
  task.fields.push_back(
      {"parent", "Parent", false, {{"type", "issuelink"}}, nullptr, nullptr});
  FakeJiraIssueType bug{"10002", "Bug", common()};
  bug.fields.push_back({"customfield_10010",
                        "Severity",
                        false,
                        {{"type", "string"}, {"custom", "textfield"}},
                        nullptr,
                        nullptr});
  issue_types_ = {std::move(task), std::move(bug)};

  server_.HandleAny([this](const FakeRequest& r) {
    FakeResponse response = Dispatch(r);
    // Jira Cloud labels its JSON with a charset. (cpp-httplib also only
    // compresses a body labelled exactly "application/json", with brotli at
    // its slowest setting when the client accepts br, which no real Jira
    // does and which would make the fake the bottleneck of a benchmark.)
    if (response.content_type == "application/json")
      response.content_type = "application/json;charset=UTF-8";
    return response;
  });
}

void FakeJira::SetIssueTypes(std::vector<FakeJiraIssueType> types) {
  std::lock_guard<std::mutex> lock(mu_);
  issue_types_ = std::move(types);
}

void FakeJira::SetPriorities(std::vector<std::string> names) {
  std::lock_guard<std::mutex> lock(mu_);
  priorities_ = std::move(names);
}

void FakeJira::FailNext(int count, int status, std::string retry_after,
                        std::string path_prefix) {
  FakeResponse response = JiraError(
      status, {status == 401 ? "You are not authenticated. Authentication "
                               "required to perform this operation."
                             : "Injected failure " + std::to_string(status)});
  if (!retry_after.empty()) response.WithRetryAfter(std::move(retry_after));
  server_.InjectFaults(count, std::move(response), std::move(path_prefix));
}

std::optional<FakeJiraIssue> FakeJira::Issue(
    const std::string& id_or_key) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const FakeJiraIssue& issue : issues_) {
    if (issue.id == id_or_key || issue.key == id_or_key) return issue;
  }
  return std::nullopt;
}

std::vector<FakeJiraIssue> FakeJira::issues() const {
  std::lock_guard<std::mutex> lock(mu_);
  return issues_;
}

size_t FakeJira::issue_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return issues_.size();
}

std::string FakeJira::FormatTimestamp(int64_t unix_ms) const {
  const std::string& offset = options_.utc_offset;
  int sign = offset[0] == '-' ? -1 : 1;
  int minutes =
      std::stoi(offset.substr(1, 2)) * 60 + std::stoi(offset.substr(3, 2));
  int64_t local_ms = unix_ms + sign * minutes * 60000LL;
  int64_t days = local_ms / 86400000;
  int64_t rest = local_ms % 86400000;
  // Civil date from days since 1970-01-01 (dates after 1970 only).
  int64_t z = days + 719468;
  int64_t era = z / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int day = int(doy - (153 * mp + 2) / 5 + 1);
  int month = int(mp < 10 ? mp + 3 : mp - 9);
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s",
                int(year), month, day, int(rest / 3600000),
                int(rest / 60000 % 60), int(rest / 1000 % 60), int(rest % 1000),
                offset.c_str());
  return buffer;
}

int64_t FakeJira::TickLocked() {
  clock_ms_ += 1000;
  return clock_ms_;
}

bool FakeJira::Authorized(const FakeRequest& request) const {
  return request.Header("Authorization").value_or("") ==
         "Basic " + Base64(options_.email + ":" + options_.api_token);
}

FakeResponse FakeJira::Dispatch(const FakeRequest& request) {
  if (!Authorized(request)) {
    return JiraError(401, {"You are not authenticated. Authentication "
                           "required to perform this operation."});
  }
  const std::string& path = request.path;
  const std::string api = "/rest/api/2/";
  if (path.compare(0, api.size(), api) != 0) {
    return JiraError(404, {"Not found: " + path});
  }
  std::vector<std::string> parts = PathSegments(path.substr(api.size()));
  const std::string& method = request.method;
  if ((method == "POST" || method == "PUT") && !IsJsonRequest(request)) {
    return FakeResponse::Text(415, "Unsupported Media Type");
  }
  if (parts.size() == 1 && parts[0] == "search" && method == "GET") {
    if (!options_.enhanced_search) return Search(request);
    return JiraError(410, {"The requested API has been removed. Please "
                           "migrate to the /rest/api/2/search/jql API."});
  }
  if (parts.size() == 2 && parts[0] == "search" && parts[1] == "jql" &&
      method == "GET") {
    if (!options_.enhanced_search) {
      return JiraError(404, {"null for uri: " + path});
    }
    return Search(request);
  }
  if (parts.size() >= 4 && parts[0] == "issue" && parts[1] == "createmeta" &&
      parts[3] == "issuetypes" && method == "GET") {
    if (parts.size() == 4) return IssueTypes(request);
    if (parts.size() == 5) return Fields(request);
  }
  if (parts.size() == 1 && parts[0] == "issue" && method == "POST") {
    return CreateIssue(request);
  }
  if (parts.size() == 2 && parts[0] == "issue") {
    if (method == "GET") return GetIssue(request);
    if (method == "PUT") return UpdateIssue(request);
  }
  if (parts.size() == 3 && parts[0] == "issue" && parts[2] == "comment" &&
      method == "POST") {
    return AddComment(request);
  }
  return JiraError(404, {"No route for " + method + " " + path});
}

// Paging over createmeta lists: startAt/maxResults in, Cloud or DC shape out.
namespace {
json Page(const std::vector<json>& items, const FakeRequest& request,
          int page_size, bool data_center, const char* cloud_key) {
  size_t start = std::stoul(request.Param("startAt").value_or("0"));
  size_t max = std::stoul(
      request.Param("maxResults").value_or(std::to_string(page_size)));
  json list = json::array();
  for (size_t i = start; i < items.size() && list.size() < max; ++i) {
    list.push_back(items[i]);
  }
  json body = {
      {"startAt", start}, {"maxResults", max}, {"total", items.size()}};
  if (data_center) {
    body["isLast"] = start + list.size() >= items.size();
    body["values"] = std::move(list);
  } else {
    body[cloud_key] = std::move(list);
  }
  return body;
}
}  // namespace

FakeResponse FakeJira::IssueTypes(const FakeRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> parts = PathSegments(request.path);
  const std::string& project = parts[5];
  if (project != options_.project_key) {
    return JiraError(404,
                     {"No project could be found with key '" + project + "'."});
  }
  std::vector<json> items;
  for (const FakeJiraIssueType& type : issue_types_) {
    items.push_back({{"self", base_url() + "/rest/api/2/issuetype/" + type.id},
                     {"id", type.id},
                     {"name", type.name},
                     {"subtask", false}});
  }
  return FakeResponse::Json(200, Page(items, request, options_.page_size,
                                      options_.data_center, "issueTypes")
                                     .dump());
}

FakeResponse FakeJira::Fields(const FakeRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> parts = PathSegments(request.path);
  const std::string& project = parts[5];
  if (project != options_.project_key) {
    return JiraError(404,
                     {"No project could be found with key '" + project + "'."});
  }
  const FakeJiraIssueType* type = FindTypeLocked(parts[7]);
  if (type == nullptr) {
    return JiraError(404, {"Issue type with id '" + parts[7] +
                           "' does not exist or is not available."});
  }
  std::vector<json> items;
  for (const FakeJiraField& field : type->fields) {
    json item = {{"required", field.required},
                 {"schema", field.schema},
                 {"name", field.name},
                 {"fieldId", field.id},
                 {"key", field.id},
                 {"hasDefaultValue", !field.default_value.is_null()},
                 {"operations", {"set"}}};
    if (!field.allowed_values.is_null()) {
      item["allowedValues"] = field.allowed_values;
    }
    if (!field.default_value.is_null()) {
      item["defaultValue"] = field.default_value;
    }
    items.push_back(std::move(item));
  }
  return FakeResponse::Json(200, Page(items, request, options_.page_size,
                                      options_.data_center, "fields")
                                     .dump());
}

const FakeJiraIssueType* FakeJira::FindTypeLocked(const std::string& id) const {
  for (const FakeJiraIssueType& type : issue_types_) {
    if (type.id == id) return &type;
  }
  return nullptr;
}

FakeJiraIssue* FakeJira::FindLocked(const std::string& id_or_key) {
  for (FakeJiraIssue& issue : issues_) {
    if (issue.id == id_or_key || issue.key == id_or_key) return &issue;
  }
  return nullptr;
}

json FakeJira::CheckFields(const json& fields, bool create,
                           const FakeJiraIssue* existing, json* errors) const {
  json stored = json::object();
  // Issue type first: it decides which fields may be set.
  const FakeJiraIssueType* type = nullptr;
  if (fields.contains("issuetype")) {
    const json& value = fields.at("issuetype");
    if (value.is_object() && value.contains("id") &&
        value.at("id").is_string()) {
      type = FindTypeLocked(value.at("id").get<std::string>());
    }
    if (type == nullptr) {
      (*errors)["issuetype"] = "valid issue type is required";
    } else {
      stored["issuetype"] = {{"id", type->id}, {"name", type->name}};
    }
  } else if (create) {
    (*errors)["issuetype"] = "valid issue type is required";
  } else if (existing != nullptr) {
    type = FindTypeLocked(existing->fields["issuetype"]["id"]);
  }
  if (fields.contains("project")) {
    const json& value = fields.at("project");
    bool ok = value.is_object() && value.contains("key") &&
              value.at("key") == options_.project_key;
    if (!ok) {
      (*errors)["project"] = "valid project is required";
    } else {
      stored["project"] = {{"key", options_.project_key}};
    }
  } else if (create) {
    (*errors)["project"] = "valid project is required";
  }
  for (const auto& item : fields.items()) {
    const std::string& id = item.key();
    const json& value = item.value();
    if (id == "issuetype" || id == "project") continue;
    const FakeJiraField* field = nullptr;
    if (type != nullptr) {
      for (const FakeJiraField& f : type->fields) {
        if (f.id == id) field = &f;
      }
      if (field == nullptr) {
        (*errors)[id] = "Field '" + id +
                        "' cannot be set. It is not on the appropriate "
                        "screen, or unknown.";
        continue;
      }
    }
    if (id == "summary") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        (*errors)[id] = "You must specify a summary of the issue.";
      } else if (value.get<std::string>().find_first_of("\r\n") !=
                 std::string::npos) {
        (*errors)[id] =
            "The summary is invalid because it contains newline characters.";
      } else if (value.get<std::string>().size() > 255) {
        (*errors)[id] = "Summary must be less than 255 characters.";
      } else {
        stored[id] = value;
      }
    } else if (id == "description") {
      if (!value.is_string()) {
        (*errors)[id] = "Operation value must be a string";
      } else {
        stored[id] = value;
      }
    } else if (id == "labels") {
      bool ok = value.is_array();
      for (const json& label : ok ? value : json::array()) {
        if (!label.is_string()) {
          ok = false;
        } else if (HasWhitespace(label.get<std::string>())) {
          (*errors)[id] = "The label '" + label.get<std::string>() +
                          "' contains spaces which is invalid.";
          ok = false;
          break;
        }
      }
      if (ok) {
        stored[id] = value;
      } else if (!errors->contains(id)) {
        (*errors)[id] = "Operation value must be an array of strings";
      }
    } else if (id == "priority") {
      bool ok =
          value.is_object() && value.contains("name") &&
          value.at("name").is_string() &&
          std::find(priorities_.begin(), priorities_.end(),
                    value.at("name").get<std::string>()) != priorities_.end();
      if (!ok) {
        (*errors)[id] = "Priority name '" +
                        (value.is_object() ? value.value("name", json()).dump()
                                           : value.dump()) +
                        "' is not valid";
      } else {
        stored[id] = {{"name", value.at("name")}};
      }
    } else if (id == "parent") {
      bool ok = false;
      if (value.is_object() && value.contains("key") &&
          value.at("key").is_string()) {
        for (const FakeJiraIssue& issue : issues_) {
          if (issue.key == value.at("key")) ok = true;
        }
      }
      if (!ok) {
        (*errors)[id] = "Could not find issue by id or key.";
      } else {
        stored[id] = {{"key", value.at("key")}};
      }
    } else if (field != nullptr &&
               field->schema.value("type", "") == "string") {
      if (!value.is_string()) {
        (*errors)[id] = "Operation value must be a string";
      } else {
        stored[id] = value;
      }
    } else {
      stored[id] = value;
    }
  }
  if (create && type != nullptr) {
    for (const FakeJiraField& field : type->fields) {
      if (field.required && !fields.contains(field.id) &&
          !errors->contains(field.id)) {
        (*errors)[field.id] = field.id == "summary"
                                  ? "You must specify a summary of the issue."
                                  : field.name + " is required.";
      }
    }
  }
  return stored;
}

FakeResponse FakeJira::CreateIssue(const FakeRequest& request) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("fields") ||
      !body.at("fields").is_object()) {
    return JiraError(400, {"Can not deserialize instance of "
                           "com.atlassian.jira.rest.v2.issue.IssueUpdateBean "
                           "out of the request body"});
  }
  std::lock_guard<std::mutex> lock(mu_);
  json errors = json::object();
  json stored = CheckFields(body.at("fields"), true, nullptr, &errors);
  if (!errors.empty()) return JiraError(400, {}, errors);
  FakeJiraIssue issue;
  issue.id = std::to_string(next_issue_id_++);
  issue.key = options_.project_key + "-" + std::to_string(next_issue_number_++);
  std::string now = FormatTimestamp(TickLocked());
  stored["created"] = now;
  stored["updated"] = now;
  if (!stored.contains("labels")) stored["labels"] = json::array();
  issue.fields = std::move(stored);
  issues_.push_back(issue);
  FakeResponse response = FakeResponse::Json(
      201, json{{"id", issue.id},
                {"key", issue.key},
                {"self", base_url() + "/rest/api/2/issue/" + issue.id}}
               .dump());
  return response;
}

json FakeJira::IssueJsonLocked(const FakeJiraIssue& issue,
                               const std::vector<std::string>* only) const {
  json fields = json::object();
  for (const auto& item : issue.fields.items()) {
    if (only == nullptr ||
        std::find(only->begin(), only->end(), item.key()) != only->end()) {
      fields[item.key()] = item.value();
    }
  }
  if (only == nullptr) {
    json comments = json::array();
    for (const FakeJiraComment& c : issue.comments) {
      comments.push_back(
          {{"id", c.id}, {"body", c.body}, {"created", c.created}});
    }
    fields["comment"] = {{"comments", comments},
                         {"total", issue.comments.size()}};
  }
  return {{"id", issue.id},
          {"key", issue.key},
          {"self", base_url() + "/rest/api/2/issue/" + issue.id},
          {"fields", std::move(fields)}};
}

FakeResponse FakeJira::GetIssue(const FakeRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string id = request.path.substr(request.path.rfind('/') + 1);
  FakeJiraIssue* issue = FindLocked(id);
  if (issue == nullptr) {
    return JiraError(404, {"Issue does not exist or you do not have "
                           "permission to see it."});
  }
  return FakeResponse::Json(200, IssueJsonLocked(*issue, nullptr).dump());
}

FakeResponse FakeJira::UpdateIssue(const FakeRequest& request) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("fields") ||
      !body.at("fields").is_object()) {
    return JiraError(400, {"Can not deserialize instance of "
                           "com.atlassian.jira.rest.v2.issue.IssueUpdateBean "
                           "out of the request body"});
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string id = request.path.substr(request.path.rfind('/') + 1);
  FakeJiraIssue* issue = FindLocked(id);
  if (issue == nullptr) {
    return JiraError(404, {"Issue does not exist or you do not have "
                           "permission to see it."});
  }
  json errors = json::object();
  json stored = CheckFields(body.at("fields"), false, issue, &errors);
  if (!errors.empty()) return JiraError(400, {}, errors);
  for (const auto& item : stored.items()) {
    issue->fields[item.key()] = item.value();
  }
  issue->fields["updated"] = FormatTimestamp(TickLocked());
  FakeResponse response;
  response.status = 204;
  response.content_type = "";
  return response;
}

FakeResponse FakeJira::AddComment(const FakeRequest& request) {
  json body = json::parse(request.body, nullptr, false);
  std::lock_guard<std::mutex> lock(mu_);
  std::string path = request.path.substr(0, request.path.rfind('/'));
  FakeJiraIssue* issue = FindLocked(path.substr(path.rfind('/') + 1));
  if (issue == nullptr) {
    return JiraError(404, {"Issue does not exist or you do not have "
                           "permission to see it."});
  }
  if (body.is_discarded() || !body.is_object() || !body.contains("body") ||
      !body.at("body").is_string() ||
      body.at("body").get<std::string>().empty()) {
    return JiraError(400, {}, {{"comment", "Comment body can not be empty!"}});
  }
  FakeJiraComment comment;
  comment.id = std::to_string(next_comment_id_++);
  comment.body = body.at("body").get<std::string>();
  comment.created = FormatTimestamp(TickLocked());
  issue->comments.push_back(comment);
  issue->fields["updated"] = comment.created;
  return FakeResponse::Json(
      201, json{{"id", comment.id},
                {"self", base_url() + "/rest/api/2/issue/" + issue->id +
                             "/comment/" + comment.id},
                {"body", comment.body},
                {"author", {{"emailAddress", options_.email}}},
                {"created", comment.created},
                {"updated", comment.created}}
               .dump());
}

FakeResponse FakeJira::Search(const FakeRequest& request) {
  std::optional<std::string> jql = request.Param("jql");
  if (!jql || jql->empty()) {
    return JiraError(400, {"The jql parameter is required."});
  }
  JqlQuery query;
  std::string error;
  if (!ParseJql(*jql, &query, &error)) return JiraError(400, {error});
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const FakeJiraIssue*> matches;
  for (const FakeJiraIssue& issue : issues_) {
    bool match = true;
    for (const JqlClause& clause : query.clauses) {
      if (clause.field == "project") {
        if (clause.op != "=")
          return JiraError(400, {"Bad operator for project"});
        match = match && clause.value == options_.project_key;
      } else if (clause.field == "summary") {
        if (clause.op != "~") {
          return JiraError(400, {"The operator '" + clause.op +
                                 "' is not supported by the 'summary' field."});
        }
        std::string text = Lower(LuceneText(clause.value));
        match =
            match &&
            Lower(issue.fields.value("summary", std::string())).find(text) !=
                std::string::npos;
      } else if (clause.field == "labels") {
        const json& labels = issue.fields.at("labels");
        bool has = std::find(labels.begin(), labels.end(),
                             json(clause.value)) != labels.end();
        match = match && (clause.op == "=" ? has : !has);
      } else {
        return JiraError(400, {"Field '" + clause.field +
                               "' does not exist or you do not have permission "
                               "to view it."});
      }
    }
    if (match) matches.push_back(&issue);
  }
  if (!query.order_field.empty()) {
    if (query.order_field != "created") {
      return JiraError(
          400, {"Not able to sort using field '" + query.order_field + "'."});
    }
    std::stable_sort(
        matches.begin(), matches.end(),
        [&](const FakeJiraIssue* a, const FakeJiraIssue* b) {
          bool less = std::stoi(a->id) < std::stoi(b->id);
          return query.ascending ? less : std::stoi(b->id) < std::stoi(a->id);
        });
  }
  size_t max = std::stoul(
      request.Param("maxResults").value_or(std::to_string(options_.page_size)));
  std::vector<std::string> fields =
      SplitCommas(request.Param("fields").value_or("id"));
  json issues = json::array();
  for (const FakeJiraIssue* issue : matches) {
    if (issues.size() >= max) break;
    issues.push_back(IssueJsonLocked(*issue, &fields));
  }
  return FakeResponse::Json(
      200, json{{"issues", issues}, {"isLast", matches.size() <= max}}.dump());
}

}  // namespace casebridge::testing

#include "tests/fakes/fake_swimlane.h"

#include <chrono>
#include <ctime>
#include <utility>

namespace casebridge::testing {
namespace {

using nlohmann::json;

FakeResponse Error(int status, int code, const std::string& argument) {
  return FakeResponse::Json(
      status, json({{"ErrorCode", code}, {"Argument", argument}}).dump());
}

std::string NowIso() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int ms =
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                           now.time_since_epoch())
                           .count() %
                       1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  // Swimlane (.NET) writes seven fractional digits.
  char out[96];
  std::snprintf(out, sizeof(out), "%s.%03d0000Z", buf, ms);
  return out;
}

bool IsIsoString(const json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return s.size() >= 20 && s[4] == '-' && s[10] == 'T' && s.back() == 'Z';
}

}  // namespace

FakeSwimlane::FakeSwimlane(std::string app_id, std::string token)
    : app_id_(std::move(app_id)), token_(std::move(token)) {
  auto field = [](const char* id, const char* key, const char* name,
                  const char* type) {
    return json{{"id", id}, {"key", key}, {"name", name}, {"fieldType", type}};
  };
  fields_ = json::array({
      field(kCaseNameField, "case-name", "Case Name", "text"),
      field(kCaseIdField, "case-id", "Case Id", "text"),
      field(kDescriptionField, "description", "Description", "text"),
      field(kCommentsField, "comments", "Comments", "notes"),
      field(kRuleNameField, "rule-name", "Rule Name", "text"),
      field(kAlertIdField, "alert-id", "Alert Id", "text"),
      field(kSeverityField, "severity", "Severity", "numeric"),
  });
  server_.HandleAny([this](const FakeRequest& r) { return Route(r); });
}

void FakeSwimlane::Start() { server_.Start(); }

json FakeSwimlane::application() const {
  return {{"id", app_id_},
          {"name", "SOC cases"},
          {"acronym", "SOC"},
          {"fields", fields_}};
}

std::optional<json> FakeSwimlane::record(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> FakeSwimlane::comments(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = comments_.find(id);
  return it == comments_.end() ? std::vector<json>() : it->second;
}

size_t FakeSwimlane::record_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return records_.size();
}

void FakeSwimlane::FailNext(int count, int status, int error_code,
                            std::string argument, std::string retry_after) {
  FakeResponse r = Error(status, error_code, argument);
  if (!retry_after.empty()) r.WithRetryAfter(retry_after);
  server_.InjectFaults(count, r, "/api/");
}

const json* FakeSwimlane::Field(const std::string& id) const {
  for (const json& f : fields_) {
    if (f["id"] == id) return &f;
  }
  return nullptr;
}

std::string FakeSwimlane::CheckValues(const json& values) const {
  if (!values.is_object()) return "values";
  for (const auto& [id, value] : values.items()) {
    const json* f = Field(id);
    if (f == nullptr) return id;
    const std::string type = (*f)["fieldType"];
    if (type == "numeric" && !value.is_number()) return id;
    if (type == "text" && !value.is_string()) return id;
    if (type == "notes") return id;  // comments go through the comment API
  }
  return "";
}

FakeResponse FakeSwimlane::Route(const FakeRequest& request) {
  if (request.Header("Private-Token").value_or("") != token_) {
    return Error(401, 1001, "Private-Token");
  }
  const bool has_body = request.method == "POST" || request.method == "PATCH";
  json body = nullptr;
  if (has_body) {
    if (request.Header("Content-Type")
            .value_or("")
            .rfind("application/json", 0) != 0) {
      return Error(415, 1000, "Content-Type");
    }
    body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Error(400, 1000, "body");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (request.method == "POST" && request.path == "/api/search") {
    if (!body.contains("applicationIds") || !body.contains("filters") ||
        !body["filters"].is_array() || !body.contains("pageSize")) {
      return Error(400, 1000, "search");
    }
    json found = json::array();
    for (const auto& [id, rec] : records_) {
      bool all = true;
      for (const json& f : body["filters"]) {
        if (f.value("filterType", "") != "equals") {
          return Error(400, 1000, "filterType");
        }
        const json& values = rec["values"];
        std::string field = f.value("fieldId", "");
        all = all && values.contains(field) && values[field] == f["value"];
      }
      if (all && static_cast<int>(found.size()) < body["pageSize"].get<int>()) {
        found.push_back(rec);
      }
    }
    return FakeResponse::Json(200, json({{"results", {{app_id_, found}}},
                                         {"count", {{app_id_, found.size()}}}})
                                       .dump());
  }
  const std::string app_prefix = "/api/app/" + app_id_;
  if (request.path.rfind("/api/app/", 0) == 0 &&
      request.path.rfind(app_prefix, 0) != 0) {
    return Error(404, 1008, "ApplicationId");
  }
  if (request.method == "GET" && request.path == app_prefix) {
    return FakeResponse::Json(200, application().dump());
  }
  const std::string records = app_prefix + "/record";
  if (request.method == "POST" && request.path == records) {
    if (body.value("applicationId", "") != app_id_ || body.contains("id")) {
      return Error(400, 1000, "applicationId");
    }
    std::string bad = CheckValues(body.value("values", json(nullptr)));
    if (!bad.empty()) return Error(400, 1051, bad);
    std::string id = "rec" + std::to_string(next_);
    std::string now = NowIso();
    json rec = {{"id", id},
                {"name", "SOC-" + std::to_string(next_)},
                {"applicationId", app_id_},
                {"createdDate", now},
                {"modifiedDate", now},
                {"values", body["values"]}};
    ++next_;
    records_[id] = rec;
    return FakeResponse::Json(200, rec.dump());
  }
  if (request.path.rfind(records + "/", 0) == 0) {
    std::string tail = request.path.substr(records.size() + 1);
    size_t slash = tail.find('/');
    std::string id = tail.substr(0, slash);
    auto it = records_.find(id);
    if (it == records_.end()) return Error(404, 1009, id);
    if (slash == std::string::npos && request.method == "PATCH") {
      if (body.value("applicationId", "") != app_id_ ||
          body.value("id", "") != id) {
        return Error(400, 1000, "id");
      }
      std::string bad = CheckValues(body.value("values", json(nullptr)));
      if (!bad.empty()) return Error(400, 1051, bad);
      for (const auto& [k, v] : body["values"].items()) {
        it->second["values"][k] = v;
      }
      it->second["modifiedDate"] = NowIso();
      return FakeResponse::Json(200, it->second.dump());
    }
    if (slash != std::string::npos && request.method == "POST") {
      std::string rest = tail.substr(slash + 1);
      size_t cut = rest.find('/');
      std::string field_id = rest.substr(0, cut);
      if (cut == std::string::npos || rest.substr(cut) != "/comment") {
        return Error(404, 1000, rest);
      }
      const json* f = Field(field_id);
      if (f == nullptr || (*f)["fieldType"] != "notes") {
        return Error(400, 1051, field_id);
      }
      if (body.value("fieldId", "") != field_id ||
          !IsIsoString(body.value("createdDate", json(nullptr))) ||
          !body.value("isRichText", json(nullptr)).is_boolean() ||
          !body.value("message", json(nullptr)).is_string()) {
        return Error(400, 1000, "comment");
      }
      comments_[id].push_back(body);
      return FakeResponse::Json(200, "{}");
    }
  }
  return Error(404, 1000, request.method + " " + request.path);
}

}  // namespace casebridge::testing

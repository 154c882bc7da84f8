#include "tests/fakes/fake_resilient.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <utility>

namespace casebridge::testing {
namespace {

using nlohmann::json;

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  // Only the low bits matter; unsigned so the shifts never overflow.
  uint32_t val = 0;
  int bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(kAlphabet[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(kAlphabet[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

FakeResponse Error(int status, const std::string& message,
                   const std::string& code = "generic") {
  json body = {{"success", false},
               {"title", nullptr},
               {"message", message},
               {"hints", json::array()},
               {"error_code", code}};
  FakeResponse r = FakeResponse::Json(status, body.dump());
  r.content_type = "application/json;charset=UTF-8";
  return r;
}

FakeResponse Ok(const json& body) {
  FakeResponse r = FakeResponse::Json(200, body.dump());
  r.content_type = "application/json;charset=UTF-8";
  return r;
}

json Option(json value, std::string label) {
  return {{"value", std::move(value)},
          {"label", std::move(label)},
          {"enabled", true},
          {"hidden", false},
          {"default", false}};
}

json Field(std::string name, std::string input_type, json prefix = nullptr,
           json values = nullptr, json required = nullptr) {
  return {{"name", name},
          {"text", name},
          {"input_type", std::move(input_type)},
          {"read_only", false},
          {"required", std::move(required)},
          {"prefix", std::move(prefix)},
          {"values", std::move(values)},
          {"internal", prefix.is_null()}};
}

json DefaultFields() {
  return json::array({
      Field("name", "text", nullptr, nullptr, "always"),
      Field("description", "textarea"),
      Field("incident_type_ids", "multiselect", nullptr,
            json::array({Option(1001, "Malware"), Option(16, "Phishing"),
                         Option(12, "Denial of Service")})),
      Field("severity_code", "select", nullptr,
            json::array(
                {Option(4, "Low"), Option(5, "Medium"), Option(6, "High")})),
      Field("discovered_date", "datetimepicker", nullptr, nullptr, "always"),
      Field("plan_status", "select", nullptr,
            json::array({Option("A", "Active"), Option("C", "Closed")})),
      Field("casebridge_case_id", "text", "properties"),
      Field("custom_notes", "textarea", "properties"),
      Field("custom_select", "select", "properties",
            json::array({Option(101, "Alpha"), Option(102, "Beta")})),
      Field("custom_flag", "boolean", "properties"),
      Field("custom_count", "number", "properties"),
  });
}

bool IsAllowed(const json& meta, const json& value) {
  if (!meta["values"].is_array()) return true;
  for (const json& option : meta["values"]) {
    if (option["value"] == value) return true;
  }
  return false;
}

// Checks a create-body value for a field; returns an error text or "".
std::string CheckCreateValue(const json& meta, const json& value) {
  const std::string type = meta["input_type"];
  const std::string name = meta["name"];
  if (type == "text") {
    return value.is_string() ? "" : name + " must be a string";
  }
  if (type == "textarea") {
    if (value.is_string()) return "";
    if (value.is_object() && value.contains("format") &&
        value.contains("content") && value["content"].is_string() &&
        (value["format"] == "html" || value["format"] == "text")) {
      return "";
    }
    return name + " must be a string or {format, content}";
  }
  if (type == "select") {
    json v = value.is_object() && value.contains("id") ? value["id"] : value;
    return IsAllowed(meta, v) ? "" : "Invalid value for " + name;
  }
  if (type == "multiselect") {
    if (!value.is_array()) return name + " must be an array";
    for (const json& item : value) {
      json v = item.is_object() && item.contains("id") ? item["id"] : item;
      if (!IsAllowed(meta, v)) return "Invalid value for " + name;
    }
    return "";
  }
  if (type == "boolean") {
    return value.is_boolean() ? "" : name + " must be a boolean";
  }
  if (type == "number" || type == "datetimepicker" || type == "datepicker") {
    return value.is_number() ? "" : name + " must be a number";
  }
  return "";
}

// The stored (objects_convert) form of a create-body value.
json StoredValue(const json& meta, const json& value) {
  const std::string type = meta["input_type"];
  if (type == "textarea" && value.is_string()) {
    return {{"format", "text"}, {"content", value}};
  }
  if (type == "select" && value.is_object()) return value["id"];
  if (type == "multiselect") {
    json ids = json::array();
    for (const json& item : value) {
      ids.push_back(item.is_object() ? item["id"] : item);
    }
    return ids;
  }
  return value;
}

// The change-value shape of a stored value, for comparing old_value.
json ShapeOf(const json& meta, const json& stored) {
  const std::string type = meta["input_type"];
  if (type == "text") return {{"text", stored}};
  if (type == "textarea") return {{"textarea", stored}};
  if (type == "select") return {{"id", stored}};
  if (type == "multiselect") return {{"ids", stored}};
  if (type == "boolean") return {{"boolean", stored}};
  if (type == "number") return {{"object", stored}};
  return {{"date", stored}};
}

// Checks a change value's shape; on success stores the plain value in *out.
std::string CheckChangeValue(const json& meta, const json& value, json* out) {
  const std::string type = meta["input_type"];
  const std::string name = meta["name"];
  if (!value.is_object()) return name + ": value must be an object";
  auto only = [&](const char* key) {
    return value.size() == 1 && value.contains(key);
  };
  if (type == "text") {
    if (!only("text") || !value["text"].is_string()) {
      return name + ": expected {text: string}";
    }
    *out = value["text"];
  } else if (type == "textarea") {
    if (!only("textarea")) return name + ": expected {textarea: ...}";
    const json& t = value["textarea"];
    if (!t.is_null() && !(t.is_object() && t.contains("format") &&
                          t.contains("content") && t["content"].is_string() &&
                          (t["format"] == "html" || t["format"] == "text"))) {
      return name + ": expected {textarea: {format, content}}";
    }
    *out = t;
  } else if (type == "select") {
    if (!only("id")) return name + ": expected {id}";
    if (!IsAllowed(meta, value["id"])) return "Invalid value for " + name;
    *out = value["id"];
  } else if (type == "multiselect") {
    if (!only("ids") || !value["ids"].is_array()) {
      return name + ": expected {ids: [...]}";
    }
    for (const json& id : value["ids"]) {
      if (!IsAllowed(meta, id)) return "Invalid value for " + name;
    }
    *out = value["ids"];
  } else if (type == "boolean") {
    if (!only("boolean") || !value["boolean"].is_boolean()) {
      return name + ": expected {boolean}";
    }
    *out = value["boolean"];
  } else if (type == "number") {
    if (!only("object") || !value["object"].is_number()) {
      return name + ": expected {object: number}";
    }
    *out = value["object"];
  } else {
    if (!only("date") || !value["date"].is_number()) {
      return name + ": expected {date: number}";
    }
    *out = value["date"];
  }
  return "";
}

bool SameIds(json a, json b) {
  if (!a.is_array() || !b.is_array()) return a == b;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

}  // namespace

FakeResilient::FakeResilient(std::string org_id, std::string key_id,
                             std::string key_secret)
    : org_id_(std::move(org_id)),
      expected_auth_("Basic " + Base64(key_id + ":" + key_secret)),
      fields_(DefaultFields()) {
  server_.HandleAny([this](const FakeRequest& r) { return Route(r); });
}

void FakeResilient::Start() { server_.Start(); }

json FakeResilient::fields() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fields_;
}

void FakeResilient::SetFields(json fields) {
  std::lock_guard<std::mutex> lock(mu_);
  fields_ = std::move(fields);
}

std::optional<json> FakeResilient::incident(int64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = incidents_.find(id);
  if (it == incidents_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> FakeResilient::comments(int64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = comments_.find(id);
  return it == comments_.end() ? std::vector<json>() : it->second;
}

size_t FakeResilient::incident_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return incidents_.size();
}

std::vector<json> FakeResilient::patches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return patches_;
}

int64_t FakeResilient::NextTimestamp() {
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  last_timestamp_ = std::max(now, last_timestamp_ + 1);
  return last_timestamp_;
}

int64_t FakeResilient::SeedIncident(json incident) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t id = next_id_++;
  int64_t now = NextTimestamp();
  incident["id"] = id;
  if (!incident.contains("create_date")) incident["create_date"] = now;
  incident["inc_last_modified_date"] = now;
  if (!incident.contains("properties")) incident["properties"] = json::object();
  incidents_[id] = std::move(incident);
  return id;
}

void FakeResilient::FailNext(int count, int status, std::string message,
                             std::string retry_after) {
  FakeResponse r = Error(status, message);
  if (!retry_after.empty()) r.WithRetryAfter(retry_after);
  server_.InjectFaults(count, r, "/rest/");
}

void FakeResilient::SetPatchFailure(std::optional<std::string> message) {
  std::lock_guard<std::mutex> lock(mu_);
  patch_failure_ = std::move(message);
}

const json* FakeResilient::FieldMeta(const std::string& name) const {
  for (const json& f : fields_) {
    if (f["name"] == name) return &f;
  }
  return nullptr;
}

FakeResponse FakeResilient::Route(const FakeRequest& request) {
  if (request.Header("Authorization").value_or("") != expected_auth_) {
    return Error(401, "The user name or password is incorrect");
  }
  std::string content_type = request.Header("Content-Type").value_or("");
  if (content_type.rfind("application/json", 0) != 0) {
    return Error(415, "Content-Type must be application/json");
  }
  const std::string prefix = "/rest/orgs/" + org_id_ + "/";
  if (request.path.rfind("/rest/orgs/", 0) == 0 &&
      request.path.rfind(prefix, 0) != 0) {
    return Error(403, "Not a member of the organization");
  }
  if (request.path.rfind(prefix, 0) != 0) {
    return Error(404, "Resource not found: " + request.path);
  }
  std::string rest = request.path.substr(prefix.size());
  json body = nullptr;
  if (request.method == "GET") {
    if (!request.body.empty() && request.body != "{}") {
      return Error(400, "GET must not carry a body");
    }
  } else {
    body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Error(400, "Malformed JSON body");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (request.method == "GET" && rest == "types/incident/fields") {
    return Ok(fields_);
  }
  if (request.method == "GET" && rest.rfind("types/incident/fields/", 0) == 0) {
    const json* meta = FieldMeta(rest.substr(22));
    if (meta == nullptr) return Error(404, "Field not found");
    return Ok(*meta);
  }
  if (rest == "incidents/query_paged" && request.method == "POST") {
    return Query(request, body);
  }
  if (rest == "incidents" && request.method == "POST") {
    return CreateIncident(request, body);
  }
  if (rest.rfind("incidents/", 0) == 0) {
    std::string tail = rest.substr(10);
    size_t slash = tail.find('/');
    std::string id_text = tail.substr(0, slash);
    int64_t id = 0;
    try {
      size_t used = 0;
      id = std::stoll(id_text, &used);
      if (used != id_text.size()) throw std::invalid_argument("id");
    } catch (...) {
      return Error(400, "Invalid incident id " + id_text);
    }
    auto it = incidents_.find(id);
    if (it == incidents_.end()) {
      return Error(404, "Incident " + id_text + " not found",
                   "object_not_found");
    }
    if (slash == std::string::npos) {
      if (request.method == "GET") {
        if (request.Param("text_content_output_format").value_or("") !=
            "objects_convert") {
          return Error(400, "expected text_content_output_format");
        }
        return Ok(it->second);
      }
      if (request.method == "PATCH") return PatchIncident(id, body);
    } else if (tail.substr(slash) == "/comments" && request.method == "POST") {
      const json* text = body.contains("text") ? &body["text"] : nullptr;
      if (text == nullptr || !text->is_object() || body.size() != 1 ||
          (*text).value("format", "") != "text" ||
          !(*text).contains("content") || !(*text)["content"].is_string()) {
        return Error(400, "Comment must be {text: {format: text, content}}");
      }
      auto& list = comments_[id];
      json comment = {{"id", static_cast<int64_t>(list.size() + 1)},
                      {"inc_id", id},
                      {"text", *text},
                      {"create_date", NextTimestamp()}};
      list.push_back(comment);
      return Ok(comment);
    }
  }
  return Error(404, "Resource not found: " + request.method + " " + rest);
}

FakeResponse FakeResilient::CreateIncident(const FakeRequest& request,
                                           const json& body) {
  if (request.Param("text_content_output_format").value_or("") !=
      "objects_convert") {
    return Error(400, "expected text_content_output_format=objects_convert");
  }
  if (!body.contains("name") || !body["name"].is_string() ||
      body["name"].get<std::string>().empty()) {
    return Error(400, "name is required", "field_required");
  }
  if (!body.contains("discovered_date") ||
      !body["discovered_date"].is_number_integer()) {
    return Error(400, "discovered_date is required", "field_required");
  }
  json incident = json::object();
  incident["properties"] = json::object();
  for (const auto& [key, value] : body.items()) {
    if (key == "properties") {
      if (!value.is_object()) return Error(400, "properties must be an object");
      for (const auto& [pkey, pvalue] : value.items()) {
        const json* meta = FieldMeta(pkey);
        if (meta == nullptr || (*meta)["prefix"] != "properties") {
          return Error(400, "Unrecognized field: properties." + pkey);
        }
        std::string err = CheckCreateValue(*meta, pvalue);
        if (!err.empty()) return Error(400, err);
        incident["properties"][pkey] = StoredValue(*meta, pvalue);
      }
      continue;
    }
    const json* meta = FieldMeta(key);
    if (meta == nullptr || !(*meta)["prefix"].is_null()) {
      return Error(400, "Unrecognized field: " + key);
    }
    if (key == "description") {
      if (!value.is_object() || value.value("format", "") != "html" ||
          !value.contains("content") || !value["content"].is_string()) {
        return Error(400, "description must be {format: html, content}");
      }
      incident[key] = value;
      continue;
    }
    if (key == "incident_type_ids" || key == "severity_code") {
      // Kibana sends {id: n} objects for these.
      bool ok = key == "severity_code"
                    ? value.is_object() && value.contains("id")
                    : value.is_array();
      if (ok && value.is_array()) {
        for (const json& item : value) {
          ok = ok && item.is_object() && item.contains("id") &&
               item["id"].is_number();
        }
      }
      if (!ok) return Error(400, key + " must use {id: n} objects");
    }
    std::string err = CheckCreateValue(*meta, value);
    if (!err.empty()) return Error(400, err);
    incident[key] = StoredValue(*meta, value);
  }
  int64_t id = next_id_++;
  int64_t now = NextTimestamp();
  incident["id"] = id;
  incident["create_date"] = now;
  incident["inc_last_modified_date"] = now;
  incident["plan_status"] = "A";
  incidents_[id] = incident;
  return Ok(incident);
}

FakeResponse FakeResilient::PatchIncident(int64_t id, const json& body) {
  patches_.push_back(body);
  if (body.size() != 1 || !body.contains("changes") ||
      !body["changes"].is_array()) {
    return Error(400, "PATCH body must be {changes: [...]}");
  }
  json& incident = incidents_[id];
  std::vector<std::pair<const json*, json>> updates;
  for (const json& change : body["changes"]) {
    if (!change.is_object() || !change.contains("field") ||
        !change["field"].is_object() || !change["field"].contains("name") ||
        !change["field"]["name"].is_string() || !change.contains("new_value")) {
      return Error(400, "each change needs field.name and new_value");
    }
    const std::string name = change["field"]["name"];
    const json* meta = FieldMeta(name);
    if (meta == nullptr) return Error(400, "Unrecognized field: " + name);
    json value;
    std::string err = CheckChangeValue(*meta, change["new_value"], &value);
    if (!err.empty()) return Error(400, err);
    // old_value, when given with content, must match the stored value.
    const json& old_value = change.value("old_value", json::object());
    if (old_value.is_object() && !old_value.empty()) {
      const bool prefixed = (*meta)["prefix"] == "properties";
      const json& container = prefixed ? incident["properties"] : incident;
      json stored = container.contains(name) ? container[name] : json(nullptr);
      json expected = ShapeOf(*meta, stored);
      bool same = (*meta)["input_type"] == "multiselect"
                      ? SameIds(old_value.value("ids", json(nullptr)),
                                stored.is_null() ? json::array() : stored)
                      : old_value == expected;
      if (!same) {
        return Ok({{"success", false},
                   {"title", nullptr},
                   {"message",
                    "Conflict on field " + name + ": old_value does not match"},
                   {"hints", json::array()}});
      }
    }
    updates.emplace_back(meta, std::move(value));
  }
  if (patch_failure_) {
    return Ok({{"success", false},
               {"title", nullptr},
               {"message", *patch_failure_},
               {"hints", json::array()}});
  }
  for (auto& [meta, value] : updates) {
    const std::string name = (*meta)["name"];
    if ((*meta)["prefix"] == "properties") {
      incident["properties"][name] = std::move(value);
    } else {
      incident[name] = std::move(value);
    }
  }
  incident["inc_last_modified_date"] = NextTimestamp();
  return Ok({{"success", true},
             {"title", nullptr},
             {"message", nullptr},
             {"hints", json::array()}});
}

FakeResponse FakeResilient::Query(const FakeRequest& request,
                                  const json& body) {
  if (request.Param("return_level").value_or("") != "normal") {
    return Error(400, "query_paged requires return_level");
  }
  if (!body.contains("filters") || !body["filters"].is_array() ||
      !body.contains("start") || !body["start"].is_number_integer() ||
      !body.contains("length") || !body["length"].is_number_integer()) {
    return Error(400, "query_paged needs filters, start and length");
  }
  std::vector<const json*> matches;
  for (const auto& [id, incident] : incidents_) {
    bool all = true;
    for (const json& filter : body["filters"]) {
      for (const json& cond : filter.value("conditions", json::array())) {
        if (cond.value("method", "") != "equals" ||
            !cond.contains("field_name")) {
          return Error(400, "fake supports only equals conditions");
        }
        std::string field = cond["field_name"];
        const json* value = nullptr;
        if (field.rfind("properties.", 0) == 0) {
          const json& props = incident["properties"];
          std::string key = field.substr(11);
          if (props.contains(key)) value = &props[key];
        } else if (incident.contains(field)) {
          value = &incident[field];
        }
        all = all && value != nullptr && *value == cond["value"];
      }
    }
    if (all) matches.push_back(&incident);
  }
  json data = json::array();
  int64_t start = body["start"], length = body["length"];
  for (int64_t i = start;
       i < static_cast<int64_t>(matches.size()) && i < start + length; ++i) {
    data.push_back(*matches[i]);
  }
  return Ok({{"recordsTotal", incidents_.size()},
             {"recordsFiltered", matches.size()},
             {"data", data}});
}

}  // namespace casebridge::testing

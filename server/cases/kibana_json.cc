#include "server/cases/kibana_json.h"

#include <string>
#include <utility>

#include "absl/status/status.h"

namespace casebridge::cases {

using store::Json;

const char* StatusName(store::CaseStatus status) {
  switch (status) {
    case store::CaseStatus::kOpen:
      return "open";
    case store::CaseStatus::kInProgress:
      return "in-progress";
    case store::CaseStatus::kClosed:
      return "closed";
  }
  return "open";
}

const char* SeverityName(store::CaseSeverity severity) {
  switch (severity) {
    case store::CaseSeverity::kLow:
      return "low";
    case store::CaseSeverity::kMedium:
      return "medium";
    case store::CaseSeverity::kHigh:
      return "high";
    case store::CaseSeverity::kCritical:
      return "critical";
  }
  return "low";
}

const char* CustomFieldTypeName(store::CustomFieldType type) {
  switch (type) {
    case store::CustomFieldType::kText:
      return "text";
    case store::CustomFieldType::kToggle:
      return "toggle";
    case store::CustomFieldType::kNumber:
      return "number";
  }
  return "text";
}

static std::optional<store::CustomFieldType> ParseCustomFieldType(
    std::string_view name) {
  if (name == "text") return store::CustomFieldType::kText;
  if (name == "toggle") return store::CustomFieldType::kToggle;
  if (name == "number") return store::CustomFieldType::kNumber;
  return std::nullopt;
}

const char* AttachmentKindName(store::AttachmentType type) {
  switch (type) {
    case store::AttachmentType::kUser:
      return "user";
    case store::AttachmentType::kAlert:
      return "alert";
    case store::AttachmentType::kActions:
      return "actions";
    case store::AttachmentType::kExternalReference:
      return "externalReference";
    case store::AttachmentType::kPersistableState:
      return "persistableState";
  }
  return "user";
}

std::optional<store::AttachmentType> ParseAttachmentKind(
    std::string_view name) {
  if (name == "user") return store::AttachmentType::kUser;
  if (name == "alert") return store::AttachmentType::kAlert;
  if (name == "actions") return store::AttachmentType::kActions;
  if (name == "externalReference") {
    return store::AttachmentType::kExternalReference;
  }
  if (name == "persistableState")
    return store::AttachmentType::kPersistableState;
  return std::nullopt;
}

Json ConnectorJson(const store::CaseConnector& connector) {
  return Json{{"id", connector.id},
              {"name", connector.name},
              {"type", connector.type},
              {"fields", connector.fields}};
}

Json CustomFieldScalarJson(const store::CustomFieldScalar& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* b = std::get_if<bool>(&value)) return *b;
  if (const auto* n = std::get_if<int64_t>(&value)) return *n;
  return nullptr;
}

Json CustomFieldsJson(const std::vector<store::CustomFieldValue>& values) {
  Json out = Json::array();
  for (const auto& v : values) {
    out.push_back({{"key", v.key},
                   {"type", CustomFieldTypeName(v.type)},
                   {"value", CustomFieldScalarJson(v.value)}});
  }
  return out;
}

Json AssigneesJson(const std::vector<std::string>& uids) {
  Json out = Json::array();
  for (const auto& uid : uids) out.push_back({{"uid", uid}});
  return out;
}

Json CommentPayload(const store::Attachment& attachment) {
  Json comment =
      attachment.content.is_object() ? attachment.content : Json::object();
  comment["type"] = AttachmentKindName(attachment.type);
  comment["owner"] = attachment.owner;
  return Json{{"comment", std::move(comment)}};
}

namespace {

Json StringsJson(const std::vector<std::string>& values) {
  Json out = Json::array();
  for (const auto& v : values) out.push_back(v);
  return out;
}

Json CaseFieldsJson(const TemplateCaseFields& f) {
  Json out = Json::object();
  if (f.title) out["title"] = *f.title;
  if (f.description) out["description"] = *f.description;
  if (!f.tags.empty()) out["tags"] = StringsJson(f.tags);
  if (f.connector) out["connector"] = ConnectorJson(*f.connector);
  if (f.severity) out["severity"] = SeverityName(*f.severity);
  if (!f.assignees.empty()) out["assignees"] = AssigneesJson(f.assignees);
  if (f.category) out["category"] = *f.category;
  if (!f.custom_fields.empty()) {
    out["customFields"] = CustomFieldsJson(f.custom_fields);
  }
  if (f.sync_alerts) out["settings"] = {{"syncAlerts", *f.sync_alerts}};
  return out;
}

absl::Status Malformed() {
  return absl::InternalError("stored configuration templates are malformed");
}

std::optional<store::CaseSeverity> ParseSeverity(std::string_view s) {
  if (s == "low") return store::CaseSeverity::kLow;
  if (s == "medium") return store::CaseSeverity::kMedium;
  if (s == "high") return store::CaseSeverity::kHigh;
  if (s == "critical") return store::CaseSeverity::kCritical;
  return std::nullopt;
}

absl::StatusOr<TemplateCaseFields> ParseCaseFields(const Json& j) {
  TemplateCaseFields f;
  if (!j.is_object()) return Malformed();
  if (auto it = j.find("title"); it != j.end() && it->is_string()) {
    f.title = it->get<std::string>();
  }
  if (auto it = j.find("description"); it != j.end() && it->is_string()) {
    f.description = it->get<std::string>();
  }
  if (auto it = j.find("tags"); it != j.end() && it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string()) f.tags.push_back(t.get<std::string>());
    }
  }
  if (auto it = j.find("connector"); it != j.end() && it->is_object()) {
    store::CaseConnector c;
    c.id = it->value("id", "none");
    c.name = it->value("name", "none");
    c.type = it->value("type", ".none");
    if (auto fi = it->find("fields"); fi != it->end()) c.fields = *fi;
    f.connector = std::move(c);
  }
  if (auto it = j.find("severity"); it != j.end() && it->is_string()) {
    f.severity = ParseSeverity(it->get<std::string>());
  }
  if (auto it = j.find("assignees"); it != j.end() && it->is_array()) {
    for (const auto& a : *it) {
      if (a.is_object()) f.assignees.push_back(a.value("uid", ""));
    }
  }
  if (auto it = j.find("category"); it != j.end() && it->is_string()) {
    f.category = it->get<std::string>();
  }
  if (auto it = j.find("customFields"); it != j.end() && it->is_array()) {
    for (const auto& cf : *it) {
      if (!cf.is_object()) return Malformed();
      store::CustomFieldValue v;
      v.key = cf.value("key", "");
      auto type = ParseCustomFieldType(cf.value("type", ""));
      if (!type) return Malformed();
      v.type = *type;
      if (auto vi = cf.find("value"); vi != cf.end()) {
        if (vi->is_string()) {
          v.value = vi->get<std::string>();
        } else if (vi->is_boolean()) {
          v.value = vi->get<bool>();
        } else if (vi->is_number_integer()) {
          v.value = vi->get<int64_t>();
        }
      }
      f.custom_fields.push_back(std::move(v));
    }
  }
  if (auto it = j.find("settings"); it != j.end() && it->is_object()) {
    if (auto si = it->find("syncAlerts"); si != it->end() && si->is_boolean()) {
      f.sync_alerts = si->get<bool>();
    }
  }
  return f;
}

}  // namespace

Json TemplatesJson(const std::vector<Template>& templates) {
  Json out = Json::array();
  for (const auto& t : templates) {
    Json j{{"key", t.key}, {"name", t.name}};
    j["description"] = t.description ? Json(*t.description) : Json(nullptr);
    j["tags"] = StringsJson(t.tags);
    j["caseFields"] =
        t.case_fields ? CaseFieldsJson(*t.case_fields) : Json(nullptr);
    out.push_back(std::move(j));
  }
  return out;
}

absl::StatusOr<std::vector<Template>> ParseTemplates(const Json& json) {
  std::vector<Template> out;
  if (json.is_null()) return out;
  if (!json.is_array()) return Malformed();
  for (const auto& j : json) {
    if (!j.is_object()) return Malformed();
    Template t;
    t.key = j.value("key", "");
    t.name = j.value("name", "");
    if (auto it = j.find("description"); it != j.end() && it->is_string()) {
      t.description = it->get<std::string>();
    }
    if (auto it = j.find("tags"); it != j.end() && it->is_array()) {
      for (const auto& tag : *it) {
        if (tag.is_string()) t.tags.push_back(tag.get<std::string>());
      }
    }
    if (auto it = j.find("caseFields"); it != j.end() && it->is_object()) {
      auto fields = ParseCaseFields(*it);
      if (!fields.ok()) return fields.status();
      t.case_fields = *std::move(fields);
    }
    out.push_back(std::move(t));
  }
  return out;
}

static std::vector<std::string> StringOrArray(const Json& content,
                                              const char* key) {
  std::vector<std::string> out;
  auto it = content.find(key);
  if (it == content.end()) return out;
  if (it->is_string()) {
    out.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::vector<std::string> AlertIds(const Json& content) {
  if (!content.is_object()) return {};
  return StringOrArray(content, "alertId");
}

std::vector<std::string> AlertIndices(const Json& content) {
  if (!content.is_object()) return {};
  return StringOrArray(content, "index");
}

}  // namespace casebridge::cases

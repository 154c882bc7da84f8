#include "server/cases/validation.h"

#include <set>
#include <unordered_set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/cases/kibana_json.h"

namespace casebridge::cases {

using store::Json;

namespace {

std::string Index(const std::string& path, size_t i) {
  return absl::StrCat(path, "[", i, "]");
}

std::string Sub(const std::string& prefix, const char* field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

std::string_view TrimView(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && absl::ascii_isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && absl::ascii_isspace(static_cast<unsigned char>(s[e - 1]))) {
    --e;
  }
  return s.substr(b, e - b);
}

enum class FieldKind { kString, kBool, kNumber, kStringArray };

struct FieldSpec {
  const char* key;
  FieldKind kind;
  bool optional;
};

struct ConnectorSpec {
  const char* type;
  bool has_fields;
  std::vector<FieldSpec> fields;
};

const std::vector<ConnectorSpec>& ConnectorSpecs() {
  static const auto* specs = new std::vector<ConnectorSpec>{
      {".none", false, {}},
      {".cases-webhook", false, {}},
      {".jira",
       true,
       {{"issueType", FieldKind::kString, false},
        {"priority", FieldKind::kString, false},
        {"parent", FieldKind::kString, false}}},
      {".resilient",
       true,
       {{"incidentTypes", FieldKind::kStringArray, false},
        {"severityCode", FieldKind::kString, false}}},
      {".servicenow",
       true,
       {{"impact", FieldKind::kString, false},
        {"severity", FieldKind::kString, false},
        {"urgency", FieldKind::kString, false},
        {"category", FieldKind::kString, false},
        {"subcategory", FieldKind::kString, false},
        {"additionalFields", FieldKind::kString, true}}},
      {".servicenow-sir",
       true,
       {{"category", FieldKind::kString, false},
        {"subcategory", FieldKind::kString, false},
        {"priority", FieldKind::kString, false},
        {"destIp", FieldKind::kBool, false},
        {"sourceIp", FieldKind::kBool, false},
        {"malwareHash", FieldKind::kBool, false},
        {"malwareUrl", FieldKind::kBool, false},
        {"additionalFields", FieldKind::kString, true}}},
      {".swimlane", true, {{"caseId", FieldKind::kString, false}}},
      {".thehive", true, {{"tlp", FieldKind::kNumber, false}}},
  };
  return *specs;
}

bool KindMatches(const Json& v, FieldKind kind) {
  if (v.is_null()) return true;
  switch (kind) {
    case FieldKind::kString:
      return v.is_string();
    case FieldKind::kBool:
      return v.is_boolean();
    case FieldKind::kNumber:
      return v.is_number();
    case FieldKind::kStringArray:
      if (!v.is_array()) return false;
      for (const auto& e : v) {
        if (!e.is_string()) return false;
      }
      return true;
  }
  return false;
}

const char* KindName(FieldKind kind) {
  switch (kind) {
    case FieldKind::kString:
      return "a string or null";
    case FieldKind::kBool:
      return "a boolean or null";
    case FieldKind::kNumber:
      return "a number or null";
    case FieldKind::kStringArray:
      return "an array of strings or null";
  }
  return "";
}

bool ValueMatchesType(const store::CustomFieldScalar& value,
                      store::CustomFieldType type) {
  if (std::holds_alternative<std::monostate>(value)) return true;
  switch (type) {
    case store::CustomFieldType::kText:
      return std::holds_alternative<std::string>(value);
    case store::CustomFieldType::kToggle:
      return std::holds_alternative<bool>(value);
    case store::CustomFieldType::kNumber:
      return std::holds_alternative<int64_t>(value);
  }
  return false;
}

// Shape of one value (type match, text limits, safe integers); trims text.
void CheckScalar(store::CustomFieldScalar& value, store::CustomFieldType type,
                 const std::string& path, ValidationErrors& errors) {
  if (!ValueMatchesType(value, type)) {
    errors.Add(path, absl::StrCat("must be a ", CustomFieldTypeName(type),
                                  " value or null for a field of type ",
                                  CustomFieldTypeName(type)));
    return;
  }
  if (auto* s = std::get_if<std::string>(&value)) {
    CheckString(*s, path, 1, kMaxCustomFieldTextLength, errors);
  } else if (auto* n = std::get_if<int64_t>(&value)) {
    if (*n > kMaxSafeInteger || *n < -kMaxSafeInteger) {
      errors.Add(path, "must be a safe integer (|n| <= 2^53 - 1)");
    }
  }
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

void CheckKey(const std::string& key, const std::string& path, size_t max,
              ValidationErrors& errors) {
  if (key.empty() || key.size() > max) {
    errors.Add(path, absl::StrCat("must be 1..", max, " characters"));
    return;
  }
  for (char c : key) {
    if (!IsKeyChar(c)) {
      errors.Add(path, "may contain only a-z, 0-9, _ and -");
      return;
    }
  }
}

void CheckNonBlank(const Json& content, const char* key,
                   const std::string& path, ValidationErrors& errors) {
  auto it = content.find(key);
  if (it == content.end() || !it->is_string() ||
      TrimView(it->get_ref<const std::string&>()).empty()) {
    errors.Add(path, "is required and must not be blank");
  }
}

void CheckCommentText(Json& content, const char* key, const std::string& path,
                      ValidationErrors& errors) {
  auto it = content.find(key);
  if (it == content.end() || !it->is_string()) {
    errors.Add(path, "is required");
    return;
  }
  CheckString(it->get_ref<std::string&>(), path, 1, kMaxCommentLength, errors);
}

}  // namespace

size_t CharLength(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

void CheckString(std::string& value, const std::string& path, size_t min,
                 size_t max, ValidationErrors& errors, bool trim) {
  std::string_view trimmed = TrimView(value);
  if (CharLength(value) > max) {
    errors.Add(path, absl::StrCat("must be at most ", max, " characters"));
    return;
  }
  if (CharLength(trimmed) < min) {
    errors.Add(
        path, min == 1 ? std::string("must not be empty or blank")
                       : absl::StrCat("must be at least ", min, " characters"));
    return;
  }
  if (trim && trimmed.size() != value.size()) value = std::string(trimmed);
}

void CheckOwner(const std::string& owner, const std::string& path,
                ValidationErrors& errors) {
  if (owner.empty()) {
    errors.Add(path,
               "is required (e.g. securitySolution, observability, cases)");
    return;
  }
  if (owner.size() > kMaxOwnerLength) {
    errors.Add(
        path, absl::StrCat("must be at most ", kMaxOwnerLength, " characters"));
    return;
  }
  for (char c : owner) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '.' && c != '-') {
      errors.Add(path, "may contain only A-Z, a-z, 0-9, _, . and -");
      return;
    }
  }
}

void CheckTags(std::vector<std::string>& tags, const std::string& path,
               size_t max_count, size_t max_length, ValidationErrors& errors) {
  if (tags.size() > max_count) {
    errors.Add(path, absl::StrCat("must have at most ", max_count, " tags"));
    return;
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    CheckString(tags[i], Index(path, i), 1, max_length, errors);
  }
}

void CheckAssignees(std::vector<std::string>& uids, const std::string& path,
                    ValidationErrors& errors) {
  std::vector<std::string> unique;
  unique.reserve(uids.size());
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < uids.size(); ++i) {
    if (TrimView(uids[i]).empty()) {
      errors.Add(absl::StrCat(Index(path, i), ".uid"), "must not be empty");
      continue;
    }
    if (seen.insert(uids[i]).second) unique.push_back(std::move(uids[i]));
  }
  uids = std::move(unique);
  if (uids.size() > kMaxAssignees) {
    errors.Add(path,
               absl::StrCat("must have at most ", kMaxAssignees, " assignees"));
  }
}

void CheckCategory(std::optional<std::string>& category,
                   const std::string& path, ValidationErrors& errors) {
  if (category) CheckString(*category, path, 1, kMaxCategoryLength, errors);
}

void CheckConnector(store::CaseConnector& connector, const std::string& path,
                    ValidationErrors& errors) {
  const ConnectorSpec* spec = nullptr;
  for (const auto& s : ConnectorSpecs()) {
    if (connector.type == s.type) spec = &s;
  }
  if (spec == nullptr) {
    errors.Add(Sub(path, "type"),
               "must be one of .none, .jira, .servicenow, .servicenow-sir, "
               ".resilient, .swimlane, .cases-webhook, .thehive");
    return;
  }
  if (connector.type == ".none") {
    if (connector.id != "none") {
      errors.Add(Sub(path, "id"), "must be \"none\" for a .none connector");
    }
  } else if (TrimView(connector.id).empty()) {
    errors.Add(Sub(path, "id"), "is required for a connector of this type");
  }
  if (!spec->has_fields) {
    if (!connector.fields.is_null() &&
        !(connector.fields.is_object() && connector.fields.empty())) {
      errors.Add(Sub(path, "fields"),
                 absl::StrCat("must be null for a ", spec->type, " connector"));
      return;
    }
    connector.fields = nullptr;
    return;
  }
  if (connector.fields.is_null()) return;
  if (!connector.fields.is_object()) {
    errors.Add(Sub(path, "fields"), "must be an object or null");
    return;
  }
  for (const auto& [key, value] : connector.fields.items()) {
    const FieldSpec* field = nullptr;
    for (const auto& f : spec->fields) {
      if (key == f.key) field = &f;
    }
    std::string field_path = absl::StrCat(Sub(path, "fields"), ".", key);
    if (field == nullptr) {
      std::string allowed;
      for (const auto& f : spec->fields) {
        absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", f.key);
      }
      errors.Add(field_path,
                 absl::StrCat("is not a field of a ", spec->type,
                              " connector (allowed: ", allowed, ")"));
    } else if (!KindMatches(value, field->kind)) {
      errors.Add(field_path, absl::StrCat("must be ", KindName(field->kind)));
    }
  }
  for (const auto& f : spec->fields) {
    if (!f.optional && !connector.fields.contains(f.key)) {
      connector.fields[f.key] = nullptr;
    }
  }
}

void CheckCustomFieldValues(std::vector<store::CustomFieldValue>& values,
                            const std::string& path, ValidationErrors& errors) {
  if (values.size() > kMaxCustomFields) {
    errors.Add(path, absl::StrCat("must have at most ", kMaxCustomFields,
                                  " custom fields"));
    return;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    std::string item = Index(path, i);
    if (values[i].key.empty()) errors.Add(Sub(item, "key"), "is required");
    CheckScalar(values[i].value, values[i].type, Sub(item, "value"), errors);
  }
}

void ApplyCustomFieldDefinitions(
    std::vector<store::CustomFieldValue>& values,
    const std::vector<store::CustomFieldDefinition>& definitions,
    const std::string& path, ValidationErrors& errors) {
  std::set<std::string> seen;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& v = values[i];
    std::string item = Index(path, i);
    if (!seen.insert(v.key).second) {
      errors.Add(Sub(item, "key"),
                 absl::StrCat("duplicate custom field key \"", v.key, "\""));
      continue;
    }
    const store::CustomFieldDefinition* def = nullptr;
    for (const auto& d : definitions) {
      if (d.key == v.key) def = &d;
    }
    if (def == nullptr) {
      errors.Add(Sub(item, "key"),
                 absl::StrCat("unknown custom field key \"", v.key,
                              "\"; configure it for the owner first"));
      continue;
    }
    if (def->type != v.type) {
      errors.Add(Sub(item, "type"),
                 absl::StrCat("custom field \"", v.key, "\" has type ",
                              CustomFieldTypeName(def->type)));
      continue;
    }
    if (def->required && std::holds_alternative<std::monostate>(v.value)) {
      errors.Add(Sub(item, "value"),
                 absl::StrCat("custom field \"", v.key,
                              "\" is required and cannot be null"));
    }
  }
  for (const auto& d : definitions) {
    if (seen.count(d.key) > 0) continue;
    if (d.required && std::holds_alternative<std::monostate>(d.default_value)) {
      errors.Add(path,
                 absl::StrCat("missing required custom field \"", d.key, "\""));
      continue;
    }
    values.push_back({d.key, d.type, d.default_value});
  }
}

void CheckNewCase(NewCase& c, ValidationErrors& errors) {
  CheckString(c.title, "title", 1, kMaxTitleLength, errors);
  CheckString(c.description, "description", 1, kMaxDescriptionLength, errors);
  CheckTags(c.tags, "tags", kMaxTagsPerCase, kMaxTagLength, errors);
  CheckOwner(c.owner, "owner", errors);
  CheckAssignees(c.assignees, "assignees", errors);
  CheckCategory(c.category, "category", errors);
  CheckCustomFieldValues(c.custom_fields, "custom_fields", errors);
  CheckConnector(c.connector, "connector", errors);
}

void CheckCasePatch(CasePatch& p, const std::string& prefix,
                    ValidationErrors& errors) {
  if (TrimView(p.id).empty()) errors.Add(Sub(prefix, "id"), "is required");
  if (p.title) {
    CheckString(*p.title, Sub(prefix, "title"), 1, kMaxTitleLength, errors);
  }
  if (p.description) {
    CheckString(*p.description, Sub(prefix, "description"), 1,
                kMaxDescriptionLength, errors);
  }
  if (p.tags) {
    CheckTags(*p.tags, Sub(prefix, "tags"), kMaxTagsPerCase, kMaxTagLength,
              errors);
  }
  if (p.assignees)
    CheckAssignees(*p.assignees, Sub(prefix, "assignees"), errors);
  if (p.category) CheckCategory(*p.category, Sub(prefix, "category"), errors);
  if (p.custom_fields) {
    CheckCustomFieldValues(*p.custom_fields, Sub(prefix, "custom_fields"),
                           errors);
  }
  if (p.connector)
    CheckConnector(*p.connector, Sub(prefix, "connector"), errors);
}

void CheckAttachment(AttachmentInput& a, const std::string& path,
                     ValidationErrors& errors) {
  Json& c = a.content;
  if (!c.is_object()) {
    errors.Add(path, "must be set to one attachment kind");
    return;
  }
  switch (a.type) {
    case store::AttachmentType::kUser:
      CheckCommentText(c, "comment", Sub(path, "user.comment"), errors);
      break;
    case store::AttachmentType::kAlert: {
      std::vector<std::string> ids = AlertIds(c);
      std::vector<std::string> indices = AlertIndices(c);
      if (ids.empty()) {
        errors.Add(Sub(path, "alert.alert_ids"),
                   "must name at least one alert");
      }
      for (size_t i = 0; i < ids.size(); ++i) {
        if (TrimView(ids[i]).empty()) {
          errors.Add(Index(Sub(path, "alert.alert_ids"), i),
                     "must not be empty");
        }
      }
      if (indices.size() != ids.size()) {
        errors.Add(Sub(path, "alert.indices"),
                   "must have one index per alert id");
      }
      break;
    }
    case store::AttachmentType::kActions: {
      CheckCommentText(c, "comment", Sub(path, "actions.comment"), errors);
      const Json* actions = c.contains("actions") ? &c["actions"] : nullptr;
      if (actions == nullptr || !actions->is_object()) {
        errors.Add(Sub(path, "actions"), "is required");
        break;
      }
      CheckNonBlank(*actions, "type", Sub(path, "actions.type"), errors);
      auto targets = actions->find("targets");
      if (targets == actions->end() || !targets->is_array() ||
          targets->empty()) {
        errors.Add(Sub(path, "actions.targets"),
                   "must name at least one target");
      }
      break;
    }
    case store::AttachmentType::kExternalReference: {
      CheckNonBlank(c, "externalReferenceAttachmentTypeId",
                    Sub(path, "external_reference.type_id"), errors);
      CheckNonBlank(c, "externalReferenceId",
                    Sub(path, "external_reference.id"), errors);
      auto storage = c.find("externalReferenceStorage");
      std::string type = storage != c.end() && storage->is_object()
                             ? storage->value("type", "")
                             : "";
      if (type == "savedObject") {
        CheckNonBlank(*storage, "soType",
                      Sub(path, "external_reference.storage.so_type"), errors);
      } else if (type != "elasticSearchDoc") {
        errors.Add(Sub(path, "external_reference.storage.type"),
                   "must be ELASTIC_SEARCH_DOC or SAVED_OBJECT");
      }
      break;
    }
    case store::AttachmentType::kPersistableState: {
      CheckNonBlank(c, "persistableStateAttachmentTypeId",
                    Sub(path, "persistable_state.type_id"), errors);
      auto state = c.find("persistableStateAttachmentState");
      if (state == c.end() || !state->is_object()) {
        errors.Add(Sub(path, "persistable_state.state"), "is required");
      }
      break;
    }
  }
}

void CheckCustomFieldDefinitions(
    std::vector<store::CustomFieldDefinition>& definitions,
    const std::vector<store::CustomFieldDefinition>* existing,
    const std::string& path, ValidationErrors& errors) {
  if (definitions.size() > kMaxCustomFields) {
    errors.Add(path, absl::StrCat("must have at most ", kMaxCustomFields,
                                  " custom fields"));
    return;
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < definitions.size(); ++i) {
    auto& d = definitions[i];
    std::string item = Index(path, i);
    CheckKey(d.key, Sub(item, "key"), kMaxCustomFieldKeyLength, errors);
    if (!seen.insert(d.key).second) {
      errors.Add(Sub(item, "key"),
                 absl::StrCat("duplicate custom field key \"", d.key, "\""));
    }
    CheckString(d.label, Sub(item, "label"), 1, kMaxCustomFieldLabelLength,
                errors);
    if (!ValueMatchesType(d.default_value, d.type)) {
      errors.Add(Sub(item, "default_value"),
                 absl::StrCat("must match the field type ",
                              CustomFieldTypeName(d.type)));
    } else {
      std::string default_path = Sub(item, "default_value");
      CheckScalar(d.default_value, d.type, default_path, errors);
    }
    if (existing != nullptr) {
      for (const auto& e : *existing) {
        if (e.key == d.key && e.type != d.type) {
          errors.Add(
              Sub(item, "type"),
              absl::StrCat("cannot change the type of existing custom "
                           "field \"",
                           d.key, "\" from ", CustomFieldTypeName(e.type),
                           " to ", CustomFieldTypeName(d.type)));
        }
      }
    }
  }
}

void CheckTemplates(
    std::vector<Template>& templates,
    const std::vector<store::CustomFieldDefinition>& definitions,
    const std::string& path, ValidationErrors& errors) {
  if (templates.size() > kMaxTemplates) {
    errors.Add(path,
               absl::StrCat("must have at most ", kMaxTemplates, " templates"));
    return;
  }
  std::set<std::string> keys;
  for (size_t i = 0; i < templates.size(); ++i) {
    auto& t = templates[i];
    std::string item = Index(path, i);
    CheckKey(t.key, Sub(item, "key"), kMaxTemplateKeyLength, errors);
    if (!keys.insert(t.key).second) {
      errors.Add(Sub(item, "key"),
                 absl::StrCat("duplicate template key \"", t.key, "\""));
    }
    CheckString(t.name, Sub(item, "name"), 1, kMaxTemplateNameLength, errors);
    if (t.description) {
      CheckString(*t.description, Sub(item, "description"), 0,
                  kMaxTemplateDescriptionLength, errors);
    }
    CheckTags(t.tags, Sub(item, "tags"), kMaxTemplateTags,
              kMaxTemplateTagLength, errors);
    if (!t.case_fields) continue;
    auto& f = *t.case_fields;
    std::string fp = Sub(item, "case_fields");
    if (f.title) {
      CheckString(*f.title, Sub(fp, "title"), 1, kMaxTitleLength, errors);
    }
    if (f.description) {
      CheckString(*f.description, Sub(fp, "description"), 1,
                  kMaxDescriptionLength, errors);
    }
    CheckTags(f.tags, Sub(fp, "tags"), kMaxTagsPerCase, kMaxTagLength, errors);
    if (f.connector) CheckConnector(*f.connector, Sub(fp, "connector"), errors);
    CheckAssignees(f.assignees, Sub(fp, "assignees"), errors);
    CheckCategory(f.category, Sub(fp, "category"), errors);
    std::string cfp = Sub(fp, "custom_fields");
    CheckCustomFieldValues(f.custom_fields, cfp, errors);
    std::set<std::string> seen;
    for (size_t j = 0; j < f.custom_fields.size(); ++j) {
      const auto& v = f.custom_fields[j];
      std::string vp = Index(cfp, j);
      if (!seen.insert(v.key).second) {
        errors.Add(Sub(vp, "key"),
                   absl::StrCat("duplicate custom field key \"", v.key, "\""));
        continue;
      }
      const store::CustomFieldDefinition* def = nullptr;
      for (const auto& d : definitions) {
        if (d.key == v.key) def = &d;
      }
      if (def == nullptr) {
        errors.Add(Sub(vp, "key"),
                   absl::StrCat("custom field \"", v.key,
                                "\" is not defined in custom_fields"));
      } else if (def->type != v.type) {
        errors.Add(Sub(vp, "type"),
                   absl::StrCat("custom field \"", v.key, "\" has type ",
                                CustomFieldTypeName(def->type)));
      }
    }
  }
}

void CheckClosureType(const std::string& closure_type, const std::string& path,
                      ValidationErrors& errors) {
  if (closure_type != "close-by-user" && closure_type != "close-by-pushing") {
    errors.Add(path, "must be CLOSE_BY_USER or CLOSE_BY_PUSHING");
  }
}

void CheckPaging(int& page, int& per_page, ValidationErrors& errors) {
  bool ok = true;
  if (page < 0) {
    errors.Add("page", "must be >= 1 (0 means 1)");
    ok = false;
  }
  if (per_page < 0 || per_page > kMaxPerPage) {
    errors.Add("per_page",
               absl::StrCat("must be 1..", kMaxPerPage, " (0 means 20)"));
    ok = false;
  }
  if (!ok) return;
  if (page == 0) page = 1;
  if (per_page == 0) per_page = 20;
  if (static_cast<int64_t>(page) * per_page > kMaxDocs) {
    errors.Add("page", absl::StrCat("page × per_page must be at most ",
                                    kMaxDocs, "; narrow the search instead"));
  }
}

}  // namespace casebridge::cases

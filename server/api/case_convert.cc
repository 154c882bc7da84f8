#include "server/api/case_convert.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/api/json_struct.h"
#include "server/cases/default_mappings.h"
#include "server/cases/kibana_json.h"
#include "server/util/ids.h"

namespace casebridge::api {

using store::Json;

namespace {

std::string Sub(const std::string& prefix, const char* field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

std::string Index(const std::string& path, int i) {
  return absl::StrCat(path, "[", i, "]");
}

v1::CaseStatus StatusToProto(store::CaseStatus s) {
  switch (s) {
    case store::CaseStatus::kOpen:
      return v1::CASE_STATUS_OPEN;
    case store::CaseStatus::kInProgress:
      return v1::CASE_STATUS_IN_PROGRESS;
    case store::CaseStatus::kClosed:
      return v1::CASE_STATUS_CLOSED;
  }
  return v1::CASE_STATUS_UNSPECIFIED;
}

v1::CaseSeverity SeverityToProto(store::CaseSeverity s) {
  switch (s) {
    case store::CaseSeverity::kLow:
      return v1::CASE_SEVERITY_LOW;
    case store::CaseSeverity::kMedium:
      return v1::CASE_SEVERITY_MEDIUM;
    case store::CaseSeverity::kHigh:
      return v1::CASE_SEVERITY_HIGH;
    case store::CaseSeverity::kCritical:
      return v1::CASE_SEVERITY_CRITICAL;
  }
  return v1::CASE_SEVERITY_UNSPECIFIED;
}

v1::CustomFieldType FieldTypeToProto(store::CustomFieldType t) {
  switch (t) {
    case store::CustomFieldType::kText:
      return v1::CUSTOM_FIELD_TYPE_TEXT;
    case store::CustomFieldType::kToggle:
      return v1::CUSTOM_FIELD_TYPE_TOGGLE;
    case store::CustomFieldType::kNumber:
      return v1::CUSTOM_FIELD_TYPE_NUMBER;
  }
  return v1::CUSTOM_FIELD_TYPE_UNSPECIFIED;
}

// Reports UNSPECIFIED and out-of-enum values at `path`.
std::optional<store::CaseStatus> StatusFromProto(int value,
                                                 const std::string& path,
                                                 ValidationErrors& errors) {
  switch (value) {
    case v1::CASE_STATUS_OPEN:
      return store::CaseStatus::kOpen;
    case v1::CASE_STATUS_IN_PROGRESS:
      return store::CaseStatus::kInProgress;
    case v1::CASE_STATUS_CLOSED:
      return store::CaseStatus::kClosed;
    default:
      errors.Add(path,
                 "must be CASE_STATUS_OPEN, CASE_STATUS_IN_PROGRESS or "
                 "CASE_STATUS_CLOSED");
      return std::nullopt;
  }
}

std::optional<store::CaseSeverity> SeverityFromProto(int value,
                                                     const std::string& path,
                                                     ValidationErrors& errors) {
  switch (value) {
    case v1::CASE_SEVERITY_LOW:
      return store::CaseSeverity::kLow;
    case v1::CASE_SEVERITY_MEDIUM:
      return store::CaseSeverity::kMedium;
    case v1::CASE_SEVERITY_HIGH:
      return store::CaseSeverity::kHigh;
    case v1::CASE_SEVERITY_CRITICAL:
      return store::CaseSeverity::kCritical;
    default:
      errors.Add(path,
                 "must be CASE_SEVERITY_LOW, CASE_SEVERITY_MEDIUM, "
                 "CASE_SEVERITY_HIGH or CASE_SEVERITY_CRITICAL");
      return std::nullopt;
  }
}

store::CustomFieldType FieldTypeFromProto(int value, const std::string& path,
                                          ValidationErrors& errors) {
  switch (value) {
    case v1::CUSTOM_FIELD_TYPE_TEXT:
      return store::CustomFieldType::kText;
    case v1::CUSTOM_FIELD_TYPE_TOGGLE:
      return store::CustomFieldType::kToggle;
    case v1::CUSTOM_FIELD_TYPE_NUMBER:
      return store::CustomFieldType::kNumber;
    default:
      errors.Add(path,
                 "must be CUSTOM_FIELD_TYPE_TEXT, CUSTOM_FIELD_TYPE_TOGGLE "
                 "or CUSTOM_FIELD_TYPE_NUMBER");
      return store::CustomFieldType::kText;
  }
}

void ConnectorToProto(const store::CaseConnector& c, v1::CaseConnector* out) {
  out->set_id(c.id);
  out->set_name(c.name);
  out->set_type(c.type);
  if (c.fields.is_object()) JsonToStruct(c.fields, out->mutable_fields());
}

void CustomFieldValueToProto(const store::CustomFieldValue& v,
                             v1::CustomFieldValue* out) {
  out->set_key(v.key);
  out->set_type(FieldTypeToProto(v.type));
  if (const auto* s = std::get_if<std::string>(&v.value)) {
    out->set_text_value(*s);
  } else if (const auto* b = std::get_if<bool>(&v.value)) {
    out->set_toggle_value(*b);
  } else if (const auto* n = std::get_if<int64_t>(&v.value)) {
    out->set_number_value(*n);
  }
}

store::CustomFieldValue CustomFieldValueFromProto(const v1::CustomFieldValue& v,
                                                  const std::string& path,
                                                  ValidationErrors& errors) {
  store::CustomFieldValue out;
  out.key = v.key();
  out.type = FieldTypeFromProto(v.type(), Sub(path, "type"), errors);
  switch (v.value_case()) {
    case v1::CustomFieldValue::kTextValue:
      out.value = v.text_value();
      break;
    case v1::CustomFieldValue::kToggleValue:
      out.value = v.toggle_value();
      break;
    case v1::CustomFieldValue::kNumberValue:
      out.value = v.number_value();
      break;
    case v1::CustomFieldValue::VALUE_NOT_SET:
      break;
  }
  return out;
}

template <typename Repeated>
std::vector<store::CustomFieldValue> CustomFieldValuesFromProto(
    const Repeated& values, const std::string& path, ValidationErrors& errors) {
  std::vector<store::CustomFieldValue> out;
  out.reserve(values.size());
  for (int i = 0; i < values.size(); ++i) {
    out.push_back(CustomFieldValueFromProto(values[i], Index(path, i), errors));
  }
  return out;
}

template <typename Repeated>
std::vector<std::string> AssigneesFromProto(const Repeated& values) {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const auto& a : values) out.push_back(a.uid());
  return out;
}

std::vector<std::string> Strings(
    const google::protobuf::RepeatedPtrField<std::string>& values) {
  return std::vector<std::string>(values.begin(), values.end());
}

std::optional<std::string> OptionalString(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string StringOr(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::string();
  return it->get<std::string>();
}

void ContentToProto(store::AttachmentType type, const Json& c,
                    v1::AttachmentContent* out) {
  switch (type) {
    case store::AttachmentType::kUser:
      out->mutable_user()->set_comment(StringOr(c, "comment"));
      break;
    case store::AttachmentType::kAlert: {
      auto* alert = out->mutable_alert();
      for (auto& id : cases::AlertIds(c)) alert->add_alert_ids(std::move(id));
      for (auto& index : cases::AlertIndices(c)) {
        alert->add_indices(std::move(index));
      }
      auto* rule = alert->mutable_rule();
      if (auto it = c.find("rule"); it != c.end() && it->is_object()) {
        if (auto id = OptionalString(*it, "id")) rule->set_id(*id);
        if (auto name = OptionalString(*it, "name")) rule->set_name(*name);
      }
      break;
    }
    case store::AttachmentType::kActions: {
      auto* actions = out->mutable_actions();
      actions->set_comment(StringOr(c, "comment"));
      if (auto it = c.find("actions"); it != c.end() && it->is_object()) {
        actions->set_type(StringOr(*it, "type"));
        if (auto t = it->find("targets"); t != it->end() && t->is_array()) {
          for (const auto& target : *t) {
            if (!target.is_object()) continue;
            auto* pt = actions->add_targets();
            pt->set_hostname(StringOr(target, "hostname"));
            pt->set_endpoint_id(StringOr(target, "endpointId"));
          }
        }
      }
      break;
    }
    case store::AttachmentType::kExternalReference: {
      auto* ref = out->mutable_external_reference();
      ref->set_type_id(StringOr(c, "externalReferenceAttachmentTypeId"));
      ref->set_id(StringOr(c, "externalReferenceId"));
      if (auto it = c.find("externalReferenceStorage");
          it != c.end() && it->is_object()) {
        std::string type = StringOr(*it, "type");
        auto* storage = ref->mutable_storage();
        if (type == "elasticSearchDoc") {
          storage->set_type(
              v1::EXTERNAL_REFERENCE_STORAGE_TYPE_ELASTIC_SEARCH_DOC);
        } else if (type == "savedObject") {
          storage->set_type(v1::EXTERNAL_REFERENCE_STORAGE_TYPE_SAVED_OBJECT);
          storage->set_so_type(StringOr(*it, "soType"));
        }
      }
      if (auto it = c.find("externalReferenceMetadata");
          it != c.end() && it->is_object()) {
        JsonToStruct(*it, ref->mutable_metadata());
      }
      break;
    }
    case store::AttachmentType::kPersistableState: {
      auto* ps = out->mutable_persistable_state();
      ps->set_type_id(StringOr(c, "persistableStateAttachmentTypeId"));
      if (auto it = c.find("persistableStateAttachmentState");
          it != c.end() && it->is_object()) {
        JsonToStruct(*it, ps->mutable_state());
      }
      break;
    }
  }
}

v1::UserActionType ActionTypeToProto(const std::string& t) {
  static const std::pair<const char*, v1::UserActionType> kTypes[] = {
      {"create_case", v1::USER_ACTION_TYPE_CREATE_CASE},
      {"title", v1::USER_ACTION_TYPE_TITLE},
      {"description", v1::USER_ACTION_TYPE_DESCRIPTION},
      {"tags", v1::USER_ACTION_TYPE_TAGS},
      {"status", v1::USER_ACTION_TYPE_STATUS},
      {"severity", v1::USER_ACTION_TYPE_SEVERITY},
      {"assignees", v1::USER_ACTION_TYPE_ASSIGNEES},
      {"connector", v1::USER_ACTION_TYPE_CONNECTOR},
      {"settings", v1::USER_ACTION_TYPE_SETTINGS},
      {"category", v1::USER_ACTION_TYPE_CATEGORY},
      {"customFields", v1::USER_ACTION_TYPE_CUSTOM_FIELDS},
      {"comment", v1::USER_ACTION_TYPE_COMMENT},
      {"pushed", v1::USER_ACTION_TYPE_PUSHED},
      {"delete_case", v1::USER_ACTION_TYPE_DELETE_CASE},
  };
  for (const auto& [name, value] : kTypes) {
    if (t == name) return value;
  }
  return v1::USER_ACTION_TYPE_UNSPECIFIED;
}

v1::UserActionAction ActionToProto(const std::string& a) {
  if (a == "add") return v1::USER_ACTION_ACTION_ADD;
  if (a == "create") return v1::USER_ACTION_ACTION_CREATE;
  if (a == "delete") return v1::USER_ACTION_ACTION_DELETE;
  if (a == "update") return v1::USER_ACTION_ACTION_UPDATE;
  if (a == "push_to_service") return v1::USER_ACTION_ACTION_PUSH_TO_SERVICE;
  return v1::USER_ACTION_ACTION_UNSPECIFIED;
}

void DefinitionToProto(const store::CustomFieldDefinition& d,
                       v1::CustomFieldDefinition* out) {
  out->set_key(d.key);
  out->set_label(d.label);
  out->set_type(FieldTypeToProto(d.type));
  out->set_required(d.required);
  if (const auto* s = std::get_if<std::string>(&d.default_value)) {
    out->set_text_default(*s);
  } else if (const auto* b = std::get_if<bool>(&d.default_value)) {
    out->set_toggle_default(*b);
  } else if (const auto* n = std::get_if<int64_t>(&d.default_value)) {
    out->set_number_default(*n);
  }
}

store::CustomFieldDefinition DefinitionFromProto(
    const v1::CustomFieldDefinition& d, const std::string& path,
    ValidationErrors& errors) {
  store::CustomFieldDefinition out;
  out.key = d.key();
  out.label = d.label();
  out.type = FieldTypeFromProto(d.type(), Sub(path, "type"), errors);
  out.required = d.required();
  switch (d.default_value_case()) {
    case v1::CustomFieldDefinition::kTextDefault:
      out.default_value = d.text_default();
      break;
    case v1::CustomFieldDefinition::kToggleDefault:
      out.default_value = d.toggle_default();
      break;
    case v1::CustomFieldDefinition::kNumberDefault:
      out.default_value = d.number_default();
      break;
    case v1::CustomFieldDefinition::DEFAULT_VALUE_NOT_SET:
      break;
  }
  return out;
}

template <typename Repeated>
std::vector<store::CustomFieldDefinition> DefinitionsFromProto(
    const Repeated& values, const std::string& path, ValidationErrors& errors) {
  std::vector<store::CustomFieldDefinition> out;
  out.reserve(values.size());
  for (int i = 0; i < values.size(); ++i) {
    out.push_back(DefinitionFromProto(values[i], Index(path, i), errors));
  }
  return out;
}

void TemplateToProto(const cases::Template& t, v1::CaseTemplate* out) {
  out->set_key(t.key);
  out->set_name(t.name);
  if (t.description) out->set_description(*t.description);
  for (const auto& tag : t.tags) out->add_tags(tag);
  if (!t.case_fields) return;
  const auto& f = *t.case_fields;
  auto* pf = out->mutable_case_fields();
  if (f.title) pf->set_title(*f.title);
  if (f.description) pf->set_description(*f.description);
  for (const auto& tag : f.tags) pf->add_tags(tag);
  if (f.connector) ConnectorToProto(*f.connector, pf->mutable_connector());
  if (f.severity) pf->set_severity(SeverityToProto(*f.severity));
  for (const auto& uid : f.assignees) pf->add_assignees()->set_uid(uid);
  if (f.category) pf->set_category(*f.category);
  for (const auto& v : f.custom_fields) {
    CustomFieldValueToProto(v, pf->add_custom_fields());
  }
  if (f.sync_alerts) pf->mutable_settings()->set_sync_alerts(*f.sync_alerts);
}

cases::Template TemplateFromProto(const v1::CaseTemplate& t,
                                  const std::string& path,
                                  ValidationErrors& errors) {
  cases::Template out;
  out.key = t.key();
  out.name = t.name();
  if (t.has_description()) out.description = t.description();
  out.tags = Strings(t.tags());
  if (!t.has_case_fields()) return out;
  const auto& pf = t.case_fields();
  std::string fp = Sub(path, "case_fields");
  cases::TemplateCaseFields f;
  if (pf.has_title()) f.title = pf.title();
  if (pf.has_description()) f.description = pf.description();
  f.tags = Strings(pf.tags());
  if (pf.has_connector()) f.connector = ConnectorFromProto(pf.connector());
  if (pf.severity() != v1::CASE_SEVERITY_UNSPECIFIED) {
    f.severity = SeverityFromProto(pf.severity(), Sub(fp, "severity"), errors);
  }
  f.assignees = AssigneesFromProto(pf.assignees());
  if (pf.has_category()) f.category = pf.category();
  f.custom_fields = CustomFieldValuesFromProto(
      pf.custom_fields(), Sub(fp, "custom_fields"), errors);
  if (pf.has_settings()) f.sync_alerts = pf.settings().sync_alerts();
  out.case_fields = std::move(f);
  return out;
}

template <typename Repeated>
std::vector<cases::Template> TemplatesFromProto(const Repeated& values,
                                                const std::string& path,
                                                ValidationErrors& errors) {
  std::vector<cases::Template> out;
  out.reserve(values.size());
  for (int i = 0; i < values.size(); ++i) {
    out.push_back(TemplateFromProto(values[i], Index(path, i), errors));
  }
  return out;
}

std::optional<std::string> ClosureTypeFromProto(int value,
                                                const std::string& path,
                                                ValidationErrors& errors) {
  switch (value) {
    case v1::CLOSURE_TYPE_CLOSE_BY_USER:
      return std::string("close-by-user");
    case v1::CLOSURE_TYPE_CLOSE_BY_PUSHING:
      return std::string("close-by-pushing");
    default:
      errors.Add(path,
                 "must be CLOSURE_TYPE_CLOSE_BY_USER or "
                 "CLOSURE_TYPE_CLOSE_BY_PUSHING");
      return std::nullopt;
  }
}

v1::MappingActionType MappingActionToProto(const std::string& a) {
  if (a == "overwrite") return v1::MAPPING_ACTION_TYPE_OVERWRITE;
  if (a == "append") return v1::MAPPING_ACTION_TYPE_APPEND;
  if (a == "nothing") return v1::MAPPING_ACTION_TYPE_NOTHING;
  return v1::MAPPING_ACTION_TYPE_UNSPECIFIED;
}

}  // namespace

void TimeToProto(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rem = micros % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rem * 1000));
}

absl::Time TimeFromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

void UserToProto(const store::User& user, v1::User* out) {
  out->set_username(user.username);
  out->set_full_name(user.full_name);
  out->set_email(user.email);
  out->set_profile_uid(user.profile_uid);
}

void CaseToProto(const store::Case& c, v1::Case* out) {
  out->set_id(c.id);
  out->set_version(EncodeVersion(c.version));
  out->set_title(c.title);
  out->set_description(c.description);
  for (const auto& tag : c.tags) out->add_tags(tag);
  out->set_status(StatusToProto(c.status));
  out->set_severity(SeverityToProto(c.severity));
  out->set_owner(c.owner);
  for (const auto& uid : c.assignees) out->add_assignees()->set_uid(uid);
  if (c.category) out->set_category(*c.category);
  for (const auto& v : c.custom_fields) {
    CustomFieldValueToProto(v, out->add_custom_fields());
  }
  ConnectorToProto(c.connector, out->mutable_connector());
  out->mutable_settings()->set_sync_alerts(c.sync_alerts);
  if (c.duration_seconds) out->set_duration_seconds(*c.duration_seconds);
  TimeToProto(c.created_at, out->mutable_created_at());
  UserToProto(c.created_by, out->mutable_created_by());
  if (c.updated_at) TimeToProto(*c.updated_at, out->mutable_updated_at());
  if (c.updated_by) UserToProto(*c.updated_by, out->mutable_updated_by());
  if (c.closed_at) TimeToProto(*c.closed_at, out->mutable_closed_at());
  if (c.closed_by) UserToProto(*c.closed_by, out->mutable_closed_by());
  if (c.external_service) {
    const auto& e = *c.external_service;
    auto* pe = out->mutable_external_service();
    pe->set_connector_id(e.connector_id);
    pe->set_connector_name(e.connector_name);
    pe->set_external_id(e.external_id);
    pe->set_external_title(e.external_title);
    pe->set_external_url(e.external_url);
    TimeToProto(e.pushed_at, pe->mutable_pushed_at());
    UserToProto(e.pushed_by, pe->mutable_pushed_by());
  }
  out->set_total_comment(c.total_comment);
  out->set_total_alerts(c.total_alerts);
}

void AttachmentToProto(const store::Attachment& a, v1::Attachment* out) {
  out->set_id(a.id);
  out->set_version(EncodeVersion(a.version));
  out->set_case_id(a.case_id);
  out->set_owner(a.owner);
  TimeToProto(a.created_at, out->mutable_created_at());
  UserToProto(a.created_by, out->mutable_created_by());
  if (a.updated_at) TimeToProto(*a.updated_at, out->mutable_updated_at());
  if (a.updated_by) UserToProto(*a.updated_by, out->mutable_updated_by());
  if (a.pushed_at) TimeToProto(*a.pushed_at, out->mutable_pushed_at());
  if (a.pushed_by) UserToProto(*a.pushed_by, out->mutable_pushed_by());
  ContentToProto(a.type, a.content, out->mutable_content());
}

void UserActionToProto(const store::UserAction& a, v1::UserAction* out) {
  out->set_id(a.id);
  out->set_case_id(a.case_id);
  if (a.comment_id) out->set_comment_id(*a.comment_id);
  out->set_type(ActionTypeToProto(a.type));
  out->set_action(ActionToProto(a.action));
  JsonToStruct(a.payload, out->mutable_payload());
  TimeToProto(a.created_at, out->mutable_created_at());
  UserToProto(a.created_by, out->mutable_created_by());
  out->set_owner(a.owner);
}

void ConfigurationToProto(const store::Configuration& c,
                          v1::Configuration* out) {
  out->set_id(c.id);
  out->set_version(EncodeVersion(c.version));
  out->set_owner(c.owner);
  ConnectorToProto(c.connector, out->mutable_connector());
  out->set_closure_type(c.closure_type == "close-by-pushing"
                            ? v1::CLOSURE_TYPE_CLOSE_BY_PUSHING
                            : v1::CLOSURE_TYPE_CLOSE_BY_USER);
  for (const auto& d : c.custom_fields) {
    DefinitionToProto(d, out->add_custom_fields());
  }
  auto templates = cases::ParseTemplates(c.templates);
  if (templates.ok()) {
    for (const auto& t : *templates) TemplateToProto(t, out->add_templates());
  } else {
    out->set_error(std::string(templates.status().message()));
  }
  for (const auto& m : cases::DefaultMappings(c.connector.type)) {
    auto* pm = out->add_mappings();
    pm->set_source(m.source);
    pm->set_target(m.target);
    pm->set_action_type(MappingActionToProto(m.action_type));
  }
  TimeToProto(c.created_at, out->mutable_created_at());
  UserToProto(c.created_by, out->mutable_created_by());
  if (c.updated_at) TimeToProto(*c.updated_at, out->mutable_updated_at());
  if (c.updated_by) UserToProto(*c.updated_by, out->mutable_updated_by());
}

void RelatedCaseToProto(const store::Case& c, v1::RelatedCase* out) {
  out->set_id(c.id);
  out->set_title(c.title);
  out->set_description(c.description);
  out->set_status(StatusToProto(c.status));
  TimeToProto(c.created_at, out->mutable_created_at());
  out->mutable_totals()->set_alerts(c.total_alerts);
  out->mutable_totals()->set_user_comments(c.total_comment);
}

void CaseAlertToProto(const store::CaseAlert& a, v1::CaseAlert* out) {
  out->set_id(a.alert_id);
  out->set_index(a.index);
  TimeToProto(a.attached_at, out->mutable_attached_at());
}

store::CaseConnector ConnectorFromProto(const v1::CaseConnector& c) {
  store::CaseConnector out;
  out.id = c.id();
  out.name = c.name();
  out.type = c.type();
  if (c.has_fields()) out.fields = StructToJson(c.fields());
  return out;
}

cases::NewCase NewCaseFromProto(const v1::CreateCaseRequest& r,
                                ValidationErrors& errors) {
  cases::NewCase out;
  out.title = r.title();
  out.description = r.description();
  out.tags = Strings(r.tags());
  if (r.severity() != v1::CASE_SEVERITY_UNSPECIFIED) {
    out.severity = SeverityFromProto(r.severity(), "severity", errors)
                       .value_or(store::CaseSeverity::kLow);
  }
  out.owner = r.owner();
  out.assignees = AssigneesFromProto(r.assignees());
  if (r.has_category()) out.category = r.category();
  out.custom_fields =
      CustomFieldValuesFromProto(r.custom_fields(), "custom_fields", errors);
  if (r.has_connector()) out.connector = ConnectorFromProto(r.connector());
  if (r.has_settings()) out.sync_alerts = r.settings().sync_alerts();
  return out;
}

cases::CasePatch CasePatchFromProto(const v1::CasePatch& p,
                                    const std::string& prefix,
                                    ValidationErrors& errors) {
  cases::CasePatch out;
  out.id = p.id();
  out.version = DecodeVersion(p.version()).value_or(cases::kUnknownVersion);
  if (p.has_title()) out.title = p.title();
  if (p.has_description()) out.description = p.description();
  if (p.has_tags()) out.tags = Strings(p.tags().values());
  if (p.has_status()) {
    out.status = StatusFromProto(p.status(), Sub(prefix, "status"), errors);
  }
  if (p.has_severity()) {
    out.severity =
        SeverityFromProto(p.severity(), Sub(prefix, "severity"), errors);
  }
  if (p.has_assignees())
    out.assignees = AssigneesFromProto(p.assignees().values());
  if (p.has_category()) {
    out.category = p.category().has_value()
                       ? std::optional<std::string>(p.category().value())
                       : std::nullopt;
  }
  if (p.has_custom_fields()) {
    out.custom_fields = CustomFieldValuesFromProto(
        p.custom_fields().values(), Sub(prefix, "custom_fields"), errors);
  }
  if (p.has_connector()) out.connector = ConnectorFromProto(p.connector());
  if (p.has_settings()) out.sync_alerts = p.settings().sync_alerts();
  return out;
}

cases::AttachmentInput AttachmentFromProto(const v1::AttachmentContent& a,
                                           const std::string& path,
                                           ValidationErrors& errors) {
  cases::AttachmentInput out;
  Json& c = out.content;
  switch (a.kind_case()) {
    case v1::AttachmentContent::kUser:
      out.type = store::AttachmentType::kUser;
      c["comment"] = a.user().comment();
      break;
    case v1::AttachmentContent::kAlert: {
      out.type = store::AttachmentType::kAlert;
      const auto& alert = a.alert();
      c["alertId"] = Json(Strings(alert.alert_ids()));
      c["index"] = Json(Strings(alert.indices()));
      Json rule = Json::object();
      rule["id"] = alert.rule().has_id() ? Json(alert.rule().id()) : Json();
      rule["name"] =
          alert.rule().has_name() ? Json(alert.rule().name()) : Json();
      c["rule"] = std::move(rule);
      break;
    }
    case v1::AttachmentContent::kActions: {
      out.type = store::AttachmentType::kActions;
      const auto& actions = a.actions();
      c["comment"] = actions.comment();
      Json targets = Json::array();
      for (const auto& t : actions.targets()) {
        targets.push_back(
            {{"hostname", t.hostname()}, {"endpointId", t.endpoint_id()}});
      }
      c["actions"] = {{"targets", std::move(targets)},
                      {"type", actions.type()}};
      break;
    }
    case v1::AttachmentContent::kExternalReference: {
      out.type = store::AttachmentType::kExternalReference;
      const auto& ref = a.external_reference();
      c["externalReferenceAttachmentTypeId"] = ref.type_id();
      c["externalReferenceId"] = ref.id();
      Json storage = Json::object();
      switch (ref.storage().type()) {
        case v1::EXTERNAL_REFERENCE_STORAGE_TYPE_ELASTIC_SEARCH_DOC:
          storage["type"] = "elasticSearchDoc";
          break;
        case v1::EXTERNAL_REFERENCE_STORAGE_TYPE_SAVED_OBJECT:
          storage["type"] = "savedObject";
          storage["soType"] = ref.storage().so_type();
          break;
        default:
          storage["type"] = "";
          break;
      }
      c["externalReferenceStorage"] = std::move(storage);
      c["externalReferenceMetadata"] =
          ref.has_metadata() ? StructToJson(ref.metadata()) : Json();
      break;
    }
    case v1::AttachmentContent::kPersistableState: {
      out.type = store::AttachmentType::kPersistableState;
      const auto& ps = a.persistable_state();
      c["persistableStateAttachmentTypeId"] = ps.type_id();
      c["persistableStateAttachmentState"] = StructToJson(ps.state());
      break;
    }
    case v1::AttachmentContent::KIND_NOT_SET:
      errors.Add(path,
                 "must be set to one attachment kind (user, alert, "
                 "actions, external_reference, persistable_state)");
      break;
  }
  return out;
}

bool AscendingFromProto(v1::SortOrder order, const std::string& path,
                        ValidationErrors& errors) {
  switch (order) {
    case v1::SORT_ORDER_ASC:
      return true;
    case v1::SORT_ORDER_DESC:
    case v1::SORT_ORDER_UNSPECIFIED:
      return false;
    default:
      errors.Add(path, "must be SORT_ORDER_ASC or SORT_ORDER_DESC");
      return false;
  }
}

store::CaseQuery CaseQueryFromProto(const v1::FindCasesRequest& r,
                                    ValidationErrors& errors) {
  store::CaseQuery q;
  q.page = r.page();
  q.per_page = r.per_page();
  switch (r.sort_field()) {
    case v1::CASE_SORT_FIELD_UNSPECIFIED:
    case v1::CASE_SORT_FIELD_CREATED_AT:
      q.sort_field = store::CaseSortField::kCreatedAt;
      break;
    case v1::CASE_SORT_FIELD_UPDATED_AT:
      q.sort_field = store::CaseSortField::kUpdatedAt;
      break;
    case v1::CASE_SORT_FIELD_CLOSED_AT:
      q.sort_field = store::CaseSortField::kClosedAt;
      break;
    case v1::CASE_SORT_FIELD_TITLE:
      q.sort_field = store::CaseSortField::kTitle;
      break;
    case v1::CASE_SORT_FIELD_CATEGORY:
      q.sort_field = store::CaseSortField::kCategory;
      break;
    case v1::CASE_SORT_FIELD_STATUS:
      q.sort_field = store::CaseSortField::kStatus;
      break;
    case v1::CASE_SORT_FIELD_SEVERITY:
      q.sort_field = store::CaseSortField::kSeverity;
      break;
    default:
      errors.Add("sort_field", "is not a CaseSortField value");
      break;
  }
  q.ascending = AscendingFromProto(r.sort_order(), "sort_order", errors);
  store::CaseFilter& f = q.filter;
  for (int i = 0; i < r.statuses_size(); ++i) {
    if (auto s = StatusFromProto(r.statuses(i), Index("statuses", i), errors)) {
      f.statuses.push_back(*s);
    }
  }
  for (int i = 0; i < r.severities_size(); ++i) {
    if (auto s = SeverityFromProto(r.severities(i), Index("severities", i),
                                   errors)) {
      f.severities.push_back(*s);
    }
  }
  f.tags = Strings(r.tags());
  f.reporters = Strings(r.reporters());
  f.assignees = Strings(r.assignees());
  f.categories = Strings(r.categories());
  f.owners = Strings(r.owners());
  if (r.has_from()) f.created_from = TimeFromProto(r.from());
  if (r.has_to()) f.created_to = TimeFromProto(r.to());
  f.search = r.search();
  if (r.search_fields_size() > 0) {
    f.search_title = false;
    f.search_description = false;
    for (int i = 0; i < r.search_fields_size(); ++i) {
      switch (r.search_fields(i)) {
        case v1::CASE_SEARCH_FIELD_TITLE:
          f.search_title = true;
          break;
        case v1::CASE_SEARCH_FIELD_DESCRIPTION:
          f.search_description = true;
          break;
        default:
          errors.Add(Index("search_fields", i),
                     "must be CASE_SEARCH_FIELD_TITLE or "
                     "CASE_SEARCH_FIELD_DESCRIPTION");
          break;
      }
    }
  }
  switch (r.default_search_operator()) {
    case v1::SEARCH_OPERATOR_UNSPECIFIED:
    case v1::SEARCH_OPERATOR_OR:
      f.search_all_words = false;
      break;
    case v1::SEARCH_OPERATOR_AND:
      f.search_all_words = true;
      break;
    default:
      errors.Add("default_search_operator",
                 "must be SEARCH_OPERATOR_OR or SEARCH_OPERATOR_AND");
      break;
  }
  return q;
}

store::UserActionQuery ActivityQueryFromProto(
    const v1::FindCaseActivityRequest& r, ValidationErrors& errors) {
  store::UserActionQuery q;
  q.case_id = r.case_id();
  q.page = r.page();
  q.per_page = r.per_page();
  q.ascending = AscendingFromProto(r.sort_order(), "sort_order", errors);
  for (int i = 0; i < r.types_size(); ++i) {
    const int t = r.types(i);
    switch (t) {
      case v1::CASE_ACTIVITY_FILTER_CREATE_CASE:
        q.types.push_back("create_case");
        break;
      case v1::CASE_ACTIVITY_FILTER_TITLE:
        q.types.push_back("title");
        break;
      case v1::CASE_ACTIVITY_FILTER_DESCRIPTION:
        q.types.push_back("description");
        break;
      case v1::CASE_ACTIVITY_FILTER_TAGS:
        q.types.push_back("tags");
        break;
      case v1::CASE_ACTIVITY_FILTER_STATUS:
        q.types.push_back("status");
        break;
      case v1::CASE_ACTIVITY_FILTER_SEVERITY:
        q.types.push_back("severity");
        break;
      case v1::CASE_ACTIVITY_FILTER_ASSIGNEES:
        q.types.push_back("assignees");
        break;
      case v1::CASE_ACTIVITY_FILTER_CONNECTOR:
        q.types.push_back("connector");
        break;
      case v1::CASE_ACTIVITY_FILTER_SETTINGS:
        q.types.push_back("settings");
        break;
      case v1::CASE_ACTIVITY_FILTER_CATEGORY:
        q.types.push_back("category");
        break;
      case v1::CASE_ACTIVITY_FILTER_CUSTOM_FIELDS:
        q.types.push_back("customFields");
        break;
      case v1::CASE_ACTIVITY_FILTER_COMMENT:
        q.types.push_back("comment");
        break;
      case v1::CASE_ACTIVITY_FILTER_PUSHED:
        q.types.push_back("pushed");
        break;
      case v1::CASE_ACTIVITY_FILTER_DELETE_CASE:
        q.types.push_back("delete_case");
        break;
      case v1::CASE_ACTIVITY_FILTER_ACTION:
        q.pseudo_types.push_back("action");
        break;
      case v1::CASE_ACTIVITY_FILTER_USER:
        q.pseudo_types.push_back("user");
        break;
      case v1::CASE_ACTIVITY_FILTER_ALERT:
        q.pseudo_types.push_back("alert");
        break;
      case v1::CASE_ACTIVITY_FILTER_ATTACHMENT:
        q.pseudo_types.push_back("attachment");
        break;
      default:
        errors.Add(Index("types", i), "is not a CaseActivityFilter value");
        break;
    }
  }
  return q;
}

cases::NewConfiguration NewConfigurationFromProto(
    const v1::SetConfigurationRequest& r, ValidationErrors& errors) {
  cases::NewConfiguration out;
  out.owner = r.owner();
  if (r.has_connector()) out.connector = ConnectorFromProto(r.connector());
  if (r.closure_type() != v1::CLOSURE_TYPE_UNSPECIFIED) {
    if (auto t =
            ClosureTypeFromProto(r.closure_type(), "closure_type", errors)) {
      out.closure_type = *t;
    }
  }
  out.custom_fields =
      DefinitionsFromProto(r.custom_fields(), "custom_fields", errors);
  out.templates = TemplatesFromProto(r.templates(), "templates", errors);
  return out;
}

cases::ConfigurationPatch ConfigurationPatchFromProto(
    const v1::UpdateConfigurationRequest& r, ValidationErrors& errors) {
  cases::ConfigurationPatch out;
  out.id = r.id();
  out.version = DecodeVersion(r.version()).value_or(cases::kUnknownVersion);
  if (r.has_connector()) out.connector = ConnectorFromProto(r.connector());
  if (r.has_closure_type()) {
    out.closure_type =
        ClosureTypeFromProto(r.closure_type(), "closure_type", errors);
  }
  if (r.has_custom_fields()) {
    out.custom_fields = DefinitionsFromProto(r.custom_fields().values(),
                                             "custom_fields", errors);
  }
  if (r.has_templates()) {
    out.templates =
        TemplatesFromProto(r.templates().values(), "templates", errors);
  }
  return out;
}

}  // namespace casebridge::api

#include "server/store/sqlite/sqlite_codec.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace casebridge::store::sqlite {

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<Json> ParseJson(std::string_view text, const char* what) {
  Json j = Json::parse(text.begin(), text.end(), nullptr,
                       /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InternalError(
        absl::StrCat("sqlite store: corrupt JSON in ", what));
  }
  return j;
}

std::string JsonString(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::vector<std::string> JsonStrings(const Json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  out.reserve(it->size());
  for (const Json& e : *it) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

namespace {

bool JsonBool(const Json& j, const char* key, bool fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return fallback;
  return it->get<bool>();
}

int64_t JsonInt(const Json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  return it->get<int64_t>();
}

const Json& Member(const Json& j, const char* key) {
  static const Json* const kNull = new Json(nullptr);
  if (!j.is_object()) return *kNull;
  auto it = j.find(key);
  return it == j.end() ? *kNull : *it;
}

CustomFieldType FieldTypeFromInt(int64_t v) {
  switch (v) {
    case 1:
      return CustomFieldType::kToggle;
    case 2:
      return CustomFieldType::kNumber;
    default:
      return CustomFieldType::kText;
  }
}

}  // namespace

Json UserToJson(const User& u) {
  return Json{{"u", u.username},
              {"n", u.full_name},
              {"e", u.email},
              {"p", u.profile_uid}};
}

User UserFromJson(const Json& j) {
  return User{JsonString(j, "u"), JsonString(j, "n"), JsonString(j, "e"),
              JsonString(j, "p")};
}

Json ConnectorToJson(const CaseConnector& c) {
  return Json{
      {"id", c.id}, {"name", c.name}, {"type", c.type}, {"fields", c.fields}};
}

CaseConnector ConnectorFromJson(const Json& j) {
  CaseConnector c;
  c.id = JsonString(j, "id");
  c.name = JsonString(j, "name");
  c.type = JsonString(j, "type");
  c.fields = Member(j, "fields");
  return c;
}

Json ScalarToJson(const CustomFieldScalar& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* n = std::get_if<int64_t>(&v)) return *n;
  return nullptr;
}

CustomFieldScalar ScalarFromJson(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number_integer()) return j.get<int64_t>();
  return std::monostate{};
}

Json CustomFieldsToJson(const std::vector<CustomFieldValue>& fields) {
  Json out = Json::array();
  for (const CustomFieldValue& f : fields) {
    out.push_back(Json{{"k", f.key},
                       {"t", static_cast<int>(f.type)},
                       {"v", ScalarToJson(f.value)}});
  }
  return out;
}

std::vector<CustomFieldValue> CustomFieldsFromJson(const Json& j) {
  std::vector<CustomFieldValue> out;
  if (!j.is_array()) return out;
  out.reserve(j.size());
  for (const Json& e : j) {
    out.push_back(CustomFieldValue{JsonString(e, "k"),
                                   FieldTypeFromInt(JsonInt(e, "t")),
                                   ScalarFromJson(Member(e, "v"))});
  }
  return out;
}

Json FieldDefinitionsToJson(const std::vector<CustomFieldDefinition>& defs) {
  Json out = Json::array();
  for (const CustomFieldDefinition& d : defs) {
    out.push_back(Json{{"k", d.key},
                       {"l", d.label},
                       {"t", static_cast<int>(d.type)},
                       {"r", d.required},
                       {"d", ScalarToJson(d.default_value)}});
  }
  return out;
}

std::vector<CustomFieldDefinition> FieldDefinitionsFromJson(const Json& j) {
  std::vector<CustomFieldDefinition> out;
  if (!j.is_array()) return out;
  out.reserve(j.size());
  for (const Json& e : j) {
    out.push_back(CustomFieldDefinition{JsonString(e, "k"), JsonString(e, "l"),
                                        FieldTypeFromInt(JsonInt(e, "t")),
                                        JsonBool(e, "r", false),
                                        ScalarFromJson(Member(e, "d"))});
  }
  return out;
}

Json ExternalServiceToJson(const ExternalService& e) {
  return Json{{"connector_id", e.connector_id},
              {"connector_name", e.connector_name},
              {"external_id", e.external_id},
              {"external_title", e.external_title},
              {"external_url", e.external_url},
              {"pushed_at", absl::ToUnixMicros(e.pushed_at)},
              {"pushed_by", UserToJson(e.pushed_by)}};
}

ExternalService ExternalServiceFromJson(const Json& j) {
  ExternalService e;
  e.connector_id = JsonString(j, "connector_id");
  e.connector_name = JsonString(j, "connector_name");
  e.external_id = JsonString(j, "external_id");
  e.external_title = JsonString(j, "external_title");
  e.external_url = JsonString(j, "external_url");
  e.pushed_at = absl::FromUnixMicros(JsonInt(j, "pushed_at"));
  e.pushed_by = UserFromJson(Member(j, "pushed_by"));
  return e;
}

std::string PushJobDoc(const PushJob& j) {
  Json doc = Json::object();
  doc["requested_by"] = UserToJson(j.requested_by);
  if (j.last_error) {
    doc["last_error"] = {{"code", j.last_error->code},
                         {"message", j.last_error->message},
                         {"service_message", j.last_error->service_message},
                         {"retryable", j.last_error->retryable}};
  }
  if (j.external_service) {
    doc["external_service"] = ExternalServiceToJson(*j.external_service);
  }
  return DumpJson(doc);
}

absl::Status ReadPushJobDoc(std::string_view text, PushJob& j) {
  absl::StatusOr<Json> doc = ParseJson(text, "push job");
  if (!doc.ok()) return doc.status();
  if (doc->contains("requested_by")) {
    j.requested_by = UserFromJson(Member(*doc, "requested_by"));
  }
  if (doc->contains("last_error")) {
    const Json& e = Member(*doc, "last_error");
    j.last_error = PushError{JsonString(e, "code"), JsonString(e, "message"),
                             JsonString(e, "service_message"),
                             JsonBool(e, "retryable", false)};
  }
  if (doc->contains("external_service")) {
    j.external_service =
        ExternalServiceFromJson(Member(*doc, "external_service"));
  }
  return absl::OkStatus();
}

std::string PushRecordDoc(const PushRecord& r) {
  Json doc = Json::object();
  doc["external_service"] = ExternalServiceToJson(r.external_service);
  Json pushed = Json::object();
  for (const auto& [id, version] : r.pushed_attachments) pushed[id] = version;
  doc["pushed_attachments"] = std::move(pushed);
  return DumpJson(doc);
}

absl::Status ReadPushRecordDoc(std::string_view text, PushRecord& r) {
  absl::StatusOr<Json> doc = ParseJson(text, "push record");
  if (!doc.ok()) return doc.status();
  r.external_service =
      ExternalServiceFromJson(Member(*doc, "external_service"));
  const Json& pushed = Member(*doc, "pushed_attachments");
  if (pushed.is_object()) {
    for (const auto& [id, version] : pushed.items()) {
      if (version.is_number_integer()) {
        r.pushed_attachments[id] = version.get<int64_t>();
      }
    }
  }
  return absl::OkStatus();
}

int64_t PushJobStateToInt(PushJobState s) { return static_cast<int64_t>(s); }

PushJobState PushJobStateFromInt(int64_t v) {
  switch (v) {
    case 1:
      return PushJobState::kRunning;
    case 2:
      return PushJobState::kRetryWait;
    case 3:
      return PushJobState::kSucceeded;
    case 4:
      return PushJobState::kFailed;
    default:
      return PushJobState::kQueued;
  }
}

}  // namespace casebridge::store::sqlite

// Domain-level inputs of the case operations (CaseManager), free of proto and
// gRPC types. The API layer fills them from requests; validation.h checks and
// normalises them. Plain values; not thread-safe to share while mutating.
#ifndef CASEBRIDGE_SERVER_CASES_REQUESTS_H_
#define CASEBRIDGE_SERVER_CASES_REQUESTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/store/model.h"

namespace casebridge::cases {

// A version token that could not be decoded; compares unequal to every
// stored version, so it is reported as stale.
inline constexpr int64_t kUnknownVersion = -1;

struct NewCase {
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  store::CaseSeverity severity = store::CaseSeverity::kLow;
  std::string owner;
  std::vector<std::string> assignees;  // uids
  std::optional<std::string> category;
  std::vector<store::CustomFieldValue> custom_fields;
  store::CaseConnector connector;
  bool sync_alerts = true;
};

// Changes to one case; nullopt = leave as is.
struct CasePatch {
  std::string id;
  int64_t version = kUnknownVersion;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> tags;
  std::optional<store::CaseStatus> status;
  std::optional<store::CaseSeverity> severity;
  std::optional<std::vector<std::string>> assignees;
  std::optional<std::optional<std::string>> category;  // inner nullopt = null
  std::optional<std::vector<store::CustomFieldValue>> custom_fields;
  std::optional<store::CaseConnector> connector;
  std::optional<bool> sync_alerts;
};

// An attachment's payload: its kind and its content in Kibana's shape
// (see store::Attachment).
struct AttachmentInput {
  store::AttachmentType type = store::AttachmentType::kUser;
  store::Json content = store::Json::object();
};

struct TemplateCaseFields {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::vector<std::string> tags;
  std::optional<store::CaseConnector> connector;
  std::optional<store::CaseSeverity> severity;
  std::vector<std::string> assignees;
  std::optional<std::string> category;
  std::vector<store::CustomFieldValue> custom_fields;
  std::optional<bool> sync_alerts;
};

struct Template {
  std::string key;
  std::string name;
  std::optional<std::string> description;
  std::vector<std::string> tags;
  std::optional<TemplateCaseFields> case_fields;
};

struct NewConfiguration {
  std::string owner;
  store::CaseConnector connector;
  std::string closure_type = "close-by-user";
  std::vector<store::CustomFieldDefinition> custom_fields;
  std::vector<Template> templates;
};

struct ConfigurationPatch {
  std::string id;
  int64_t version = kUnknownVersion;
  std::optional<store::CaseConnector> connector;
  std::optional<std::string> closure_type;
  std::optional<std::vector<store::CustomFieldDefinition>> custom_fields;
  std::optional<std::vector<Template>> templates;
};

}  // namespace casebridge::cases

#endif  // CASEBRIDGE_SERVER_CASES_REQUESTS_H_

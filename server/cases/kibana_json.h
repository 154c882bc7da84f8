// Kibana's string names and JSON shapes for case values: status, severity,
// custom-field and attachment type names, connectors, custom fields and
// templates as Kibana writes them in activity payloads and configurations.
// Pure functions; thread-safe.
#ifndef CASEBRIDGE_SERVER_CASES_KIBANA_JSON_H_
#define CASEBRIDGE_SERVER_CASES_KIBANA_JSON_H_

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/cases/requests.h"
#include "server/store/model.h"

namespace casebridge::cases {

// "open", "in-progress", "closed".
const char* StatusName(store::CaseStatus status);
// "low", "medium", "high", "critical".
const char* SeverityName(store::CaseSeverity severity);
// "text", "toggle", "number".
const char* CustomFieldTypeName(store::CustomFieldType type);
// "user", "alert", "actions", "externalReference", "persistableState".
const char* AttachmentKindName(store::AttachmentType type);
std::optional<store::AttachmentType> ParseAttachmentKind(std::string_view name);

store::Json ConnectorJson(const store::CaseConnector& connector);
store::Json CustomFieldScalarJson(const store::CustomFieldScalar& value);
store::Json CustomFieldsJson(
    const std::vector<store::CustomFieldValue>& values);
store::Json AssigneesJson(const std::vector<std::string>& uids);

// {"comment": {"type", "owner", ...content}} for comment user actions.
store::Json CommentPayload(const store::Attachment& attachment);

// Templates as stored in store::Configuration::templates, and back. Parsing
// fails only on JSON this module did not write.
store::Json TemplatesJson(const std::vector<Template>& templates);
absl::StatusOr<std::vector<Template>> ParseTemplates(const store::Json& json);

// The alert ids of an alert attachment's content (alertId may be a string
// or an array), and its indices likewise.
std::vector<std::string> AlertIds(const store::Json& content);
std::vector<std::string> AlertIndices(const store::Json& content);

}  // namespace casebridge::cases

#endif  // CASEBRIDGE_SERVER_CASES_KIBANA_JSON_H_

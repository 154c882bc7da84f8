// Input rules of the case API (Kibana's limits): length limits checked with
// the minimum on the trimmed and the maximum on the raw string, trimming of
// stored strings, connector field shapes per type, custom fields against an
// owner's configuration, attachments, configuration definitions and
// templates. Every function adds its violations (proto field paths under the
// given prefix) to a ValidationErrors and normalises its input in place.
// Pure functions; thread-safe.
#ifndef CASEBRIDGE_SERVER_CASES_VALIDATION_H_
#define CASEBRIDGE_SERVER_CASES_VALIDATION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/cases/requests.h"
#include "server/store/model.h"
#include "server/util/status.h"

namespace casebridge::cases {

inline constexpr size_t kMaxTitleLength = 160;
inline constexpr size_t kMaxDescriptionLength = 30000;
inline constexpr size_t kMaxCommentLength = 30000;
inline constexpr size_t kMaxTagsPerCase = 200;
inline constexpr size_t kMaxTagLength = 256;
inline constexpr size_t kMaxCategoryLength = 50;
inline constexpr size_t kMaxAssignees = 10;
inline constexpr size_t kMaxCustomFields = 10;
inline constexpr size_t kMaxOwnerLength = 100;
inline constexpr size_t kMaxCasesPerUpdate = 100;
inline constexpr size_t kMaxCasesPerDelete = 100;
inline constexpr int kMaxPerPage = 100;
inline constexpr int kMaxDocs = 10000;
inline constexpr size_t kMaxFilterValues = 100;
inline constexpr size_t kMaxAlertsPerCase = 1000;
inline constexpr size_t kMaxReferenceAttachments = 100;
inline constexpr int64_t kMaxUserActionsPerCase = 10000;
inline constexpr size_t kMaxCustomFieldKeyLength = 36;
inline constexpr size_t kMaxCustomFieldLabelLength = 50;
inline constexpr size_t kMaxCustomFieldTextLength = 160;
inline constexpr int64_t kMaxSafeInteger = 9007199254740991;  // 2^53 - 1
inline constexpr size_t kMaxTemplates = 10;
inline constexpr size_t kMaxTemplateKeyLength = 36;
inline constexpr size_t kMaxTemplateNameLength = 50;
inline constexpr size_t kMaxTemplateDescriptionLength = 1000;
inline constexpr size_t kMaxTemplateTags = 10;
inline constexpr size_t kMaxTemplateTagLength = 50;

// Number of Unicode code points in UTF-8 `s`.
size_t CharLength(std::string_view s);

// Checks raw length <= max and trimmed length >= min, then (when `trim`)
// replaces `value` by its trimmed form.
void CheckString(std::string& value, const std::string& path, size_t min,
                 size_t max, ValidationErrors& errors, bool trim = true);

// Owner: 1..100 characters of [A-Za-z0-9_.-].
void CheckOwner(const std::string& owner, const std::string& path,
                ValidationErrors& errors);

// Tags: at most `max_count`, each 1..max_length; trimmed.
void CheckTags(std::vector<std::string>& tags, const std::string& path,
               size_t max_count, size_t max_length, ValidationErrors& errors);

// Assignee uids: non-empty, deduplicated (first kept), at most 10.
void CheckAssignees(std::vector<std::string>& uids, const std::string& path,
                    ValidationErrors& errors);

// Category 1..50 or null; trimmed.
void CheckCategory(std::optional<std::string>& category,
                   const std::string& path, ValidationErrors& errors);

// Type one of the case connector types, fields shaped for the type (missing
// keys become null), .none with id "none"; .none and .cases-webhook store
// null fields.
void CheckConnector(store::CaseConnector& connector, const std::string& path,
                    ValidationErrors& errors);

// Each value's shape on its own: key non-empty, value matching the type,
// text 1..160, numbers safe integers; at most 10 values.
void CheckCustomFieldValues(std::vector<store::CustomFieldValue>& values,
                            const std::string& path, ValidationErrors& errors);

// Custom-field values against the owner's definitions (none configured when
// `definitions` is empty): unknown key, wrong type, duplicate key, required
// set to null, required without default missing. Missing configured fields
// are appended with their default value or null.
void ApplyCustomFieldDefinitions(
    std::vector<store::CustomFieldValue>& values,
    const std::vector<store::CustomFieldDefinition>& definitions,
    const std::string& path, ValidationErrors& errors);

void CheckNewCase(NewCase& c, ValidationErrors& errors);
// Field rules of a patch (not the ones that need the stored case).
void CheckCasePatch(CasePatch& p, const std::string& prefix,
                    ValidationErrors& errors);

// An attachment's content; `path` names the AttachmentContent field
// ("attachment").
void CheckAttachment(AttachmentInput& a, const std::string& path,
                     ValidationErrors& errors);

// Definitions: key 1..36 [a-z0-9_-], label 1..50, unique keys, at most 10,
// defaults matching the type; when `existing` is given, a key may not change
// its type.
void CheckCustomFieldDefinitions(
    std::vector<store::CustomFieldDefinition>& definitions,
    const std::vector<store::CustomFieldDefinition>* existing,
    const std::string& path, ValidationErrors& errors);

// Templates against the configuration's definitions.
void CheckTemplates(
    std::vector<Template>& templates,
    const std::vector<store::CustomFieldDefinition>& definitions,
    const std::string& path, ValidationErrors& errors);

// closure_type is "close-by-user" or "close-by-pushing".
void CheckClosureType(const std::string& closure_type, const std::string& path,
                      ValidationErrors& errors);

// page >= 0 (0 = 1), 0 <= per_page <= max_per_page (0 = 20), and
// page * per_page <= 10000. Fills the defaults.
void CheckPaging(int& page, int& per_page, ValidationErrors& errors);

}  // namespace casebridge::cases

#endif  // CASEBRIDGE_SERVER_CASES_VALIDATION_H_

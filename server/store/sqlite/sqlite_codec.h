// JSON encodings of the record parts the SQLite store keeps in text columns.
// Decoders never throw: a wrong or missing member decodes as its default.
// Thread-compatible free functions.
#ifndef CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_CODEC_H_
#define CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/model.h"

namespace casebridge::store::sqlite {

// Compact JSON text; invalid UTF-8 is replaced rather than thrown on.
std::string DumpJson(const Json& j);
// InvalidArgument-free parse: Internal status naming `what` on corrupt text.
absl::StatusOr<Json> ParseJson(std::string_view text, const char* what);

Json UserToJson(const User& u);
User UserFromJson(const Json& j);
Json ConnectorToJson(const CaseConnector& c);
CaseConnector ConnectorFromJson(const Json& j);
Json ScalarToJson(const CustomFieldScalar& v);
CustomFieldScalar ScalarFromJson(const Json& j);
Json CustomFieldsToJson(const std::vector<CustomFieldValue>& fields);
std::vector<CustomFieldValue> CustomFieldsFromJson(const Json& j);
Json FieldDefinitionsToJson(const std::vector<CustomFieldDefinition>& defs);
std::vector<CustomFieldDefinition> FieldDefinitionsFromJson(const Json& j);
Json ExternalServiceToJson(const ExternalService& e);
ExternalService ExternalServiceFromJson(const Json& j);

// The parts of a push job no query filters on (requester, last error,
// external service), and a whole push record minus its key columns.
std::string PushJobDoc(const PushJob& j);
// Fills those parts of `j` from PushJobDoc text; Internal on corrupt text.
absl::Status ReadPushJobDoc(std::string_view text, PushJob& j);
std::string PushRecordDoc(const PushRecord& r);
absl::Status ReadPushRecordDoc(std::string_view text, PushRecord& r);
// PushJobState as stored (0 queued .. 4 failed); unknown values read as
// queued.
int64_t PushJobStateToInt(PushJobState s);
PushJobState PushJobStateFromInt(int64_t v);

// Member accessors that tolerate absence and wrong types.
std::string JsonString(const Json& j, const char* key);
std::vector<std::string> JsonStrings(const Json& j, const char* key);

}  // namespace casebridge::store::sqlite

#endif  // CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_CODEC_H_

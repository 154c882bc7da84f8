// The incident a push sends: pushToService params built from a case, its
// attachments, what was last pushed to the same connector and the connector
// type's field mappings, following Kibana (reference §1, §3.15, §9).
//
// Pure functions; thread-safe.
#ifndef CASEBRIDGE_SERVER_CASES_PUSH_BUILDER_H_
#define CASEBRIDGE_SERVER_CASES_PUSH_BUILDER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "server/cases/default_mappings.h"
#include "server/store/model.h"

namespace casebridge::cases {

struct PushBuildInput {
  const store::Case* c = nullptr;
  const std::vector<store::Attachment>* attachments = nullptr;  // all
  // The last successful push of this case to this connector, if any.
  const store::PushRecord* record = nullptr;
  std::string connector_type;  // e.g. ".jira"
  // The record to update (from `record` or a no-duplicate lookup); empty =
  // create.
  std::string external_id;
  // The incident as the external system has it now (getIncident), used by
  // `append` mappings of title/description/tags on an update. May be null.
  store::Json current_incident = nullptr;
  std::vector<FieldMapping> mappings;  // DefaultMappings(type) when empty
};

struct BuiltPush {
  store::Json params;  // {"incident": {...}, "comments": [...] or null}
  // Attachment id -> AttachmentStamp for every attachment this push covers
  // (the comments sent and the alerts summarised); merged into the push
  // record on success.
  std::map<std::string, int64_t> covered;
  std::vector<std::string> comment_ids_sent;  // user/actions comments sent
  int alerts_summarised = 0;                  // alert attachments new to it
};

// When a user last changed the attachment (updated_at, else created_at), in
// Unix microseconds; what push records keep per attachment. Unlike the
// version it does not move when a push marks the attachment pushed.
int64_t AttachmentStamp(const store::Attachment& a);

BuiltPush BuildPushParams(const PushBuildInput& input);

// True when an update needs the current incident first (an `append`
// mapping of title, description or tags).
bool NeedsCurrentIncident(const std::vector<FieldMapping>& mappings);

// "<full name>" or "<username>" or "Unknown".
std::string DisplayName(const store::User& user);

// The sub-action that finds a record carrying the case id ("" when the type
// has none) and its params.
std::string LookupSubAction(std::string_view connector_type);
store::Json LookupParams(std::string_view connector_type, const store::Case& c);

}  // namespace casebridge::cases

#endif  // CASEBRIDGE_SERVER_CASES_PUSH_BUILDER_H_

// The records casebridge stores: cases, attachments, activity, per-owner
// configurations, connectors and cached tokens.
//
// Plain values with no behaviour; the case and connector components own the
// rules, the Store owns persistence. Free-form parts (connector fields,
// attachment payloads, activity payloads, templates) are JSON in Kibana's
// shapes so that activity payloads can embed them unchanged.
#ifndef CASEBRIDGE_SERVER_STORE_MODEL_H_
#define CASEBRIDGE_SERVER_STORE_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace casebridge::store {

using Json = nlohmann::json;

struct User {
  std::string username;
  std::string full_name;
  std::string email;
  std::string profile_uid;

  friend bool operator==(const User& a, const User& b) {
    return a.username == b.username && a.full_name == b.full_name && a.email == b.email &&
           a.profile_uid == b.profile_uid;
  }
};

// Numeric values give the sort order Kibana uses.
enum class CaseStatus { kOpen = 0, kInProgress = 10, kClosed = 20 };
enum class CaseSeverity { kLow = 0, kMedium = 10, kHigh = 20, kCritical = 30 };
enum class CustomFieldType { kText, kToggle, kNumber };

// A custom-field value: none (null), text, toggle or number.
using CustomFieldScalar = std::variant<std::monostate, std::string, bool, int64_t>;

struct CustomFieldValue {
  std::string key;
  CustomFieldType type = CustomFieldType::kText;
  CustomFieldScalar value;

  friend bool operator==(const CustomFieldValue& a, const CustomFieldValue& b) {
    return a.key == b.key && a.type == b.type && a.value == b.value;
  }
};

// The connector a case or configuration points at; "none" when unset.
struct CaseConnector {
  std::string id = "none";
  std::string name = "none";
  std::string type = ".none";
  Json fields = nullptr;  // object or null

  friend bool operator==(const CaseConnector& a, const CaseConnector& b) {
    return a.id == b.id && a.name == b.name && a.type == b.type && a.fields == b.fields;
  }
};

struct ExternalService {
  std::string connector_id;
  std::string connector_name;
  std::string external_id;
  std::string external_title;
  std::string external_url;
  absl::Time pushed_at;
  User pushed_by;
};

struct Case {
  std::string id;
  int64_t version = 0;  // bumped by every successful write
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  CaseStatus status = CaseStatus::kOpen;
  CaseSeverity severity = CaseSeverity::kLow;
  std::string owner;
  std::vector<std::string> assignees;  // user profile uids
  std::optional<std::string> category;
  std::vector<CustomFieldValue> custom_fields;
  CaseConnector connector;
  bool sync_alerts = true;
  std::optional<int64_t> duration_seconds;
  absl::Time created_at;
  User created_by;
  std::optional<absl::Time> updated_at;
  std::optional<User> updated_by;
  std::optional<absl::Time> closed_at;
  std::optional<User> closed_by;
  std::optional<ExternalService> external_service;
  // Maintained by the store from the case's attachments; ignored on write.
  int32_t total_comment = 0;
  int32_t total_alerts = 0;
};

enum class AttachmentType { kUser, kAlert, kActions, kExternalReference, kPersistableState };

// Kibana's type string for an attachment type: "user", "alert", "actions",
// "externalReference", "persistableState".
const char* AttachmentTypeName(AttachmentType type);

// An attachment ("comment"). `content` holds the type's payload in Kibana's
// request shape, without "type" and "owner":
//   user:              {"comment": "..."}
//   alert:             {"alertId": [...], "index": [...], "rule": {"id": .., "name": ..}}
//   actions:           {"comment": "...", "actions": {"targets": [{"hostname", "endpointId"}], "type": "..."}}
//   externalReference: {"externalReferenceAttachmentTypeId", "externalReferenceId",
//                       "externalReferenceStorage": {"type", "soType"?}, "externalReferenceMetadata"}
//   persistableState:  {"persistableStateAttachmentTypeId", "persistableStateAttachmentState"}
// For alert attachments the store indexes every (alertId[i], index[i]) pair.
struct Attachment {
  std::string id;
  int64_t version = 0;
  std::string case_id;
  std::string owner;
  AttachmentType type = AttachmentType::kUser;
  Json content = Json::object();
  absl::Time created_at;
  User created_by;
  std::optional<absl::Time> updated_at;
  std::optional<User> updated_by;
  std::optional<absl::Time> pushed_at;
  std::optional<User> pushed_by;
};

// One alert attached to a case (GetCaseAlerts).
struct CaseAlert {
  std::string alert_id;
  std::string index;
  std::string attachment_id;
  absl::Time attached_at;
};

// An activity entry. `type` and `action` use Kibana's strings: types
// create_case, title, description, tags, status, severity, assignees,
// connector, settings, category, customFields, comment, pushed, delete_case;
// actions add, create, delete, update, push_to_service.
struct UserAction {
  std::string id;
  std::string case_id;
  std::optional<std::string> comment_id;
  std::string type;
  std::string action;
  Json payload = Json::object();
  absl::Time created_at;
  User created_by;
  std::string owner;
};

struct CustomFieldDefinition {
  std::string key;
  std::string label;
  CustomFieldType type = CustomFieldType::kText;
  bool required = false;
  CustomFieldScalar default_value;  // monostate = no default
};

// The case settings of one owner.
struct Configuration {
  std::string id;
  int64_t version = 0;
  std::string owner;
  CaseConnector connector;
  std::string closure_type = "close-by-user";  // or "close-by-pushing"
  std::vector<CustomFieldDefinition> custom_fields;
  Json templates = Json::array();  // validated Kibana-shaped template objects
  absl::Time created_at;
  User created_by;
  std::optional<absl::Time> updated_at;
  std::optional<User> updated_by;
};

// A connector created through the API. Secrets are stored sealed only.
struct Connector {
  std::string id;
  std::string connector_type_id;
  std::string name;
  Json config = Json::object();
  std::string sealed_secrets;  // AES-256-GCM envelope; empty = none
  bool is_missing_secrets = false;
  absl::Time created_at;
  absl::Time updated_at;
};

// One entry of the case change feed (WatchCases). Written in the same
// transaction as the change it describes.
enum class CaseEventType { kCreated = 1, kUpdated = 2, kCommented = 3, kPushed = 4, kDeleted = 5 };

struct CaseEvent {
  int64_t seq = 0;  // assigned by the store; increases with every event
  CaseEventType type = CaseEventType::kUpdated;
  std::string case_id;
  std::string owner;
  int64_t case_version = 0;  // the case's version after the change (0 once deleted)
  absl::Time time;
};

// A token a plugin cached for a connector (e.g. an OAuth access token),
// sealed like secrets.
struct CachedToken {
  std::string connector_id;
  std::string key;
  std::string sealed_token;
  absl::Time expires_at;
};

// An API key created through ApiKeyService. Only the key's hash is stored.
struct ApiKey {
  std::string id;
  std::string name;
  std::string key_hash;  // hex SHA-256 of the key
  User user;             // the principal the key acts as
  std::vector<std::string> roles;
  absl::Time created_at;
  std::string created_by;  // username of the creator
  std::optional<absl::Time> revoked_at;
};

// --- Push jobs (server/jobs/ runs them; server/cases/ builds and applies
// them).

enum class PushJobState { kQueued, kRunning, kRetryWait, kSucceeded, kFailed };

// Why an attempt failed.
struct PushError {
  std::string code;  // canonical status name, e.g. "UNAVAILABLE"
  std::string message;
  std::string service_message;
  bool retryable = false;
};

// One push of a case to a connector. A RUNNING job belongs to `lease_owner`
// until `lease_expires_at`; after that any worker may claim it again.
struct PushJob {
  std::string id;
  std::string case_id;
  std::string connector_id;
  std::string connector_type_id;
  PushJobState state = PushJobState::kQueued;
  int32_t attempts = 0;  // attempts started (incremented by a claim)
  int32_t max_attempts = 1;
  absl::Time created_at;
  absl::Time updated_at;
  std::optional<absl::Time> next_attempt_at;  // RETRY_WAIT only
  std::optional<absl::Time> finished_at;      // SUCCEEDED / FAILED only
  User requested_by;
  std::optional<PushError> last_error;
  std::optional<ExternalService> external_service;  // SUCCEEDED only
  std::string lease_owner;                 // RUNNING only
  std::optional<absl::Time> lease_expires_at;  // RUNNING only
};

// What a case last pushed to one connector: the external record and which
// attachment versions it carries, so the next push sends only what changed.
struct PushRecord {
  std::string case_id;
  std::string connector_id;
  ExternalService external_service;
  // attachment id -> when a user last changed it (updated_at, else
  // created_at, Unix microseconds) as of the push that sent it (user
  // comments and alert attachments alike).
  std::map<std::string, int64_t> pushed_attachments;
};

}  // namespace casebridge::store

#endif  // CASEBRIDGE_SERVER_STORE_MODEL_H_

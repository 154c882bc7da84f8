#include "server/store/sqlite/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/metrics/metrics.h"
#include "server/store/sqlite/case_doc.h"
#include "server/store/sqlite/sqlite_codec.h"
#include "server/store/sqlite/sqlite_conn.h"
#include "server/store/sqlite/sqlite_schema.h"
#include "server/store/sqlite/wal_checkpointer.h"

namespace casebridge::store {
namespace {

using sqlite::Conn;
using sqlite::DumpJson;
using sqlite::ParseJson;
using sqlite::Stmt;

// ---------------------------------------------------------------------------
// Row codecs.

#define CASEBRIDGE_CASE_COLUMNS                                              \
  "c.id, c.version, c.owner, c.status, c.severity, c.title, c.description, " \
  "c.category, c.created_at, c.updated_at, c.closed_at, c.total_comment, "   \
  "c.total_alerts, c.doc"
constexpr const char* kCaseColumns = CASEBRIDGE_CASE_COLUMNS;
// The hottest read, built at compile time.
constexpr const char* kGetCaseSql =
    "SELECT " CASEBRIDGE_CASE_COLUMNS " FROM cases c WHERE c.id = ?";

CaseStatus StatusFromInt(int64_t v) {
  switch (v) {
    case 10:
      return CaseStatus::kInProgress;
    case 20:
      return CaseStatus::kClosed;
    default:
      return CaseStatus::kOpen;
  }
}

CaseSeverity SeverityFromInt(int64_t v) {
  switch (v) {
    case 10:
      return CaseSeverity::kMedium;
    case 20:
      return CaseSeverity::kHigh;
    case 30:
      return CaseSeverity::kCritical;
    default:
      return CaseSeverity::kLow;
  }
}

AttachmentType AttachmentTypeFromInt(int64_t v) {
  switch (v) {
    case 1:
      return AttachmentType::kAlert;
    case 2:
      return AttachmentType::kActions;
    case 3:
      return AttachmentType::kExternalReference;
    case 4:
      return AttachmentType::kPersistableState;
    default:
      return AttachmentType::kUser;
  }
}

// Decodes a row selected with kCaseColumns starting at column 0.
absl::StatusOr<Case> ReadCase(const Stmt& s) {
  Case c;
  c.id = s.Str(0);
  c.version = s.Int(1);
  c.owner = s.Str(2);
  c.status = StatusFromInt(s.Int(3));
  c.severity = SeverityFromInt(s.Int(4));
  c.title = s.Str(5);
  c.description = s.Str(6);
  if (!s.IsNull(7)) c.category = s.Str(7);
  c.created_at = s.Time(8);
  c.updated_at = s.OptTime(9);
  c.closed_at = s.OptTime(10);
  c.total_comment = static_cast<int32_t>(s.Int(11));
  c.total_alerts = static_cast<int32_t>(s.Int(12));
  if (s.IsBlob(13)) {
    SQ_RETURN_IF_ERROR(sqlite::DecodeCaseDoc(s.BlobView(13), &c));
    return c;
  }
  SQ_ASSIGN_OR_RETURN(Json doc, ParseJson(s.Text(13), "case"));
  c.tags = sqlite::JsonStrings(doc, "tags");
  c.assignees = sqlite::JsonStrings(doc, "assignees");
  if (auto it = doc.find("custom_fields"); it != doc.end()) {
    c.custom_fields = sqlite::CustomFieldsFromJson(*it);
  }
  if (auto it = doc.find("connector"); it != doc.end())
    c.connector = sqlite::ConnectorFromJson(*it);
  if (auto it = doc.find("sync_alerts"); it != doc.end() && it->is_boolean()) {
    c.sync_alerts = it->get<bool>();
  }
  if (auto it = doc.find("duration");
      it != doc.end() && it->is_number_integer()) {
    c.duration_seconds = it->get<int64_t>();
  }
  if (auto it = doc.find("created_by"); it != doc.end())
    c.created_by = sqlite::UserFromJson(*it);
  if (auto it = doc.find("updated_by"); it != doc.end())
    c.updated_by = sqlite::UserFromJson(*it);
  if (auto it = doc.find("closed_by"); it != doc.end())
    c.closed_by = sqlite::UserFromJson(*it);
  if (auto it = doc.find("external_service"); it != doc.end()) {
    c.external_service = sqlite::ExternalServiceFromJson(*it);
  }
  return c;
}

absl::StatusOr<std::vector<Case>> ReadCases(Stmt& s) {
  std::vector<Case> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    SQ_ASSIGN_OR_RETURN(Case c, ReadCase(s));
    out.push_back(std::move(c));
  }
}

}  // namespace

namespace sqlite {

absl::Status RewriteJsonCaseDocs(Conn& conn) {
  // In chunks by rid, so memory stays flat however many cases there are.
  int64_t after = -1;
  while (true) {
    std::vector<std::pair<int64_t, std::string>> docs;
    {
      SQ_ASSIGN_OR_RETURN(
          Stmt s, conn.Prepare(absl::StrCat("SELECT ", kCaseColumns,
                                            ", c.rid FROM cases c WHERE c.rid "
                                            "> ? AND typeof(c.doc) = 'text' "
                                            "ORDER BY c.rid LIMIT 1000"),
                               "read JSON case documents"));
      s.BindInt(after);
      while (true) {
        SQ_ASSIGN_OR_RETURN(bool row, s.Next());
        if (!row) break;
        SQ_ASSIGN_OR_RETURN(Case c, ReadCase(s));
        docs.emplace_back(s.Int(14), EncodeCaseDoc(c));
      }
    }
    if (docs.empty()) return absl::OkStatus();
    for (const auto& [rid, doc] : docs) {
      SQ_ASSIGN_OR_RETURN(
          Stmt u, conn.Prepare("UPDATE cases SET doc = ? WHERE rid = ?",
                               "rewrite case document"));
      SQ_RETURN_IF_ERROR(u.BindBlob(doc).BindInt(rid).Run());
    }
    after = docs.back().first;
  }
}

}  // namespace sqlite

namespace {

constexpr const char* kAttachmentColumns =
    "id, version, case_id, owner, type, content, created_at, updated_at, "
    "pushed_at, users";

std::string AttachmentUsers(const Attachment& a) {
  Json users = Json::object();
  users["created_by"] = sqlite::UserToJson(a.created_by);
  if (a.updated_by) users["updated_by"] = sqlite::UserToJson(*a.updated_by);
  if (a.pushed_by) users["pushed_by"] = sqlite::UserToJson(*a.pushed_by);
  return DumpJson(users);
}

absl::StatusOr<Attachment> ReadAttachment(const Stmt& s) {
  Attachment a;
  a.id = s.Str(0);
  a.version = s.Int(1);
  a.case_id = s.Str(2);
  a.owner = s.Str(3);
  a.type = AttachmentTypeFromInt(s.Int(4));
  SQ_ASSIGN_OR_RETURN(a.content, ParseJson(s.Text(5), "attachment content"));
  a.created_at = s.Time(6);
  a.updated_at = s.OptTime(7);
  a.pushed_at = s.OptTime(8);
  SQ_ASSIGN_OR_RETURN(Json users, ParseJson(s.Text(9), "attachment users"));
  if (auto it = users.find("created_by"); it != users.end())
    a.created_by = sqlite::UserFromJson(*it);
  if (auto it = users.find("updated_by"); it != users.end())
    a.updated_by = sqlite::UserFromJson(*it);
  if (auto it = users.find("pushed_by"); it != users.end())
    a.pushed_by = sqlite::UserFromJson(*it);
  return a;
}

// (alertId[i], index[i]) pairs of an alert attachment's content; a single
// string stands for a one-element list, and a single index pairs with every
// alert id.
std::vector<std::pair<std::string, std::string>> AlertPairs(
    const Json& content) {
  auto as_list = [&](const char* key) {
    std::vector<std::string> out;
    if (!content.is_object()) return out;
    auto it = content.find(key);
    if (it == content.end()) return out;
    if (it->is_string()) {
      out.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const Json& e : *it) {
        if (e.is_string()) out.push_back(e.get<std::string>());
      }
    }
    return out;
  };
  std::vector<std::string> ids = as_list("alertId");
  std::vector<std::string> indices = as_list("index");
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string index;
    if (i < indices.size()) {
      index = indices[i];
    } else if (indices.size() == 1) {
      index = indices[0];
    }
    out.emplace_back(ids[i], std::move(index));
  }
  return out;
}

constexpr const char* kUserActionColumns =
    "id, case_id, comment_id, type, action, payload, created_at, created_by, "
    "owner";

absl::StatusOr<UserAction> ReadUserAction(const Stmt& s) {
  UserAction u;
  u.id = s.Str(0);
  u.case_id = s.Str(1);
  if (!s.IsNull(2)) u.comment_id = s.Str(2);
  u.type = s.Str(3);
  u.action = s.Str(4);
  SQ_ASSIGN_OR_RETURN(u.payload, ParseJson(s.Text(5), "user action payload"));
  u.created_at = s.Time(6);
  SQ_ASSIGN_OR_RETURN(Json by, ParseJson(s.Text(7), "user action user"));
  u.created_by = sqlite::UserFromJson(by);
  u.owner = s.Str(8);
  return u;
}

constexpr const char* kConfigurationColumns =
    "id, version, owner, created_at, updated_at, doc";

std::string ConfigurationDoc(const Configuration& c) {
  Json doc = Json::object();
  doc["connector"] = sqlite::ConnectorToJson(c.connector);
  doc["closure_type"] = c.closure_type;
  doc["custom_fields"] = sqlite::FieldDefinitionsToJson(c.custom_fields);
  doc["templates"] = c.templates;
  doc["created_by"] = sqlite::UserToJson(c.created_by);
  if (c.updated_by) doc["updated_by"] = sqlite::UserToJson(*c.updated_by);
  return DumpJson(doc);
}

absl::StatusOr<Configuration> ReadConfiguration(const Stmt& s) {
  Configuration c;
  c.id = s.Str(0);
  c.version = s.Int(1);
  c.owner = s.Str(2);
  c.created_at = s.Time(3);
  c.updated_at = s.OptTime(4);
  SQ_ASSIGN_OR_RETURN(Json doc, ParseJson(s.Text(5), "configuration"));
  if (auto it = doc.find("connector"); it != doc.end())
    c.connector = sqlite::ConnectorFromJson(*it);
  c.closure_type = sqlite::JsonString(doc, "closure_type");
  if (auto it = doc.find("custom_fields"); it != doc.end()) {
    c.custom_fields = sqlite::FieldDefinitionsFromJson(*it);
  }
  if (auto it = doc.find("templates"); it != doc.end()) c.templates = *it;
  if (auto it = doc.find("created_by"); it != doc.end())
    c.created_by = sqlite::UserFromJson(*it);
  if (auto it = doc.find("updated_by"); it != doc.end())
    c.updated_by = sqlite::UserFromJson(*it);
  return c;
}

constexpr const char* kConnectorColumns =
    "id, connector_type_id, name, config, sealed_secrets, is_missing_secrets, "
    "created_at, "
    "updated_at";

absl::StatusOr<Connector> ReadConnector(const Stmt& s) {
  Connector c;
  c.id = s.Str(0);
  c.connector_type_id = s.Str(1);
  c.name = s.Str(2);
  SQ_ASSIGN_OR_RETURN(c.config, ParseJson(s.Text(3), "connector config"));
  c.sealed_secrets = s.Blob(4);
  c.is_missing_secrets = s.Int(5) != 0;
  c.created_at = s.Time(6);
  c.updated_at = s.Time(7);
  return c;
}

// ---------------------------------------------------------------------------
// Dynamic SQL for case filters.

using Arg = std::variant<int64_t, std::string>;

struct SqlBuilder {
  std::string sql;
  std::vector<Arg> args;

  void In(std::string_view column, const std::vector<std::string>& values) {
    absl::StrAppend(&sql, sqlite::AbslView(column), " IN (");
    for (size_t i = 0; i < values.size(); ++i) {
      sql += i == 0 ? "?" : ",?";
      args.emplace_back(values[i]);
    }
    sql += ")";
  }
  void InInts(std::string_view column, const std::vector<int64_t>& values) {
    absl::StrAppend(&sql, sqlite::AbslView(column), " IN (");
    for (size_t i = 0; i < values.size(); ++i) {
      sql += i == 0 ? "?" : ",?";
      args.emplace_back(values[i]);
    }
    sql += ")";
  }
  void Bind(Stmt& s) const {
    for (const Arg& a : args) {
      if (const auto* i = std::get_if<int64_t>(&a)) {
        s.BindInt(*i);
      } else {
        s.BindText(std::get<std::string>(a));
      }
    }
  }
};

// An FTS5 query for `search`, or "" when it has no words. Words are runs of
// letters and digits (bytes >= 0x80 count as letters, matching the unicode61
// tokenizer closely enough); each becomes a quoted prefix term, so nothing a
// user types is read as FTS syntax.
std::string FtsQuery(const CaseFilter& f) {
  std::vector<std::string> words;
  std::string word;
  for (char ch : f.search) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') ||
        (u >= 'A' && u <= 'Z')) {
      word += ch;
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  if (words.empty()) return "";
  std::string expr;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) expr += f.search_all_words ? " AND " : " OR ";
    absl::StrAppend(&expr, "\"", words[i], "\"*");
  }
  if (f.search_title && f.search_description) return expr;
  return absl::StrCat(f.search_title ? "{title}" : "{description}", " : (",
                      expr, ")");
}

enum class TagMode { kCorrelated, kSubquery };

// Appends " WHERE ..." (or nothing) for the filter over cases aliased `c`.
// Returns false when the filter can match nothing.
bool AppendWhere(const CaseFilter& f, bool with_statuses, TagMode tag_mode,
                 SqlBuilder* b) {
  bool first = true;
  auto add = [&](auto&& fn) {
    b->sql += first ? " WHERE " : " AND ";
    first = false;
    fn();
  };
  if (!f.owners.empty()) add([&] { b->In("c.owner", f.owners); });
  if (with_statuses && !f.statuses.empty()) {
    std::vector<int64_t> v;
    for (CaseStatus s : f.statuses) v.push_back(static_cast<int64_t>(s));
    add([&] { b->InInts("c.status", v); });
  }
  if (!f.severities.empty()) {
    std::vector<int64_t> v;
    for (CaseSeverity s : f.severities) v.push_back(static_cast<int64_t>(s));
    add([&] { b->InInts("c.severity", v); });
  }
  if (!f.categories.empty()) add([&] { b->In("c.category", f.categories); });
  if (!f.tags.empty()) {
    add([&] {
      if (tag_mode == TagMode::kCorrelated) {
        b->sql +=
            "EXISTS (SELECT 1 FROM case_tags t WHERE t.case_rid = c.rid AND ";
        b->In("t.tag", f.tags);
        b->sql += ")";
      } else {
        b->sql += "c.rid IN (SELECT t.case_rid FROM case_tags t WHERE ";
        b->In("t.tag", f.tags);
        b->sql += ")";
      }
    });
  }
  if (!f.reporters.empty()) {
    add([&] {
      b->sql += "(";
      b->In("c.created_by_username", f.reporters);
      b->sql += " OR ";
      b->In("c.created_by_profile_uid", f.reporters);
      b->sql += ")";
    });
  }
  if (!f.assignees.empty()) {
    bool none = false;
    std::vector<std::string> uids;
    for (const std::string& a : f.assignees) {
      if (a == "none") {
        none = true;
      } else {
        uids.push_back(a);
      }
    }
    add([&] {
      b->sql += "(";
      if (none) b->sql += "c.assignee_count = 0";
      if (!uids.empty()) {
        if (none) b->sql += " OR ";
        b->sql +=
            "EXISTS (SELECT 1 FROM case_assignees a WHERE a.case_rid = c.rid "
            "AND ";
        b->In("a.uid", uids);
        b->sql += ")";
      }
      b->sql += ")";
    });
  }
  if (f.created_from) {
    add([&] {
      b->sql += "c.created_at >= ?";
      b->args.emplace_back(absl::ToUnixMicros(*f.created_from));
    });
  }
  if (f.created_to) {
    add([&] {
      b->sql += "c.created_at <= ?";
      b->args.emplace_back(absl::ToUnixMicros(*f.created_to));
    });
  }
  if (!f.search.empty()) {
    if (!f.search_title && !f.search_description) return false;
    std::string fts = FtsQuery(f);
    if (!fts.empty()) {
      add([&] {
        b->sql +=
            "c.rid IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?)";
        b->args.emplace_back(std::move(fts));
      });
    }
  }
  return true;
}

const char* SortColumn(CaseSortField f) {
  switch (f) {
    case CaseSortField::kCreatedAt:
      return "c.created_at";
    case CaseSortField::kUpdatedAt:
      return "c.updated_at";
    case CaseSortField::kClosedAt:
      return "c.closed_at";
    case CaseSortField::kTitle:
      return "c.title";
    case CaseSortField::kCategory:
      return "c.category";
    case CaseSortField::kStatus:
      return "c.status";
    case CaseSortField::kSeverity:
      return "c.severity";
  }
  return "c.created_at";
}

bool SortColumnNullable(CaseSortField f) {
  return f == CaseSortField::kUpdatedAt || f == CaseSortField::kClosedAt ||
         f == CaseSortField::kCategory;
}

void OwnersClause(absl::Span<const std::string> owners, const char* column,
                  const char* lead, SqlBuilder* b) {
  if (owners.empty()) return;
  b->sql += lead;
  b->In(column, std::vector<std::string>(owners.begin(), owners.end()));
}

// ---------------------------------------------------------------------------

class SqliteStore;

class SqliteTransaction : public Transaction {
 public:
  // A read transaction owns `reader`; a write transaction (reader == null)
  // owns the store's writer connection `conn` until it finishes.
  // A batch member (see SqliteStore::ApplyWriteBatch) runs inside a
  // savepoint its batch opened and finishes; it cannot Commit().
  SqliteTransaction(SqliteStore* store, Conn* conn,
                    std::unique_ptr<Conn> reader, bool batch_member = false)
      : store_(store),
        conn_(conn),
        reader_(std::move(reader)),
        batch_member_(batch_member) {}
  ~SqliteTransaction() override;

  absl::Status Commit() override;

  absl::StatusOr<Case> GetCase(std::string_view id) override;
  absl::StatusOr<std::vector<Case>> GetCases(
      absl::Span<const std::string> ids) override;
  absl::Status InsertCase(Case& c) override;
  absl::Status UpdateCase(Case& c) override;
  absl::Status DeleteCase(std::string_view id) override;
  absl::StatusOr<CasePage> FindCases(const CaseQuery& query) override;
  absl::StatusOr<StatusCounts> CountCasesByStatus(
      const CaseFilter& filter) override;
  absl::StatusOr<std::vector<User>> ListReporters(
      absl::Span<const std::string> owners) override;
  absl::StatusOr<std::vector<std::string>> ListTags(
      absl::Span<const std::string> owners) override;
  absl::StatusOr<std::vector<std::string>> ListCategories(
      absl::Span<const std::string> owners) override;
  absl::StatusOr<std::vector<Case>> FindCasesByAlert(
      std::string_view alert_id, absl::Span<const std::string> owners) override;

  absl::StatusOr<Attachment> GetAttachment(std::string_view case_id,
                                           std::string_view id) override;
  absl::StatusOr<std::vector<Attachment>> ListAttachments(
      std::string_view case_id) override;
  absl::StatusOr<AttachmentPage> FindUserComments(std::string_view case_id,
                                                  bool ascending, int page,
                                                  int per_page) override;
  absl::Status InsertAttachment(Attachment& a) override;
  absl::Status UpdateAttachment(Attachment& a) override;
  absl::Status DeleteAttachment(std::string_view case_id,
                                std::string_view id) override;
  absl::StatusOr<std::vector<CaseAlert>> ListCaseAlerts(
      std::string_view case_id) override;

  absl::Status InsertUserAction(const UserAction& action) override;
  absl::StatusOr<UserActionPage> FindUserActions(
      const UserActionQuery& query) override;
  absl::StatusOr<int64_t> CountUserActions(std::string_view case_id) override;

  absl::StatusOr<Configuration> GetConfiguration(std::string_view id) override;
  absl::StatusOr<Configuration> GetConfigurationByOwner(
      std::string_view owner) override;
  absl::StatusOr<std::vector<Configuration>> ListConfigurations(
      absl::Span<const std::string> owners) override;
  absl::Status InsertConfiguration(Configuration& c) override;
  absl::Status UpdateConfiguration(Configuration& c) override;
  absl::Status DeleteConfiguration(std::string_view id) override;

  absl::StatusOr<Connector> GetConnector(std::string_view id) override;
  absl::StatusOr<std::vector<Connector>> ListConnectors() override;
  absl::Status InsertConnector(const Connector& c) override;
  absl::Status UpdateConnector(const Connector& c) override;
  absl::Status DeleteConnector(std::string_view id) override;
  absl::StatusOr<int64_t> CountConnectorReferences(
      std::string_view connector_id) override;

  absl::StatusOr<std::optional<CachedToken>> GetCachedToken(
      std::string_view connector_id, std::string_view key) override;
  absl::Status PutCachedToken(const CachedToken& token) override;
  absl::Status DeleteCachedTokens(std::string_view connector_id) override;

  absl::StatusOr<std::optional<ApiKey>> GetApiKey(std::string_view id) override;
  absl::StatusOr<std::vector<ApiKey>> ListApiKeys() override;
  absl::Status InsertApiKey(const ApiKey& key) override;
  absl::Status RevokeApiKey(std::string_view id, absl::Time revoked_at) override;
  absl::Status InsertPushJob(const PushJob& job) override;
  absl::StatusOr<PushJob> GetPushJob(std::string_view id) override;
  absl::Status UpdatePushJob(const PushJob& job,
                             std::string_view expected_lease_owner) override;
  absl::StatusOr<PushJobPage> FindPushJobs(const PushJobQuery& query) override;
  absl::StatusOr<std::vector<PushJob>> ClaimPushJobs(std::string_view owner,
                                                     absl::Time now,
                                                     absl::Time lease_until,
                                                     int limit) override;
  absl::Status RenewPushJobLease(std::string_view id, std::string_view owner,
                                 absl::Time lease_until) override;
  absl::StatusOr<std::optional<absl::Time>> NextPushJobDue() override;
  absl::StatusOr<std::vector<PushJob>> LatestPushJobs(
      std::string_view case_id) override;
  absl::StatusOr<std::optional<PushRecord>> GetPushRecord(
      std::string_view case_id, std::string_view connector_id) override;
  absl::StatusOr<std::vector<PushRecord>> ListPushRecords(
      std::string_view case_id) override;
  absl::Status PutPushRecord(const PushRecord& record) override;

  // Undoes this write transaction's savepoint (the rest of the batch stays).
  void RollBackSavepoint();

  absl::Status InsertCaseEvent(CaseEvent& event) override;
  absl::StatusOr<std::vector<CaseEvent>> ListCaseEvents(int64_t after_seq,
                                                        int limit) override;
  absl::StatusOr<int64_t> LatestCaseEventSeq() override;
  absl::StatusOr<int64_t> PruneCaseEvents(absl::Time before) override;
  absl::StatusOr<int64_t> CaseEventsPrunedThrough() override;

 private:
  bool is_write() const { return reader_ == nullptr; }
  absl::StatusOr<Stmt> Prepare(std::string_view sql, const char* op) {
    if (done_) {
      return absl::FailedPreconditionError(
          absl::StrCat("sqlite store: ", op, ": transaction already finished"));
    }
    return conn_->Prepare(sql, op);
  }
  absl::Status WriteCaseChildren(int64_t rid, const Case& c, bool replace);
  absl::Status IndexAlerts(const Attachment& a);
  absl::Status RefreshTotals(std::string_view case_id);
  // After a versioned UPDATE touched no row: NotFound or Aborted.
  absl::Status VersionFailure(const char* table, std::string_view id,
                              const char* what);
  absl::StatusOr<StatusCounts> Counts(const CaseFilter& filter);

  SqliteStore* store_;
  Conn* conn_;
  std::unique_ptr<Conn> reader_;  // set for read transactions
  const bool batch_member_;
  bool done_ = false;
};

class SqliteStore : public Store {
 public:
  explicit SqliteStore(const SqliteStoreOptions& options) : options_(options) {}

  absl::Status Init() {
    SQ_ASSIGN_OR_RETURN(writer_, Conn::Open(options_.path, /*read_only=*/false,
                                            options_.busy_timeout));
    SQ_RETURN_IF_ERROR(
        writer_->ExecScript("PRAGMA journal_mode=WAL;", "enable WAL"));
    SQ_RETURN_IF_ERROR(Migrate());
    // Checkpoints run on their own thread from here on (see
    // wal_checkpointer.h): a commit never waits for one.
    SQ_ASSIGN_OR_RETURN(checkpointer_,
                        sqlite::WalCheckpointer::Start(
                            options_.path, writer_.get(),
                            options_.checkpoint_pages, options_.busy_timeout));
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Transaction>> BeginRead() override {
    metrics::StoreOpTimer timer("begin_read");
    std::unique_ptr<Conn> conn;
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!idle_readers_.empty()) {
        conn = std::move(idle_readers_.back());
        idle_readers_.pop_back();
      }
    }
    if (conn == nullptr) {
      SQ_ASSIGN_OR_RETURN(conn, Conn::Open(options_.path, /*read_only=*/true,
                                           options_.busy_timeout));
    }
    {
      SQ_ASSIGN_OR_RETURN(Stmt begin,
                          conn->Prepare("BEGIN", "begin read transaction"));
      absl::Status status = begin.Run();
      if (!status.ok()) {
        // Keep the connection out of the pool: its state is unknown.
        return status;
      }
    }
    Conn* raw = conn.get();
    return std::unique_ptr<Transaction>(
        new SqliteTransaction(this, raw, std::move(conn)));
  }

  // Group commit. Write transactions run one at a time on the writer
  // connection, each inside a SAVEPOINT of a shared SQLite transaction (the
  // batch). A committed write transaction RELEASEs its savepoint and, when
  // other writers are queued and the batch is not full, hands the connection
  // to the next one and waits; the last writer of the batch COMMITs it for
  // everyone. Every member's Commit() returns the batch's COMMIT result, so
  // OK still means durable. Version checks stay valid: writers are
  // serialised on one connection and see the batch's earlier writes.
  absl::StatusOr<std::unique_ptr<Transaction>> BeginWrite() override {
    metrics::StoreOpTimer timer("begin_write");
    SQ_RETURN_IF_ERROR(AcquireWriter());
    absl::Status status = RunOnWriter("SAVEPOINT w", "begin write savepoint");
    if (!status.ok()) {
      FinishWrite(/*joined=*/false).IgnoreError();
      return status;
    }
    return std::unique_ptr<Transaction>(
        new SqliteTransaction(this, writer_.get(), nullptr));
  }

  // The whole batch runs while this thread owns the writer, inside the
  // current group-commit batch: one savepoint per op, then FinishWrite, so
  // the ops are acknowledged only after the COMMIT that made them durable.
  std::vector<absl::Status> ApplyWriteBatch(
      absl::Span<const WriteOp> ops) override {
    std::vector<absl::Status> out(ops.size());
    if (ops.empty()) return out;
    absl::Status status = AcquireWriter();
    if (!status.ok()) {
      for (absl::Status& s : out) s = status;
      return out;
    }
    bool joined = false;
    std::vector<bool> kept(ops.size(), false);
    for (size_t i = 0; i < ops.size(); ++i) {
      if (sqlite3_get_autocommit(writer_->db()) != 0) {
        // SQLite rolled the batch back (an I/O error, say): nothing after
        // this point could be committed with the earlier ops.
        out[i] = absl::InternalError(
            "sqlite store: the write batch was rolled back by SQLite");
        continue;
      }
      out[i] = RunOnWriter("SAVEPOINT w", "begin write savepoint");
      if (!out[i].ok()) continue;
      SqliteTransaction tx(this, writer_.get(), nullptr,
                           /*batch_member=*/true);
      out[i] = ops[i](tx);
      if (out[i].ok()) out[i] = RunOnWriter("RELEASE w", "commit");
      if (out[i].ok()) {
        kept[i] = true;
        joined = true;
      } else {
        tx.RollBackSavepoint();
      }
    }
    const auto commit_start = std::chrono::steady_clock::now();
    absl::Status commit = FinishWrite(joined);
    // Each kept op is one committed write transaction, committed by this.
    const double commit_seconds = metrics::SecondsSince(commit_start);
    for (size_t i = 0; i < ops.size(); ++i) {
      if (!kept[i]) continue;
      out[i] = commit;
      metrics::RecordStoreOp("commit_write", commit_seconds, commit.ok());
    }
    return out;
  }

  // Waits for and takes ownership of the writer connection, beginning a
  // group-commit batch when none is open. On error the writer is released.
  absl::Status AcquireWriter() {
    bool begin_batch = false;
    {
      std::unique_lock<std::mutex> lock(write_mu_);
      ++writers_waiting_;
      if (lingering_) linger_cv_.notify_one();
      write_cv_.wait(lock, [this] { return !writer_owned_; });
      --writers_waiting_;
      writer_owned_ = true;
      begin_batch = batch_ == nullptr;
      if (begin_batch) batch_ = std::make_shared<WriteBatch>();
    }
    absl::Status status;
    if (begin_batch) {
      status = RunOnWriter("BEGIN IMMEDIATE", "begin write transaction");
      if (!status.ok()) {
        {
          std::lock_guard<std::mutex> lock(write_mu_);
          batch_ = nullptr;
        }
        FinishWrite(/*joined=*/false).IgnoreError();
      }
    }
    return status;
  }

  // Ends the writer's current write transaction, whose savepoint is already
  // released (`joined`: its work is part of the batch) or rolled back. For a
  // joined transaction, returns once the batch is committed, with the
  // COMMIT's status. Called by the writer's owner only.
  absl::Status FinishWrite(bool joined) {
    std::unique_lock<std::mutex> lock(write_mu_);
    std::shared_ptr<WriteBatch> batch = batch_;
    if (batch == nullptr) {  // BEGIN failed
      ReleaseWriterLocked();
      return absl::OkStatus();
    }
    if (sqlite3_get_autocommit(writer_->db()) != 0) {
      // SQLite rolled the whole batch back itself (an I/O error, say).
      CompleteBatchLocked(absl::InternalError(
          "sqlite store: the write batch was rolled back by SQLite"));
      return joined ? batch->status : absl::OkStatus();
    }
    if (joined) ++batch_members_;
    if (joined && writers_waiting_ == 0 && batch_members_ < kMaxBatchMembers &&
        Clock::now() - last_commit_ < kBusyWindow) {
      // Writes are arriving back to back: give the next writer a moment to
      // join the batch rather than committing one transaction at a time.
      lingering_ = true;
      linger_cv_.wait_for(lock, kLinger,
                          [this] { return writers_waiting_ > 0; });
      lingering_ = false;
    }
    if (writers_waiting_ > 0 && batch_members_ < kMaxBatchMembers) {
      ReleaseWriterLocked();
      if (!joined) return absl::OkStatus();
      write_cv_.wait(lock, [&batch] { return batch->done; });
      return batch->status;
    }
    const bool commit = batch_members_ > 0;
    lock.unlock();
    absl::Status status = commit ? RunOnWriter("COMMIT", "commit")
                                 : RunOnWriter("ROLLBACK", "roll back");
    if (!status.ok() && sqlite3_get_autocommit(writer_->db()) == 0) {
      // A failed COMMIT may leave the transaction open; end it.
      RunOnWriter("ROLLBACK", "roll back").IgnoreError();
    }
    lock.lock();
    last_commit_ = Clock::now();
    CompleteBatchLocked(status);
    return joined ? status : absl::OkStatus();
  }

  void ReturnReader(std::unique_ptr<Conn> conn) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (static_cast<int>(idle_readers_.size()) <
        std::max(options_.read_connections, 0)) {
      idle_readers_.push_back(std::move(conn));
    }
  }

 private:
  absl::Status Migrate();

  struct WriteBatch {
    bool done = false;    // guarded by write_mu_
    absl::Status status;  // the COMMIT's; guarded by write_mu_
  };
  using Clock = std::chrono::steady_clock;
  // Bounds the latency a batch adds to its first member.
  static constexpr int kMaxBatchMembers = 32;
  // A writer that would commit alone waits up to kLinger for another one when
  // the previous batch committed less than kBusyWindow ago (an idle store
  // never waits).
  static constexpr std::chrono::microseconds kLinger{500};
  static constexpr std::chrono::milliseconds kBusyWindow{5};

  absl::Status RunOnWriter(const char* sql, const char* op) {
    SQ_ASSIGN_OR_RETURN(Stmt s, writer_->Prepare(sql, op));
    return s.Run();
  }
  void ReleaseWriterLocked() {
    writer_owned_ = false;
    write_cv_.notify_all();
  }
  void CompleteBatchLocked(absl::Status status) {
    batch_->status = std::move(status);
    batch_->done = true;
    batch_ = nullptr;
    batch_members_ = 0;
    ReleaseWriterLocked();
  }

  const SqliteStoreOptions options_;
  // Used by the owner of the writer only (see BeginWrite), or by Init.
  std::unique_ptr<Conn> writer_;
  std::mutex write_mu_;
  std::condition_variable write_cv_;
  bool writer_owned_ = false;          // guarded by write_mu_
  int writers_waiting_ = 0;            // in BeginWrite; guarded by write_mu_
  std::shared_ptr<WriteBatch> batch_;  // open batch; guarded by write_mu_
  int batch_members_ = 0;   // released savepoints in batch_; by write_mu_
  bool lingering_ = false;  // guarded by write_mu_
  std::condition_variable linger_cv_;
  Clock::time_point last_commit_;  // of the last batch; guarded by write_mu_
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Conn>> idle_readers_;  // guarded by pool_mu_
  // Declared after writer_: destroyed (hook removed, thread joined) first.
  std::unique_ptr<sqlite::WalCheckpointer> checkpointer_;
};

absl::Status SqliteStore::Migrate() {
  SQ_RETURN_IF_ERROR(
      writer_->ExecScript("CREATE TABLE IF NOT EXISTS schema_migrations ("
                          "version INTEGER PRIMARY KEY, description TEXT NOT "
                          "NULL, applied_at INTEGER NOT NULL)",
                          "create schema_migrations"));
  // Every missing version is applied, not only those above the highest
  // recorded one: branches may land migrations out of numeric order.
  std::set<int64_t> applied;
  {
    SQ_ASSIGN_OR_RETURN(
        Stmt s, writer_->Prepare("SELECT version FROM schema_migrations",
                                 "read schema versions"));
    while (true) {
      SQ_ASSIGN_OR_RETURN(bool row, s.Next());
      if (!row) break;
      applied.insert(s.Int(0));
    }
  }
  for (size_t i = 0; i < sqlite::kMigrationCount; ++i) {
    const sqlite::Migration& m = sqlite::kMigrations[i];
    if (applied.count(m.version) > 0) continue;
    SQ_RETURN_IF_ERROR(
        writer_->ExecScript("BEGIN IMMEDIATE", "begin migration"));
    absl::Status status = writer_->ExecScript(m.sql, "apply migration");
    if (status.ok() && m.rewrite != nullptr) status = m.rewrite(*writer_);
    if (status.ok()) {
      SQ_ASSIGN_OR_RETURN(
          Stmt s, writer_->Prepare("INSERT INTO schema_migrations(version, "
                                   "description, applied_at) VALUES (?, ?, ?)",
                                   "record migration"));
      status = s.BindInt(m.version)
                   .BindText(m.description)
                   .BindInt(absl::ToUnixMicros(absl::Now()))
                   .Run();
    }
    if (status.ok()) status = writer_->ExecScript("COMMIT", "commit migration");
    if (!status.ok()) {
      writer_->ExecScript("ROLLBACK", "roll back migration").IgnoreError();
      return absl::Status(status.code(),
                          absl::StrCat("migration ", m.version, " (",
                                       m.description, "): ", status.message()));
    }
  }
  return absl::OkStatus();
}

SqliteTransaction::~SqliteTransaction() {
  if (batch_member_) return;  // the batch ends the savepoint
  if (is_write()) {
    if (!done_) {
      RollBackSavepoint();
      store_->FinishWrite(/*joined=*/false).IgnoreError();
    }
    return;
  }
  if (!done_) {
    absl::StatusOr<Stmt> s = conn_->Prepare("ROLLBACK", "roll back");
    if (s.ok()) s->Run().IgnoreError();
  }
  if (sqlite3_get_autocommit(reader_->db()) != 0) {
    store_->ReturnReader(std::move(reader_));
  }  // else: state unknown; the connection is closed with reader_.
}

void SqliteTransaction::RollBackSavepoint() {
  for (const char* sql : {"ROLLBACK TO w", "RELEASE w"}) {
    absl::StatusOr<Stmt> s = conn_->Prepare(sql, "roll back savepoint");
    if (s.ok()) s->Run().IgnoreError();
  }
}

absl::Status SqliteTransaction::Commit() {
  if (batch_member_) {
    return absl::FailedPreconditionError(
        "sqlite store: a write batch member cannot commit itself");
  }
  metrics::StoreOpTimer timer(is_write() ? "commit_write" : "commit_read");
  if (is_write()) {
    absl::Status status;
    {
      SQ_ASSIGN_OR_RETURN(Stmt s, Prepare("RELEASE w", "commit"));
      status = s.Run();
    }
    done_ = true;
    if (!status.ok()) {
      RollBackSavepoint();
      store_->FinishWrite(/*joined=*/false).IgnoreError();
      return status;
    }
    return store_->FinishWrite(/*joined=*/true);
  }
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare("COMMIT", "commit"));
  absl::Status status = s.Run();
  if (!status.ok()) {
    // A failed COMMIT may leave the transaction open; end it.
    if (sqlite3_get_autocommit(conn_->db()) == 0) {
      absl::StatusOr<Stmt> rb = conn_->Prepare("ROLLBACK", "roll back");
      if (rb.ok()) rb->Run().IgnoreError();
    }
  }
  done_ = true;
  return status;
}

// --- Cases.

absl::StatusOr<Case> SqliteTransaction::GetCase(std::string_view id) {
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(kGetCaseSql, "get case"));
  s.BindText(id);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row)
    return absl::NotFoundError(
        absl::StrCat("case ", sqlite::AbslView(id), " not found"));
  return ReadCase(s);
}

absl::StatusOr<std::vector<Case>> SqliteTransaction::GetCases(
    absl::Span<const std::string> ids) {
  std::vector<Case> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    absl::StatusOr<Case> c = GetCase(id);
    if (c.ok()) {
      out.push_back(*std::move(c));
    } else if (!absl::IsNotFound(c.status())) {
      return c.status();
    }
  }
  return out;
}

absl::Status SqliteTransaction::WriteCaseChildren(int64_t rid, const Case& c,
                                                  bool replace) {
  if (replace) {
    SQ_ASSIGN_OR_RETURN(
        Stmt dt,
        Prepare("DELETE FROM case_tags WHERE case_rid = ?", "clear tags"));
    SQ_RETURN_IF_ERROR(dt.BindInt(rid).Run());
    SQ_ASSIGN_OR_RETURN(Stmt da,
                        Prepare("DELETE FROM case_assignees WHERE case_rid = ?",
                                "clear assignees"));
    SQ_RETURN_IF_ERROR(da.BindInt(rid).Run());
  }
  for (const std::string& tag : c.tags) {
    SQ_ASSIGN_OR_RETURN(
        Stmt s, Prepare("INSERT OR IGNORE INTO case_tags(case_rid, tag, owner, "
                        "status, created_at) VALUES (?, ?, ?, ?, ?)",
                        "index tag"));
    SQ_RETURN_IF_ERROR(s.BindInt(rid)
                           .BindText(tag)
                           .BindText(c.owner)
                           .BindInt(static_cast<int64_t>(c.status))
                           .BindTime(c.created_at)
                           .Run());
  }
  for (const std::string& uid : c.assignees) {
    SQ_ASSIGN_OR_RETURN(
        Stmt s, Prepare("INSERT OR IGNORE INTO case_assignees(case_rid, uid) "
                        "VALUES (?, ?)",
                        "index assignee"));
    SQ_RETURN_IF_ERROR(s.BindInt(rid).BindText(uid).Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteTransaction::InsertCase(Case& c) {
  {
    SQ_ASSIGN_OR_RETURN(
        Stmt s,
        Prepare(
            "INSERT INTO cases(id, version, owner, status, severity, title, "
            "description, category, created_at, updated_at, closed_at, "
            "created_by_username, created_by_profile_uid, assignee_count, "
            "connector_id, doc) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?)",
            "insert case"));
    s.BindText(c.id)
        .BindText(c.owner)
        .BindInt(static_cast<int64_t>(c.status))
        .BindInt(static_cast<int64_t>(c.severity))
        .BindText(c.title)
        .BindText(c.description)
        .BindOptText(c.category)
        .BindTime(c.created_at)
        .BindOptTime(c.updated_at)
        .BindOptTime(c.closed_at)
        .BindText(c.created_by.username)
        .BindText(c.created_by.profile_uid)
        .BindInt(static_cast<int64_t>(c.assignees.size()))
        .BindText(c.connector.id)
        .BindBlob(sqlite::EncodeCaseDoc(c));
    SQ_RETURN_IF_ERROR(s.Run());
  }
  SQ_RETURN_IF_ERROR(
      WriteCaseChildren(conn_->LastInsertRowid(), c, /*replace=*/false));
  c.version = 1;
  c.total_comment = 0;
  c.total_alerts = 0;
  return absl::OkStatus();
}

absl::Status SqliteTransaction::VersionFailure(const char* table,
                                               std::string_view id,
                                               const char* what) {
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(absl::StrCat("SELECT version FROM ",
                                                   table, " WHERE id = ?"),
                                      "check version"));
  s.BindText(id);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row)
    return absl::NotFoundError(
        absl::StrCat(what, " ", sqlite::AbslView(id), " not found"));
  return absl::AbortedError(absl::StrCat(what, " ", sqlite::AbslView(id),
                                         " has been updated (stored version ",
                                         s.Int(0), ")"));
}

absl::Status SqliteTransaction::UpdateCase(Case& c) {
  int64_t rid = 0;
  {
    SQ_ASSIGN_OR_RETURN(Stmt s,
                        Prepare("UPDATE cases SET version = version + 1, owner "
                                "= ?, status = ?, severity = ?, "
                                "title = ?, description = ?, category = ?, "
                                "created_at = ?, updated_at = ?, "
                                "closed_at = ?, created_by_username = ?, "
                                "created_by_profile_uid = ?, "
                                "assignee_count = ?, connector_id = ?, doc = ? "
                                "WHERE id = ? AND version = ? RETURNING rid, "
                                "version, total_comment, total_alerts",
                                "update case"));
    s.BindText(c.owner)
        .BindInt(static_cast<int64_t>(c.status))
        .BindInt(static_cast<int64_t>(c.severity))
        .BindText(c.title)
        .BindText(c.description)
        .BindOptText(c.category)
        .BindTime(c.created_at)
        .BindOptTime(c.updated_at)
        .BindOptTime(c.closed_at)
        .BindText(c.created_by.username)
        .BindText(c.created_by.profile_uid)
        .BindInt(static_cast<int64_t>(c.assignees.size()))
        .BindText(c.connector.id)
        .BindBlob(sqlite::EncodeCaseDoc(c))
        .BindText(c.id)
        .BindInt(c.version);
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return VersionFailure("cases", c.id, "case");
    rid = s.Int(0);
    c.version = s.Int(1);
    c.total_comment = static_cast<int32_t>(s.Int(2));
    c.total_alerts = static_cast<int32_t>(s.Int(3));
    SQ_RETURN_IF_ERROR(s.Run());  // finish the statement
  }
  return WriteCaseChildren(rid, c, /*replace=*/true);
}

absl::Status SqliteTransaction::DeleteCase(std::string_view id) {
  SQ_ASSIGN_OR_RETURN(Stmt s,
                      Prepare("DELETE FROM cases WHERE id = ?", "delete case"));
  SQ_RETURN_IF_ERROR(s.BindText(id).Run());
  if (conn_->Changes() == 0)
    return absl::NotFoundError(
        absl::StrCat("case ", sqlite::AbslView(id), " not found"));
  return absl::OkStatus();
}

// True when the maintained counters answer the filter: owners, statuses
// (ignored for counts) and at most one tag.
bool CountersCover(const CaseFilter& f) {
  return f.severities.empty() && f.tags.size() <= 1 && f.reporters.empty() &&
         f.assignees.empty() && f.categories.empty() && !f.created_from &&
         !f.created_to && f.search.empty();
}

absl::StatusOr<StatusCounts> SqliteTransaction::Counts(
    const CaseFilter& filter) {
  StatusCounts counts;
  SqlBuilder b;
  if (CountersCover(filter)) {
    if (filter.tags.empty()) {
      b.sql = "SELECT status, sum(n) FROM owner_status_counts";
      OwnersClause(filter.owners, "owner", " WHERE ", &b);
    } else {
      b.sql = "SELECT status, sum(n) FROM tag_status_counts WHERE tag = ?";
      b.args.emplace_back(filter.tags[0]);
      OwnersClause(filter.owners, "owner", " AND ", &b);
    }
    b.sql += " GROUP BY status";
  } else {
    b.sql = "SELECT c.status, count(*) FROM cases c";
    if (!AppendWhere(filter, /*with_statuses=*/false, TagMode::kSubquery, &b)) {
      return counts;
    }
    b.sql += " GROUP BY c.status";
  }
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(b.sql, "count cases by status"));
  b.Bind(s);
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    switch (StatusFromInt(s.Int(0))) {
      case CaseStatus::kOpen:
        counts.open += s.Int(1);
        break;
      case CaseStatus::kInProgress:
        counts.in_progress += s.Int(1);
        break;
      case CaseStatus::kClosed:
        counts.closed += s.Int(1);
        break;
    }
  }
  return counts;
}

absl::StatusOr<CasePage> SqliteTransaction::FindCases(const CaseQuery& query) {
  CasePage page;
  SQ_ASSIGN_OR_RETURN(page.counts, Counts(query.filter));
  // The total follows from the counts: the same filter restricted to the
  // requested statuses.
  if (query.filter.statuses.empty()) {
    page.total =
        page.counts.open + page.counts.in_progress + page.counts.closed;
  } else {
    bool open = false, in_progress = false, closed = false;
    for (CaseStatus s : query.filter.statuses) {
      open |= s == CaseStatus::kOpen;
      in_progress |= s == CaseStatus::kInProgress;
      closed |= s == CaseStatus::kClosed;
    }
    page.total = (open ? page.counts.open : 0) +
                 (in_progress ? page.counts.in_progress : 0) +
                 (closed ? page.counts.closed : 0);
  }
  int per_page = std::max(query.per_page, 0);
  int64_t offset = static_cast<int64_t>(std::max(query.page, 1) - 1) * per_page;
  if (per_page == 0 || offset >= page.total) return page;

  SqlBuilder b;
  const char* dir = query.ascending ? " ASC" : " DESC";
  const CaseFilter& f = query.filter;
  if (f.tags.size() == 1 && f.owners.size() == 1 && f.statuses.size() == 1 &&
      query.sort_field == CaseSortField::kCreatedAt) {
    // The list view: one range of case_tags_page, read in order, one page.
    b.sql = absl::StrCat("SELECT ", kCaseColumns,
                         " FROM case_tags t CROSS JOIN cases c ON c.rid = "
                         "t.case_rid WHERE t.tag = ? AND t.owner = ? AND "
                         "t.status = ?");
    b.args.emplace_back(f.tags[0]);
    b.args.emplace_back(f.owners[0]);
    b.args.emplace_back(static_cast<int64_t>(f.statuses[0]));
    CaseFilter rest = f;
    rest.tags.clear();
    rest.owners.clear();
    SqlBuilder where;
    if (!AppendWhere(rest, /*with_statuses=*/false, TagMode::kCorrelated,
                     &where)) {
      return page;
    }
    if (!where.sql.empty()) {
      // " WHERE cond AND ..." -> " AND cond AND ..."
      absl::StrAppend(&b.sql, " AND ", where.sql.substr(7));
      for (Arg& a : where.args) b.args.push_back(std::move(a));
    }
    absl::StrAppend(&b.sql, " ORDER BY t.created_at", dir, ", t.case_rid", dir,
                    " LIMIT ? OFFSET ?");
  } else {
    b.sql = absl::StrCat("SELECT ", kCaseColumns, " FROM cases c");
    AppendWhere(f, /*with_statuses=*/true, TagMode::kCorrelated, &b);
    absl::StrAppend(&b.sql, " ORDER BY ", SortColumn(query.sort_field), dir,
                    SortColumnNullable(query.sort_field) ? " NULLS LAST" : "",
                    ", c.rid", dir, " LIMIT ? OFFSET ?");
  }
  b.args.emplace_back(static_cast<int64_t>(per_page));
  b.args.emplace_back(offset);
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(b.sql, "find cases"));
  b.Bind(s);
  SQ_ASSIGN_OR_RETURN(page.cases, ReadCases(s));
  return page;
}

absl::StatusOr<StatusCounts> SqliteTransaction::CountCasesByStatus(
    const CaseFilter& filter) {
  return Counts(filter);
}

absl::StatusOr<std::vector<User>> SqliteTransaction::ListReporters(
    absl::Span<const std::string> owners) {
  SqlBuilder b;
  b.sql = "SELECT c.doc FROM cases c";
  OwnersClause(owners, "c.owner", " WHERE ", &b);
  b.sql += " GROUP BY c.created_by_username ORDER BY c.created_by_username";
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(b.sql, "list reporters"));
  b.Bind(s);
  std::vector<User> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    if (s.IsBlob(0)) {
      Case c;
      SQ_RETURN_IF_ERROR(sqlite::DecodeCaseDoc(s.BlobView(0), &c));
      out.push_back(std::move(c.created_by));
    } else {
      SQ_ASSIGN_OR_RETURN(Json doc, ParseJson(s.Text(0), "reporter"));
      out.push_back(sqlite::UserFromJson(
          doc.is_object() && doc.contains("created_by") ? doc["created_by"]
                                                        : Json()));
    }
  }
}

absl::StatusOr<std::vector<std::string>> SqliteTransaction::ListTags(
    absl::Span<const std::string> owners) {
  SqlBuilder b;
  if (owners.empty()) {
    b.sql = "SELECT DISTINCT tag FROM case_tags ORDER BY tag";
  } else {
    b.sql =
        "SELECT DISTINCT t.tag FROM case_tags t JOIN cases c ON c.rid = "
        "t.case_rid";
    OwnersClause(owners, "c.owner", " WHERE ", &b);
    b.sql += " ORDER BY t.tag";
  }
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(b.sql, "list tags"));
  b.Bind(s);
  std::vector<std::string> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    out.push_back(s.Str(0));
  }
}

absl::StatusOr<std::vector<std::string>> SqliteTransaction::ListCategories(
    absl::Span<const std::string> owners) {
  SqlBuilder b;
  b.sql =
      "SELECT DISTINCT c.category FROM cases c WHERE c.category IS NOT NULL";
  OwnersClause(owners, "c.owner", " AND ", &b);
  b.sql += " ORDER BY c.category";
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(b.sql, "list categories"));
  b.Bind(s);
  std::vector<std::string> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    out.push_back(s.Str(0));
  }
}

absl::StatusOr<std::vector<Case>> SqliteTransaction::FindCasesByAlert(
    std::string_view alert_id, absl::Span<const std::string> owners) {
  SqlBuilder b;
  b.sql = absl::StrCat(
      "SELECT ", kCaseColumns,
      " FROM cases c WHERE c.id IN (SELECT case_id FROM case_alerts "
      "WHERE alert_id = ?)");
  b.args.emplace_back(std::string(alert_id));
  OwnersClause(owners, "c.owner", " AND ", &b);
  b.sql += " ORDER BY c.created_at, c.rid";
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(b.sql, "find cases by alert"));
  b.Bind(s);
  return ReadCases(s);
}

// --- Attachments.

absl::StatusOr<Attachment> SqliteTransaction::GetAttachment(
    std::string_view case_id, std::string_view id) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s,
      Prepare(absl::StrCat("SELECT ", kAttachmentColumns,
                           " FROM attachments WHERE id = ? AND case_id = ?"),
              "get attachment"));
  s.BindText(id).BindText(case_id);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("attachment ", sqlite::AbslView(id), " of case ",
                     sqlite::AbslView(case_id), " not found"));
  }
  return ReadAttachment(s);
}

absl::StatusOr<std::vector<Attachment>> SqliteTransaction::ListAttachments(
    std::string_view case_id) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare(absl::StrCat("SELECT ", kAttachmentColumns,
                                   " FROM attachments WHERE case_id = ? "
                                   "ORDER BY created_at, rid"),
                      "list attachments"));
  s.BindText(case_id);
  std::vector<Attachment> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    SQ_ASSIGN_OR_RETURN(Attachment a, ReadAttachment(s));
    out.push_back(std::move(a));
  }
}

absl::StatusOr<AttachmentPage> SqliteTransaction::FindUserComments(
    std::string_view case_id, bool ascending, int page, int per_page) {
  AttachmentPage out;
  {
    SQ_ASSIGN_OR_RETURN(
        Stmt s,
        Prepare("SELECT count(*) FROM attachments WHERE case_id = ? AND "
                "type = 0",
                "count user comments"));
    s.BindText(case_id);
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (row) out.total = s.Int(0);
  }
  per_page = std::max(per_page, 0);
  int64_t offset = static_cast<int64_t>(std::max(page, 1) - 1) * per_page;
  if (per_page == 0 || offset >= out.total) return out;
  SQ_ASSIGN_OR_RETURN(
      Stmt s,
      Prepare(absl::StrCat(
                  "SELECT ", kAttachmentColumns,
                  " FROM attachments WHERE case_id = ? AND type = 0 ORDER BY "
                  "created_at",
                  ascending ? " ASC, rid ASC" : " DESC, rid DESC",
                  " LIMIT ? OFFSET ?"),
              "find user comments"));
  s.BindText(case_id).BindInt(per_page).BindInt(offset);
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    SQ_ASSIGN_OR_RETURN(Attachment a, ReadAttachment(s));
    out.attachments.push_back(std::move(a));
  }
}

absl::Status SqliteTransaction::IndexAlerts(const Attachment& a) {
  {
    SQ_ASSIGN_OR_RETURN(
        Stmt s, Prepare("DELETE FROM case_alerts WHERE attachment_id = ?",
                        "clear alert index"));
    SQ_RETURN_IF_ERROR(s.BindText(a.id).Run());
  }
  if (a.type != AttachmentType::kAlert) return absl::OkStatus();
  for (const auto& [alert_id, index] : AlertPairs(a.content)) {
    SQ_ASSIGN_OR_RETURN(
        Stmt s, Prepare("INSERT INTO case_alerts(case_id, attachment_id, "
                        "alert_id, alert_index, attached_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        "index alert"));
    SQ_RETURN_IF_ERROR(s.BindText(a.case_id)
                           .BindText(a.id)
                           .BindText(alert_id)
                           .BindText(index)
                           .BindTime(a.created_at)
                           .Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteTransaction::RefreshTotals(std::string_view case_id) {
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare("UPDATE cases SET "
                                      "total_comment = (SELECT count(*) FROM "
                                      "attachments WHERE case_id = ?1 AND "
                                      "type = 0), "
                                      "total_alerts = (SELECT count(*) FROM "
                                      "case_alerts WHERE case_id = ?1) "
                                      "WHERE id = ?1",
                                      "update case totals"));
  return s.BindText(case_id).Run();
}

absl::Status SqliteTransaction::InsertAttachment(Attachment& a) {
  {
    SQ_ASSIGN_OR_RETURN(Stmt s,
                        Prepare("INSERT INTO attachments(id, case_id, owner, "
                                "type, version, created_at, "
                                "updated_at, pushed_at, content, users) "
                                "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                                "insert attachment"));
    s.BindText(a.id)
        .BindText(a.case_id)
        .BindText(a.owner)
        .BindInt(static_cast<int64_t>(a.type))
        .BindTime(a.created_at)
        .BindOptTime(a.updated_at)
        .BindOptTime(a.pushed_at)
        .BindText(DumpJson(a.content))
        .BindText(AttachmentUsers(a));
    absl::Status status = s.Run();
    if (absl::IsNotFound(status)) {
      return absl::NotFoundError(
          absl::StrCat("case ", a.case_id, " not found"));
    }
    SQ_RETURN_IF_ERROR(status);
  }
  if (a.type == AttachmentType::kAlert) SQ_RETURN_IF_ERROR(IndexAlerts(a));
  SQ_RETURN_IF_ERROR(RefreshTotals(a.case_id));
  a.version = 1;
  return absl::OkStatus();
}

absl::Status SqliteTransaction::UpdateAttachment(Attachment& a) {
  {
    SQ_ASSIGN_OR_RETURN(
        Stmt s,
        Prepare(
            "UPDATE attachments SET version = version + 1, owner = ?, type = "
            "?, "
            "created_at = ?, updated_at = ?, pushed_at = ?, content = ?, users "
            "= ? "
            "WHERE id = ? AND case_id = ? AND version = ? RETURNING version",
            "update attachment"));
    s.BindText(a.owner)
        .BindInt(static_cast<int64_t>(a.type))
        .BindTime(a.created_at)
        .BindOptTime(a.updated_at)
        .BindOptTime(a.pushed_at)
        .BindText(DumpJson(a.content))
        .BindText(AttachmentUsers(a))
        .BindText(a.id)
        .BindText(a.case_id)
        .BindInt(a.version);
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) {
      SQ_ASSIGN_OR_RETURN(
          Stmt check,
          Prepare("SELECT version FROM attachments WHERE id = ? AND "
                  "case_id = ?",
                  "check attachment version"));
      check.BindText(a.id).BindText(a.case_id);
      SQ_ASSIGN_OR_RETURN(bool found, check.Next());
      if (!found) {
        return absl::NotFoundError(absl::StrCat(
            "attachment ", a.id, " of case ", a.case_id, " not found"));
      }
      return absl::AbortedError(absl::StrCat(
          "attachment ", a.id, " has been updated (stored version ",
          check.Int(0), ")"));
    }
    a.version = s.Int(0);
    SQ_RETURN_IF_ERROR(s.Run());
  }
  SQ_RETURN_IF_ERROR(IndexAlerts(a));
  return RefreshTotals(a.case_id);
}

absl::Status SqliteTransaction::DeleteAttachment(std::string_view case_id,
                                                 std::string_view id) {
  {
    SQ_ASSIGN_OR_RETURN(
        Stmt s, Prepare("DELETE FROM attachments WHERE id = ? AND case_id = ?",
                        "delete attachment"));
    SQ_RETURN_IF_ERROR(s.BindText(id).BindText(case_id).Run());
    if (conn_->Changes() == 0) {
      return absl::NotFoundError(
          absl::StrCat("attachment ", sqlite::AbslView(id), " of case ",
                       sqlite::AbslView(case_id), " not found"));
    }
  }
  return RefreshTotals(case_id);
}

absl::StatusOr<std::vector<CaseAlert>> SqliteTransaction::ListCaseAlerts(
    std::string_view case_id) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s,
      Prepare("SELECT alert_id, alert_index, attachment_id, attached_at "
              "FROM case_alerts WHERE case_id = ? "
              "ORDER BY attached_at, rid",
              "list case alerts"));
  s.BindText(case_id);
  std::vector<CaseAlert> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    out.push_back(CaseAlert{s.Str(0), s.Str(1), s.Str(2), s.Time(3)});
  }
}

// --- Activity.

absl::Status SqliteTransaction::InsertUserAction(const UserAction& action) {
  std::optional<std::string> attachment_type;
  if (action.type == "comment" && action.payload.is_object()) {
    auto it = action.payload.find("comment");
    if (it != action.payload.end() && it->is_object()) {
      std::string t = sqlite::JsonString(*it, "type");
      if (!t.empty()) attachment_type = std::move(t);
    }
  }
  SQ_ASSIGN_OR_RETURN(
      Stmt s,
      Prepare("INSERT INTO user_actions(id, case_id, comment_id, type, action, "
              "attachment_type, payload, created_at, created_by, owner) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              "insert user action"));
  s.BindText(action.id)
      .BindText(action.case_id)
      .BindOptText(action.comment_id)
      .BindText(action.type)
      .BindText(action.action)
      .BindOptText(attachment_type)
      .BindText(DumpJson(action.payload))
      .BindTime(action.created_at)
      .BindText(DumpJson(sqlite::UserToJson(action.created_by)))
      .BindText(action.owner);
  absl::Status status = s.Run();
  if (absl::IsNotFound(status)) {
    return absl::NotFoundError(
        absl::StrCat("case ", action.case_id, " not found"));
  }
  return status;
}

absl::StatusOr<UserActionPage> SqliteTransaction::FindUserActions(
    const UserActionQuery& query) {
  SqlBuilder where;
  where.sql = " WHERE case_id = ?";
  where.args.emplace_back(query.case_id);
  if (!query.types.empty() || !query.pseudo_types.empty()) {
    where.sql += " AND (";
    bool first = true;
    auto next = [&]() {
      if (!first) where.sql += " OR ";
      first = false;
    };
    if (!query.types.empty()) {
      next();
      where.In("type", query.types);
    }
    for (const std::string& p : query.pseudo_types) {
      next();
      if (p == "action") {
        where.sql += "type <> 'comment'";
      } else if (p == "user") {
        where.sql += "(type = 'comment' AND attachment_type = 'user')";
      } else if (p == "alert") {
        where.sql += "(type = 'comment' AND attachment_type = 'alert')";
      } else if (p == "attachment") {
        where.sql +=
            "(type = 'comment' AND attachment_type IN ('actions', "
            "'externalReference', "
            "'persistableState'))";
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown user action filter ", p));
      }
    }
    where.sql += ")";
  }
  UserActionPage out;
  {
    SQ_ASSIGN_OR_RETURN(
        Stmt s,
        Prepare(absl::StrCat("SELECT count(*) FROM user_actions", where.sql),
                "count user actions"));
    where.Bind(s);
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (row) out.total = s.Int(0);
  }
  int per_page = std::max(query.per_page, 0);
  int64_t offset = static_cast<int64_t>(std::max(query.page, 1) - 1) * per_page;
  if (per_page == 0 || offset >= out.total) return out;
  const char* dir = query.ascending ? " ASC" : " DESC";
  where.args.emplace_back(static_cast<int64_t>(per_page));
  where.args.emplace_back(offset);
  SQ_ASSIGN_OR_RETURN(
      Stmt s,
      Prepare(absl::StrCat("SELECT ", kUserActionColumns, " FROM user_actions",
                           where.sql, " ORDER BY created_at", dir, ", seq", dir,
                           " LIMIT ? OFFSET ?"),
              "find user actions"));
  where.Bind(s);
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    SQ_ASSIGN_OR_RETURN(UserAction u, ReadUserAction(s));
    out.user_actions.push_back(std::move(u));
  }
}

absl::StatusOr<int64_t> SqliteTransaction::CountUserActions(
    std::string_view case_id) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("SELECT count(*) FROM user_actions WHERE case_id = ?",
                      "count user actions"));
  s.BindText(case_id);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  return row ? s.Int(0) : 0;
}

// --- Configurations.

absl::StatusOr<Configuration> SqliteTransaction::GetConfiguration(
    std::string_view id) {
  SQ_ASSIGN_OR_RETURN(Stmt s,
                      Prepare(absl::StrCat("SELECT ", kConfigurationColumns,
                                           " FROM configurations WHERE id = ?"),
                              "get configuration"));
  s.BindText(id);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row)
    return absl::NotFoundError(
        absl::StrCat("configuration ", sqlite::AbslView(id), " not found"));
  return ReadConfiguration(s);
}

absl::StatusOr<Configuration> SqliteTransaction::GetConfigurationByOwner(
    std::string_view owner) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare(absl::StrCat("SELECT ", kConfigurationColumns,
                                   " FROM configurations WHERE owner = ?"),
                      "get configuration by owner"));
  s.BindText(owner);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row)
    return absl::NotFoundError(
        absl::StrCat("no configuration for owner ", sqlite::AbslView(owner)));
  return ReadConfiguration(s);
}

absl::StatusOr<std::vector<Configuration>>
SqliteTransaction::ListConfigurations(absl::Span<const std::string> owners) {
  SqlBuilder b;
  b.sql =
      absl::StrCat("SELECT ", kConfigurationColumns, " FROM configurations");
  OwnersClause(owners, "owner", " WHERE ", &b);
  b.sql += " ORDER BY owner";
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(b.sql, "list configurations"));
  b.Bind(s);
  std::vector<Configuration> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    SQ_ASSIGN_OR_RETURN(Configuration c, ReadConfiguration(s));
    out.push_back(std::move(c));
  }
}

absl::Status SqliteTransaction::InsertConfiguration(Configuration& c) {
  SQ_ASSIGN_OR_RETURN(Stmt s,
                      Prepare("INSERT INTO configurations(id, owner, version, "
                              "connector_id, created_at, updated_at, doc) "
                              "VALUES (?, ?, 1, ?, ?, ?, ?)",
                              "insert configuration"));
  s.BindText(c.id)
      .BindText(c.owner)
      .BindText(c.connector.id)
      .BindTime(c.created_at)
      .BindOptTime(c.updated_at)
      .BindText(ConfigurationDoc(c));
  SQ_RETURN_IF_ERROR(s.Run());
  c.version = 1;
  return absl::OkStatus();
}

absl::Status SqliteTransaction::UpdateConfiguration(Configuration& c) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("UPDATE configurations SET version = version + 1, "
                      "owner = ?, connector_id = ?, created_at = ?, "
                      "updated_at = ?, doc = ? WHERE id = ? AND version = ? "
                      "RETURNING version",
                      "update configuration"));
  s.BindText(c.owner)
      .BindText(c.connector.id)
      .BindTime(c.created_at)
      .BindOptTime(c.updated_at)
      .BindText(ConfigurationDoc(c))
      .BindText(c.id)
      .BindInt(c.version);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) return VersionFailure("configurations", c.id, "configuration");
  c.version = s.Int(0);
  return s.Run();
}

absl::Status SqliteTransaction::DeleteConfiguration(std::string_view id) {
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare("DELETE FROM configurations WHERE id = ?",
                                      "delete configuration"));
  SQ_RETURN_IF_ERROR(s.BindText(id).Run());
  if (conn_->Changes() == 0) {
    return absl::NotFoundError(
        absl::StrCat("configuration ", sqlite::AbslView(id), " not found"));
  }
  return absl::OkStatus();
}

// --- Connectors.

absl::StatusOr<Connector> SqliteTransaction::GetConnector(std::string_view id) {
  SQ_ASSIGN_OR_RETURN(Stmt s,
                      Prepare(absl::StrCat("SELECT ", kConnectorColumns,
                                           " FROM connectors WHERE id = ?"),
                              "get connector"));
  s.BindText(id);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row)
    return absl::NotFoundError(
        absl::StrCat("connector ", sqlite::AbslView(id), " not found"));
  return ReadConnector(s);
}

absl::StatusOr<std::vector<Connector>> SqliteTransaction::ListConnectors() {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare(absl::StrCat("SELECT ", kConnectorColumns,
                                   " FROM connectors ORDER BY name, id"),
                      "list connectors"));
  std::vector<Connector> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    SQ_ASSIGN_OR_RETURN(Connector c, ReadConnector(s));
    out.push_back(std::move(c));
  }
}

absl::Status SqliteTransaction::InsertConnector(const Connector& c) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("INSERT INTO connectors(id, connector_type_id, name, "
                      "config, sealed_secrets, is_missing_secrets, created_at, "
                      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      "insert connector"));
  s.BindText(c.id)
      .BindText(c.connector_type_id)
      .BindText(c.name)
      .BindText(DumpJson(c.config))
      .BindBlob(c.sealed_secrets)
      .BindInt(c.is_missing_secrets ? 1 : 0)
      .BindTime(c.created_at)
      .BindTime(c.updated_at);
  return s.Run();
}

absl::Status SqliteTransaction::UpdateConnector(const Connector& c) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("UPDATE connectors SET connector_type_id = ?, name = ?, "
                      "config = ?, sealed_secrets = ?, is_missing_secrets = ?, "
                      "created_at = ?, updated_at = ? WHERE id = ?",
                      "update connector"));
  s.BindText(c.connector_type_id)
      .BindText(c.name)
      .BindText(DumpJson(c.config))
      .BindBlob(c.sealed_secrets)
      .BindInt(c.is_missing_secrets ? 1 : 0)
      .BindTime(c.created_at)
      .BindTime(c.updated_at)
      .BindText(c.id);
  SQ_RETURN_IF_ERROR(s.Run());
  if (conn_->Changes() == 0) {
    return absl::NotFoundError(absl::StrCat("connector ", c.id, " not found"));
  }
  return absl::OkStatus();
}

absl::Status SqliteTransaction::DeleteConnector(std::string_view id) {
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare("DELETE FROM connectors WHERE id = ?",
                                      "delete connector"));
  SQ_RETURN_IF_ERROR(s.BindText(id).Run());
  if (conn_->Changes() == 0)
    return absl::NotFoundError(
        absl::StrCat("connector ", sqlite::AbslView(id), " not found"));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteTransaction::CountConnectorReferences(
    std::string_view connector_id) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s,
      Prepare("SELECT (SELECT count(*) FROM cases WHERE connector_id = ?1)"
              " + (SELECT count(*) FROM configurations WHERE "
              "connector_id = ?1)",
              "count connector references"));
  s.BindText(connector_id);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  return row ? s.Int(0) : 0;
}

// --- Token cache.

absl::StatusOr<std::optional<CachedToken>> SqliteTransaction::GetCachedToken(
    std::string_view connector_id, std::string_view key) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("SELECT sealed_token, expires_at FROM cached_tokens "
                      "WHERE connector_id = ? AND key = ?",
                      "get cached token"));
  s.BindText(connector_id).BindText(key);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) return std::optional<CachedToken>();
  return std::optional<CachedToken>(CachedToken{
      std::string(connector_id), std::string(key), s.Blob(0), s.Time(1)});
}

absl::Status SqliteTransaction::PutCachedToken(const CachedToken& token) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("INSERT OR REPLACE INTO cached_tokens(connector_id, key, "
                      "sealed_token, expires_at) VALUES (?, ?, ?, ?)",
                      "put cached token"));
  return s.BindText(token.connector_id)
      .BindText(token.key)
      .BindBlob(token.sealed_token)
      .BindTime(token.expires_at)
      .Run();
}

absl::Status SqliteTransaction::DeleteCachedTokens(
    std::string_view connector_id) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("DELETE FROM cached_tokens WHERE connector_id = ?",
                      "delete cached tokens"));
  return s.BindText(connector_id).Run();
}

// --- API keys.

namespace {
constexpr char kApiKeyColumns[] =
    "id, name, key_hash, user_json, roles_json, created_at, created_by, "
    "revoked_at";

absl::StatusOr<ApiKey> ReadApiKey(const Stmt& s) {
  ApiKey k;
  k.id = s.Text(0);
  k.name = s.Text(1);
  k.key_hash = s.Text(2);
  SQ_ASSIGN_OR_RETURN(Json user, ParseJson(s.Text(3), "api key user"));
  k.user = sqlite::UserFromJson(user);
  SQ_ASSIGN_OR_RETURN(Json roles, ParseJson(s.Text(4), "api key roles"));
  if (roles.is_array()) {
    for (const auto& r : roles) {
      if (r.is_string()) k.roles.push_back(r.get<std::string>());
    }
  }
  k.created_at = s.Time(5);
  k.created_by = s.Text(6);
  if (!s.IsNull(7)) k.revoked_at = s.Time(7);
  return k;
}
}  // namespace

absl::StatusOr<std::optional<ApiKey>> SqliteTransaction::GetApiKey(
    std::string_view id) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare(absl::StrCat("SELECT ", kApiKeyColumns,
                                   " FROM api_keys WHERE id = ?"),
                      "get api key"));
  s.BindText(id);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) return std::optional<ApiKey>();
  SQ_ASSIGN_OR_RETURN(ApiKey k, ReadApiKey(s));
  return std::optional<ApiKey>(std::move(k));
}

absl::StatusOr<std::vector<ApiKey>> SqliteTransaction::ListApiKeys() {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare(absl::StrCat("SELECT ", kApiKeyColumns,
                                   " FROM api_keys ORDER BY created_at, id"),
                      "list api keys"));
  std::vector<ApiKey> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    SQ_ASSIGN_OR_RETURN(ApiKey k, ReadApiKey(s));
    out.push_back(std::move(k));
  }
  return out;
}

absl::Status SqliteTransaction::InsertApiKey(const ApiKey& key) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare(absl::StrCat("INSERT INTO api_keys(", kApiKeyColumns,
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                      "insert api key"));
  s.BindText(key.id)
      .BindText(key.name)
      .BindText(key.key_hash)
      .BindText(DumpJson(sqlite::UserToJson(key.user)))
      .BindText(DumpJson(Json(key.roles)))
      .BindTime(key.created_at)
      .BindText(key.created_by)
      .BindOptTime(key.revoked_at);
  return s.Run();
}

absl::Status SqliteTransaction::RevokeApiKey(std::string_view id,
                                             absl::Time revoked_at) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) "
                      "WHERE id = ?",
                      "revoke api key"));
  SQ_RETURN_IF_ERROR(s.BindTime(revoked_at).BindText(id).Run());
  if (conn_->Changes() == 0) {
    return absl::NotFoundError(
        absl::StrCat("api key ", std::string(id), " not found"));
  }
  return absl::OkStatus();
}

// --- Push jobs and records.

constexpr const char* kPushJobColumns =
    "id, case_id, connector_id, connector_type_id, state, attempts, "
    "max_attempts, created_at, updated_at, next_attempt_at, finished_at, "
    "lease_owner, lease_expires_at, doc";

absl::StatusOr<PushJob> ReadPushJob(const Stmt& s) {
  PushJob j;
  j.id = s.Str(0);
  j.case_id = s.Str(1);
  j.connector_id = s.Str(2);
  j.connector_type_id = s.Str(3);
  j.state = sqlite::PushJobStateFromInt(s.Int(4));
  j.attempts = static_cast<int32_t>(s.Int(5));
  j.max_attempts = static_cast<int32_t>(s.Int(6));
  j.created_at = s.Time(7);
  j.updated_at = s.Time(8);
  j.next_attempt_at = s.OptTime(9);
  j.finished_at = s.OptTime(10);
  j.lease_owner = s.Str(11);
  j.lease_expires_at = s.OptTime(12);
  SQ_RETURN_IF_ERROR(sqlite::ReadPushJobDoc(s.Text(13), j));
  return j;
}

absl::Status SqliteTransaction::InsertPushJob(const PushJob& job) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s,
      Prepare(
          absl::StrCat("INSERT INTO push_jobs(", kPushJobColumns,
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
          "insert push job"));
  s.BindText(job.id)
      .BindText(job.case_id)
      .BindText(job.connector_id)
      .BindText(job.connector_type_id)
      .BindInt(sqlite::PushJobStateToInt(job.state))
      .BindInt(job.attempts)
      .BindInt(job.max_attempts)
      .BindTime(job.created_at)
      .BindTime(job.updated_at)
      .BindOptTime(job.next_attempt_at)
      .BindOptTime(job.finished_at)
      .BindText(job.lease_owner)
      .BindOptTime(job.lease_expires_at)
      .BindText(sqlite::PushJobDoc(job));
  return s.Run();
}

absl::StatusOr<PushJob> SqliteTransaction::GetPushJob(std::string_view id) {
  SQ_ASSIGN_OR_RETURN(Stmt s,
                      Prepare(absl::StrCat("SELECT ", kPushJobColumns,
                                           " FROM push_jobs WHERE id = ?"),
                              "get push job"));
  s.BindText(id);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row)
    return absl::NotFoundError(
        absl::StrCat("push job ", sqlite::AbslView(id), " not found"));
  return ReadPushJob(s);
}

absl::Status SqliteTransaction::UpdatePushJob(
    const PushJob& job, std::string_view expected_lease_owner) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s,
      Prepare("UPDATE push_jobs SET state = ?, attempts = ?, max_attempts = ?, "
              "updated_at = ?, next_attempt_at = ?, finished_at = ?, "
              "lease_owner = ?, lease_expires_at = ?, doc = ? WHERE id = ? AND "
              "(?11 = '' OR (state = 1 AND lease_owner = ?11))",
              "update push job"));
  s.BindInt(sqlite::PushJobStateToInt(job.state))
      .BindInt(job.attempts)
      .BindInt(job.max_attempts)
      .BindTime(job.updated_at)
      .BindOptTime(job.next_attempt_at)
      .BindOptTime(job.finished_at)
      .BindText(job.lease_owner)
      .BindOptTime(job.lease_expires_at)
      .BindText(sqlite::PushJobDoc(job))
      .BindText(job.id)
      .BindText(expected_lease_owner);
  SQ_RETURN_IF_ERROR(s.Run());
  if (conn_->Changes() > 0) return absl::OkStatus();
  SQ_ASSIGN_OR_RETURN(PushJob stored, GetPushJob(job.id));
  (void)stored;
  return absl::AbortedError(
      absl::StrCat("push job ", job.id, " is no longer leased to ",
                   sqlite::AbslView(expected_lease_owner)));
}

absl::StatusOr<PushJobPage> SqliteTransaction::FindPushJobs(
    const PushJobQuery& query) {
  SqlBuilder where;
  where.sql = " WHERE 1 = 1";
  if (!query.case_id.empty()) {
    where.sql += " AND case_id = ?";
    where.args.push_back(query.case_id);
  }
  if (!query.states.empty()) {
    where.sql += " AND state IN (";
    for (size_t i = 0; i < query.states.size(); ++i) {
      where.sql += i ? ", ?" : "?";
      where.args.push_back(sqlite::PushJobStateToInt(query.states[i]));
    }
    where.sql += ")";
  }
  PushJobPage page;
  {
    SqlBuilder b = where;
    b.sql = absl::StrCat("SELECT count(*) FROM push_jobs", where.sql);
    SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(b.sql, "count push jobs"));
    b.Bind(s);
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (row) page.total = s.Int(0);
  }
  SqlBuilder b = where;
  b.sql = absl::StrCat("SELECT ", kPushJobColumns, " FROM push_jobs", where.sql,
                       " ORDER BY created_at DESC, rid DESC LIMIT ? OFFSET ?");
  int per_page = std::max(query.per_page, 0);
  b.args.push_back(static_cast<int64_t>(per_page));
  b.args.push_back(static_cast<int64_t>(std::max(query.page - 1, 0)) *
                   per_page);
  SQ_ASSIGN_OR_RETURN(Stmt s, Prepare(b.sql, "find push jobs"));
  b.Bind(s);
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    SQ_ASSIGN_OR_RETURN(PushJob j, ReadPushJob(s));
    page.jobs.push_back(std::move(j));
  }
  return page;
}

absl::StatusOr<std::vector<PushJob>> SqliteTransaction::ClaimPushJobs(
    std::string_view owner, absl::Time now, absl::Time lease_until, int limit) {
  std::vector<PushJob> claimed;
  if (limit <= 0) return claimed;
  const int64_t now_us = absl::ToUnixMicros(now);
  // Due jobs, oldest first; a pair with a live lease is skipped in SQL, a
  // pair already claimed in this batch in the loop below. Write
  // transactions are serialised, so no other claimer interleaves.
  SQ_ASSIGN_OR_RETURN(
      Stmt s,
      Prepare(absl::StrCat(
                  "SELECT ", kPushJobColumns,
                  " FROM push_jobs j WHERE (j.state = 0 OR (j.state = 2 AND "
                  "j.next_attempt_at <= ?1) OR (j.state = 1 AND "
                  "j.lease_expires_at <= ?1)) AND NOT EXISTS (SELECT 1 FROM "
                  "push_jobs r WHERE r.case_id = j.case_id AND "
                  "r.connector_id = j.connector_id AND r.state = 1 AND "
                  "r.lease_expires_at > ?1) ORDER BY j.created_at, j.rid "
                  "LIMIT ?2"),
              "find due push jobs"));
  s.BindInt(now_us).BindInt(static_cast<int64_t>(limit) * 4 + 16);
  std::vector<PushJob> due;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    SQ_ASSIGN_OR_RETURN(PushJob j, ReadPushJob(s));
    due.push_back(std::move(j));
  }
  for (PushJob& j : due) {
    if (static_cast<int>(claimed.size()) >= limit) break;
    bool pair_taken = false;
    for (const PushJob& c : claimed) {
      if (c.case_id == j.case_id && c.connector_id == j.connector_id) {
        pair_taken = true;
        break;
      }
    }
    if (pair_taken) continue;
    j.state = PushJobState::kRunning;
    j.attempts += 1;
    j.updated_at = now;
    j.next_attempt_at.reset();
    j.lease_owner = std::string(owner);
    j.lease_expires_at = lease_until;
    SQ_RETURN_IF_ERROR(UpdatePushJob(j, ""));
    claimed.push_back(std::move(j));
  }
  return claimed;
}

absl::Status SqliteTransaction::RenewPushJobLease(std::string_view id,
                                                  std::string_view owner,
                                                  absl::Time lease_until) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("UPDATE push_jobs SET lease_expires_at = ? WHERE id = ? "
                      "AND state = 1 AND lease_owner = ?",
                      "renew push job lease"));
  SQ_RETURN_IF_ERROR(
      s.BindTime(lease_until).BindText(id).BindText(owner).Run());
  if (conn_->Changes() == 0) {
    return absl::AbortedError(absl::StrCat("push job ", sqlite::AbslView(id),
                                           " is no longer leased to ",
                                           sqlite::AbslView(owner)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::Time>> SqliteTransaction::NextPushJobDue() {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("SELECT min(t) FROM (SELECT min(next_attempt_at) AS t "
                      "FROM push_jobs WHERE state = 2 UNION ALL SELECT "
                      "min(lease_expires_at) FROM push_jobs WHERE state = 1)",
                      "next push job due"));
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row || s.IsNull(0)) return std::optional<absl::Time>();
  return std::optional<absl::Time>(s.Time(0));
}

absl::StatusOr<std::vector<PushJob>> SqliteTransaction::LatestPushJobs(
    std::string_view case_id) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s,
      Prepare(absl::StrCat("SELECT ", kPushJobColumns,
                           " FROM push_jobs WHERE case_id = ?1 ORDER BY "
                           "connector_id, created_at DESC, rid DESC"),
              "latest push jobs"));
  s.BindText(case_id);
  std::vector<PushJob> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    if (!out.empty() && out.back().connector_id == s.Text(2)) continue;
    SQ_ASSIGN_OR_RETURN(PushJob j, ReadPushJob(s));
    out.push_back(std::move(j));
  }
}

absl::StatusOr<PushRecord> ReadPushRecord(const Stmt& s) {
  PushRecord r;
  r.case_id = s.Str(0);
  r.connector_id = s.Str(1);
  SQ_RETURN_IF_ERROR(sqlite::ReadPushRecordDoc(s.Text(2), r));
  return r;
}

absl::StatusOr<std::optional<PushRecord>> SqliteTransaction::GetPushRecord(
    std::string_view case_id, std::string_view connector_id) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("SELECT case_id, connector_id, doc FROM push_records "
                      "WHERE case_id = ? AND connector_id = ?",
                      "get push record"));
  s.BindText(case_id).BindText(connector_id);
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  if (!row) return std::optional<PushRecord>();
  SQ_ASSIGN_OR_RETURN(PushRecord r, ReadPushRecord(s));
  return std::optional<PushRecord>(std::move(r));
}

absl::StatusOr<std::vector<PushRecord>> SqliteTransaction::ListPushRecords(
    std::string_view case_id) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("SELECT case_id, connector_id, doc FROM push_records "
                      "WHERE case_id = ? ORDER BY connector_id",
                      "list push records"));
  s.BindText(case_id);
  std::vector<PushRecord> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return out;
    SQ_ASSIGN_OR_RETURN(PushRecord r, ReadPushRecord(s));
    out.push_back(std::move(r));
  }
}

absl::Status SqliteTransaction::PutPushRecord(const PushRecord& record) {
  SQ_ASSIGN_OR_RETURN(Stmt s,
                      Prepare("INSERT OR REPLACE INTO push_records(case_id, "
                              "connector_id, doc) VALUES (?, ?, ?)",
                              "put push record"));
  return s.BindText(record.case_id)
      .BindText(record.connector_id)
      .BindText(sqlite::PushRecordDoc(record))
      .Run();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(
    const SqliteStoreOptions& options) {
  if (options.path.empty())
    return absl::InvalidArgumentError("sqlite store: empty path");
  auto store = std::make_unique<SqliteStore>(options);
  SQ_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

// --- Case events.

absl::Status SqliteTransaction::InsertCaseEvent(CaseEvent& event) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("INSERT INTO case_events(type, case_id, owner, "
                      "case_version, created_at) VALUES (?, ?, ?, ?, ?)",
                      "insert case event"));
  SQ_RETURN_IF_ERROR(s.BindInt(static_cast<int64_t>(event.type))
                         .BindText(event.case_id)
                         .BindText(event.owner)
                         .BindInt(event.case_version)
                         .BindTime(event.time)
                         .Run());
  event.seq = sqlite3_last_insert_rowid(conn_->db());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<CaseEvent>> SqliteTransaction::ListCaseEvents(
    int64_t after_seq, int limit) {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("SELECT seq, type, case_id, owner, case_version, "
                      "created_at FROM case_events WHERE seq > ? "
                      "ORDER BY seq LIMIT ?",
                      "list case events"));
  s.BindInt(after_seq).BindInt(limit);
  std::vector<CaseEvent> out;
  while (true) {
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) break;
    CaseEvent e;
    e.seq = s.Int(0);
    e.type = static_cast<CaseEventType>(s.Int(1));
    e.case_id = s.Str(2);
    e.owner = s.Str(3);
    e.case_version = s.Int(4);
    e.time = absl::FromUnixMicros(s.Int(5));
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<int64_t> SqliteTransaction::LatestCaseEventSeq() {
  // AUTOINCREMENT keeps the highest seq ever used, even after pruning.
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("SELECT max(coalesce((SELECT max(seq) FROM case_events), 0), "
                      "coalesce((SELECT seq FROM sqlite_sequence WHERE name = "
                      "'case_events'), 0))",
                      "latest case event"));
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  return row ? s.Int(0) : 0;
}

absl::StatusOr<int64_t> SqliteTransaction::PruneCaseEvents(absl::Time before) {
  int64_t through = 0;
  {
    SQ_ASSIGN_OR_RETURN(
        Stmt s, Prepare("SELECT coalesce(max(seq), 0) FROM case_events "
                        "WHERE created_at < ?",
                        "find prunable case events"));
    s.BindTime(before);
    SQ_ASSIGN_OR_RETURN(bool row, s.Next());
    if (row) through = s.Int(0);
  }
  if (through == 0) return 0;
  SQ_ASSIGN_OR_RETURN(Stmt del, Prepare("DELETE FROM case_events WHERE seq <= ?",
                                        "prune case events"));
  SQ_RETURN_IF_ERROR(del.BindInt(through).Run());
  const int64_t deleted = sqlite3_changes(conn_->db());
  SQ_ASSIGN_OR_RETURN(
      Stmt mark, Prepare("UPDATE case_events_pruned SET through_seq = "
                         "max(through_seq, ?) WHERE id = 1",
                         "record pruned case events"));
  SQ_RETURN_IF_ERROR(mark.BindInt(through).Run());
  return deleted;
}

absl::StatusOr<int64_t> SqliteTransaction::CaseEventsPrunedThrough() {
  SQ_ASSIGN_OR_RETURN(
      Stmt s, Prepare("SELECT through_seq FROM case_events_pruned WHERE id = 1",
                      "read pruned case events"));
  SQ_ASSIGN_OR_RETURN(bool row, s.Next());
  return row ? s.Int(0) : 0;
}

}  // namespace casebridge::store

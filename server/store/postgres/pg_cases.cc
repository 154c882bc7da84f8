// Cases and case search of the PostgreSQL store (see pg_transaction.h).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/store/postgres/pg_transaction.h"
#include "server/store/sqlite/sqlite_codec.h"

namespace casebridge::store::pg {
namespace {

namespace codec = ::casebridge::store::sqlite;

constexpr const char* kCaseColumns =
    "c.id, c.version, c.owner, c.status, c.severity, c.title, "
    "c.description, c.category, c.created_at, c.updated_at, c.closed_at, "
    "c.total_comment, c.total_alerts, c.doc";

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

Json StringsJson(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const std::string& s : v) out.push_back(s);
  return out;
}

// Everything of a case that is not a column (same shape as the SQLite
// store's, so the two stores hold interchangeable documents).
std::string CaseDoc(const Case& c) {
  Json doc = Json::object();
  doc["tags"] = StringsJson(c.tags);
  doc["assignees"] = StringsJson(c.assignees);
  doc["custom_fields"] = codec::CustomFieldsToJson(c.custom_fields);
  doc["connector"] = codec::ConnectorToJson(c.connector);
  doc["sync_alerts"] = c.sync_alerts;
  if (c.duration_seconds) doc["duration"] = *c.duration_seconds;
  doc["created_by"] = codec::UserToJson(c.created_by);
  if (c.updated_by) doc["updated_by"] = codec::UserToJson(*c.updated_by);
  if (c.closed_by) doc["closed_by"] = codec::UserToJson(*c.closed_by);
  if (c.external_service) {
    doc["external_service"] = codec::ExternalServiceToJson(*c.external_service);
  }
  return codec::DumpJson(doc);
}

// Decodes a row selected with kCaseColumns starting at column 0.
absl::StatusOr<Case> ReadCase(const Result& r, int row) {
  Case c;
  c.id = r.Str(row, 0);
  c.version = r.Int(row, 1);
  c.owner = r.Str(row, 2);
  c.status = StatusFromInt(r.Int(row, 3));
  c.severity = SeverityFromInt(r.Int(row, 4));
  c.title = r.Str(row, 5);
  c.description = r.Str(row, 6);
  c.category = r.OptStr(row, 7);
  c.created_at = r.Time(row, 8);
  c.updated_at = r.OptTime(row, 9);
  c.closed_at = r.OptTime(row, 10);
  c.total_comment = static_cast<int32_t>(r.Int(row, 11));
  c.total_alerts = static_cast<int32_t>(r.Int(row, 12));
  PG_ASSIGN_OR_RETURN(Json doc, codec::ParseJson(r.View(row, 13), "case"));
  c.tags = codec::JsonStrings(doc, "tags");
  c.assignees = codec::JsonStrings(doc, "assignees");
  if (auto it = doc.find("custom_fields"); it != doc.end()) {
    c.custom_fields = codec::CustomFieldsFromJson(*it);
  }
  if (auto it = doc.find("connector"); it != doc.end()) {
    c.connector = codec::ConnectorFromJson(*it);
  }
  if (auto it = doc.find("sync_alerts"); it != doc.end() && it->is_boolean()) {
    c.sync_alerts = it->get<bool>();
  }
  if (auto it = doc.find("duration");
      it != doc.end() && it->is_number_integer()) {
    c.duration_seconds = it->get<int64_t>();
  }
  if (auto it = doc.find("created_by"); it != doc.end()) {
    c.created_by = codec::UserFromJson(*it);
  }
  if (auto it = doc.find("updated_by"); it != doc.end()) {
    c.updated_by = codec::UserFromJson(*it);
  }
  if (auto it = doc.find("closed_by"); it != doc.end()) {
    c.closed_by = codec::UserFromJson(*it);
  }
  if (auto it = doc.find("external_service"); it != doc.end()) {
    c.external_service = codec::ExternalServiceFromJson(*it);
  }
  return c;
}

absl::StatusOr<std::vector<Case>> ReadCases(const Result& r) {
  std::vector<Case> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    PG_ASSIGN_OR_RETURN(Case c, ReadCase(r, i));
    out.push_back(std::move(c));
  }
  return out;
}

// Longest lexeme kept (PostgreSQL refuses lexemes of 2 KiB and more).
constexpr size_t kMaxWordBytes = 1024;

// Words of `text` as the SQLite store's FTS5 unicode61 tokenizer sees them,
// closely enough: runs of ASCII letters and digits and of bytes >= 0x80.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (word.size() > kMaxWordBytes) {
      size_t n = kMaxWordBytes;
      // Do not cut a UTF-8 sequence.
      while (n > 0 && (static_cast<unsigned char>(word[n]) & 0xC0) == 0x80) --n;
      word.resize(n);
    }
    words.push_back(std::move(word));
    word.clear();
  };
  for (char ch : text) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') ||
        (u >= 'A' && u <= 'Z')) {
      word += ch;
    } else {
      flush();
    }
  }
  flush();
  return words;
}

// The words of `text` space-separated, deduplicated; the SQL side lowercases
// them and makes a tsvector (see kTsvector).
std::string WordList(std::string_view text) {
  std::vector<std::string> words = Words(text);
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return absl::StrJoin(words, " ");
}

// SQL turning a WordList parameter into a tsvector of lowercased lexemes.
std::string Tsvector(int param) {
  return absl::StrCat(
      "array_to_tsvector(array(SELECT DISTINCT w FROM "
      "unnest(string_to_array(lower($",
      param, "), ' ')) AS w))");
}

// A tsquery text for `search` (each word a quoted prefix term), or "" when
// it has no words. Words hold no quotes or spaces, so nothing a user types
// is read as tsquery syntax.
std::string TsQuery(const CaseFilter& f) {
  std::vector<std::string> words = Words(f.search);
  std::string expr;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) expr += f.search_all_words ? " & " : " | ";
    absl::StrAppend(&expr, "'", words[i], "':*");
  }
  return expr;
}

// Appends " WHERE ..." (or nothing) for the filter over cases aliased `c`.
// Returns false when the filter can match nothing.
bool AppendWhere(const CaseFilter& f, bool with_statuses, std::string* sql,
                 Params* p) {
  bool first = true;
  auto add = [&](const std::string& cond) {
    absl::StrAppend(sql, first ? " WHERE " : " AND ", cond);
    first = false;
  };
  if (!f.owners.empty()) {
    add(absl::StrCat("c.owner = ANY($", p->next(), "::text[])"));
    p->TextArray(f.owners);
  }
  if (with_statuses && !f.statuses.empty()) {
    std::vector<int64_t> v;
    for (CaseStatus s : f.statuses) v.push_back(static_cast<int64_t>(s));
    add(absl::StrCat("c.status = ANY($", p->next(), "::int[])"));
    p->IntArray(v);
  }
  if (!f.severities.empty()) {
    std::vector<int64_t> v;
    for (CaseSeverity s : f.severities) v.push_back(static_cast<int64_t>(s));
    add(absl::StrCat("c.severity = ANY($", p->next(), "::int[])"));
    p->IntArray(v);
  }
  if (!f.categories.empty()) {
    add(absl::StrCat("c.category = ANY($", p->next(), "::text[])"));
    p->TextArray(f.categories);
  }
  if (!f.tags.empty()) {
    add(absl::StrCat("c.tags && $", p->next(), "::text[]"));
    p->TextArray(f.tags);
  }
  if (!f.reporters.empty()) {
    int n = p->next();
    add(absl::StrCat("(c.created_by_username = ANY($", n,
                     "::text[]) OR c.created_by_profile_uid = ANY($", n,
                     "::text[]))"));
    p->TextArray(f.reporters);
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
    std::string cond = "(";
    if (none) cond += "cardinality(c.assignees) = 0";
    if (!uids.empty()) {
      if (none) cond += " OR ";
      absl::StrAppend(&cond, "c.assignees && $", p->next(), "::text[]");
      p->TextArray(uids);
    }
    cond += ")";
    add(cond);
  }
  if (f.created_from) {
    add(absl::StrCat("c.created_at >= $", p->next(), "::bigint"));
    p->Time(*f.created_from);
  }
  if (f.created_to) {
    add(absl::StrCat("c.created_at <= $", p->next(), "::bigint"));
    p->Time(*f.created_to);
  }
  if (!f.search.empty()) {
    if (!f.search_title && !f.search_description) return false;
    std::string q = TsQuery(f);
    if (!q.empty()) {
      int n = p->next();
      p->Text(q);
      // fts_all is indexed; the per-field vectors narrow it to the chosen
      // fields (a match in one field implies one in fts_all).
      std::string cond = absl::StrCat("c.fts_all @@ lower($", n, ")::tsquery");
      if (!f.search_title) {
        absl::StrAppend(&cond, " AND c.fts_description @@ lower($", n,
                        ")::tsquery");
      } else if (!f.search_description) {
        absl::StrAppend(&cond, " AND c.fts_title @@ lower($", n, ")::tsquery");
      }
      add(cond);
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
      return "c.title COLLATE \"C\"";
    case CaseSortField::kCategory:
      return "c.category COLLATE \"C\"";
    case CaseSortField::kStatus:
      return "c.status";
    case CaseSortField::kSeverity:
      return "c.severity";
  }
  return "c.created_at";
}

// " WHERE"/" AND" `column` = ANY(owners), or nothing for no owners.
void OwnersClause(absl::Span<const std::string> owners, const char* column,
                  const char* lead, std::string* sql, Params* p) {
  if (owners.empty()) return;
  absl::StrAppend(sql, lead, column, " = ANY($", p->next(), "::text[])");
  p->TextArray(std::vector<std::string>(owners.begin(), owners.end()));
}

}  // namespace

// --- Cases.

absl::StatusOr<Case> PgTransaction::GetCase(std::string_view id) {
  Params p;
  p.Text(id);
  PG_ASSIGN_OR_RETURN(Result r,
                      Q(absl::StrCat("SELECT ", kCaseColumns,
                                     " FROM cases c WHERE c.id = $1", Lock()),
                        p, "get case"));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat("case ", AV(id), " not found"));
  }
  return ReadCase(r, 0);
}

absl::StatusOr<std::vector<Case>> PgTransaction::GetCases(
    absl::Span<const std::string> ids) {
  if (ids.empty()) return std::vector<Case>();
  Params p;
  p.TextArray(std::vector<std::string>(ids.begin(), ids.end()));
  // Rows are locked in id order so that concurrent writers cannot deadlock
  // on each other's sets.
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q(absl::StrCat("SELECT ", kCaseColumns,
                     " FROM cases c WHERE c.id = ANY($1::text[]) ORDER BY c.id",
                     Lock()),
        p, "get cases"));
  PG_ASSIGN_OR_RETURN(std::vector<Case> found, ReadCases(r));
  std::vector<Case> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    auto it = std::lower_bound(
        found.begin(), found.end(), id,
        [](const Case& c, const std::string& key) { return c.id < key; });
    if (it != found.end() && it->id == id) out.push_back(*it);
  }
  return out;
}

namespace {

// Parameters $1..$19 shared by InsertCase and UpdateCase.
void CaseParams(const Case& c, Params* p) {
  p->Text(c.id)
      .Text(c.owner)
      .Int(static_cast<int64_t>(c.status))
      .Int(static_cast<int64_t>(c.severity))
      .Text(c.title)
      .Text(c.description)
      .OptText(c.category)
      .Time(c.created_at)
      .OptTime(c.updated_at)
      .OptTime(c.closed_at)
      .Text(c.created_by.username)
      .Text(c.created_by.profile_uid)
      .Text(codec::DumpJson(codec::UserToJson(c.created_by)))
      .TextArray(c.tags)
      .TextArray(c.assignees)
      .Text(c.connector.id)
      .Text(WordList(c.title))
      .Text(WordList(c.description))
      .Text(CaseDoc(c));
}

}  // namespace

absl::Status PgTransaction::InsertCase(Case& c) {
  static const std::string sql = absl::StrCat(
      "INSERT INTO cases(id, version, owner, status, severity, title, "
      "description, category, created_at, updated_at, closed_at, "
      "created_by_username, created_by_profile_uid, created_by, tags, "
      "assignees, connector_id, fts_title, fts_description, fts_all, doc) "
      "VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
      "$14::text[], $15::text[], $16, ",
      Tsvector(17), ", ", Tsvector(18), ", ", Tsvector(17), " || ",
      Tsvector(18), ", $19) ON CONFLICT DO NOTHING");
  Params p;
  CaseParams(c, &p);
  PG_ASSIGN_OR_RETURN(Result r, Q(sql, p, "insert case"));
  if (r.Affected() == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("case ", c.id, " already exists"));
  }
  c.version = 1;
  c.total_comment = 0;
  c.total_alerts = 0;
  return absl::OkStatus();
}

absl::Status PgTransaction::UpdateCase(Case& c) {
  // In READ COMMITTED a concurrent update of the row makes this statement
  // wait and then re-check "version = $20" on the newest row version, so
  // only one of two writers holding the same version succeeds.
  static const std::string sql = absl::StrCat(
      "UPDATE cases SET version = version + 1, owner = $2, status = $3, "
      "severity = $4, title = $5, description = $6, category = $7, "
      "created_at = $8, updated_at = $9, closed_at = $10, "
      "created_by_username = $11, created_by_profile_uid = $12, "
      "created_by = $13, tags = $14::text[], assignees = $15::text[], "
      "connector_id = $16, fts_title = ",
      Tsvector(17), ", fts_description = ", Tsvector(18),
      ", fts_all = ", Tsvector(17), " || ", Tsvector(18),
      ", doc = $19 WHERE id = $1 AND version = $20 "
      "RETURNING version, total_comment, total_alerts");
  Params p;
  CaseParams(c, &p);
  p.Int(c.version);
  PG_ASSIGN_OR_RETURN(Result r, Q(sql, p, "update case"));
  if (r.rows() == 0) return VersionFailure("cases", c.id, "case");
  c.version = r.Int(0, 0);
  c.total_comment = static_cast<int32_t>(r.Int(0, 1));
  c.total_alerts = static_cast<int32_t>(r.Int(0, 2));
  return absl::OkStatus();
}

absl::Status PgTransaction::DeleteCase(std::string_view id) {
  Params p;
  p.Text(id);
  PG_ASSIGN_OR_RETURN(Result r,
                      Q("DELETE FROM cases WHERE id = $1", p, "delete case"));
  if (r.Affected() == 0) {
    return absl::NotFoundError(absl::StrCat("case ", AV(id), " not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<StatusCounts> PgTransaction::CountCasesByStatus(
    const CaseFilter& filter) {
  StatusCounts counts;
  std::string sql = "SELECT c.status, count(*) FROM cases c";
  Params p;
  if (!AppendWhere(filter, /*with_statuses=*/false, &sql, &p)) return counts;
  sql += " GROUP BY c.status";
  PG_ASSIGN_OR_RETURN(Result r, Q(sql, p, "count cases by status"));
  for (int i = 0; i < r.rows(); ++i) {
    switch (StatusFromInt(r.Int(i, 0))) {
      case CaseStatus::kOpen:
        counts.open += r.Int(i, 1);
        break;
      case CaseStatus::kInProgress:
        counts.in_progress += r.Int(i, 1);
        break;
      case CaseStatus::kClosed:
        counts.closed += r.Int(i, 1);
        break;
    }
  }
  return counts;
}

absl::StatusOr<CasePage> PgTransaction::FindCases(const CaseQuery& query) {
  CasePage page;
  PG_ASSIGN_OR_RETURN(page.counts, CountCasesByStatus(query.filter));
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
  const int per_page = std::max(query.per_page, 0);
  const int64_t offset =
      static_cast<int64_t>(std::max(query.page, 1) - 1) * per_page;
  if (per_page == 0 || offset >= page.total) return page;

  const char* dir = query.ascending ? " ASC" : " DESC";
  std::string sql = absl::StrCat("SELECT ", kCaseColumns, " FROM cases c");
  Params p;
  AppendWhere(query.filter, /*with_statuses=*/true, &sql, &p);
  absl::StrAppend(&sql, " ORDER BY ", SortColumn(query.sort_field), dir,
                  " NULLS LAST, c.rid", dir, " LIMIT $", p.next(), " OFFSET $",
                  p.next() + 1);
  p.Int(per_page).Int(offset);
  PG_ASSIGN_OR_RETURN(Result r, Q(sql, p, "find cases"));
  PG_ASSIGN_OR_RETURN(page.cases, ReadCases(r));
  return page;
}

absl::StatusOr<std::vector<User>> PgTransaction::ListReporters(
    absl::Span<const std::string> owners) {
  std::string sql =
      "SELECT DISTINCT ON (u) created_by FROM (SELECT c.created_by_username "
      "COLLATE \"C\" AS u, c.created_by, c.rid FROM cases c";
  Params p;
  OwnersClause(owners, "c.owner", " WHERE ", &sql, &p);
  sql += ") x ORDER BY u, rid";
  PG_ASSIGN_OR_RETURN(Result r, Q(sql, p, "list reporters"));
  std::vector<User> out;
  for (int i = 0; i < r.rows(); ++i) {
    PG_ASSIGN_OR_RETURN(Json j, codec::ParseJson(r.View(i, 0), "reporter"));
    out.push_back(codec::UserFromJson(j));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> PgTransaction::ListTags(
    absl::Span<const std::string> owners) {
  std::string sql =
      "SELECT DISTINCT t COLLATE \"C\" AS tag FROM cases c, "
      "unnest(c.tags) AS t";
  Params p;
  OwnersClause(owners, "c.owner", " WHERE ", &sql, &p);
  sql += " ORDER BY tag";
  PG_ASSIGN_OR_RETURN(Result r, Q(sql, p, "list tags"));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.Str(i, 0));
  return out;
}

absl::StatusOr<std::vector<std::string>> PgTransaction::ListCategories(
    absl::Span<const std::string> owners) {
  std::string sql =
      "SELECT DISTINCT c.category COLLATE \"C\" AS cat FROM cases c WHERE "
      "c.category IS NOT NULL";
  Params p;
  OwnersClause(owners, "c.owner", " AND ", &sql, &p);
  sql += " ORDER BY cat";
  PG_ASSIGN_OR_RETURN(Result r, Q(sql, p, "list categories"));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.Str(i, 0));
  return out;
}

absl::StatusOr<std::vector<Case>> PgTransaction::FindCasesByAlert(
    std::string_view alert_id, absl::Span<const std::string> owners) {
  std::string sql = absl::StrCat(
      "SELECT ", kCaseColumns,
      " FROM cases c WHERE c.id IN (SELECT case_id FROM case_alerts "
      "WHERE alert_id = $1)");
  Params p;
  p.Text(alert_id);
  OwnersClause(owners, "c.owner", " AND ", &sql, &p);
  sql += " ORDER BY c.created_at, c.rid";
  PG_ASSIGN_OR_RETURN(Result r, Q(sql, p, "find cases by alert"));
  return ReadCases(r);
}

}  // namespace casebridge::store::pg

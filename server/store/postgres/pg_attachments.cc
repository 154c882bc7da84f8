// Attachments, the alert index and activity of the PostgreSQL store (see
// pg_transaction.h).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/store/postgres/pg_transaction.h"
#include "server/store/sqlite/sqlite_codec.h"

namespace casebridge::store::pg {
namespace {

namespace codec = ::casebridge::store::sqlite;

constexpr const char* kAttachmentColumns =
    "id, version, case_id, owner, type, content, created_at, updated_at, "
    "pushed_at, users";

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

std::string AttachmentUsers(const Attachment& a) {
  Json users = Json::object();
  users["created_by"] = codec::UserToJson(a.created_by);
  if (a.updated_by) users["updated_by"] = codec::UserToJson(*a.updated_by);
  if (a.pushed_by) users["pushed_by"] = codec::UserToJson(*a.pushed_by);
  return codec::DumpJson(users);
}

absl::StatusOr<Attachment> ReadAttachment(const Result& r, int row) {
  Attachment a;
  a.id = r.Str(row, 0);
  a.version = r.Int(row, 1);
  a.case_id = r.Str(row, 2);
  a.owner = r.Str(row, 3);
  a.type = AttachmentTypeFromInt(r.Int(row, 4));
  PG_ASSIGN_OR_RETURN(a.content,
                      codec::ParseJson(r.View(row, 5), "attachment content"));
  a.created_at = r.Time(row, 6);
  a.updated_at = r.OptTime(row, 7);
  a.pushed_at = r.OptTime(row, 8);
  PG_ASSIGN_OR_RETURN(Json users,
                      codec::ParseJson(r.View(row, 9), "attachment users"));
  if (auto it = users.find("created_by"); it != users.end()) {
    a.created_by = codec::UserFromJson(*it);
  }
  if (auto it = users.find("updated_by"); it != users.end()) {
    a.updated_by = codec::UserFromJson(*it);
  }
  if (auto it = users.find("pushed_by"); it != users.end()) {
    a.pushed_by = codec::UserFromJson(*it);
  }
  return a;
}

absl::StatusOr<std::vector<Attachment>> ReadAttachments(const Result& r) {
  std::vector<Attachment> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    PG_ASSIGN_OR_RETURN(Attachment a, ReadAttachment(r, i));
    out.push_back(std::move(a));
  }
  return out;
}

// (alertId[i], index[i]) pairs of an alert attachment's content; a single
// string stands for a one-element list, and a single index pairs with every
// alert id (the SQLite store's rule).
void AlertPairs(const Json& content, std::vector<std::string>* ids_out,
                std::vector<std::string>* indices_out) {
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
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string index;
    if (i < indices.size()) {
      index = indices[i];
    } else if (indices.size() == 1) {
      index = indices[0];
    }
    ids_out->push_back(ids[i]);
    indices_out->push_back(std::move(index));
  }
}

constexpr const char* kUserActionColumns =
    "id, case_id, comment_id, type, action, payload, created_at, created_by, "
    "owner";

absl::StatusOr<UserAction> ReadUserAction(const Result& r, int row) {
  UserAction u;
  u.id = r.Str(row, 0);
  u.case_id = r.Str(row, 1);
  u.comment_id = r.OptStr(row, 2);
  u.type = r.Str(row, 3);
  u.action = r.Str(row, 4);
  PG_ASSIGN_OR_RETURN(u.payload,
                      codec::ParseJson(r.View(row, 5), "user action payload"));
  u.created_at = r.Time(row, 6);
  PG_ASSIGN_OR_RETURN(Json by,
                      codec::ParseJson(r.View(row, 7), "user action user"));
  u.created_by = codec::UserFromJson(by);
  u.owner = r.Str(row, 8);
  return u;
}

}  // namespace

absl::Status PgTransaction::LockCase(std::string_view case_id) {
  Params p;
  p.Text(case_id);
  PG_ASSIGN_OR_RETURN(
      Result r, Q(absl::StrCat("SELECT 1 FROM cases WHERE id = $1", Lock()), p,
                  "lock case"));
  if (r.rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("case ", AV(case_id), " not found"));
  }
  return absl::OkStatus();
}

absl::Status PgTransaction::RefreshTotals(std::string_view case_id) {
  Params p;
  p.Text(case_id);
  return Q("UPDATE cases SET "
           "total_comment = (SELECT count(*) FROM attachments WHERE "
           "case_id = $1 AND type = 0), "
           "total_alerts = (SELECT count(*) FROM case_alerts WHERE "
           "case_id = $1) WHERE id = $1",
           p, "update case totals")
      .status();
}

absl::Status PgTransaction::IndexAlerts(const Attachment& a) {
  {
    Params p;
    p.Text(a.id);
    PG_RETURN_IF_ERROR(Q("DELETE FROM case_alerts WHERE attachment_id = $1", p,
                         "clear alert index")
                           .status());
  }
  if (a.type != AttachmentType::kAlert) return absl::OkStatus();
  std::vector<std::string> ids, indices;
  AlertPairs(a.content, &ids, &indices);
  if (ids.empty()) return absl::OkStatus();
  Params p;
  p.Text(a.case_id).Text(a.id).TextArray(ids).TextArray(indices).Time(
      a.created_at);
  return Q("INSERT INTO case_alerts(case_id, attachment_id, alert_id, "
           "alert_index, attached_at) SELECT $1, $2, u.a, u.i, $5 FROM "
           "unnest($3::text[], $4::text[]) WITH ORDINALITY AS u(a, i, n) "
           "ORDER BY u.n",
           p, "index alerts")
      .status();
}

// --- Attachments.

absl::StatusOr<Attachment> PgTransaction::GetAttachment(
    std::string_view case_id, std::string_view id) {
  Params p;
  p.Text(id).Text(case_id);
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q(absl::StrCat("SELECT ", kAttachmentColumns,
                     " FROM attachments WHERE id = $1 AND case_id = $2",
                     Lock()),
        p, "get attachment"));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat("attachment ", AV(id), " of case ",
                                            AV(case_id), " not found"));
  }
  return ReadAttachment(r, 0);
}

absl::StatusOr<std::vector<Attachment>> PgTransaction::ListAttachments(
    std::string_view case_id) {
  Params p;
  p.Text(case_id);
  PG_ASSIGN_OR_RETURN(Result r,
                      Q(absl::StrCat("SELECT ", kAttachmentColumns,
                                     " FROM attachments WHERE case_id = $1 "
                                     "ORDER BY created_at, rid"),
                        p, "list attachments"));
  return ReadAttachments(r);
}

absl::StatusOr<AttachmentPage> PgTransaction::FindUserComments(
    std::string_view case_id, bool ascending, int page, int per_page) {
  AttachmentPage out;
  {
    Params p;
    p.Text(case_id);
    PG_ASSIGN_OR_RETURN(
        Result r,
        Q("SELECT count(*) FROM attachments WHERE case_id = $1 AND type = 0", p,
          "count user comments"));
    out.total = r.Int(0, 0);
  }
  per_page = std::max(per_page, 0);
  const int64_t offset = static_cast<int64_t>(std::max(page, 1) - 1) * per_page;
  if (per_page == 0 || offset >= out.total) return out;
  Params p;
  p.Text(case_id).Int(per_page).Int(offset);
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q(absl::StrCat("SELECT ", kAttachmentColumns,
                     " FROM attachments WHERE case_id = $1 AND type = 0 "
                     "ORDER BY created_at",
                     ascending ? " ASC, rid ASC" : " DESC, rid DESC",
                     " LIMIT $2 OFFSET $3"),
        p, "find user comments"));
  PG_ASSIGN_OR_RETURN(out.attachments, ReadAttachments(r));
  return out;
}

absl::Status PgTransaction::InsertAttachment(Attachment& a) {
  // Locking the case first serialises attachment writers of one case, so
  // the totals below count every committed attachment.
  PG_RETURN_IF_ERROR(LockCase(a.case_id));
  {
    Params p;
    p.Text(a.id)
        .Text(a.case_id)
        .Text(a.owner)
        .Int(static_cast<int64_t>(a.type))
        .Time(a.created_at)
        .OptTime(a.updated_at)
        .OptTime(a.pushed_at)
        .Text(codec::DumpJson(a.content))
        .Text(AttachmentUsers(a));
    PG_ASSIGN_OR_RETURN(
        Result r, Q("INSERT INTO attachments(id, case_id, owner, type, "
                    "version, created_at, updated_at, pushed_at, content, "
                    "users) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9) "
                    "ON CONFLICT DO NOTHING",
                    p, "insert attachment"));
    if (r.Affected() == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("attachment ", a.id, " already exists"));
    }
  }
  if (a.type == AttachmentType::kAlert) PG_RETURN_IF_ERROR(IndexAlerts(a));
  PG_RETURN_IF_ERROR(RefreshTotals(a.case_id));
  a.version = 1;
  return absl::OkStatus();
}

absl::Status PgTransaction::UpdateAttachment(Attachment& a) {
  absl::Status locked = LockCase(a.case_id);
  if (absl::IsNotFound(locked)) {
    return absl::NotFoundError(absl::StrCat("attachment ", a.id, " of case ",
                                            a.case_id, " not found"));
  }
  PG_RETURN_IF_ERROR(locked);
  Params p;
  p.Text(a.owner)
      .Int(static_cast<int64_t>(a.type))
      .Time(a.created_at)
      .OptTime(a.updated_at)
      .OptTime(a.pushed_at)
      .Text(codec::DumpJson(a.content))
      .Text(AttachmentUsers(a))
      .Text(a.id)
      .Text(a.case_id)
      .Int(a.version);
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q("UPDATE attachments SET version = version + 1, owner = $1, "
        "type = $2, created_at = $3, updated_at = $4, pushed_at = $5, "
        "content = $6, users = $7 WHERE id = $8 AND case_id = $9 AND "
        "version = $10 RETURNING version",
        p, "update attachment"));
  if (r.rows() == 0) {
    Params check;
    check.Text(a.id).Text(a.case_id);
    PG_ASSIGN_OR_RETURN(Result v,
                        Q("SELECT version FROM attachments WHERE id = $1 AND "
                          "case_id = $2",
                          check, "check attachment version"));
    if (v.rows() == 0) {
      return absl::NotFoundError(absl::StrCat("attachment ", a.id, " of case ",
                                              a.case_id, " not found"));
    }
    return absl::AbortedError(absl::StrCat("attachment ", a.id,
                                           " has been updated (stored version ",
                                           v.Int(0, 0), ")"));
  }
  a.version = r.Int(0, 0);
  PG_RETURN_IF_ERROR(IndexAlerts(a));
  return RefreshTotals(a.case_id);
}

absl::Status PgTransaction::DeleteAttachment(std::string_view case_id,
                                             std::string_view id) {
  absl::Status locked = LockCase(case_id);
  if (!locked.ok() && !absl::IsNotFound(locked)) return locked;
  Params p;
  p.Text(id).Text(case_id);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("DELETE FROM attachments WHERE id = $1 AND case_id = $2", p,
                  "delete attachment"));
  if (r.Affected() == 0) {
    return absl::NotFoundError(absl::StrCat("attachment ", AV(id), " of case ",
                                            AV(case_id), " not found"));
  }
  return RefreshTotals(case_id);
}

absl::StatusOr<std::vector<CaseAlert>> PgTransaction::ListCaseAlerts(
    std::string_view case_id) {
  Params p;
  p.Text(case_id);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("SELECT alert_id, alert_index, attachment_id, attached_at "
                  "FROM case_alerts WHERE case_id = $1 "
                  "ORDER BY attached_at, rid",
                  p, "list case alerts"));
  std::vector<CaseAlert> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(
        CaseAlert{r.Str(i, 0), r.Str(i, 1), r.Str(i, 2), r.Time(i, 3)});
  }
  return out;
}

// --- Activity.

absl::Status PgTransaction::InsertUserAction(const UserAction& action) {
  std::optional<std::string> attachment_type;
  if (action.type == "comment" && action.payload.is_object()) {
    auto it = action.payload.find("comment");
    if (it != action.payload.end() && it->is_object()) {
      std::string t = codec::JsonString(*it, "type");
      if (!t.empty()) attachment_type = std::move(t);
    }
  }
  Params p;
  p.Text(action.id)
      .Text(action.case_id)
      .OptText(action.comment_id)
      .Text(action.type)
      .Text(action.action)
      .OptText(attachment_type)
      .Text(codec::DumpJson(action.payload))
      .Time(action.created_at)
      .Text(codec::DumpJson(codec::UserToJson(action.created_by)))
      .Text(action.owner);
  // Inserts nothing (instead of failing the transaction) when the case is
  // missing or the id is taken; the two are told apart afterwards.
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q("INSERT INTO user_actions(id, case_id, comment_id, type, action, "
        "attachment_type, payload, created_at, created_by, owner) "
        "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 "
        "WHERE EXISTS (SELECT 1 FROM cases WHERE id = $2) "
        "ON CONFLICT DO NOTHING",
        p, "insert user action"));
  if (r.Affected() == 1) return absl::OkStatus();
  Params check;
  check.Text(action.case_id);
  PG_ASSIGN_OR_RETURN(
      Result c, Q("SELECT 1 FROM cases WHERE id = $1", check, "check case"));
  if (c.rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("case ", action.case_id, " not found"));
  }
  return absl::AlreadyExistsError(
      absl::StrCat("user action ", action.id, " already exists"));
}

absl::StatusOr<UserActionPage> PgTransaction::FindUserActions(
    const UserActionQuery& query) {
  std::string where = " WHERE case_id = $1";
  Params p;
  p.Text(query.case_id);
  if (!query.types.empty() || !query.pseudo_types.empty()) {
    where += " AND (";
    bool first = true;
    auto next = [&](const std::string& cond) {
      absl::StrAppend(&where, first ? "" : " OR ", cond);
      first = false;
    };
    if (!query.types.empty()) {
      next(absl::StrCat("type = ANY($", p.next(), "::text[])"));
      p.TextArray(query.types);
    }
    for (const std::string& pseudo : query.pseudo_types) {
      if (pseudo == "action") {
        next("type <> 'comment'");
      } else if (pseudo == "user") {
        next("(type = 'comment' AND attachment_type = 'user')");
      } else if (pseudo == "alert") {
        next("(type = 'comment' AND attachment_type = 'alert')");
      } else if (pseudo == "attachment") {
        next(
            "(type = 'comment' AND attachment_type IN ('actions', "
            "'externalReference', 'persistableState'))");
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown user action filter ", pseudo));
      }
    }
    where += ")";
  }
  UserActionPage out;
  {
    PG_ASSIGN_OR_RETURN(
        Result r, Q(absl::StrCat("SELECT count(*) FROM user_actions", where), p,
                    "count user actions"));
    out.total = r.Int(0, 0);
  }
  const int per_page = std::max(query.per_page, 0);
  const int64_t offset =
      static_cast<int64_t>(std::max(query.page, 1) - 1) * per_page;
  if (per_page == 0 || offset >= out.total) return out;
  const char* dir = query.ascending ? " ASC" : " DESC";
  const int limit_param = p.next();
  p.Int(per_page).Int(offset);
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q(absl::StrCat("SELECT ", kUserActionColumns, " FROM user_actions", where,
                     " ORDER BY created_at", dir, ", seq", dir, " LIMIT $",
                     limit_param, " OFFSET $", limit_param + 1),
        p, "find user actions"));
  out.user_actions.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    PG_ASSIGN_OR_RETURN(UserAction u, ReadUserAction(r, i));
    out.user_actions.push_back(std::move(u));
  }
  return out;
}

absl::StatusOr<int64_t> PgTransaction::CountUserActions(
    std::string_view case_id) {
  Params p;
  p.Text(case_id);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("SELECT count(*) FROM user_actions WHERE case_id = $1", p,
                  "count user actions"));
  return r.Int(0, 0);
}

}  // namespace casebridge::store::pg

#include "server/cases/case_manager.h"

#include <future>
#include <map>
#include <memory>
#include <set>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/cases/case_diff.h"
#include "server/cases/case_events.h"
#include "server/cases/kibana_json.h"
#include "server/cases/validation.h"
#include "server/util/ids.h"
#include "server/util/status.h"

namespace casebridge::cases {

using store::Json;

namespace {

absl::Status CaseNotFound(const std::string& id) {
  return absl::NotFoundError(
      absl::StrCat("case ", id, " not found; check the case id"));
}

// Maps the store's NotFound for case `id` to a message naming it.
absl::StatusOr<store::Case> LoadCase(store::Transaction& tx,
                                     const std::string& id) {
  auto c = tx.GetCase(id);
  if (absl::IsNotFound(c.status())) return CaseNotFound(id);
  return c;
}

absl::Status CheckActivityRoom(store::Transaction& tx, const std::string& id,
                               size_t adding, const std::string& field) {
  ASSIGN_OR_RETURN(int64_t count, tx.CountUserActions(id));
  if (count + static_cast<int64_t>(adding) > kMaxUserActionsPerCase) {
    return InvalidField(field,
                        absl::StrCat("case ", id, " has reached the limit of ",
                                     kMaxUserActionsPerCase,
                                     " user actions; no further changes are "
                                     "recorded"));
  }
  return absl::OkStatus();
}

// Definitions of `owner`'s configuration; empty when it has none.
absl::StatusOr<std::vector<store::CustomFieldDefinition>> OwnerDefinitions(
    store::Transaction& tx, const std::string& owner) {
  auto config = tx.GetConfigurationByOwner(owner);
  if (absl::IsNotFound(config.status())) {
    return std::vector<store::CustomFieldDefinition>{};
  }
  if (!config.ok()) return config.status();
  return std::move(config->custom_fields);
}

int CountAlerts(const std::vector<store::Attachment>& list) {
  int n = 0;
  for (const auto& a : list) {
    if (a.type == store::AttachmentType::kAlert) {
      n += static_cast<int>(AlertIds(a.content).size());
    }
  }
  return n;
}

absl::Status CheckOwnerMatches(const std::string& requested,
                               const store::Case& c) {
  if (!requested.empty() && requested != c.owner) {
    return InvalidField("owner", absl::StrCat("must equal the case's owner \"",
                                              c.owner, "\" (or be empty)"));
  }
  return absl::OkStatus();
}

}  // namespace

CaseManager::CaseManager(store::Store* store, Clock clock)
    : store_(store), clock_(std::move(clock)), writes_(store) {
  if (!clock_) clock_ = [] { return absl::Now(); };
}

absl::Time CaseManager::Now() const {
  return absl::FromUnixMillis(absl::ToUnixMillis(clock_()));
}

absl::StatusOr<store::Case> CaseManager::CreateCase(NewCase request,
                                                    const store::User& user) {
  std::promise<absl::StatusOr<store::Case>> result;
  std::future<absl::StatusOr<store::Case>> future = result.get_future();
  CreateCaseAsync(std::move(request), user,
                  [&result](absl::StatusOr<store::Case> c) {
                    result.set_value(std::move(c));
                  });
  return future.get();
}

void CaseManager::CreateCaseAsync(NewCase request, const store::User& user,
                                  CaseCallback done) {
  ValidationErrors errors;
  CheckNewCase(request, errors);
  if (!errors.empty()) {
    done(errors.ToStatus());
    return;
  }
  auto c = std::make_shared<store::Case>();
  c->id = NewUuid();
  c->title = std::move(request.title);
  c->description = std::move(request.description);
  c->tags = std::move(request.tags);
  c->status = store::CaseStatus::kOpen;
  c->severity = request.severity;
  c->owner = std::move(request.owner);
  c->assignees = std::move(request.assignees);
  c->category = std::move(request.category);
  c->custom_fields = std::move(request.custom_fields);
  c->connector = std::move(request.connector);
  c->sync_alerts = request.sync_alerts;
  c->created_at = Now();
  c->created_by = user;
  writes_.Submit(
      [c](store::Transaction& tx) -> absl::Status {
        // The owner's custom-field definitions are read in the write
        // transaction, so the case matches the configuration it commits with.
        ValidationErrors errors;
        ASSIGN_OR_RETURN(auto definitions, OwnerDefinitions(tx, c->owner));
        ApplyCustomFieldDefinitions(c->custom_fields, definitions,
                                    "custom_fields", errors);
        RETURN_IF_ERROR(errors.ToStatus());
        RETURN_IF_ERROR(tx.InsertCase(*c));
        RETURN_IF_ERROR(tx.InsertUserAction(
            CreateCaseAction(*c, c->created_by, c->created_at)));
        return RecordCaseEvent(tx, store::CaseEventType::kCreated, *c,
                               c->created_at);
      },
      [c, done = std::move(done)](absl::Status status) {
        if (!status.ok()) {
          done(std::move(status));
          return;
        }
        NotifyCaseEventsCommitted();
        c->total_comment = 0;
        c->total_alerts = 0;
        done(std::move(*c));
      });
}

absl::StatusOr<CaseWithComments> CaseManager::GetCase(
    const std::string& id, bool include_comments,
    const std::function<absl::Status(store::Transaction&)>& also) {
  if (id.empty()) return InvalidField("id", "is required");
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  CaseWithComments out;
  ASSIGN_OR_RETURN(out.c, LoadCase(*tx, id));
  if (include_comments) {
    ASSIGN_OR_RETURN(out.comments, tx->ListAttachments(id));
  }
  if (also) RETURN_IF_ERROR(also(*tx));
  return out;
}

absl::StatusOr<std::vector<store::Case>> CaseManager::UpdateCases(
    std::vector<CasePatch> patches, const store::User& user) {
  ValidationErrors errors;
  if (patches.empty() || patches.size() > kMaxCasesPerUpdate) {
    errors.Add("cases", absl::StrCat("must hold 1..", kMaxCasesPerUpdate,
                                     " case patches"));
    return errors.ToStatus();
  }
  std::set<std::string> seen;
  std::vector<std::string> ids;
  ids.reserve(patches.size());
  for (size_t i = 0; i < patches.size(); ++i) {
    std::string prefix = absl::StrCat("cases[", i, "]");
    CheckCasePatch(patches[i], prefix, errors);
    if (!patches[i].id.empty() && !seen.insert(patches[i].id).second) {
      errors.Add(prefix + ".id", absl::StrCat("case ", patches[i].id,
                                              " appears more than once"));
    }
    ids.push_back(patches[i].id);
  }
  RETURN_IF_ERROR(errors.ToStatus());

  ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
  ASSIGN_OR_RETURN(std::vector<store::Case> originals, tx->GetCases(ids));
  if (originals.size() != ids.size()) {
    std::set<std::string> found;
    for (const auto& c : originals) found.insert(c.id);
    std::vector<std::string> missing;
    for (const auto& id : ids) {
      if (found.count(id) == 0) missing.push_back(id);
    }
    return absl::NotFoundError(
        absl::StrCat("these cases do not exist: ", absl::StrJoin(missing, ", "),
                     "; check the ids"));
  }
  std::vector<std::string> stale;
  for (size_t i = 0; i < patches.size(); ++i) {
    if (patches[i].version != originals[i].version) stale.push_back(ids[i]);
  }
  if (!stale.empty()) {
    return absl::AbortedError(
        absl::StrCat("these cases have been updated since you read them: ",
                     absl::StrJoin(stale, ", "),
                     "; get them again and retry with their current version"));
  }

  const absl::Time now = Now();
  std::map<std::string, std::vector<store::CustomFieldDefinition>> definitions;
  struct Change {
    size_t index;
    store::Case updated;
    std::vector<store::UserAction> actions;
  };
  std::vector<Change> changes;
  for (size_t i = 0; i < patches.size(); ++i) {
    CasePatch& p = patches[i];
    const store::Case& original = originals[i];
    store::Case updated = original;
    if (p.title) updated.title = std::move(*p.title);
    if (p.description) updated.description = std::move(*p.description);
    if (p.tags) updated.tags = std::move(*p.tags);
    if (p.status) updated.status = *p.status;
    if (p.severity) updated.severity = *p.severity;
    if (p.assignees) updated.assignees = std::move(*p.assignees);
    if (p.category) updated.category = std::move(*p.category);
    if (p.connector) updated.connector = std::move(*p.connector);
    if (p.sync_alerts) updated.sync_alerts = *p.sync_alerts;
    if (p.custom_fields) {
      auto it = definitions.find(original.owner);
      if (it == definitions.end()) {
        ASSIGN_OR_RETURN(auto defs, OwnerDefinitions(*tx, original.owner));
        it = definitions.emplace(original.owner, std::move(defs)).first;
      }
      ApplyCustomFieldDefinitions(*p.custom_fields, it->second,
                                  absl::StrCat("cases[", i, "].custom_fields"),
                                  errors);
      updated.custom_fields = std::move(*p.custom_fields);
    }
    if (!CaseFieldsDiffer(original, updated)) continue;
    changes.push_back({i, std::move(updated), {}});
  }
  RETURN_IF_ERROR(errors.ToStatus());
  if (changes.empty()) {
    return absl::FailedPreconditionError(
        "All update fields are identical to current version.");
  }

  std::vector<store::Case> out;
  out.reserve(changes.size());
  for (Change& change : changes) {
    const store::Case& original = originals[change.index];
    store::Case& updated = change.updated;
    change.actions = DiffCase(original, updated, user, now);
    RETURN_IF_ERROR(
        CheckActivityRoom(*tx, updated.id, change.actions.size(),
                          absl::StrCat("cases[", change.index, "]")));
    if (updated.status != original.status) {
      if (updated.status == store::CaseStatus::kClosed) {
        updated.closed_at = now;
        updated.closed_by = user;
        updated.duration_seconds =
            absl::ToInt64Seconds(now - original.created_at);
      } else if (original.status == store::CaseStatus::kClosed) {
        updated.closed_at.reset();
        updated.closed_by.reset();
        updated.duration_seconds.reset();
      }
    }
    updated.updated_at = now;
    updated.updated_by = user;
    RETURN_IF_ERROR(tx->UpdateCase(updated));
    for (const auto& action : change.actions) {
      RETURN_IF_ERROR(tx->InsertUserAction(action));
    }
    out.push_back(std::move(updated));
  }
  for (const store::Case& c : out) {
    RETURN_IF_ERROR(
        RecordCaseEvent(*tx, store::CaseEventType::kUpdated, c, now));
  }
  RETURN_IF_ERROR(tx->Commit());
  NotifyCaseEventsCommitted();
  return out;
}

absl::Status CaseManager::DeleteCases(std::vector<std::string> ids) {
  ValidationErrors errors;
  if (ids.empty() || ids.size() > kMaxCasesPerDelete) {
    errors.Add("ids",
               absl::StrCat("must hold 1..", kMaxCasesPerDelete, " case ids"));
    return errors.ToStatus();
  }
  std::vector<std::string> unique;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].find_first_not_of(" \t\r\n") == std::string::npos) {
      errors.Add(absl::StrCat("ids[", i, "]"), "must not be blank");
    } else if (seen.insert(ids[i]).second) {
      unique.push_back(std::move(ids[i]));
    }
  }
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
  ASSIGN_OR_RETURN(std::vector<store::Case> found, tx->GetCases(unique));
  if (found.size() != unique.size()) {
    std::set<std::string> have;
    for (const auto& c : found) have.insert(c.id);
    std::vector<std::string> missing;
    for (const auto& id : unique) {
      if (have.count(id) == 0) missing.push_back(id);
    }
    return absl::NotFoundError(
        absl::StrCat("these cases do not exist: ", absl::StrJoin(missing, ", "),
                     "; nothing was deleted"));
  }
  for (const auto& id : unique) RETURN_IF_ERROR(tx->DeleteCase(id));
  const absl::Time now = Now();
  for (const store::Case& c : found) {
    RETURN_IF_ERROR(
        RecordCaseEvent(*tx, store::CaseEventType::kDeleted, c, now));
  }
  RETURN_IF_ERROR(tx->Commit());
  NotifyCaseEventsCommitted();
  return absl::OkStatus();
}

absl::StatusOr<FoundCases> CaseManager::FindCases(store::CaseQuery query) {
  ValidationErrors errors;
  CheckPaging(query.page, query.per_page, errors);
  auto check_filter = [&](const std::vector<std::string>& values,
                          const char* field) {
    if (values.size() > kMaxFilterValues) {
      errors.Add(field, absl::StrCat("must have at most ", kMaxFilterValues,
                                     " values"));
    }
  };
  check_filter(query.filter.tags, "tags");
  check_filter(query.filter.reporters, "reporters");
  check_filter(query.filter.assignees, "assignees");
  check_filter(query.filter.categories, "categories");
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  FoundCases out;
  ASSIGN_OR_RETURN(out.result, tx->FindCases(query));
  out.page = query.page;
  out.per_page = query.per_page;
  return out;
}

absl::StatusOr<store::StatusCounts> CaseManager::GetCaseStatusCounts(
    const store::CaseFilter& filter) {
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  return tx->CountCasesByStatus(filter);
}

absl::StatusOr<std::vector<store::User>> CaseManager::ListReporters(
    const std::vector<std::string>& owners) {
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  return tx->ListReporters(owners);
}

absl::StatusOr<std::vector<std::string>> CaseManager::ListTags(
    const std::vector<std::string>& owners) {
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  return tx->ListTags(owners);
}

absl::StatusOr<std::vector<std::string>> CaseManager::ListCategories(
    const std::vector<std::string>& owners) {
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  return tx->ListCategories(owners);
}

absl::StatusOr<std::vector<store::Case>> CaseManager::GetCasesByAlert(
    const std::string& alert_id, const std::vector<std::string>& owners) {
  if (alert_id.find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidField("alert_id", "is required");
  }
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  return tx->FindCasesByAlert(alert_id, owners);
}

absl::StatusOr<std::vector<store::CaseAlert>> CaseManager::GetCaseAlerts(
    const std::string& case_id) {
  if (case_id.empty()) return InvalidField("case_id", "is required");
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  RETURN_IF_ERROR(LoadCase(*tx, case_id).status());
  return tx->ListCaseAlerts(case_id);
}

absl::StatusOr<CaseWithComments> CaseManager::AddComment(
    const std::string& case_id, const std::string& owner,
    AttachmentInput attachment, const store::User& user) {
  ValidationErrors errors;
  if (case_id.empty()) errors.Add("case_id", "is required");
  if (!owner.empty()) CheckOwner(owner, "owner", errors);
  CheckAttachment(attachment, "attachment", errors);
  RETURN_IF_ERROR(errors.ToStatus());

  ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
  CaseWithComments out;
  ASSIGN_OR_RETURN(out.c, LoadCase(*tx, case_id));
  store::Case& c = out.c;
  RETURN_IF_ERROR(CheckOwnerMatches(owner, c));
  ASSIGN_OR_RETURN(out.comments, tx->ListAttachments(case_id));

  int new_alerts = 0;
  if (attachment.type == store::AttachmentType::kAlert) {
    if (c.status == store::CaseStatus::kClosed) {
      return absl::FailedPreconditionError(
          absl::StrCat("alerts cannot be attached to closed case ", case_id,
                       "; reopen it first"));
    }
    std::unordered_set<std::string> attached;
    for (const auto& a : out.comments) {
      if (a.type != store::AttachmentType::kAlert) continue;
      for (auto& id : AlertIds(a.content)) attached.insert(std::move(id));
    }
    const size_t existing = attached.size();
    std::vector<std::string> ids = AlertIds(attachment.content);
    std::vector<std::string> indices = AlertIndices(attachment.content);
    Json kept_ids = Json::array();
    Json kept_indices = Json::array();
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!attached.insert(ids[i]).second) continue;
      kept_ids.push_back(ids[i]);
      kept_indices.push_back(indices[i]);
    }
    if (kept_ids.empty()) {
      // Every alert is already on the case: nothing to add.
      return out;
    }
    if (existing + kept_ids.size() > kMaxAlertsPerCase) {
      return InvalidField(
          "attachment.alert.alert_ids",
          absl::StrCat("a case can hold at most ", kMaxAlertsPerCase,
                       " alerts; case ", case_id, " has ", existing,
                       " and this adds ", kept_ids.size()));
    }
    new_alerts = static_cast<int>(kept_ids.size());
    attachment.content["alertId"] = std::move(kept_ids);
    attachment.content["index"] = std::move(kept_indices);
  } else if (attachment.type == store::AttachmentType::kExternalReference ||
             attachment.type == store::AttachmentType::kPersistableState) {
    size_t count = 0;
    for (const auto& a : out.comments) {
      count += a.type == store::AttachmentType::kExternalReference ||
               a.type == store::AttachmentType::kPersistableState;
    }
    if (count + 1 > kMaxReferenceAttachments) {
      return InvalidField(
          "attachment",
          absl::StrCat("a case can hold at most ", kMaxReferenceAttachments,
                       " external reference and persistable state "
                       "attachments"));
    }
  }
  RETURN_IF_ERROR(CheckActivityRoom(*tx, case_id, 1, "case_id"));

  const absl::Time now = Now();
  store::Attachment a;
  a.id = NewUuid();
  a.case_id = case_id;
  a.owner = c.owner;
  a.type = attachment.type;
  a.content = std::move(attachment.content);
  a.created_at = now;
  a.created_by = user;
  // Totals after the insert; a store may or may not refresh them on update.
  const int32_t total_comment =
      c.total_comment + (a.type == store::AttachmentType::kUser ? 1 : 0);
  const int32_t total_alerts = c.total_alerts + new_alerts;
  RETURN_IF_ERROR(tx->InsertAttachment(a));
  c.updated_at = now;
  c.updated_by = user;
  RETURN_IF_ERROR(tx->UpdateCase(c));
  RETURN_IF_ERROR(tx->InsertUserAction(CommentAction("create", a, user, now)));
  RETURN_IF_ERROR(
      RecordCaseEvent(*tx, store::CaseEventType::kCommented, c, now));
  RETURN_IF_ERROR(tx->Commit());
  NotifyCaseEventsCommitted();
  c.total_comment = total_comment;
  c.total_alerts = total_alerts;
  out.comments.push_back(std::move(a));
  return out;
}

absl::StatusOr<CaseWithComments> CaseManager::UpdateComment(
    const std::string& case_id, const std::string& comment_id, int64_t version,
    const std::string& owner, AttachmentInput attachment,
    const store::User& user) {
  ValidationErrors errors;
  if (case_id.empty()) errors.Add("case_id", "is required");
  if (comment_id.empty()) errors.Add("comment_id", "is required");
  if (!owner.empty()) CheckOwner(owner, "owner", errors);
  CheckAttachment(attachment, "attachment", errors);
  RETURN_IF_ERROR(errors.ToStatus());

  ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
  CaseWithComments out;
  ASSIGN_OR_RETURN(out.c, LoadCase(*tx, case_id));
  store::Case& c = out.c;
  RETURN_IF_ERROR(CheckOwnerMatches(owner, c));
  ASSIGN_OR_RETURN(out.comments, tx->ListAttachments(case_id));
  store::Attachment* stored = nullptr;
  for (auto& a : out.comments) {
    if (a.id == comment_id) stored = &a;
  }
  if (stored == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("comment ", comment_id, " not found on case ", case_id));
  }
  if (stored->version != version) {
    return absl::AbortedError(absl::StrCat(
        "comment ", comment_id,
        " has been updated since you read it; get it again and retry with its "
        "current version"));
  }
  if (stored->type != attachment.type) {
    return InvalidField("attachment",
                        absl::StrCat("comment ", comment_id, " is of kind ",
                                     AttachmentKindName(stored->type),
                                     "; an update cannot change the kind"));
  }
  int alert_delta = 0;
  if (attachment.type == store::AttachmentType::kExternalReference) {
    auto storage_type = [](const Json& content) {
      auto it = content.find("externalReferenceStorage");
      return it != content.end() && it->is_object() ? it->value("type", "")
                                                    : std::string();
    };
    if (storage_type(stored->content) != storage_type(attachment.content)) {
      return InvalidField("attachment.external_reference.storage.type",
                          "the storage type of an external reference cannot "
                          "change");
    }
  } else if (attachment.type == store::AttachmentType::kAlert) {
    const int total = CountAlerts(out.comments);
    const int before = static_cast<int>(AlertIds(stored->content).size());
    const int after = static_cast<int>(AlertIds(attachment.content).size());
    if (total - before + after > static_cast<int>(kMaxAlertsPerCase)) {
      return InvalidField("attachment.alert.alert_ids",
                          absl::StrCat("a case can hold at most ",
                                       kMaxAlertsPerCase, " alerts"));
    }
    alert_delta = after - before;
  }
  RETURN_IF_ERROR(CheckActivityRoom(*tx, case_id, 1, "case_id"));

  const int32_t total_alerts = c.total_alerts + alert_delta;
  const absl::Time now = Now();
  stored->content = std::move(attachment.content);
  stored->updated_at = now;
  stored->updated_by = user;
  RETURN_IF_ERROR(tx->UpdateAttachment(*stored));
  c.updated_at = now;
  c.updated_by = user;
  RETURN_IF_ERROR(tx->UpdateCase(c));
  RETURN_IF_ERROR(
      tx->InsertUserAction(CommentAction("update", *stored, user, now)));
  RETURN_IF_ERROR(
      RecordCaseEvent(*tx, store::CaseEventType::kCommented, c, now));
  RETURN_IF_ERROR(tx->Commit());
  NotifyCaseEventsCommitted();
  c.total_alerts = total_alerts;
  return out;
}

absl::StatusOr<store::Attachment> CaseManager::GetComment(
    const std::string& case_id, const std::string& comment_id) {
  ValidationErrors errors;
  if (case_id.empty()) errors.Add("case_id", "is required");
  if (comment_id.empty()) errors.Add("comment_id", "is required");
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  auto a = tx->GetAttachment(case_id, comment_id);
  if (absl::IsNotFound(a.status())) {
    return absl::NotFoundError(
        absl::StrCat("comment ", comment_id, " not found on case ", case_id));
  }
  return a;
}

absl::StatusOr<FoundComments> CaseManager::FindComments(
    const std::string& case_id, bool ascending, int page, int per_page) {
  ValidationErrors errors;
  if (case_id.empty()) errors.Add("case_id", "is required");
  CheckPaging(page, per_page, errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  RETURN_IF_ERROR(LoadCase(*tx, case_id).status());
  FoundComments out;
  ASSIGN_OR_RETURN(out.result,
                   tx->FindUserComments(case_id, ascending, page, per_page));
  out.page = page;
  out.per_page = per_page;
  return out;
}

absl::Status CaseManager::DeleteComment(const std::string& case_id,
                                        const std::string& comment_id,
                                        const store::User& user) {
  ValidationErrors errors;
  if (case_id.empty()) errors.Add("case_id", "is required");
  if (comment_id.empty()) errors.Add("comment_id", "is required");
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
  ASSIGN_OR_RETURN(store::Case c, LoadCase(*tx, case_id));
  auto a = tx->GetAttachment(case_id, comment_id);
  if (absl::IsNotFound(a.status())) {
    return absl::NotFoundError(
        absl::StrCat("comment ", comment_id, " not found on case ", case_id));
  }
  if (!a.ok()) return a.status();
  RETURN_IF_ERROR(tx->DeleteAttachment(case_id, comment_id));
  const absl::Time now = Now();
  RETURN_IF_ERROR(
      tx->InsertUserAction(CommentAction("delete", *a, user, now)));
  RETURN_IF_ERROR(
      RecordCaseEvent(*tx, store::CaseEventType::kCommented, c, now));
  RETURN_IF_ERROR(tx->Commit());
  NotifyCaseEventsCommitted();
  return absl::OkStatus();
}

absl::Status CaseManager::DeleteComments(const std::string& case_id,
                                         const store::User& user) {
  if (case_id.empty()) return InvalidField("case_id", "is required");
  ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
  ASSIGN_OR_RETURN(store::Case c, LoadCase(*tx, case_id));
  ASSIGN_OR_RETURN(std::vector<store::Attachment> all,
                   tx->ListAttachments(case_id));
  if (all.empty()) {
    return absl::NotFoundError(
        absl::StrCat("case ", case_id, " has no comments to delete"));
  }
  const absl::Time now = Now();
  for (const auto& a : all) {
    RETURN_IF_ERROR(tx->DeleteAttachment(case_id, a.id));
    RETURN_IF_ERROR(
        tx->InsertUserAction(CommentAction("delete", a, user, now)));
  }
  RETURN_IF_ERROR(
      RecordCaseEvent(*tx, store::CaseEventType::kCommented, c, now));
  RETURN_IF_ERROR(tx->Commit());
  NotifyCaseEventsCommitted();
  return absl::OkStatus();
}

absl::StatusOr<FoundActivity> CaseManager::FindCaseActivity(
    store::UserActionQuery query) {
  ValidationErrors errors;
  if (query.case_id.empty()) errors.Add("case_id", "is required");
  CheckPaging(query.page, query.per_page, errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  RETURN_IF_ERROR(LoadCase(*tx, query.case_id).status());
  FoundActivity out;
  ASSIGN_OR_RETURN(out.result, tx->FindUserActions(query));
  out.page = query.page;
  out.per_page = query.per_page;
  return out;
}

absl::StatusOr<std::vector<store::Configuration>>
CaseManager::GetConfigurations(const std::vector<std::string>& owners) {
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  return tx->ListConfigurations(owners);
}

absl::StatusOr<store::Configuration> CaseManager::SetConfiguration(
    NewConfiguration request, const store::User& user) {
  ValidationErrors errors;
  CheckOwner(request.owner, "owner", errors);
  CheckConnector(request.connector, "connector", errors);
  CheckClosureType(request.closure_type, "closure_type", errors);
  CheckCustomFieldDefinitions(request.custom_fields, nullptr, "custom_fields",
                              errors);
  CheckTemplates(request.templates, request.custom_fields, "templates", errors);
  RETURN_IF_ERROR(errors.ToStatus());

  ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
  auto existing = tx->GetConfigurationByOwner(request.owner);
  if (existing.ok()) {
    RETURN_IF_ERROR(tx->DeleteConfiguration(existing->id));
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  store::Configuration c;
  c.id = NewUuid();
  c.owner = std::move(request.owner);
  c.connector = std::move(request.connector);
  c.closure_type = std::move(request.closure_type);
  c.custom_fields = std::move(request.custom_fields);
  c.templates = TemplatesJson(request.templates);
  c.created_at = Now();
  c.created_by = user;
  RETURN_IF_ERROR(tx->InsertConfiguration(c));
  RETURN_IF_ERROR(tx->Commit());
  return c;
}

absl::StatusOr<store::Configuration> CaseManager::UpdateConfiguration(
    ConfigurationPatch patch, const store::User& user) {
  ValidationErrors errors;
  if (patch.id.empty()) errors.Add("id", "is required");
  if (patch.connector) CheckConnector(*patch.connector, "connector", errors);
  if (patch.closure_type) {
    CheckClosureType(*patch.closure_type, "closure_type", errors);
  }
  RETURN_IF_ERROR(errors.ToStatus());

  ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
  auto loaded = tx->GetConfiguration(patch.id);
  if (absl::IsNotFound(loaded.status())) {
    return absl::NotFoundError(
        absl::StrCat("configuration ", patch.id, " not found; check the id"));
  }
  if (!loaded.ok()) return loaded.status();
  store::Configuration c = *std::move(loaded);
  if (c.version != patch.version) {
    return absl::AbortedError(absl::StrCat(
        "configuration ", patch.id,
        " has been updated since you read it; get it again and retry with its "
        "current version"));
  }
  if (patch.custom_fields) {
    CheckCustomFieldDefinitions(*patch.custom_fields, &c.custom_fields,
                                "custom_fields", errors);
  }
  if (patch.templates) {
    CheckTemplates(*patch.templates,
                   patch.custom_fields ? *patch.custom_fields : c.custom_fields,
                   "templates", errors);
  }
  RETURN_IF_ERROR(errors.ToStatus());
  if (patch.connector) c.connector = std::move(*patch.connector);
  if (patch.closure_type) c.closure_type = std::move(*patch.closure_type);
  if (patch.custom_fields) c.custom_fields = std::move(*patch.custom_fields);
  if (patch.templates) c.templates = TemplatesJson(*patch.templates);
  c.updated_at = Now();
  c.updated_by = user;
  RETURN_IF_ERROR(tx->UpdateConfiguration(c));
  RETURN_IF_ERROR(tx->Commit());
  return c;
}

}  // namespace casebridge::cases

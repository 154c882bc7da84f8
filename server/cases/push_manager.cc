#include "server/cases/push_manager.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/cases/case_diff.h"
#include "server/cases/case_events.h"
#include "server/cases/push_builder.h"
#include "server/metrics/metrics.h"
#include "server/util/ids.h"
#include "server/util/log.h"
#include "server/util/status.h"

namespace casebridge::cases {

using store::Json;

namespace {

constexpr char kComponent[] = "push";

absl::Time NowMillis() {
  return absl::FromUnixMillis(absl::ToUnixMillis(absl::Now()));
}

jobs::AttemptResult Permanent(absl::StatusCode code, std::string message,
                              std::string service_message = "") {
  jobs::AttemptResult r;
  r.kind = jobs::AttemptResult::Kind::kPermanent;
  r.error =
      store::PushError{std::string(absl::StatusCodeToString(code)),
                       std::move(message), std::move(service_message), false};
  return r;
}

jobs::AttemptResult FromStatus(const absl::Status& s) {
  jobs::AttemptResult r = Permanent(s.code(), std::string(s.message()));
  if (absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) ||
      absl::IsAborted(s) || absl::IsResourceExhausted(s)) {
    r.kind = jobs::AttemptResult::Kind::kRetryable;
    r.error.retryable = true;
  }
  return r;
}

// A failed connector run as an attempt result.
jobs::AttemptResult FromRun(const connectors::ExecuteResult& run,
                            const char* what) {
  jobs::AttemptResult r;
  const bool retryable = run.retry || run.retry_at.has_value();
  r.kind = retryable ? jobs::AttemptResult::Kind::kRetryable
                     : jobs::AttemptResult::Kind::kPermanent;
  absl::StatusCode code = run.code;
  if (code == absl::StatusCode::kOk || code == absl::StatusCode::kUnknown) {
    code =
        retryable ? absl::StatusCode::kUnavailable : absl::StatusCode::kUnknown;
  }
  r.error = store::PushError{std::string(absl::StatusCodeToString(code)),
                             absl::StrCat(what, ": ", run.message),
                             run.service_message, retryable};
  if (run.retry_at) r.retry_after = *run.retry_at - absl::Now();
  return r;
}

std::string JsonString(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  const Json& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return "";
}

}  // namespace

PushManager::PushManager(store::Store* store,
                         connectors::ConnectorManager* connectors,
                         PushManagerOptions options)
    : store_(store), connectors_(connectors), options_(options) {}

absl::StatusOr<PushCaseResult> PushManager::PushCase(
    const std::string& case_id, const std::string& connector_id, bool async,
    absl::Time deadline, const store::User& user) {
  ValidationErrors errors;
  if (case_id.empty()) errors.Add("case_id", "is required");
  if (connector_id.empty()) errors.Add("connector_id", "is required");
  RETURN_IF_ERROR(errors.ToStatus());
  if (queue_ == nullptr)
    return absl::UnavailableError("the push queue is not running");

  ASSIGN_OR_RETURN(connectors::ConnectorView connector,
                   connectors_->Get(connector_id));
  bool supports_cases = false;
  for (const auto& t : connectors_->ListConnectorTypes("cases")) {
    if (t.info->id == connector.connector_type_id && t.enabled_in_config)
      supports_cases = true;
  }
  if (!supports_cases) {
    return absl::FailedPreconditionError(absl::StrCat(
        "connector ", connector_id, " is of type ", connector.connector_type_id,
        ", which cannot be used with cases"));
  }

  store::PushJob job;
  {
    ASSIGN_OR_RETURN(auto tx, store_->BeginWrite());
    auto c = tx->GetCase(case_id);
    if (absl::IsNotFound(c.status()))
      return absl::NotFoundError(absl::StrCat("case ", case_id, " not found"));
    if (!c.ok()) return c.status();
    if (c->status == store::CaseStatus::kClosed) {
      return absl::FailedPreconditionError(absl::StrCat(
          "The ", c->title,
          " case is closed. Pushing a closed case is not allowed."));
    }
    job = queue_->NewJob(case_id, connector_id, connector.connector_type_id,
                         user, NowMillis());
    RETURN_IF_ERROR(tx->InsertPushJob(job));
    RETURN_IF_ERROR(tx->Commit());
  }
  metrics::RecordPushJobState(job.connector_type_id, "queued");
  queue_->Notify();
  if (async) return LoadResult(case_id, std::move(job));

  absl::Time wait_until = deadline == absl::InfiniteFuture()
                              ? absl::Now() + options_.default_wait
                              : deadline - options_.deadline_margin;
  ASSIGN_OR_RETURN(job, queue_->WaitForJob(job.id, wait_until));
  if (job.state == store::PushJobState::kSucceeded)
    return LoadResult(case_id, std::move(job));
  if (job.state == store::PushJobState::kFailed) {
    std::string message = "the external system refused the push";
    if (job.last_error) {
      message = job.last_error->message;
      if (!job.last_error->service_message.empty())
        absl::StrAppend(&message, ": ", job.last_error->service_message);
    }
    return absl::FailedPreconditionError(
        absl::StrCat("push job ", job.id, " failed after ", job.attempts,
                     " attempt(s): ", message));
  }
  std::string last;
  if (job.last_error)
    last = absl::StrCat(" (last error: ", job.last_error->message, ")");
  return absl::UnavailableError(absl::StrCat(
      "push job ", job.id, " has not finished by the deadline", last,
      "; it keeps retrying in the background (see GetPushJob ", job.id, ")"));
}

absl::StatusOr<PushCaseResult> PushManager::LoadResult(
    const std::string& case_id, store::PushJob job) {
  PushCaseResult out;
  {
    ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
    ASSIGN_OR_RETURN(out.c, tx->GetCase(case_id));
    ASSIGN_OR_RETURN(out.comments, tx->ListAttachments(case_id));
    ASSIGN_OR_RETURN(out.push_statuses, PushStatuses(*tx, case_id));
  }
  out.job = std::move(job);
  return out;
}

absl::StatusOr<store::PushJob> PushManager::GetJob(const std::string& id) {
  if (id.empty()) return InvalidField("id", "is required");
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  return tx->GetPushJob(id);
}

absl::StatusOr<store::PushJobPage> PushManager::ListJobs(
    store::PushJobQuery query) {
  ValidationErrors errors;
  if (query.page == 0) query.page = 1;
  if (query.per_page == 0) query.per_page = 20;
  if (query.page < 1) errors.Add("page", "must be at least 1");
  if (query.per_page < 1 || query.per_page > 100)
    errors.Add("per_page", "must be between 1 and 100");
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  return tx->FindPushJobs(query);
}

absl::StatusOr<store::PushJob> PushManager::RetryJob(const std::string& id) {
  if (id.empty()) return InvalidField("id", "is required");
  if (queue_ == nullptr)
    return absl::UnavailableError("the push queue is not running");
  return queue_->RetryJob(id);
}

absl::StatusOr<std::vector<PushStatusView>> PushManager::PushStatuses(
    const std::string& case_id) {
  ASSIGN_OR_RETURN(auto tx, store_->BeginRead());
  return PushStatuses(*tx, case_id);
}

absl::StatusOr<std::vector<PushStatusView>> PushManager::PushStatuses(
    store::Transaction& tx, const std::string& case_id) {
  ASSIGN_OR_RETURN(std::vector<store::PushJob> jobs,
                   tx.LatestPushJobs(case_id));
  ASSIGN_OR_RETURN(std::vector<store::PushRecord> records,
                   tx.ListPushRecords(case_id));
  std::map<std::string, PushStatusView> by_connector;
  for (store::PushJob& j : jobs) {
    PushStatusView& v = by_connector[j.connector_id];
    v.connector_id = j.connector_id;
    v.last_job = std::move(j);
  }
  for (store::PushRecord& r : records) {
    PushStatusView& v = by_connector[r.connector_id];
    v.connector_id = r.connector_id;
    v.external_service = std::move(r.external_service);
  }
  std::vector<PushStatusView> out;
  for (auto& [id, v] : by_connector) out.push_back(std::move(v));
  return out;
}

jobs::AttemptResult PushManager::RunAttempt(
    const store::PushJob& job, const jobs::AttemptContext& context) {
  // 1. What to push: the case now, its attachments, the last push to this
  //    connector.
  store::Case c;
  std::vector<store::Attachment> attachments;
  std::optional<store::PushRecord> record;
  {
    auto tx = store_->BeginRead();
    if (!tx.ok()) return FromStatus(tx.status());
    auto got = (*tx)->GetCase(job.case_id);
    if (!got.ok()) return FromStatus(got.status());
    c = std::move(*got);
    auto atts = (*tx)->ListAttachments(job.case_id);
    if (!atts.ok()) return FromStatus(atts.status());
    attachments = std::move(*atts);
    auto rec = (*tx)->GetPushRecord(job.case_id, job.connector_id);
    if (!rec.ok()) return FromStatus(rec.status());
    record = std::move(*rec);
  }
  auto connector = connectors_->Get(job.connector_id);
  if (!connector.ok()) return FromStatus(connector.status());
  const std::string type = connector->connector_type_id;

  connectors::ExecuteOptions exec;
  exec.deadline = context.deadline;
  exec.request_id = job.id;
  exec.is_cancelled = context.is_cancelled;
  auto run =
      [&](const std::string& sub_action,
          const Json& params) -> absl::StatusOr<connectors::ExecuteResult> {
    return connectors_->Execute(job.connector_id, sub_action, params, exec);
  };

  // 2. No duplicates: before a create that an earlier attempt may already
  //    have made (a failed or interrupted attempt of this job), look for a
  //    record carrying the case id.
  std::string external_id =
      record ? record->external_service.external_id : std::string();
  const bool may_exist = job.attempts > 1 || job.last_error.has_value();
  if (external_id.empty() && may_exist) {
    const std::string lookup = LookupSubAction(type);
    if (!lookup.empty()) {
      auto found = run(lookup, LookupParams(type, c));
      if (!found.ok()) return FromStatus(found.status());
      if (found->ok) {
        external_id = JsonString(found->data, "id");
        if (!external_id.empty())
          log::Info(kComponent, "push job ", job.id, ": ", type,
                    " already has record ", external_id, " for case ", c.id,
                    "; updating it instead of creating another");
      } else if (found->retry || found->retry_at) {
        return FromRun(*found, lookup.c_str());
      } else {
        log::Warn(kComponent, "push job ", job.id, ": ", lookup,
                  " unavailable (", found->message,
                  "); creating without the duplicate check");
      }
    }
  }

  // 3. Build; updates with append mappings read the incident first.
  PushBuildInput input;
  input.c = &c;
  input.attachments = &attachments;
  input.record = record ? &*record : nullptr;
  input.connector_type = type;
  input.external_id = external_id;
  input.mappings = DefaultMappings(type);
  if (!external_id.empty() && NeedsCurrentIncident(input.mappings)) {
    auto current = run("getIncident", Json{{"externalId", external_id}});
    if (!current.ok()) return FromStatus(current.status());
    if (!current->ok) return FromRun(*current, "getIncident");
    input.current_incident = current->data;
  }
  BuiltPush built = BuildPushParams(input);

  // 4. Push.
  auto pushed = run("pushToService", built.params);
  if (!pushed.ok()) return FromStatus(pushed.status());
  if (!pushed->ok) return FromRun(*pushed, "pushToService");

  // 5. Success: everything in the transaction that marks the job done.
  const absl::Time now = NowMillis();
  store::ExternalService es;
  es.connector_id = job.connector_id;
  es.connector_name = connector->name;
  es.external_id = JsonString(pushed->data, "id");
  es.external_title = JsonString(pushed->data, "title");
  es.external_url = JsonString(pushed->data, "url");
  es.pushed_at = now;
  es.pushed_by = job.requested_by;
  if (es.external_id.empty()) {
    return Permanent(absl::StatusCode::kUnknown,
                     "pushToService returned no record id");
  }

  jobs::AttemptResult result;
  result.kind = jobs::AttemptResult::Kind::kSucceeded;
  result.external_service = es;
  const std::string case_id = c.id;
  const std::string connector_id = job.connector_id;
  const store::User user = job.requested_by;
  result.commit = [case_id, connector_id, user, es, now,
                   built = std::move(built)](store::Transaction& tx) {
    ASSIGN_OR_RETURN(store::Case c, tx.GetCase(case_id));
    ASSIGN_OR_RETURN(std::optional<store::PushRecord> old,
                     tx.GetPushRecord(case_id, connector_id));
    store::PushRecord rec;
    if (old) rec = std::move(*old);
    rec.case_id = case_id;
    rec.connector_id = connector_id;
    rec.external_service = es;
    // Mark what was sent, unless a user changed it since it was read (then
    // the next push sends it again).
    for (const auto& [att_id, stamp] : built.covered) {
      auto a = tx.GetAttachment(case_id, att_id);
      if (absl::IsNotFound(a.status())) continue;
      if (!a.ok()) return a.status();
      if (AttachmentStamp(*a) != stamp) continue;
      rec.pushed_attachments[att_id] = stamp;
      if (!a->pushed_at || *a->pushed_at < now) {
        a->pushed_at = now;
        a->pushed_by = user;
        RETURN_IF_ERROR(tx.UpdateAttachment(*a));
      }
    }
    RETURN_IF_ERROR(tx.PutPushRecord(rec));

    store::Case updated = c;
    updated.external_service = es;
    updated.updated_at = now;
    updated.updated_by = user;
    auto config = tx.GetConfigurationByOwner(c.owner);
    if (!config.ok() && !absl::IsNotFound(config.status()))
      return config.status();
    std::vector<store::UserAction> actions;
    if (config.ok() && config->closure_type == "close-by-pushing" &&
        c.status != store::CaseStatus::kClosed) {
      updated.status = store::CaseStatus::kClosed;
      updated.closed_at = now;
      updated.closed_by = user;
      updated.duration_seconds = absl::ToInt64Seconds(now - c.created_at);
      actions = DiffCase(c, updated, user, now);
    }
    RETURN_IF_ERROR(tx.UpdateCase(updated));
    store::UserAction pushed_action;
    pushed_action.id = NewUuid();
    pushed_action.case_id = case_id;
    pushed_action.type = "pushed";
    pushed_action.action = "push_to_service";
    pushed_action.payload = Json{
        {"externalService",
         Json{
             {"connector_id", es.connector_id},
             {"connector_name", es.connector_name},
             {"external_id", es.external_id},
             {"external_title", es.external_title},
             {"external_url", es.external_url},
             {"pushed_at", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                                            es.pushed_at, absl::UTCTimeZone())},
             {"pushed_by", Json{{"username", es.pushed_by.username},
                                {"full_name", es.pushed_by.full_name},
                                {"email", es.pushed_by.email},
                                {"profile_uid", es.pushed_by.profile_uid}}}}}};
    pushed_action.created_at = now;
    pushed_action.created_by = user;
    pushed_action.owner = c.owner;
    for (const store::UserAction& a : actions)
      RETURN_IF_ERROR(tx.InsertUserAction(a));
    RETURN_IF_ERROR(tx.InsertUserAction(pushed_action));
    return RecordCaseEvent(tx, store::CaseEventType::kPushed, updated, now);
  };
  result.on_committed = NotifyCaseEventsCommitted;
  return result;
}

}  // namespace casebridge::cases

#include "server/api/push_convert.h"

#include "server/api/case_convert.h"

namespace casebridge::api {

namespace {

void PushErrorToProto(const store::PushError& e, v1::PushError* out) {
  out->set_code(e.code);
  out->set_message(e.message);
  out->set_service_message(e.service_message);
  out->set_retryable(e.retryable);
}

}  // namespace

void ExternalServiceToProto(const store::ExternalService& e,
                            v1::ExternalService* out) {
  out->set_connector_id(e.connector_id);
  out->set_connector_name(e.connector_name);
  out->set_external_id(e.external_id);
  out->set_external_title(e.external_title);
  out->set_external_url(e.external_url);
  TimeToProto(e.pushed_at, out->mutable_pushed_at());
  UserToProto(e.pushed_by, out->mutable_pushed_by());
}

v1::PushJobState PushJobStateToProto(store::PushJobState s) {
  switch (s) {
    case store::PushJobState::kQueued:
      return v1::PUSH_JOB_STATE_QUEUED;
    case store::PushJobState::kRunning:
      return v1::PUSH_JOB_STATE_RUNNING;
    case store::PushJobState::kRetryWait:
      return v1::PUSH_JOB_STATE_RETRY_WAIT;
    case store::PushJobState::kSucceeded:
      return v1::PUSH_JOB_STATE_SUCCEEDED;
    case store::PushJobState::kFailed:
      return v1::PUSH_JOB_STATE_FAILED;
  }
  return v1::PUSH_JOB_STATE_UNSPECIFIED;
}

std::optional<store::PushJobState> PushJobStateFromProto(v1::PushJobState s) {
  switch (s) {
    case v1::PUSH_JOB_STATE_QUEUED:
      return store::PushJobState::kQueued;
    case v1::PUSH_JOB_STATE_RUNNING:
      return store::PushJobState::kRunning;
    case v1::PUSH_JOB_STATE_RETRY_WAIT:
      return store::PushJobState::kRetryWait;
    case v1::PUSH_JOB_STATE_SUCCEEDED:
      return store::PushJobState::kSucceeded;
    case v1::PUSH_JOB_STATE_FAILED:
      return store::PushJobState::kFailed;
    default:
      return std::nullopt;
  }
}

void PushJobToProto(const store::PushJob& job, v1::PushJob* out) {
  out->set_id(job.id);
  out->set_case_id(job.case_id);
  out->set_connector_id(job.connector_id);
  out->set_connector_type_id(job.connector_type_id);
  out->set_state(PushJobStateToProto(job.state));
  out->set_attempts(job.attempts);
  out->set_max_attempts(job.max_attempts);
  TimeToProto(job.created_at, out->mutable_created_at());
  TimeToProto(job.updated_at, out->mutable_updated_at());
  if (job.next_attempt_at)
    TimeToProto(*job.next_attempt_at, out->mutable_next_attempt_at());
  if (job.finished_at)
    TimeToProto(*job.finished_at, out->mutable_finished_at());
  UserToProto(job.requested_by, out->mutable_requested_by());
  if (job.last_error)
    PushErrorToProto(*job.last_error, out->mutable_last_error());
  if (job.external_service)
    ExternalServiceToProto(*job.external_service,
                           out->mutable_external_service());
}

void PushStatusToProto(const cases::PushStatusView& s, v1::PushStatus* out) {
  out->set_connector_id(s.connector_id);
  if (s.last_job) {
    out->set_last_job_id(s.last_job->id);
    out->set_state(PushJobStateToProto(s.last_job->state));
    if (s.last_job->last_error)
      PushErrorToProto(*s.last_job->last_error, out->mutable_last_error());
  }
  if (s.external_service)
    ExternalServiceToProto(*s.external_service,
                           out->mutable_external_service());
}

}  // namespace casebridge::api

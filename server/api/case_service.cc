#include "server/api/case_service.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/api/case_convert.h"
#include "server/api/connector_service.h"
#include "server/api/grpc_status.h"
#include "server/api/push_convert.h"
#include "server/api/unimplemented.h"
#include "server/cases/validation.h"
#include "server/util/ids.h"
#include "server/util/status.h"

namespace casebridge::api {

namespace {

std::vector<std::string> PatchIds(const v1::UpdateCasesRequest& request) {
  std::vector<std::string> ids;
  for (const auto& c : request.cases()) ids.push_back(c.id());
  return ids;
}

std::vector<std::string> Strings(
    const google::protobuf::RepeatedPtrField<std::string>& values) {
  return std::vector<std::string>(values.begin(), values.end());
}

void CaseWithCommentsToProto(const cases::CaseWithComments& in, v1::Case* out) {
  CaseToProto(in.c, out);
  for (const auto& a : in.comments) AttachmentToProto(a, out->add_comments());
}

grpc::Status PushUnavailable() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "pushing is not enabled on this server");
}

}  // namespace

CaseServiceImpl::CaseServiceImpl(cases::CaseManager* manager,
                                 RpcAuthorizer* authz,
                                 connectors::ConnectorManager* connectors)
    : manager_(manager), connectors_(connectors), authz_(authz) {}

absl::StatusOr<std::vector<std::string>> CaseServiceImpl::CaseOwners(
    const std::vector<std::string>& ids) const {
  std::vector<std::string> owners;
  // Malformed requests are left to the manager's validation; missing cases
  // to its NOT_FOUND (an empty owner list is then checked as "no owner",
  // which only an every-owner role passes).
  if (ids.size() > 100) return owners;
  for (const std::string& id : ids) {
    if (id.find_first_not_of(" \t") == std::string::npos) continue;
    auto found = manager_->GetCase(id, /*include_comments=*/false);
    if (absl::IsNotFound(found.status())) continue;
    if (!found.ok()) return found.status();
    if (std::find(owners.begin(), owners.end(), found->c.owner) ==
        owners.end()) {
      owners.push_back(found->c.owner);
    }
  }
  return owners;
}

absl::StatusOr<std::vector<std::string>> CaseServiceImpl::ConfigurationOwner(
    const std::string& id) const {
  auto all = manager_->GetConfigurations({});
  if (!all.ok()) return all.status();
  for (const auto& c : *all) {
    if (c.id == id) return std::vector<std::string>{c.owner};
  }
  return std::vector<std::string>{};  // the manager reports NOT_FOUND
}

grpc::ServerUnaryReactor* CaseServiceImpl::CreateCase(
    grpc::CallbackServerContext* ctx, const v1::CreateCaseRequest* request,
    v1::CreateCaseResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto who = authz_->CheckOwner(
      ctx, {"CaseService.CreateCase", auth::Privilege::kCasesWrite, "case", "", true},
      request->owner());
  if (!who.ok()) {
    reactor->Finish(ToGrpcStatus(who.status()));
    return reactor;
  }
  ValidationErrors errors;
  cases::NewCase c = NewCaseFromProto(*request, errors);
  if (!errors.empty()) {
    // Report the field rules' violations along with the enum ones.
    cases::CheckNewCase(c, errors);
    reactor->Finish(ToGrpcStatus(errors.ToStatus()));
    return reactor;
  }
  // `response` and `reactor` stay valid until Finish.
  manager_->CreateCaseAsync(
      std::move(c), who->user,
      [reactor, response](absl::StatusOr<store::Case> result) {
        if (!result.ok()) {
          reactor->Finish(ToGrpcStatus(result.status()));
          return;
        }
        CaseToProto(*result, response->mutable_case_());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* CaseServiceImpl::GetCase(
    grpc::CallbackServerContext* ctx, const v1::GetCaseRequest* request,
    v1::GetCaseResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (read_pool_ == nullptr) {
    reactor->Finish(GetCaseSync(ctx, request, response));
    return reactor;
  }
  // ctx, request and response stay valid until Finish.
  read_pool_->Submit([this, ctx, request, response, reactor] {
    reactor->Finish(GetCaseSync(ctx, request, response));
  });
  return reactor;
}

grpc::Status CaseServiceImpl::GetCaseSync(grpc::CallbackServerContext* ctx,
                                          const v1::GetCaseRequest* request,
                                          v1::GetCaseResponse* response) {
  // The case and its push statuses are read in one transaction, after
  // authentication; nothing is returned unless the owner check passes.
  absl::StatusOr<cases::CaseWithComments> result;
  std::vector<cases::PushStatusView> statuses;
  std::function<absl::Status(store::Transaction&)> read_statuses;
  if (push_ != nullptr) {
    read_statuses = [&](store::Transaction& tx) -> absl::Status {
      auto read = cases::PushManager::PushStatuses(tx, request->id());
      if (!read.ok()) return read.status();
      statuses = *std::move(read);
      return absl::OkStatus();
    };
  }
  auto who = authz_->Check(
      ctx, {"CaseService.GetCase", auth::Privilege::kCasesRead, "case",
            request->id(), false},
      [&]() -> absl::StatusOr<std::vector<std::string>> {
        result = manager_->GetCase(request->id(), request->include_comments(),
                                   read_statuses);
        if (!result.ok()) return result.status();
        return std::vector<std::string>{result->c.owner};
      });
  if (!who.ok()) return ToGrpcStatus(who.status());
  CaseWithCommentsToProto(*result, response->mutable_case_());
  for (const auto& s : statuses) {
    PushStatusToProto(s, response->mutable_case_()->add_push_statuses());
  }
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::UpdateCases(grpc::ServerContext* ctx,
                                          const v1::UpdateCasesRequest* request,
                                          v1::UpdateCasesResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.UpdateCases", auth::Privilege::kCasesWrite, "case", "", true},
      [&] { return CaseOwners(PatchIds(*request)); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  ValidationErrors errors;
  std::vector<cases::CasePatch> patches;
  patches.reserve(request->cases_size());
  for (int i = 0; i < request->cases_size(); ++i) {
    patches.push_back(CasePatchFromProto(
        request->cases(i), "cases[" + std::to_string(i) + "]", errors));
  }
  if (!errors.empty()) {
    for (size_t i = 0; i < patches.size(); ++i) {
      cases::CheckCasePatch(patches[i], "cases[" + std::to_string(i) + "]",
                            errors);
    }
    return ToGrpcStatus(errors.ToStatus());
  }
  auto result = manager_->UpdateCases(std::move(patches), who->user);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (const auto& c : *result) CaseToProto(c, response->add_cases());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::DeleteCases(grpc::ServerContext* ctx,
                                          const v1::DeleteCasesRequest* request,
                                          v1::DeleteCasesResponse*) {
  auto who = authz_->Check(
      ctx, {"CaseService.DeleteCases", auth::Privilege::kCasesDelete, "case", absl::StrJoin(request->ids(), ","), true},
      [&] { return CaseOwners(Strings(request->ids())); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  return ToGrpcStatus(manager_->DeleteCases(Strings(request->ids())));
}

grpc::ServerUnaryReactor* CaseServiceImpl::FindCases(
    grpc::CallbackServerContext* ctx, const v1::FindCasesRequest* request,
    v1::FindCasesResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (read_pool_ == nullptr) {
    reactor->Finish(FindCasesSync(ctx, request, response));
    return reactor;
  }
  read_pool_->Submit([this, ctx, request, response, reactor] {
    reactor->Finish(FindCasesSync(ctx, request, response));
  });
  return reactor;
}

grpc::Status CaseServiceImpl::FindCasesSync(grpc::CallbackServerContext* ctx,
                                            const v1::FindCasesRequest* request,
                                            v1::FindCasesResponse* response) {
  std::vector<std::string> owners = Strings(request->owners());
  auto who = authz_->CheckSearch(
      ctx, {"CaseService.FindCases", auth::Privilege::kCasesRead, "case", ""},
      owners);
  if (!who.ok()) return ToGrpcStatus(who.status());
  ValidationErrors errors;
  store::CaseQuery query = CaseQueryFromProto(*request, errors);
  if (!errors.empty()) return ToGrpcStatus(errors.ToStatus());
  query.filter.owners = std::move(owners);
  auto result = manager_->FindCases(std::move(query));
  if (!result.ok()) return ToGrpcStatus(result.status());
  const store::CasePage& page = result->result;
  response->mutable_cases()->Reserve(static_cast<int>(page.cases.size()));
  for (const auto& c : page.cases) CaseToProto(c, response->add_cases());
  response->set_page(result->page);
  response->set_per_page(result->per_page);
  response->set_total(page.total);
  response->set_count_open_cases(page.counts.open);
  response->set_count_in_progress_cases(page.counts.in_progress);
  response->set_count_closed_cases(page.counts.closed);
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::GetCaseStatusCounts(
    grpc::ServerContext* ctx, const v1::GetCaseStatusCountsRequest* request,
    v1::GetCaseStatusCountsResponse* response) {
  store::CaseFilter filter;
  filter.owners = Strings(request->owners());
  auto who = authz_->CheckSearch(ctx,
                                 {"CaseService.GetCaseStatusCounts",
                                  auth::Privilege::kCasesRead, "case", ""},
                                 filter.owners);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (request->has_from()) filter.created_from = TimeFromProto(request->from());
  if (request->has_to()) filter.created_to = TimeFromProto(request->to());
  auto result = manager_->GetCaseStatusCounts(filter);
  if (!result.ok()) return ToGrpcStatus(result.status());
  response->set_count_open_cases(result->open);
  response->set_count_in_progress_cases(result->in_progress);
  response->set_count_closed_cases(result->closed);
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::ListReporters(
    grpc::ServerContext* ctx, const v1::ListReportersRequest* request,
    v1::ListReportersResponse* response) {
  std::vector<std::string> owners = Strings(request->owners());
  auto who = authz_->CheckSearch(
      ctx, {"CaseService.ListReporters", auth::Privilege::kCasesRead, "case", ""},
      owners);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto result = manager_->ListReporters(owners);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (const auto& u : *result) UserToProto(u, response->add_reporters());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::ListTags(grpc::ServerContext* ctx,
                                       const v1::ListTagsRequest* request,
                                       v1::ListTagsResponse* response) {
  std::vector<std::string> owners = Strings(request->owners());
  auto who = authz_->CheckSearch(
      ctx, {"CaseService.ListTags", auth::Privilege::kCasesRead, "case", ""},
      owners);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto result = manager_->ListTags(owners);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (auto& t : *result) response->add_tags(std::move(t));
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::ListCategories(
    grpc::ServerContext* ctx, const v1::ListCategoriesRequest* request,
    v1::ListCategoriesResponse* response) {
  std::vector<std::string> owners = Strings(request->owners());
  auto who = authz_->CheckSearch(
      ctx, {"CaseService.ListCategories", auth::Privilege::kCasesRead, "case", ""},
      owners);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto result = manager_->ListCategories(owners);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (auto& c : *result) response->add_categories(std::move(c));
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::GetCasesByAlert(
    grpc::ServerContext* ctx, const v1::GetCasesByAlertRequest* request,
    v1::GetCasesByAlertResponse* response) {
  std::vector<std::string> owners = Strings(request->owners());
  auto who = authz_->CheckSearch(ctx,
                                 {"CaseService.GetCasesByAlert",
                                  auth::Privilege::kCasesRead, "case", ""},
                                 owners);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto result = manager_->GetCasesByAlert(request->alert_id(), owners);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (const auto& c : *result) RelatedCaseToProto(c, response->add_cases());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::GetCaseAlerts(
    grpc::ServerContext* ctx, const v1::GetCaseAlertsRequest* request,
    v1::GetCaseAlertsResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.GetCaseAlerts", auth::Privilege::kCasesRead, "case", request->case_id(), false},
      [&] { return CaseOwners({request->case_id()}); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto result = manager_->GetCaseAlerts(request->case_id());
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (const auto& a : *result) CaseAlertToProto(a, response->add_alerts());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::AddComment(grpc::ServerContext* ctx,
                                         const v1::AddCommentRequest* request,
                                         v1::AddCommentResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.AddComment", auth::Privilege::kCasesWrite, "case", request->case_id(), true},
      [&] { return CaseOwners({request->case_id()}); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  ValidationErrors errors;
  cases::AttachmentInput input =
      AttachmentFromProto(request->attachment(), "attachment", errors);
  if (!errors.empty()) return ToGrpcStatus(errors.ToStatus());
  auto result = manager_->AddComment(request->case_id(), request->owner(),
                                     std::move(input), who->user);
  if (!result.ok()) return ToGrpcStatus(result.status());
  CaseWithCommentsToProto(*result, response->mutable_case_());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::UpdateComment(
    grpc::ServerContext* ctx, const v1::UpdateCommentRequest* request,
    v1::UpdateCommentResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.UpdateComment", auth::Privilege::kCasesWrite, "comment", request->comment_id(), true},
      [&] { return CaseOwners({request->case_id()}); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  ValidationErrors errors;
  cases::AttachmentInput input =
      AttachmentFromProto(request->attachment(), "attachment", errors);
  if (!errors.empty()) return ToGrpcStatus(errors.ToStatus());
  const int64_t version =
      DecodeVersion(request->version()).value_or(cases::kUnknownVersion);
  auto result = manager_->UpdateComment(
      request->case_id(), request->comment_id(), version, request->owner(),
      std::move(input), who->user);
  if (!result.ok()) return ToGrpcStatus(result.status());
  CaseWithCommentsToProto(*result, response->mutable_case_());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::GetComment(grpc::ServerContext* ctx,
                                         const v1::GetCommentRequest* request,
                                         v1::GetCommentResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.GetComment", auth::Privilege::kCasesRead, "comment", request->comment_id(), false},
      [&] { return CaseOwners({request->case_id()}); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto result = manager_->GetComment(request->case_id(), request->comment_id());
  if (!result.ok()) return ToGrpcStatus(result.status());
  AttachmentToProto(*result, response->mutable_comment());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::FindComments(
    grpc::ServerContext* ctx, const v1::FindCommentsRequest* request,
    v1::FindCommentsResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.FindComments", auth::Privilege::kCasesRead, "case", request->case_id(), false},
      [&] { return CaseOwners({request->case_id()}); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  ValidationErrors errors;
  const bool ascending =
      AscendingFromProto(request->sort_order(), "sort_order", errors);
  if (!errors.empty()) return ToGrpcStatus(errors.ToStatus());
  auto result = manager_->FindComments(request->case_id(), ascending,
                                       request->page(), request->per_page());
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (const auto& a : result->result.attachments) {
    AttachmentToProto(a, response->add_comments());
  }
  response->set_page(result->page);
  response->set_per_page(result->per_page);
  response->set_total(result->result.total);
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::DeleteComment(
    grpc::ServerContext* ctx, const v1::DeleteCommentRequest* request,
    v1::DeleteCommentResponse*) {
  auto who = authz_->Check(
      ctx, {"CaseService.DeleteComment", auth::Privilege::kCasesDelete, "comment", request->comment_id(), true},
      [&] { return CaseOwners({request->case_id()}); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  return ToGrpcStatus(manager_->DeleteComment(
      request->case_id(), request->comment_id(), who->user));
}

grpc::Status CaseServiceImpl::DeleteComments(
    grpc::ServerContext* ctx, const v1::DeleteCommentsRequest* request,
    v1::DeleteCommentsResponse*) {
  auto who = authz_->Check(
      ctx, {"CaseService.DeleteComments", auth::Privilege::kCasesDelete, "case", request->case_id(), true},
      [&] { return CaseOwners({request->case_id()}); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  return ToGrpcStatus(
      manager_->DeleteComments(request->case_id(), who->user));
}

grpc::Status CaseServiceImpl::FindCaseActivity(
    grpc::ServerContext* ctx, const v1::FindCaseActivityRequest* request,
    v1::FindCaseActivityResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.FindCaseActivity", auth::Privilege::kCasesRead, "case", request->case_id(), false},
      [&] { return CaseOwners({request->case_id()}); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  ValidationErrors errors;
  store::UserActionQuery query = ActivityQueryFromProto(*request, errors);
  if (!errors.empty()) return ToGrpcStatus(errors.ToStatus());
  auto result = manager_->FindCaseActivity(std::move(query));
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (const auto& a : result->result.user_actions) {
    UserActionToProto(a, response->add_user_actions());
  }
  response->set_page(result->page);
  response->set_per_page(result->per_page);
  response->set_total(result->result.total);
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::PushCase(grpc::ServerContext* ctx,
                                       const v1::PushCaseRequest* request,
                                       v1::PushCaseResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.PushCase", auth::Privilege::kCasesWrite, "case", request->case_id(), true},
      [&] { return CaseOwners({request->case_id()}); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (push_ == nullptr) return PushUnavailable();
  const absl::Time deadline =
      ctx->deadline() >= std::chrono::system_clock::time_point::max() -
                             std::chrono::hours(24 * 365)
          ? absl::InfiniteFuture()
          : absl::FromChrono(ctx->deadline());
  auto result = push_->PushCase(request->case_id(), request->connector_id(),
                                request->async(), deadline, who->user);
  if (!result.ok()) return ToGrpcStatus(result.status());
  v1::Case* c = response->mutable_case_();
  CaseToProto(result->c, c);
  for (const auto& a : result->comments)
    AttachmentToProto(a, c->add_comments());
  for (const auto& s : result->push_statuses)
    PushStatusToProto(s, c->add_push_statuses());
  PushJobToProto(result->job, response->mutable_job());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::GetPushJob(grpc::ServerContext* ctx,
                                         const v1::GetPushJobRequest* request,
                                         v1::GetPushJobResponse* response) {
  absl::StatusOr<store::PushJob> job;
  auto who = authz_->Check(
      ctx, {"CaseService.GetPushJob", auth::Privilege::kCasesRead, "push_job", request->id(), false},
      [&]() -> absl::StatusOr<std::vector<std::string>> {
        if (push_ == nullptr) return std::vector<std::string>{};
        job = push_->GetJob(request->id());
        // A missing job has no owner: only every-owner readers learn that.
        if (absl::IsNotFound(job.status())) return std::vector<std::string>{};
        if (!job.ok()) return job.status();
        return CaseOwners({job->case_id});
      });
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (push_ == nullptr) return PushUnavailable();
  if (!job.ok()) return ToGrpcStatus(job.status());
  PushJobToProto(*job, response->mutable_job());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::ListPushJobs(
    grpc::ServerContext* ctx, const v1::ListPushJobsRequest* request,
    v1::ListPushJobsResponse* response) {
  // Jobs of one case need cases:read on its owner; jobs of every case need
  // it on every owner (an empty owner list is "no owner", which only an
  // every-owner role passes).
  auto who = authz_->Check(
      ctx, {"CaseService.ListPushJobs", auth::Privilege::kCasesRead, "push_job", request->case_id(), false},
      [&]() -> absl::StatusOr<std::vector<std::string>> {
        if (request->case_id().empty()) return std::vector<std::string>{};
        return CaseOwners({request->case_id()});
      });
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (push_ == nullptr) return PushUnavailable();
  store::PushJobQuery query;
  query.case_id = request->case_id();
  query.page = request->page();
  query.per_page = request->per_page();
  ValidationErrors errors;
  for (int i = 0; i < request->states_size(); ++i) {
    auto state = PushJobStateFromProto(request->states(i));
    if (!state) {
      errors.Add("states[" + std::to_string(i) + "]",
                 "must be a known push job state");
      continue;
    }
    query.states.push_back(*state);
  }
  if (!errors.empty()) return ToGrpcStatus(errors.ToStatus());
  auto page = push_->ListJobs(query);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const auto& j : page->jobs) PushJobToProto(j, response->add_jobs());
  response->set_page(query.page == 0 ? 1 : query.page);
  response->set_per_page(query.per_page == 0 ? 20 : query.per_page);
  response->set_total(page->total);
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::RetryPushJob(
    grpc::ServerContext* ctx, const v1::RetryPushJobRequest* request,
    v1::RetryPushJobResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.RetryPushJob", auth::Privilege::kCasesWrite, "push_job", request->id(), true},
      [&]() -> absl::StatusOr<std::vector<std::string>> {
        if (push_ == nullptr) return std::vector<std::string>{};
        auto job = push_->GetJob(request->id());
        if (absl::IsNotFound(job.status())) return std::vector<std::string>{};
        if (!job.ok()) return job.status();
        return CaseOwners({job->case_id});
      });
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (push_ == nullptr) return PushUnavailable();
  auto job = push_->RetryJob(request->id());
  if (!job.ok()) return ToGrpcStatus(job.status());
  PushJobToProto(*job, response->mutable_job());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::GetConfiguration(
    grpc::ServerContext* ctx, const v1::GetConfigurationRequest* request,
    v1::GetConfigurationResponse* response) {
  std::vector<std::string> owners = Strings(request->owners());
  auto who = authz_->CheckSearch(
      ctx, {"CaseService.GetConfiguration", auth::Privilege::kCasesRead, "configuration", ""},
      owners);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto result = manager_->GetConfigurations(owners);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (const auto& c : *result) {
    ConfigurationToProto(c, response->add_configurations());
  }
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::SetConfiguration(
    grpc::ServerContext* ctx, const v1::SetConfigurationRequest* request,
    v1::SetConfigurationResponse* response) {
  auto who = authz_->CheckOwner(
      ctx, {"CaseService.SetConfiguration", auth::Privilege::kCasesSettings, "configuration", "", true},
      request->owner());
  if (!who.ok()) return ToGrpcStatus(who.status());
  ValidationErrors errors;
  cases::NewConfiguration input = NewConfigurationFromProto(*request, errors);
  if (!errors.empty()) return ToGrpcStatus(errors.ToStatus());
  auto result = manager_->SetConfiguration(std::move(input), who->user);
  if (!result.ok()) return ToGrpcStatus(result.status());
  ConfigurationToProto(*result, response->mutable_configuration());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::UpdateConfiguration(
    grpc::ServerContext* ctx, const v1::UpdateConfigurationRequest* request,
    v1::UpdateConfigurationResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.UpdateConfiguration", auth::Privilege::kCasesSettings, "configuration", request->id(), true},
      [&] { return ConfigurationOwner(request->id()); });
  if (!who.ok()) return ToGrpcStatus(who.status());
  ValidationErrors errors;
  cases::ConfigurationPatch patch =
      ConfigurationPatchFromProto(*request, errors);
  if (!errors.empty()) return ToGrpcStatus(errors.ToStatus());
  auto result =
      manager_->UpdateConfiguration(std::move(patch), who->user);
  if (!result.ok()) return ToGrpcStatus(result.status());
  ConfigurationToProto(*result, response->mutable_configuration());
  return grpc::Status::OK;
}

grpc::Status CaseServiceImpl::FindConnectors(
    grpc::ServerContext* ctx, const v1::FindConnectorsRequest*,
    v1::FindConnectorsResponse* response) {
  auto who = authz_->Check(
      ctx, {"CaseService.FindConnectors", auth::Privilege::kConnectorsRead, "connector", "", false});
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (connectors_ == nullptr) return grpc::Status::OK;
  auto found = connectors_->ListCaseConnectors();
  if (!found.ok()) return ToGrpcStatus(found.status());
  for (const auto& c : *found) ConnectorToProto(c, response->add_connectors());
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::WatchCasesResponse>* CaseServiceImpl::WatchCases(
    grpc::CallbackServerContext* ctx, const v1::WatchCasesRequest* request) {
  // Like FindCases: only owners the caller may read, an explicit owner
  // filter can only narrow.
  std::vector<std::string> owners = Strings(request->owners());
  auto who = authz_->CheckSearch(
      ctx, {"CaseService.WatchCases", auth::Privilege::kCasesRead, "case", ""},
      owners);
  if (!who.ok()) return EndedWatch(ToGrpcStatus(who.status()));
  if (watch_ == nullptr) {
    return EndedWatch(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                  "WatchCases is not enabled on this server"));
  }
  v1::WatchCasesRequest narrowed = *request;
  narrowed.clear_owners();
  for (const std::string& owner : owners) narrowed.add_owners(owner);
  return watch_->Watch(ctx, &narrowed);
}

}  // namespace casebridge::api

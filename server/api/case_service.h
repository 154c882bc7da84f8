// casebridge.v1.CaseService: converts each request to the case domain, runs
// it on a cases::CaseManager and converts the result back; absl::Status
// errors become grpc::Status with google.rpc details. The push RPCs run on a
// cases::PushManager (SetPushManager); without one they answer UNAVAILABLE.
//
// Thread-safe; one instance serves all calls. The manager must outlive it.
#ifndef CASEBRIDGE_SERVER_API_CASE_SERVICE_H_
#define CASEBRIDGE_SERVER_API_CASE_SERVICE_H_

#include "casebridge/v1/case_service.grpc.pb.h"
#include "server/api/authz.h"
#include "server/api/watch_cases.h"
#include "server/cases/case_manager.h"
#include "server/cases/push_manager.h"
#include "server/connectors/connector_manager.h"
#include "server/store/model.h"
#include "server/util/worker_pool.h"

namespace casebridge::api {

// GetCase and FindCases, the hot reads, use the callback API and run inline
// on gRPC's callback threads (they never wait for a lock: reads use their own
// SQLite connections), or on a read pool (SetReadPool) when the store's reads
// wait on the network. CreateCase uses the callback API too: it validates
// inline, then hands the write to the manager's writer thread, which
// finishes the call after its batch commits. Every other method is
// synchronous and runs on the sync server's thread pool, where blocking is
// expected.
using CaseServiceBase = v1::CaseService::WithCallbackMethod_CreateCase<
    v1::CaseService::WithCallbackMethod_GetCase<
        v1::CaseService::WithCallbackMethod_FindCases<
            v1::CaseService::WithCallbackMethod_WatchCases<
                v1::CaseService::Service>>>>;

class CaseServiceImpl final : public CaseServiceBase {
 public:
  // Every call is first checked by `authz` (borrowed); the authenticated
  // principal's user acts for it. `connectors` (borrowed, may be null: no
  // connectors) serves FindConnectors.
  CaseServiceImpl(cases::CaseManager* manager, RpcAuthorizer* authz,
                  connectors::ConnectorManager* connectors = nullptr);

  grpc::ServerUnaryReactor* CreateCase(
      grpc::CallbackServerContext* ctx, const v1::CreateCaseRequest* request,
      v1::CreateCaseResponse* response) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* ctx,
                                    const v1::GetCaseRequest* request,
                                    v1::GetCaseResponse* response) override;
  grpc::Status UpdateCases(grpc::ServerContext* ctx,
                           const v1::UpdateCasesRequest* request,
                           v1::UpdateCasesResponse* response) override;
  grpc::Status DeleteCases(grpc::ServerContext* ctx,
                           const v1::DeleteCasesRequest* request,
                           v1::DeleteCasesResponse* response) override;
  grpc::ServerUnaryReactor* FindCases(grpc::CallbackServerContext* ctx,
                                      const v1::FindCasesRequest* request,
                                      v1::FindCasesResponse* response) override;
  grpc::Status GetCaseStatusCounts(
      grpc::ServerContext* ctx, const v1::GetCaseStatusCountsRequest* request,
      v1::GetCaseStatusCountsResponse* response) override;
  grpc::Status ListReporters(grpc::ServerContext* ctx,
                             const v1::ListReportersRequest* request,
                             v1::ListReportersResponse* response) override;
  grpc::Status ListTags(grpc::ServerContext* ctx,
                        const v1::ListTagsRequest* request,
                        v1::ListTagsResponse* response) override;
  grpc::Status ListCategories(grpc::ServerContext* ctx,
                              const v1::ListCategoriesRequest* request,
                              v1::ListCategoriesResponse* response) override;
  grpc::Status GetCasesByAlert(grpc::ServerContext* ctx,
                               const v1::GetCasesByAlertRequest* request,
                               v1::GetCasesByAlertResponse* response) override;
  grpc::Status GetCaseAlerts(grpc::ServerContext* ctx,
                             const v1::GetCaseAlertsRequest* request,
                             v1::GetCaseAlertsResponse* response) override;
  grpc::Status AddComment(grpc::ServerContext* ctx,
                          const v1::AddCommentRequest* request,
                          v1::AddCommentResponse* response) override;
  grpc::Status UpdateComment(grpc::ServerContext* ctx,
                             const v1::UpdateCommentRequest* request,
                             v1::UpdateCommentResponse* response) override;
  grpc::Status GetComment(grpc::ServerContext* ctx,
                          const v1::GetCommentRequest* request,
                          v1::GetCommentResponse* response) override;
  grpc::Status FindComments(grpc::ServerContext* ctx,
                            const v1::FindCommentsRequest* request,
                            v1::FindCommentsResponse* response) override;
  grpc::Status DeleteComment(grpc::ServerContext* ctx,
                             const v1::DeleteCommentRequest* request,
                             v1::DeleteCommentResponse* response) override;
  grpc::Status DeleteComments(grpc::ServerContext* ctx,
                              const v1::DeleteCommentsRequest* request,
                              v1::DeleteCommentsResponse* response) override;
  grpc::Status FindCaseActivity(
      grpc::ServerContext* ctx, const v1::FindCaseActivityRequest* request,
      v1::FindCaseActivityResponse* response) override;
  grpc::Status PushCase(grpc::ServerContext* ctx,
                        const v1::PushCaseRequest* request,
                        v1::PushCaseResponse* response) override;
  grpc::Status GetPushJob(grpc::ServerContext* ctx,
                          const v1::GetPushJobRequest* request,
                          v1::GetPushJobResponse* response) override;
  grpc::Status ListPushJobs(grpc::ServerContext* ctx,
                            const v1::ListPushJobsRequest* request,
                            v1::ListPushJobsResponse* response) override;
  grpc::Status RetryPushJob(grpc::ServerContext* ctx,
                            const v1::RetryPushJobRequest* request,
                            v1::RetryPushJobResponse* response) override;

  // Enables the push RPCs and push_statuses in GetCase; call before serving.
  void SetPushManager(cases::PushManager* push) { push_ = push; }
  // Runs GetCase and FindCases on `pool` (borrowed; it must outlive the
  // server's calls) instead of gRPC's callback threads, which must not
  // block on a remote database. Call before serving.
  void SetReadPool(WorkerPool* pool) { read_pool_ = pool; }

  // A server-streaming callback method: the hub serves each stream. Needs
  // cases read on the owners watched (empty owners: every owner readable).
  grpc::ServerWriteReactor<v1::WatchCasesResponse>* WatchCases(
      grpc::CallbackServerContext* ctx,
      const v1::WatchCasesRequest* request) override;
  // Enables WatchCases; call before serving. Without it the RPC is UNAVAILABLE.
  void SetWatchHub(CaseWatchHub* hub) { watch_ = hub; }
  grpc::Status GetConfiguration(
      grpc::ServerContext* ctx, const v1::GetConfigurationRequest* request,
      v1::GetConfigurationResponse* response) override;
  grpc::Status SetConfiguration(
      grpc::ServerContext* ctx, const v1::SetConfigurationRequest* request,
      v1::SetConfigurationResponse* response) override;
  grpc::Status UpdateConfiguration(
      grpc::ServerContext* ctx, const v1::UpdateConfigurationRequest* request,
      v1::UpdateConfigurationResponse* response) override;
  grpc::Status FindConnectors(grpc::ServerContext* ctx,
                              const v1::FindConnectorsRequest* request,
                              v1::FindConnectorsResponse* response) override;

 private:
  grpc::Status GetCaseSync(grpc::CallbackServerContext* ctx,
                           const v1::GetCaseRequest* request,
                           v1::GetCaseResponse* response);
  grpc::Status FindCasesSync(grpc::CallbackServerContext* ctx,
                             const v1::FindCasesRequest* request,
                             v1::FindCasesResponse* response);
  // Owners of the existing cases among `ids`, for object checks.
  absl::StatusOr<std::vector<std::string>> CaseOwners(
      const std::vector<std::string>& ids) const;
  absl::StatusOr<std::vector<std::string>> ConfigurationOwner(
      const std::string& id) const;

  cases::CaseManager* manager_;
  connectors::ConnectorManager* connectors_;
  RpcAuthorizer* authz_;
  cases::PushManager* push_ = nullptr;
  CaseWatchHub* watch_ = nullptr;
  WorkerPool* read_pool_ = nullptr;
};

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_CASE_SERVICE_H_

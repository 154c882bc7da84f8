#include "server/api/connector_service.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/case_convert.h"
#include "server/api/grpc_status.h"
#include "server/api/json_struct.h"

namespace casebridge::api {
namespace {

v1::MappingActionType MappingAction(const std::string& action) {
  if (action == "overwrite") return v1::MAPPING_ACTION_TYPE_OVERWRITE;
  if (action == "append") return v1::MAPPING_ACTION_TYPE_APPEND;
  if (action == "nothing") return v1::MAPPING_ACTION_TYPE_NOTHING;
  return v1::MAPPING_ACTION_TYPE_UNSPECIFIED;
}

void TypeToProto(const connectors::ConnectorTypeView& in,
                 v1::ConnectorType* out) {
  const plugin_host::ConnectorTypeInfo& info = *in.info;
  out->set_id(info.id);
  out->set_name(info.name);
  // No licensing: enabled is enabled_in_config.
  out->set_enabled(in.enabled_in_config);
  out->set_enabled_in_config(in.enabled_in_config);
  for (const auto& f : info.supported_features)
    out->add_supported_feature_ids(f);
  JsonToStruct(info.config_schema, out->mutable_config_schema());
  JsonToStruct(info.secrets_schema, out->mutable_secrets_schema());
  for (const auto& sub : info.sub_actions) {
    v1::ConnectorSubAction* s = out->add_sub_actions();
    s->set_name(sub.name);
    JsonToStruct(sub.params_schema, s->mutable_params_schema());
  }
  for (const auto& m : info.default_mappings) {
    v1::ConnectorMapping* mapping = out->add_default_mappings();
    mapping->set_source(m.source);
    mapping->set_target(m.target);
    mapping->set_action_type(MappingAction(m.action));
  }
  v1::PluginInfo* plugin = out->mutable_plugin();
  plugin->set_file(
      std::filesystem::path(in.module->path()).filename().string());
  plugin->set_version(in.module->version());
  plugin->set_abi_version(
      absl::StrCat(in.module->abi_major(), ".", in.module->abi_minor()));
}

}  // namespace

void ResultToProto(const connectors::ExecuteResult& in,
                   v1::ConnectorExecuteResult* out) {
  out->set_status(in.ok ? v1::CONNECTOR_EXECUTE_STATUS_OK
                        : v1::CONNECTOR_EXECUTE_STATUS_ERROR);
  out->set_connector_id(in.connector_id);
  if (in.ok && !in.data.is_discarded())
    JsonToValue(in.data, out->mutable_data());
  out->set_message(in.message);
  out->set_service_message(in.service_message);
  out->set_retry(in.retry);
  if (in.retry_at) TimeToProto(*in.retry_at, out->mutable_retry_at());
}

namespace {

connectors::ExecuteOptions OptionsFor(grpc::ServerContextBase* ctx) {
  connectors::ExecuteOptions options;
  const auto deadline = ctx->deadline();
  // gRPC reports "no deadline" as a far-future time point.
  if (deadline <
      std::chrono::system_clock::now() + std::chrono::hours(24 * 365)) {
    options.deadline = absl::FromChrono(deadline);
  }
  options.is_cancelled = [ctx] { return ctx->IsCancelled(); };
  return options;
}

// Finishes one ExecuteConnector from whichever thread completes the run, and
// abandons the run when the client cancels. gRPC calls OnCancel and OnDone
// only after the handler has returned, so `run_` is set by then.
class ExecuteReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit ExecuteReactor(v1::ExecuteConnectorResponse* response)
      : response_(response) {}

  void Complete(absl::StatusOr<connectors::ExecuteResult> result) {
    if (!result.ok()) {
      Finish(ToGrpcStatus(result.status()));
      return;
    }
    ResultToProto(*result, response_->mutable_result());
    Finish(grpc::Status::OK);
  }
  void set_run(std::shared_ptr<connectors::ExecuteHandle> run) {
    run_ = std::move(run);
  }

  void OnCancel() override { run_->Cancel(); }
  void OnDone() override { delete this; }

 private:
  v1::ExecuteConnectorResponse* const response_;
  std::shared_ptr<connectors::ExecuteHandle> run_;
};

}  // namespace

void ConnectorToProto(const connectors::ConnectorView& in, v1::Connector* out) {
  out->set_id(in.id);
  out->set_connector_type_id(in.connector_type_id);
  out->set_name(in.name);
  if (!in.is_preconfigured && in.config.is_object()) {
    JsonToStruct(in.config, out->mutable_config());
  }
  out->set_is_preconfigured(in.is_preconfigured);
  out->set_is_deprecated(in.is_deprecated);
  out->set_is_missing_secrets(in.is_missing_secrets);
  out->set_referenced_by_count(static_cast<int32_t>(in.referenced_by_count));
  TimeToProto(in.created_at, out->mutable_created_at());
  TimeToProto(in.updated_at, out->mutable_updated_at());
}

grpc::Status ConnectorServiceImpl::ListConnectorTypes(
    grpc::ServerContext* ctx, const v1::ListConnectorTypesRequest* request,
    v1::ListConnectorTypesResponse* response) {
  auto who = authz_->Check(
      ctx, {"ConnectorService.ListConnectorTypes", auth::Privilege::kConnectorsRead, "connector_type", "", false});
  if (!who.ok()) return ToGrpcStatus(who.status());
  std::optional<std::string> feature;
  if (request->has_feature_id()) feature = request->feature_id();
  for (const auto& type : manager_->ListConnectorTypes(feature)) {
    TypeToProto(type, response->add_connector_types());
  }
  return grpc::Status::OK;
}

grpc::Status ConnectorServiceImpl::CreateConnector(
    grpc::ServerContext* ctx, const v1::CreateConnectorRequest* request,
    v1::CreateConnectorResponse* response) {
  auto who = authz_->Check(
      ctx, {"ConnectorService.CreateConnector", auth::Privilege::kConnectorsAll, "connector", request->id(), true});
  if (!who.ok()) return ToGrpcStatus(who.status());
  connectors::CreateConnectorParams params;
  if (request->has_id()) params.id = request->id();
  params.connector_type_id = request->connector_type_id();
  params.name = request->name();
  params.config = StructToJson(request->config());
  params.secrets = StructToJson(request->secrets());
  auto created = manager_->Create(params);
  if (!created.ok()) return ToGrpcStatus(created.status());
  ConnectorToProto(*created, response->mutable_connector());
  return grpc::Status::OK;
}

grpc::Status ConnectorServiceImpl::GetConnector(
    grpc::ServerContext* ctx, const v1::GetConnectorRequest* request,
    v1::GetConnectorResponse* response) {
  auto who = authz_->Check(
      ctx, {"ConnectorService.GetConnector", auth::Privilege::kConnectorsRead, "connector", request->id(), false});
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto connector = manager_->Get(request->id());
  if (!connector.ok()) return ToGrpcStatus(connector.status());
  ConnectorToProto(*connector, response->mutable_connector());
  return grpc::Status::OK;
}

grpc::Status ConnectorServiceImpl::ListConnectors(
    grpc::ServerContext* ctx, const v1::ListConnectorsRequest*,
    v1::ListConnectorsResponse* response) {
  auto who = authz_->Check(
      ctx, {"ConnectorService.ListConnectors", auth::Privilege::kConnectorsRead, "connector", "", false});
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto connectors = manager_->List();
  if (!connectors.ok()) return ToGrpcStatus(connectors.status());
  for (const auto& c : *connectors)
    ConnectorToProto(c, response->add_connectors());
  return grpc::Status::OK;
}

grpc::Status ConnectorServiceImpl::UpdateConnector(
    grpc::ServerContext* ctx, const v1::UpdateConnectorRequest* request,
    v1::UpdateConnectorResponse* response) {
  auto who = authz_->Check(
      ctx, {"ConnectorService.UpdateConnector", auth::Privilege::kConnectorsAll, "connector", request->id(), true});
  if (!who.ok()) return ToGrpcStatus(who.status());
  connectors::UpdateConnectorParams params;
  params.id = request->id();
  params.name = request->name();
  params.config = StructToJson(request->config());
  params.secrets = StructToJson(request->secrets());
  auto updated = manager_->Update(params);
  if (!updated.ok()) return ToGrpcStatus(updated.status());
  ConnectorToProto(*updated, response->mutable_connector());
  return grpc::Status::OK;
}

grpc::Status ConnectorServiceImpl::DeleteConnector(
    grpc::ServerContext* ctx, const v1::DeleteConnectorRequest* request,
    v1::DeleteConnectorResponse* response) {
  auto who = authz_->Check(
      ctx, {"ConnectorService.DeleteConnector", auth::Privilege::kConnectorsAll, "connector", request->id(), true});
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto references = manager_->Delete(request->id());
  if (!references.ok()) return ToGrpcStatus(references.status());
  response->set_referenced_by_count(static_cast<int32_t>(*references));
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* ConnectorServiceImpl::ExecuteConnector(
    grpc::CallbackServerContext* ctx,
    const v1::ExecuteConnectorRequest* request,
    v1::ExecuteConnectorResponse* response) {
  auto who = authz_->Check(
      ctx, {"ConnectorService.ExecuteConnector", auth::Privilege::kConnectorsRead, "connector", request->id(), true});
  if (!who.ok()) {
    grpc::ServerUnaryReactor* refused = ctx->DefaultReactor();
    refused->Finish(ToGrpcStatus(who.status()));
    return refused;
  }
  auto* reactor = new ExecuteReactor(response);
  connectors::ExecuteOptions options = OptionsFor(ctx);
  options.is_cancelled = nullptr;  // OnCancel tells the run instead
  reactor->set_run(manager_->ExecuteAsync(
      request->id(), request->sub_action(),
      StructToJson(request->sub_action_params()), options,
      [reactor](absl::StatusOr<connectors::ExecuteResult> result) {
        reactor->Complete(std::move(result));
      }));
  return reactor;
}

grpc::Status ConnectorServiceImpl::TestConnector(
    grpc::ServerContext* ctx, const v1::TestConnectorRequest* request,
    v1::TestConnectorResponse* response) {
  auto who = authz_->Check(
      ctx, {"ConnectorService.TestConnector", auth::Privilege::kConnectorsAll, "connector_type", request->connector_type_id(), true});
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto result = manager_->Test(
      request->connector_type_id(), StructToJson(request->config()),
      StructToJson(request->secrets()), OptionsFor(ctx));
  if (!result.ok()) return ToGrpcStatus(result.status());
  ResultToProto(*result, response->mutable_result());
  return grpc::Status::OK;
}

}  // namespace casebridge::api

#include "server/api/api_key_service.h"

#include <string>
#include <vector>

#include "server/api/case_convert.h"
#include "server/api/grpc_status.h"
#include "server/auth/api_key.h"

namespace casebridge::api {
namespace {

void InfoToProto(const store::ApiKey& k, v1::ApiKeyInfo* out) {
  out->set_id(k.id);
  out->set_name(k.name);
  UserToProto(k.user, out->mutable_principal());
  for (const auto& r : k.roles) out->add_roles(r);
  TimeToProto(k.created_at, out->mutable_created_at());
  out->set_created_by(k.created_by);
  if (k.revoked_at) TimeToProto(*k.revoked_at, out->mutable_revoked_at());
}

}  // namespace

grpc::Status ApiKeyServiceImpl::CreateApiKey(
    grpc::ServerContext* ctx, const v1::CreateApiKeyRequest* request,
    v1::CreateApiKeyResponse* response) {
  auto who = authz_->Check(ctx, {"ApiKeyService.CreateApiKey",
                                 auth::Privilege::kAdmin, "api_key", "", true});
  if (!who.ok()) return ToGrpcStatus(who.status());
  store::User user{request->principal().username(),
                   request->principal().full_name(),
                   request->principal().email(),
                   request->principal().profile_uid()};
  auto created = manager_->Create(
      request->name(), user,
      std::vector<std::string>(request->roles().begin(), request->roles().end()),
      who->user.username);
  if (!created.ok()) return ToGrpcStatus(created.status());
  InfoToProto(created->first, response->mutable_api_key());
  response->set_key(created->second);
  auth::Wipe(created->second);
  return grpc::Status::OK;
}

grpc::Status ApiKeyServiceImpl::ListApiKeys(grpc::ServerContext* ctx,
                                            const v1::ListApiKeysRequest*,
                                            v1::ListApiKeysResponse* response) {
  auto who = authz_->Check(ctx, {"ApiKeyService.ListApiKeys",
                                 auth::Privilege::kAdmin, "api_key", "", false});
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto keys = manager_->List();
  if (!keys.ok()) return ToGrpcStatus(keys.status());
  for (const auto& k : *keys) InfoToProto(k, response->add_api_keys());
  return grpc::Status::OK;
}

grpc::Status ApiKeyServiceImpl::RevokeApiKey(
    grpc::ServerContext* ctx, const v1::RevokeApiKeyRequest* request,
    v1::RevokeApiKeyResponse*) {
  auto who = authz_->Check(ctx, {"ApiKeyService.RevokeApiKey",
                                 auth::Privilege::kAdmin, "api_key",
                                 request->id(), true});
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::Status s = manager_->Revoke(request->id());
  if (s.ok()) authz_->guard()->authenticator().Forget(request->id());
  return ToGrpcStatus(s);
}

}  // namespace casebridge::api

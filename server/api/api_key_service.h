// casebridge.v1.ApiKeyService over auth::ApiKeyManager. Every call needs the
// admin role. The key leaves the server only in CreateApiKey's response.
//
// Thread-safe; borrows the manager, the authorizer and the authenticator
// (told to forget revoked keys at once).
#ifndef CASEBRIDGE_SERVER_API_API_KEY_SERVICE_H_
#define CASEBRIDGE_SERVER_API_API_KEY_SERVICE_H_

#include "casebridge/v1/api_key_service.grpc.pb.h"
#include "server/api/authz.h"
#include "server/auth/api_key_manager.h"

namespace casebridge::api {

class ApiKeyServiceImpl final : public v1::ApiKeyService::Service {
 public:
  ApiKeyServiceImpl(auth::ApiKeyManager* manager, RpcAuthorizer* authz)
      : manager_(manager), authz_(authz) {}

  grpc::Status CreateApiKey(grpc::ServerContext* ctx,
                            const v1::CreateApiKeyRequest* request,
                            v1::CreateApiKeyResponse* response) override;
  grpc::Status ListApiKeys(grpc::ServerContext* ctx,
                           const v1::ListApiKeysRequest* request,
                           v1::ListApiKeysResponse* response) override;
  grpc::Status RevokeApiKey(grpc::ServerContext* ctx,
                            const v1::RevokeApiKeyRequest* request,
                            v1::RevokeApiKeyResponse* response) override;

 private:
  auth::ApiKeyManager* manager_;
  RpcAuthorizer* authz_;
};

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_API_KEY_SERVICE_H_

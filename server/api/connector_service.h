// casebridge.v1.ConnectorService: connector CRUD and execution.
#ifndef CASEBRIDGE_SERVER_API_CONNECTOR_SERVICE_H_
#define CASEBRIDGE_SERVER_API_CONNECTOR_SERVICE_H_

#include "casebridge/v1/connector_service.grpc.pb.h"

namespace casebridge::api {

// Thread-safe; one instance serves all calls.
class ConnectorServiceImpl final : public v1::ConnectorService::Service {
 public:
  grpc::Status ListConnectorTypes(grpc::ServerContext* ctx, const v1::ListConnectorTypesRequest* request,
                      v1::ListConnectorTypesResponse* response) override;
  grpc::Status CreateConnector(grpc::ServerContext* ctx, const v1::CreateConnectorRequest* request,
                      v1::CreateConnectorResponse* response) override;
  grpc::Status GetConnector(grpc::ServerContext* ctx, const v1::GetConnectorRequest* request,
                      v1::GetConnectorResponse* response) override;
  grpc::Status ListConnectors(grpc::ServerContext* ctx, const v1::ListConnectorsRequest* request,
                      v1::ListConnectorsResponse* response) override;
  grpc::Status UpdateConnector(grpc::ServerContext* ctx, const v1::UpdateConnectorRequest* request,
                      v1::UpdateConnectorResponse* response) override;
  grpc::Status DeleteConnector(grpc::ServerContext* ctx, const v1::DeleteConnectorRequest* request,
                      v1::DeleteConnectorResponse* response) override;
  grpc::Status ExecuteConnector(grpc::ServerContext* ctx, const v1::ExecuteConnectorRequest* request,
                      v1::ExecuteConnectorResponse* response) override;
  grpc::Status TestConnector(grpc::ServerContext* ctx, const v1::TestConnectorRequest* request,
                      v1::TestConnectorResponse* response) override;
};

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_CONNECTOR_SERVICE_H_

// casebridge.v1.ConnectorService: connector types, connector CRUD, execution
// and testing, over connectors::ConnectorManager. Also the proto conversions
// of connectors that CaseService.FindConnectors shares.
#ifndef CASEBRIDGE_SERVER_API_CONNECTOR_SERVICE_H_
#define CASEBRIDGE_SERVER_API_CONNECTOR_SERVICE_H_

#include "casebridge/v1/connector_service.grpc.pb.h"
#include "server/api/authz.h"
#include "server/connectors/connector_manager.h"

namespace casebridge::api {

// Fills a Connector message (never secrets).
void ConnectorToProto(const connectors::ConnectorView& in, v1::Connector* out);

// Fills the result of an execute or test (the fuzz targets check it too).
void ResultToProto(const connectors::ExecuteResult& in,
                   v1::ConnectorExecuteResult* out);

// ExecuteConnector uses the callback API: the handler checks the caller,
// validates and queues the plugin call on the manager's execute workers and
// returns; the call finishes from the worker (or the deadline timer), so no
// gRPC thread waits on a plugin. Every other method is synchronous.
using ConnectorServiceBase =
    v1::ConnectorService::WithCallbackMethod_ExecuteConnector<
        v1::ConnectorService::Service>;

// Thread-safe; one instance serves all calls. Borrows the manager and the
// authorizer (every call is checked: connectors:read to list, get and
// execute; connectors:all to create, update, delete and test).
class ConnectorServiceImpl final : public ConnectorServiceBase {
 public:
  ConnectorServiceImpl(connectors::ConnectorManager* manager,
                       RpcAuthorizer* authz)
      : manager_(manager), authz_(authz) {}

  grpc::Status ListConnectorTypes(
      grpc::ServerContext* ctx, const v1::ListConnectorTypesRequest* request,
      v1::ListConnectorTypesResponse* response) override;
  grpc::Status CreateConnector(grpc::ServerContext* ctx,
                               const v1::CreateConnectorRequest* request,
                               v1::CreateConnectorResponse* response) override;
  grpc::Status GetConnector(grpc::ServerContext* ctx,
                            const v1::GetConnectorRequest* request,
                            v1::GetConnectorResponse* response) override;
  grpc::Status ListConnectors(grpc::ServerContext* ctx,
                              const v1::ListConnectorsRequest* request,
                              v1::ListConnectorsResponse* response) override;
  grpc::Status UpdateConnector(grpc::ServerContext* ctx,
                               const v1::UpdateConnectorRequest* request,
                               v1::UpdateConnectorResponse* response) override;
  grpc::Status DeleteConnector(grpc::ServerContext* ctx,
                               const v1::DeleteConnectorRequest* request,
                               v1::DeleteConnectorResponse* response) override;
  // Runs under the call's deadline (capped by connectors.execute_timeout_ms).
  // A cancelled call abandons the run at once.
  grpc::ServerUnaryReactor* ExecuteConnector(
      grpc::CallbackServerContext* ctx,
      const v1::ExecuteConnectorRequest* request,
      v1::ExecuteConnectorResponse* response) override;
  grpc::Status TestConnector(grpc::ServerContext* ctx,
                             const v1::TestConnectorRequest* request,
                             v1::TestConnectorResponse* response) override;

 private:
  connectors::ConnectorManager* manager_;
  RpcAuthorizer* authz_;
};

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_CONNECTOR_SERVICE_H_

#include "server/api/connector_service.h"

#include "server/api/unimplemented.h"

namespace casebridge::api {

grpc::Status ConnectorServiceImpl::ListConnectorTypes(grpc::ServerContext*, const v1::ListConnectorTypesRequest*,
                                         v1::ListConnectorTypesResponse*) {
  return NotYetImplemented("ConnectorService.ListConnectorTypes", "the plugin host");
}

grpc::Status ConnectorServiceImpl::CreateConnector(grpc::ServerContext*, const v1::CreateConnectorRequest*,
                                         v1::CreateConnectorResponse*) {
  return NotYetImplemented("ConnectorService.CreateConnector", "the plugin host");
}

grpc::Status ConnectorServiceImpl::GetConnector(grpc::ServerContext*, const v1::GetConnectorRequest*,
                                         v1::GetConnectorResponse*) {
  return NotYetImplemented("ConnectorService.GetConnector", "the plugin host");
}

grpc::Status ConnectorServiceImpl::ListConnectors(grpc::ServerContext*, const v1::ListConnectorsRequest*,
                                         v1::ListConnectorsResponse*) {
  return NotYetImplemented("ConnectorService.ListConnectors", "the plugin host");
}

grpc::Status ConnectorServiceImpl::UpdateConnector(grpc::ServerContext*, const v1::UpdateConnectorRequest*,
                                         v1::UpdateConnectorResponse*) {
  return NotYetImplemented("ConnectorService.UpdateConnector", "the plugin host");
}

grpc::Status ConnectorServiceImpl::DeleteConnector(grpc::ServerContext*, const v1::DeleteConnectorRequest*,
                                         v1::DeleteConnectorResponse*) {
  return NotYetImplemented("ConnectorService.DeleteConnector", "the plugin host");
}

grpc::Status ConnectorServiceImpl::ExecuteConnector(grpc::ServerContext*, const v1::ExecuteConnectorRequest*,
                                         v1::ExecuteConnectorResponse*) {
  return NotYetImplemented("ConnectorService.ExecuteConnector", "the plugin host");
}

grpc::Status ConnectorServiceImpl::TestConnector(grpc::ServerContext*, const v1::TestConnectorRequest*,
                                         v1::TestConnectorResponse*) {
  return NotYetImplemented("ConnectorService.TestConnector", "the plugin host");
}

}  // namespace casebridge::api

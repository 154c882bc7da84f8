// Turns absl::Status from the core into grpc::Status at the API edge, with
// google.rpc details (BadRequest for field violations).
#ifndef CASEBRIDGE_SERVER_API_GRPC_STATUS_H_
#define CASEBRIDGE_SERVER_API_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"

namespace casebridge::api {

// Same code and message; InvalidArgument statuses carrying field violations
// (server/util/status.h) get a google.rpc.BadRequest detail.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_GRPC_STATUS_H_

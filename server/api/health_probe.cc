#include "server/api/health_probe.h"

#include <chrono>
#include <cstdio>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace casebridge::api {

int RunHealthProbe(const std::string& address, int timeout_ms) {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(timeout_ms));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    std::printf("unhealthy: %s: %s\n", address.c_str(),
                status.error_message().c_str());
    return 1;
  }
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    std::printf("unhealthy: %s: status %d\n", address.c_str(),
                static_cast<int>(response.status()));
    return 1;
  }
  std::printf("serving: %s\n", address.c_str());
  return 0;
}

}  // namespace casebridge::api

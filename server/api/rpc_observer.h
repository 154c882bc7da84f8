// The RPC observer: a gRPC server interceptor installed once on the server
// builder, so every service (including ones added later) is covered without
// edits. Per call it
//   - assigns the request id: the client's `x-request-id` when it is sane
//     (1-128 characters of [A-Za-z0-9._:-]), else a fresh UUID; returns it in
//     the initial metadata `x-request-id` and makes it visible to handlers
//     through RequestIdOf();
//   - counts the call and its latency per method and status code
//     (metrics::ForRpcMethod);
//   - writes one JSON log line with request_id, principal, method,
//     duration_ms and code (config `log_requests`).
//
// Thread-safe; the factory is owned by the server builder and lives as long
// as the server.
#ifndef CASEBRIDGE_SERVER_API_RPC_OBSERVER_H_
#define CASEBRIDGE_SERVER_API_RPC_OBSERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/config/config.h"

namespace casebridge::api {

inline constexpr char kRequestIdHeader[] = "x-request-id";

struct RpcObserverOptions {
  // Write one log line per RPC.
  bool log_requests = true;
  // The principal a call acts as, for the log line. Called once per call,
  // when the status is sent.
  std::function<std::string(const grpc::ServerContextBase&)> principal;
};

// The options for `config`: log_requests from the config, and the config's
// default principal as the acting user (the single place to switch to the
// authenticated principal).
RpcObserverOptions RpcObserverOptionsFrom(const config::Config& config);

// True for a client-sent request id the server keeps.
bool IsSaneRequestId(std::string_view id);

// The request id of the call `ctx` serves (assigned by the observer), or ""
// when the observer is not installed.
std::string RequestIdOf(const grpc::ServerContextBase& ctx);

// Makes the server interceptor factory.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewRpcObserverFactory(RpcObserverOptions options);

// Installs the observer on `builder` (call once, before BuildAndStart).
void InstallRpcObserver(grpc::ServerBuilder& builder,
                        const config::Config& config);

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_RPC_OBSERVER_H_

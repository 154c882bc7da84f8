// Process-wide Prometheus metrics for casebridge. Components record what they
// do through the free functions below; the metrics server (metrics_server.h)
// exposes the registry. Label values are cached per series, so recording is a
// hash lookup plus atomic updates; callers keep label sets small and bounded
// (method names, connector types, hosts, states — never ids or user input).
//
// Thread-safe. Everything lives for the whole process (never destroyed), so
// recording is safe from any thread at any time, including during shutdown.
#ifndef CASEBRIDGE_SERVER_METRICS_METRICS_H_
#define CASEBRIDGE_SERVER_METRICS_METRICS_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
class Counter;
class Histogram;
}  // namespace prometheus

namespace casebridge::metrics {

// gRPC's name of status code `code` ("OK", "NOT_FOUND", ...); "UNKNOWN"
// outside 0..16. The label value every series below uses for a code.
const char* GrpcCodeName(int code);

// The registry every series below lives in.
std::shared_ptr<prometheus::Registry> DefaultRegistry();

// Publishes casebridge_build_info{version,api,plugin_abi} = 1.
void SetBuildInfo(std::string_view version, std::string_view api,
                  std::string_view plugin_abi);

// Series of one RPC method, resolved once and reused for every call:
//   casebridge_grpc_server_started_total{grpc_service,grpc_method}
//   casebridge_grpc_server_handled_total{grpc_service,grpc_method,grpc_code}
//   casebridge_grpc_server_handling_seconds{grpc_service,grpc_method,grpc_code}
class RpcMethodMetrics {
 public:
  // Counts a call that started.
  void Started();
  // Counts a finished call with its gRPC status code (0..16) and duration.
  void Handled(int grpc_code, double seconds);

 private:
  friend RpcMethodMetrics* ForRpcMethod(std::string_view full_method);
  struct PerCode;
  RpcMethodMetrics(std::string service, std::string method);
  PerCode* ForCode(int grpc_code);

  std::string service_;
  std::string method_;
  prometheus::Counter* started_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The series of "/package.Service/Method" (any string; unparseable names go
// under service "unknown"). Never null; the object lives forever.
RpcMethodMetrics* ForRpcMethod(std::string_view full_method);

// One plugin execute call:
//   casebridge_plugin_calls_total{connector_type,sub_action,code}
//   casebridge_plugin_call_duration_seconds{connector_type,sub_action}
// `code` is the gRPC code name the plugin returned ("OK", "UNAVAILABLE", ...).
void RecordPluginCall(std::string_view connector_type,
                      std::string_view sub_action, std::string_view code,
                      double seconds);

// A plugin execute call run on the caller's thread instead of an execute
// worker: casebridge_plugin_inline_calls_total{connector_type,sub_action}.
void RecordInlinePluginCall(std::string_view connector_type,
                            std::string_view sub_action);

// One outbound HTTP exchange (one hop):
//   casebridge_http_egress_requests_total{host,status}
//   casebridge_http_egress_duration_seconds{host}
// `status` is the HTTP status, or 0 when no response arrived (recorded as
// status="error").
void RecordHttpEgress(std::string_view host, int status, double seconds);

// Store operations ("begin_read", "begin_write", "commit"):
//   casebridge_store_operation_duration_seconds{op}
//   casebridge_store_operation_errors_total{op}
void RecordStoreOp(std::string_view op, double seconds, bool ok);

// Push queue (for the push workers):
//   casebridge_push_jobs_total{connector_type,state}: transitions into a state
//   ("queued", "running", "succeeded", "retrying", "failed", ...).
//   casebridge_push_queue_depth: jobs waiting to run.
void RecordPushJobState(std::string_view connector_type,
                        std::string_view state);
void SetPushQueueDepth(int64_t depth);

// WatchCases: casebridge_watch_streams (open streams) and
// casebridge_watch_events_sent_total.
void AddWatchStreams(int64_t delta);
void CountWatchEventsSent(int64_t n);

// Measures the time from construction to Done() (or destruction) and
// records it with RecordStoreOp.
class StoreOpTimer {
 public:
  explicit StoreOpTimer(const char* op)
      : op_(op), start_(std::chrono::steady_clock::now()) {}
  ~StoreOpTimer() { Done(true); }
  StoreOpTimer(const StoreOpTimer&) = delete;
  StoreOpTimer& operator=(const StoreOpTimer&) = delete;
  void Done(bool ok);

 private:
  const char* op_;
  std::chrono::steady_clock::time_point start_;
  bool done_ = false;
};

// Seconds since `start` on the steady clock.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

}  // namespace casebridge::metrics

#endif  // CASEBRIDGE_SERVER_METRICS_METRICS_H_

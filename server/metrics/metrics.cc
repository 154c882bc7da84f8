#include "server/metrics/metrics.h"

#include <array>
#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace casebridge::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

// gRPC's status code names, indexed by code.
constexpr std::array<const char*, 17> kGrpcCodeNames = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

}  // namespace

const char* GrpcCodeName(int code) {
  if (code < 0 || code >= static_cast<int>(kGrpcCodeNames.size())) {
    return "UNKNOWN";
  }
  return kGrpcCodeNames[code];
}

namespace {

// RPC and store latencies: 100 µs .. 10 s.
Histogram::BucketBoundaries FastBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,
          5,      10};
}

// External calls: 5 ms .. 2 min.
Histogram::BucketBoundaries SlowBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
          1,     2.5,  5,     10,   30,  60,  120};
}

// Series keyed by their label values, created on first use and kept forever.
template <typename T>
class SeriesCache {
 public:
  template <typename Make>
  T* Get(const std::string& key, Make make) {
    {
      std::shared_lock<std::shared_mutex> lock(mu_);
      auto it = map_.find(key);
      if (it != map_.end()) return it->second;
    }
    std::unique_lock<std::shared_mutex> lock(mu_);
    auto [it, inserted] = map_.emplace(key, nullptr);
    if (inserted) it->second = make();
    return it->second;
  }

 private:
  std::shared_mutex mu_;
  std::unordered_map<std::string, T*> map_;
};

std::string Key(std::string_view a, std::string_view b,
                std::string_view c = {}) {
  std::string key;
  key.reserve(a.size() + b.size() + c.size() + 2);
  key.append(a).push_back('\0');
  key.append(b).push_back('\0');
  key.append(c);
  return key;
}

struct Families {
  explicit Families(prometheus::Registry& r)
      : build_info(BuildGauge()
                       .Name("casebridge_build_info")
                       .Help("Server, API and plugin ABI versions (always 1)")
                       .Register(r)),
        rpc_started(BuildCounter()
                        .Name("casebridge_grpc_server_started_total")
                        .Help("RPCs started on the server")
                        .Register(r)),
        rpc_handled(BuildCounter()
                        .Name("casebridge_grpc_server_handled_total")
                        .Help("RPCs completed on the server, by status code")
                        .Register(r)),
        rpc_seconds(BuildHistogram()
                        .Name("casebridge_grpc_server_handling_seconds")
                        .Help("RPC latency on the server, by status code")
                        .Register(r)),
        plugin_calls(BuildCounter()
                         .Name("casebridge_plugin_calls_total")
                         .Help("Plugin execute calls, by result code")
                         .Register(r)),
        plugin_seconds(BuildHistogram()
                           .Name("casebridge_plugin_call_duration_seconds")
                           .Help("Plugin execute call latency")
                           .Register(r)),
        plugin_inline_calls(
            BuildCounter()
                .Name("casebridge_plugin_inline_calls_total")
                .Help("Plugin execute calls run on the caller's thread")
                .Register(r)),
        http_requests(BuildCounter()
                          .Name("casebridge_http_egress_requests_total")
                          .Help("Outbound HTTP requests, by host and status")
                          .Register(r)),
        http_seconds(BuildHistogram()
                         .Name("casebridge_http_egress_duration_seconds")
                         .Help("Outbound HTTP request latency, by host")
                         .Register(r)),
        store_seconds(BuildHistogram()
                          .Name("casebridge_store_operation_duration_seconds")
                          .Help("Store transaction begin and commit latency")
                          .Register(r)),
        store_errors(
            BuildCounter()
                .Name("casebridge_store_operation_errors_total")
                .Help("Store transaction begins and commits that failed")
                .Register(r)),
        push_jobs(BuildCounter()
                      .Name("casebridge_push_jobs_total")
                      .Help("Push job state transitions, by connector type")
                      .Register(r)),
        push_queue_depth(BuildGauge()
                             .Name("casebridge_push_queue_depth")
                             .Help("Push jobs waiting to run")
                             .Register(r)
                             .Add({})),
        watch_streams(BuildGauge()
                          .Name("casebridge_watch_streams")
                          .Help("Open WatchCases streams")
                          .Register(r)
                          .Add({})),
        watch_events(BuildCounter()
                         .Name("casebridge_watch_events_sent_total")
                         .Help("Case events sent on WatchCases streams")
                         .Register(r)
                         .Add({})) {}

  Family<Gauge>& build_info;
  Family<Counter>& rpc_started;
  Family<Counter>& rpc_handled;
  Family<Histogram>& rpc_seconds;
  Family<Counter>& plugin_calls;
  Family<Histogram>& plugin_seconds;
  Family<Counter>& plugin_inline_calls;
  Family<Counter>& http_requests;
  Family<Histogram>& http_seconds;
  Family<Histogram>& store_seconds;
  Family<Counter>& store_errors;
  Family<Counter>& push_jobs;
  Gauge& push_queue_depth;
  Gauge& watch_streams;
  Counter& watch_events;

  SeriesCache<RpcMethodMetrics> rpc_methods;
  SeriesCache<Counter> plugin_call_counters;
  SeriesCache<Histogram> plugin_call_histograms;
  SeriesCache<Counter> plugin_inline_counters;
  SeriesCache<Counter> http_counters;
  SeriesCache<Histogram> http_histograms;
  SeriesCache<Histogram> store_histograms;
  SeriesCache<Counter> store_error_counters;
  SeriesCache<Counter> push_counters;
};

// Never destroyed: recording may happen from threads that outlive main().
Families& F() {
  static Families* families = new Families(*DefaultRegistry());
  return *families;
}

}  // namespace

std::shared_ptr<prometheus::Registry> DefaultRegistry() {
  static auto* registry = new std::shared_ptr<prometheus::Registry>(
      std::make_shared<prometheus::Registry>());
  return *registry;
}

void SetBuildInfo(std::string_view version, std::string_view api,
                  std::string_view plugin_abi) {
  F().build_info
      .Add({{"version", std::string(version)},
            {"api", std::string(api)},
            {"plugin_abi", std::string(plugin_abi)}})
      .Set(1);
}

struct RpcMethodMetrics::PerCode {
  Counter* handled;
  Histogram* seconds;
};

struct RpcMethodMetrics::Impl {
  std::mutex mu;  // guards creating entries of `codes`
  std::array<std::atomic<PerCode*>, kGrpcCodeNames.size()> codes{};
};

RpcMethodMetrics::RpcMethodMetrics(std::string service, std::string method)
    : service_(std::move(service)),
      method_(std::move(method)),
      started_(&F().rpc_started.Add(
          {{"grpc_service", service_}, {"grpc_method", method_}})),
      impl_(std::make_unique<Impl>()) {}

void RpcMethodMetrics::Started() { started_->Increment(); }

RpcMethodMetrics::PerCode* RpcMethodMetrics::ForCode(int grpc_code) {
  if (grpc_code < 0 || grpc_code >= static_cast<int>(kGrpcCodeNames.size())) {
    grpc_code = 2;  // UNKNOWN
  }
  std::atomic<PerCode*>& slot = impl_->codes[grpc_code];
  PerCode* entry = slot.load(std::memory_order_acquire);
  if (entry != nullptr) return entry;
  std::lock_guard<std::mutex> lock(impl_->mu);
  entry = slot.load(std::memory_order_acquire);
  if (entry != nullptr) return entry;
  const Labels labels = {{"grpc_service", service_},
                         {"grpc_method", method_},
                         {"grpc_code", kGrpcCodeNames[grpc_code]}};
  entry = new PerCode{&F().rpc_handled.Add(labels),
                      &F().rpc_seconds.Add(labels, FastBuckets())};
  slot.store(entry, std::memory_order_release);
  return entry;
}

void RpcMethodMetrics::Handled(int grpc_code, double seconds) {
  PerCode* entry = ForCode(grpc_code);
  entry->handled->Increment();
  entry->seconds->Observe(seconds);
}

RpcMethodMetrics* ForRpcMethod(std::string_view full_method) {
  return F().rpc_methods.Get(std::string(full_method), [&] {
    std::string service = "unknown";
    std::string method(full_method);
    // "/package.Service/Method"
    if (full_method.size() > 1 && full_method[0] == '/') {
      const size_t slash = full_method.find('/', 1);
      if (slash != std::string_view::npos) {
        service = std::string(full_method.substr(1, slash - 1));
        method = std::string(full_method.substr(slash + 1));
      }
    }
    return new RpcMethodMetrics(std::move(service), std::move(method));
  });
}

void RecordPluginCall(std::string_view connector_type,
                      std::string_view sub_action, std::string_view code,
                      double seconds) {
  Families& f = F();
  f.plugin_call_counters
      .Get(Key(connector_type, sub_action, code),
           [&] {
             return &f.plugin_calls.Add(
                 {{"connector_type", std::string(connector_type)},
                  {"sub_action", std::string(sub_action)},
                  {"code", std::string(code)}});
           })
      ->Increment();
  f.plugin_call_histograms
      .Get(Key(connector_type, sub_action),
           [&] {
             return &f.plugin_seconds.Add(
                 {{"connector_type", std::string(connector_type)},
                  {"sub_action", std::string(sub_action)}},
                 SlowBuckets());
           })
      ->Observe(seconds);
}

void RecordInlinePluginCall(std::string_view connector_type,
                            std::string_view sub_action) {
  Families& f = F();
  f.plugin_inline_counters
      .Get(Key(connector_type, sub_action),
           [&] {
             return &f.plugin_inline_calls.Add(
                 {{"connector_type", std::string(connector_type)},
                  {"sub_action", std::string(sub_action)}});
           })
      ->Increment();
}

void RecordHttpEgress(std::string_view host, int status, double seconds) {
  Families& f = F();
  const std::string status_text =
      status > 0 ? std::to_string(status) : std::string("error");
  f.http_counters
      .Get(Key(host, status_text),
           [&] {
             return &f.http_requests.Add(
                 {{"host", std::string(host)}, {"status", status_text}});
           })
      ->Increment();
  f.http_histograms
      .Get(std::string(host),
           [&] {
             return &f.http_seconds.Add({{"host", std::string(host)}},
                                        SlowBuckets());
           })
      ->Observe(seconds);
}

void RecordStoreOp(std::string_view op, double seconds, bool ok) {
  Families& f = F();
  const std::string key(op);
  f.store_histograms
      .Get(key,
           [&] {
             return &f.store_seconds.Add({{"op", key}}, FastBuckets());
           })
      ->Observe(seconds);
  if (!ok) {
    f.store_error_counters
        .Get(key, [&] { return &f.store_errors.Add({{"op", key}}); })
        ->Increment();
  }
}

void RecordPushJobState(std::string_view connector_type,
                        std::string_view state) {
  Families& f = F();
  f.push_counters
      .Get(Key(connector_type, state),
           [&] {
             return &f.push_jobs.Add(
                 {{"connector_type", std::string(connector_type)},
                  {"state", std::string(state)}});
           })
      ->Increment();
}

void SetPushQueueDepth(int64_t depth) {
  F().push_queue_depth.Set(static_cast<double>(depth));
}

void AddWatchStreams(int64_t delta) {
  F().watch_streams.Increment(static_cast<double>(delta));
}

void CountWatchEventsSent(int64_t n) {
  F().watch_events.Increment(static_cast<double>(n));
}

void StoreOpTimer::Done(bool ok) {
  if (done_) return;
  done_ = true;
  RecordStoreOp(op_, SecondsSince(start_), ok);
}

}  // namespace casebridge::metrics

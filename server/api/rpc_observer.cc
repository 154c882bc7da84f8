#include "server/api/rpc_observer.h"

#include <chrono>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "server/metrics/metrics.h"
#include "server/util/ids.h"
#include "server/util/log.h"

namespace casebridge::api {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::Interceptor;
using grpc::experimental::InterceptorBatchMethods;
using grpc::experimental::ServerRpcInfo;

class RpcObserver final : public Interceptor {
 public:
  RpcObserver(ServerRpcInfo* info, const RpcObserverOptions* options)
      : info_(info),
        options_(options),
        metrics_(metrics::ForRpcMethod(info->method() != nullptr
                                           ? info->method()
                                           : "")),
        start_(std::chrono::steady_clock::now()) {
    metrics_->Started();
  }

  ~RpcObserver() override {
    // The call ended without the server sending a status: the client went
    // away or the server shut down.
    if (!finished_) Finish(grpc::StatusCode::CANCELLED);
  }

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      AssignRequestId(methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      if (request_id_.empty()) request_id_ = NewRequestId();
      methods->GetSendInitialMetadata()->emplace(kRequestIdHeader,
                                                 request_id_);
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  // Keeps a sane client id; otherwise replaces it with a new one, stored in
  // the call's client metadata so that handlers see the same id.
  void AssignRequestId(
      std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
    if (metadata == nullptr) {
      request_id_ = NewRequestId();
      return;
    }
    auto it = metadata->find(kRequestIdHeader);
    if (it != metadata->end()) {
      std::string_view sent(it->second.data(), it->second.size());
      if (IsSaneRequestId(sent)) {
        request_id_ = std::string(sent);
        return;
      }
      metadata->erase(kRequestIdHeader);
    }
    request_id_ = NewRequestId();
    // `request_id_` outlives the call's use of its metadata map.
    metadata->emplace(grpc::string_ref(kRequestIdHeader),
                      grpc::string_ref(request_id_));
  }

  void Finish(int code) {
    finished_ = true;
    const double seconds = metrics::SecondsSince(start_);
    metrics_->Handled(code, seconds);
    if (!options_->log_requests) return;
    const log::Level level =
        (code == grpc::StatusCode::INTERNAL ||
         code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DATA_LOSS)
            ? log::Level::kWarn
            : log::Level::kInfo;
    if (!log::Enabled(level)) return;
    std::string principal;
    if (options_->principal && info_->server_context() != nullptr) {
      principal = options_->principal(*info_->server_context());
    }
    nlohmann::json fields = {
        {"request_id", request_id_},
        {"principal", principal},
        {"method", info_->method() != nullptr ? info_->method() : ""},
        {"duration_ms", seconds * 1000.0},
        {"code", metrics::GrpcCodeName(code)},
    };
    log::WriteFields(level, "rpc", "rpc finished", fields);
  }

  ServerRpcInfo* info_;
  const RpcObserverOptions* options_;
  metrics::RpcMethodMetrics* metrics_;
  const std::chrono::steady_clock::time_point start_;
  std::string request_id_;
  bool finished_ = false;
};

class RpcObserverFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcObserverFactory(RpcObserverOptions options)
      : options_(std::move(options)) {}

  Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new RpcObserver(info, &options_);
  }

 private:
  const RpcObserverOptions options_;
};

}  // namespace

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string RequestIdOf(const grpc::ServerContextBase& ctx) {
  const auto& metadata = ctx.client_metadata();
  auto it = metadata.find(kRequestIdHeader);
  if (it == metadata.end()) return "";
  std::string_view id(it->second.data(), it->second.size());
  return IsSaneRequestId(id) ? std::string(id) : std::string();
}

RpcObserverOptions RpcObserverOptionsFrom(const config::Config& config) {
  RpcObserverOptions options;
  options.log_requests = config.log_requests;
  options.principal = [user = config.default_principal.username](
                          const grpc::ServerContextBase&) { return user; };
  return options;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewRpcObserverFactory(RpcObserverOptions options) {
  return std::make_unique<RpcObserverFactory>(std::move(options));
}

void InstallRpcObserver(grpc::ServerBuilder& builder,
                        const config::Config& config) {
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      factories;
  factories.push_back(NewRpcObserverFactory(RpcObserverOptionsFrom(config)));
  builder.experimental().SetInterceptorCreators(std::move(factories));
}

}  // namespace casebridge::api

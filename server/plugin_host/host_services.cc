#include "server/plugin_host/host_services.h"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/plugin_host/jwt.h"
#include "server/util/log.h"

namespace casebridge::plugin_host {
namespace {

constexpr size_t kMaxTokenKeyBytes = 1024;
constexpr size_t kMaxTokenValueBytes = 64 << 10;

std::string_view View(const char* data, size_t size) {
  return data == nullptr ? std::string_view() : std::string_view(data, size);
}

HostContext* Context(void* host_ctx) {
  return static_cast<HostContext*>(host_ctx);
}

const CallState* State(const cbp_call_ctx* call) {
  if (!CBP_HAS_FIELD(call, cbp_call_ctx, host_handle)) return nullptr;
  return static_cast<const CallState*>(call->host_handle);
}

void Report(const cbp_error_sink* err, cbp_status code,
            std::string_view message, int32_t retryable = CBP_RETRY_DEFAULT) {
  if (!CBP_HAS_FIELD(err, cbp_error_sink, report) || err->report == nullptr)
    return;
  err->report(err->ctx, code, message.data(), message.size(), nullptr, 0,
              retryable, 0);
}

cbp_status Fail(const cbp_error_sink* err, cbp_status code,
                std::string_view message,
                int32_t retryable = CBP_RETRY_DEFAULT) {
  Report(err, code, message, retryable);
  return code;
}

cbp_status FromStatus(const absl::Status& status, const cbp_error_sink* err,
                      int32_t retryable = CBP_RETRY_DEFAULT) {
  return Fail(err, static_cast<cbp_status>(status.code()),
              std::string(status.message()), retryable);
}

log::Level ToLevel(int32_t level) {
  switch (level) {
    case CBP_LOG_DEBUG:
      return log::Level::kDebug;
    case CBP_LOG_INFO:
      return log::Level::kInfo;
    case CBP_LOG_WARN:
      return log::Level::kWarn;
    default:
      return level < CBP_LOG_DEBUG ? log::Level::kDebug : log::Level::kError;
  }
}

void HostLog(void* host_ctx, int32_t level, const char* message, size_t size) {
  HostContext* context = Context(host_ctx);
  log::Level lvl = ToLevel(level);
  if (!log::Enabled(lvl)) return;
  std::string component;
  try {
    std::lock_guard<std::mutex> lock(context->mu);
    component = context->log_component;
  } catch (...) {
    return;
  }
  constexpr size_t kMaxLogBytes = 16 << 10;
  try {
    log::Write(lvl, component, View(message, std::min(size, kMaxLogBytes)));
  } catch (...) {
    // Logging must never fail a plugin call.
  }
}

int32_t HostLogEnabled(void*, int32_t level) {
  return log::Enabled(ToLevel(level)) ? 1 : 0;
}

int64_t HostNowUnixMs(void*) { return absl::ToUnixMillis(absl::Now()); }

int64_t HostMonotonicNs(void*) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int32_t HostIsCancelled(void*, const cbp_call_ctx* call) {
  const CallState* state = State(call);
  if (state == nullptr) return 0;
  return state->Cancelled() ? 1 : 0;
}

cbp_status CbpHttpRequestImpl(void*, const cbp_call_ctx* call,
                              const cbp_http_request* request,
                              const cbp_http_response_sink* response,
                              const cbp_error_sink* err) {
  const CallState* state = State(call);
  if (state == nullptr) {
    return Fail(err, CBP_STATUS_FAILED_PRECONDITION,
                "http_request called without a valid call context");
  }
  if (state->services == nullptr || state->services->http == nullptr) {
    return Fail(err, CBP_STATUS_UNAVAILABLE, "HTTP service not configured",
                CBP_RETRY_NO);
  }
  if (!CBP_HAS_FIELD(request, cbp_http_request, body) ||
      !CBP_HAS_FIELD(response, cbp_http_response_sink, on_body)) {
    return Fail(err, CBP_STATUS_INVALID_ARGUMENT,
                "malformed HTTP request or response sink");
  }
  state->used_io.store(true, std::memory_order_relaxed);
  if (state->Cancelled()) {
    return Fail(
        err, CBP_STATUS_DEADLINE_EXCEEDED,
        "call deadline passed or call cancelled before the HTTP request");
  }
  HostHttpRequest req;
  req.method = std::string(View(request->method.data, request->method.size));
  req.url = std::string(View(request->url.data, request->url.size));
  if (request->header_count > 0 && request->headers == nullptr) {
    return Fail(err, CBP_STATUS_INVALID_ARGUMENT,
                "header_count > 0 but headers is null");
  }
  for (size_t i = 0; i < request->header_count; ++i) {
    const cbp_header& h = request->headers[i];
    req.headers.emplace_back(std::string(View(h.name.data, h.name.size)),
                             std::string(View(h.value.data, h.value.size)));
  }
  req.body = std::string(View(request->body.data, request->body.size));
  if (CBP_HAS_FIELD(request, cbp_http_request, timeout_ms) &&
      request->timeout_ms > 0) {
    req.timeout = absl::Milliseconds(request->timeout_ms);
  }
  req.deadline = state->deadline;

  HostHttpResult result = state->services->http->Send(req);
  if (!result.status.ok()) {
    return FromStatus(result.status, err,
                      result.retryable ? CBP_RETRY_YES : CBP_RETRY_NO);
  }
  const HostHttpResponse& r = result.response;
  bool aborted = (response->on_status &&
                  response->on_status(response->ctx, r.status) != 0);
  for (size_t i = 0; !aborted && response->on_header && i < r.headers.size();
       ++i) {
    const auto& [name, value] = r.headers[i];
    aborted = response->on_header(response->ctx, name.data(), name.size(),
                                  value.data(), value.size()) != 0;
  }
  if (!aborted && response->on_body && !r.body.empty()) {
    aborted =
        response->on_body(response->ctx, r.body.data(), r.body.size()) != 0;
  }
  if (aborted) {
    return Fail(err, CBP_STATUS_ABORTED, "HTTP response aborted by the plugin",
                CBP_RETRY_NO);
  }
  return CBP_STATUS_OK;
}

// Common checks of the token functions; on failure returns non-OK.
cbp_status TokenPreamble(const cbp_call_ctx* call, size_t key_size,
                         const cbp_error_sink* err,
                         const CallState** state_out) {
  const CallState* state = State(call);
  if (state == nullptr) {
    return Fail(err, CBP_STATUS_FAILED_PRECONDITION,
                "token cache used without a valid call context");
  }
  state->used_io.store(true, std::memory_order_relaxed);
  if (state->services == nullptr || state->services->token_cache == nullptr) {
    return Fail(err, CBP_STATUS_UNAVAILABLE, "token cache not configured",
                CBP_RETRY_NO);
  }
  if (state->connector_id.empty()) {
    return Fail(err, CBP_STATUS_FAILED_PRECONDITION,
                "token cache needs a connector id");
  }
  if (key_size == 0 || key_size > kMaxTokenKeyBytes) {
    return Fail(err, CBP_STATUS_INVALID_ARGUMENT,
                "token key must be 1..1024 bytes");
  }
  *state_out = state;
  return CBP_STATUS_OK;
}

cbp_status HostTokenGetImpl(void*, const cbp_call_ctx* call, const char* key,
                            size_t key_size, const cbp_sink* out,
                            const cbp_error_sink* err) {
  const CallState* state = nullptr;
  if (cbp_status s = TokenPreamble(call, key_size, err, &state);
      s != CBP_STATUS_OK)
    return s;
  auto value = state->services->token_cache->Get(
      state->connector_id, View(key, key_size), absl::Now());
  if (!value.ok()) return FromStatus(value.status(), err);
  if (!value->has_value()) return CBP_STATUS_NOT_FOUND;
  if (out == nullptr || out->write == nullptr) {
    return Fail(err, CBP_STATUS_INVALID_ARGUMENT,
                "token_get needs an output sink");
  }
  const std::string& v = **value;
  if (out->write(out->ctx, v.data(), v.size()) != 0) {
    return Fail(err, CBP_STATUS_RESOURCE_EXHAUSTED,
                "token output refused by the plugin", CBP_RETRY_NO);
  }
  return CBP_STATUS_OK;
}

cbp_status HostTokenPutImpl(void*, const cbp_call_ctx* call, const char* key,
                            size_t key_size, const char* value,
                            size_t value_size, int64_t ttl_ms,
                            const cbp_error_sink* err) {
  const CallState* state = nullptr;
  if (cbp_status s = TokenPreamble(call, key_size, err, &state);
      s != CBP_STATUS_OK)
    return s;
  if (ttl_ms <= 0)
    return Fail(err, CBP_STATUS_INVALID_ARGUMENT, "token ttl_ms must be > 0");
  if (value_size > kMaxTokenValueBytes) {
    return Fail(err, CBP_STATUS_INVALID_ARGUMENT,
                "token value larger than 64 KiB");
  }
  absl::Status status = state->services->token_cache->Put(
      state->connector_id, View(key, key_size), View(value, value_size),
      absl::Now() + absl::Milliseconds(ttl_ms));
  return status.ok() ? CBP_STATUS_OK : FromStatus(status, err);
}

cbp_status HostTokenDeleteImpl(void*, const cbp_call_ctx* call, const char* key,
                               size_t key_size, const cbp_error_sink* err) {
  const CallState* state = nullptr;
  if (cbp_status s = TokenPreamble(call, key_size, err, &state);
      s != CBP_STATUS_OK)
    return s;
  absl::Status status = state->services->token_cache->Delete(
      state->connector_id, View(key, key_size));
  return status.ok() ? CBP_STATUS_OK : FromStatus(status, err);
}

cbp_status HostJwtSignRs256Impl(void*, const cbp_call_ctx*,
                                const char* header_json, size_t header_size,
                                const char* claims_json, size_t claims_size,
                                const char* key_pem, size_t key_size,
                                const char* passphrase, size_t passphrase_size,
                                const cbp_sink* out,
                                const cbp_error_sink* err) {
  if (out == nullptr || out->write == nullptr) {
    return Fail(err, CBP_STATUS_INVALID_ARGUMENT,
                "jwt_sign_rs256 needs an output sink");
  }
  absl::StatusOr<std::string> token = SignJwtRs256(
      View(header_json, header_size), View(claims_json, claims_size),
      View(key_pem, key_size), View(passphrase, passphrase_size));
  if (!token.ok()) return FromStatus(token.status(), err, CBP_RETRY_NO);
  if (out->write(out->ctx, token->data(), token->size()) != 0) {
    return Fail(err, CBP_STATUS_RESOURCE_EXHAUSTED,
                "JWT output refused by the plugin", CBP_RETRY_NO);
  }
  return CBP_STATUS_OK;
}

// Host functions are called from C: no exception may escape them.
template <typename... Args>
cbp_status Guarded(cbp_status (*impl)(Args...), const cbp_error_sink* err,
                   Args... args) noexcept {
  try {
    return impl(args...);
  } catch (const std::exception& e) {
    return Fail(err, CBP_STATUS_INTERNAL,
                std::string("host error: ") + e.what());
  } catch (...) {
    return Fail(err, CBP_STATUS_INTERNAL, "host error");
  }
}

cbp_status CbpHttpRequest(void* h, const cbp_call_ctx* c,
                          const cbp_http_request* r,
                          const cbp_http_response_sink* s,
                          const cbp_error_sink* e) {
  return Guarded(&CbpHttpRequestImpl, e, h, c, r, s, e);
}
cbp_status HostTokenGet(void* h, const cbp_call_ctx* c, const char* k,
                        size_t ks, const cbp_sink* o, const cbp_error_sink* e) {
  return Guarded(&HostTokenGetImpl, e, h, c, k, ks, o, e);
}
cbp_status HostTokenPut(void* h, const cbp_call_ctx* c, const char* k,
                        size_t ks, const char* v, size_t vs, int64_t ttl,
                        const cbp_error_sink* e) {
  return Guarded(&HostTokenPutImpl, e, h, c, k, ks, v, vs, ttl, e);
}
cbp_status HostTokenDelete(void* h, const cbp_call_ctx* c, const char* k,
                           size_t ks, const cbp_error_sink* e) {
  return Guarded(&HostTokenDeleteImpl, e, h, c, k, ks, e);
}
cbp_status HostJwtSignRs256(void* h, const cbp_call_ctx* c, const char* hj,
                            size_t hs, const char* cj, size_t cs, const char* k,
                            size_t ks, const char* p, size_t ps,
                            const cbp_sink* o, const cbp_error_sink* e) {
  return Guarded(&HostJwtSignRs256Impl, e, h, c, hj, hs, cj, cs, k, ks, p, ps,
                 o, e);
}

}  // namespace

bool CallState::Cancelled() const {
  if (deadline != absl::InfiniteFuture() && absl::Now() >= deadline)
    return true;
  return is_cancelled != nullptr && *is_cancelled && (*is_cancelled)();
}

HostContext* NewHostContext(std::string log_component) {
  auto* context = new HostContext();
  context->log_component = std::move(log_component);
  cbp_host_api& api = context->api;
  api.struct_size = sizeof(api);
  api.abi_major = CBP_ABI_VERSION_MAJOR;
  api.abi_minor = CBP_ABI_VERSION_MINOR;
  api.host_ctx = context;
  api.log = &HostLog;
  api.log_enabled = &HostLogEnabled;
  api.now_unix_ms = &HostNowUnixMs;
  api.monotonic_ns = &HostMonotonicNs;
  api.is_cancelled = &HostIsCancelled;
  api.http_request = &CbpHttpRequest;
  api.token_get = &HostTokenGet;
  api.token_put = &HostTokenPut;
  api.token_delete = &HostTokenDelete;
  api.jwt_sign_rs256 = &HostJwtSignRs256;
  return context;
}

void SetLogComponent(HostContext* context, std::string log_component) {
  std::lock_guard<std::mutex> lock(context->mu);
  context->log_component = std::move(log_component);
}

}  // namespace casebridge::plugin_host

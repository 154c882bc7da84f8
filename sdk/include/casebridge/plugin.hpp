// casebridge plugin SDK for C++17: a header-only layer over plugin_abi.h so
// a connector is a small class. Depends only on the C ABI header, the C++17
// standard library and nlohmann_json (header-only).
//
// Usage:
//   class Echo : public casebridge::sdk::Connector {
//    public:
//     casebridge::sdk::Result Execute(std::string_view sub_action,
//                                     const nlohmann::json& params,
//                                     casebridge::sdk::Context& ctx) override;
//   };
//   casebridge::sdk::PluginDef DefinePlugin() { ... }   // ids, schemas, types
//   CASEBRIDGE_PLUGIN(DefinePlugin)
//
// Contract: exceptions never cross the C boundary. Every exported function is
// wrapped: casebridge::sdk::Error becomes its status code, std::exception
// becomes INTERNAL with what(), anything else INTERNAL "unknown exception".
// DefinePlugin runs once, at load; the descriptor built from it is static.
// Thread-safety: Context is valid only inside the call it was passed to;
// Connector::Execute may run concurrently on different instances (and on one
// instance only if PluginDef::concurrent_execute is set).
// Build plugins with casebridge_add_plugin() (hidden visibility), so these
// inline functions and their statics stay private to each plugin.
#ifndef CASEBRIDGE_PLUGIN_HPP_
#define CASEBRIDGE_PLUGIN_HPP_

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casebridge/plugin_abi.h"
#include "nlohmann/json.hpp"

namespace casebridge::sdk {

// Status codes (values equal gRPC codes; see plugin_abi.h).
enum class Code : int32_t {
  kOk = CBP_STATUS_OK,
  kCancelled = CBP_STATUS_CANCELLED,
  kUnknown = CBP_STATUS_UNKNOWN,
  kInvalidArgument = CBP_STATUS_INVALID_ARGUMENT,
  kDeadlineExceeded = CBP_STATUS_DEADLINE_EXCEEDED,
  kNotFound = CBP_STATUS_NOT_FOUND,
  kAlreadyExists = CBP_STATUS_ALREADY_EXISTS,
  kPermissionDenied = CBP_STATUS_PERMISSION_DENIED,
  kResourceExhausted = CBP_STATUS_RESOURCE_EXHAUSTED,
  kFailedPrecondition = CBP_STATUS_FAILED_PRECONDITION,
  kAborted = CBP_STATUS_ABORTED,
  kOutOfRange = CBP_STATUS_OUT_OF_RANGE,
  kUnimplemented = CBP_STATUS_UNIMPLEMENTED,
  kInternal = CBP_STATUS_INTERNAL,
  kUnavailable = CBP_STATUS_UNAVAILABLE,
  kDataLoss = CBP_STATUS_DATA_LOSS,
  kUnauthenticated = CBP_STATUS_UNAUTHENTICATED,
};

// Retry class of an error; kDefault derives it from the code.
enum class Retry : int32_t {
  kDefault = CBP_RETRY_DEFAULT,
  kNo = CBP_RETRY_NO,
  kYes = CBP_RETRY_YES,
};

// The error a connector throws to fail a call with a specific code. Carries
// an optional retry class, retry delay and machine-readable details.
class Error : public std::exception {
 public:
  Error(Code code, std::string message, Retry retry = Retry::kDefault,
        int64_t retry_after_ms = 0, nlohmann::json details = nullptr)
      : code_(code),
        message_(std::move(message)),
        retry_(retry),
        retry_after_ms_(retry_after_ms),
        details_(std::move(details)) {}

  const char* what() const noexcept override { return message_.c_str(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  Retry retry() const { return retry_; }
  int64_t retry_after_ms() const { return retry_after_ms_; }
  const nlohmann::json& details() const { return details_; }

 private:
  Code code_;
  std::string message_;
  Retry retry_;
  int64_t retry_after_ms_;
  nlohmann::json details_;
};

// The result of Connector::Execute: any JSON value.
using Result = nlohmann::json;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  uint32_t timeout_ms = 0;  // 0 = host default
};

struct HttpResponse {
  int32_t status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // First header named `name` (case-insensitive), if any.
  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < key.size() && same; ++i) {
        same = std::tolower(static_cast<unsigned char>(key[i])) ==
               std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (same) return value;
    }
    return std::nullopt;
  }
  // Retry-After as milliseconds from `now`: delta-seconds ("120") or an
  // HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT", or the obsolete RFC 850 and
  // asctime forms). 0 when absent, malformed, in the past or more than seven
  // days away.
  int64_t RetryAfterMs(std::chrono::system_clock::time_point now) const;
  int64_t RetryAfterMs() const {
    return RetryAfterMs(std::chrono::system_clock::now());
  }
  // The body parsed as JSON; throws Error(kUnknown) when it is not JSON.
  nlohmann::json Json() const {
    nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
      throw Error(Code::kUnknown, "response body is not valid JSON");
    }
    return parsed;
  }
  bool Ok() const { return status >= 200 && status < 300; }
};

// ---- HTTP helpers shared by connectors.

// The code and retry class for a failed HTTP exchange with `status` (>= 400):
// 400/422 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
// 404 NOT_FOUND, 409 ABORTED, 408 DEADLINE_EXCEEDED (retryable),
// 429 RESOURCE_EXHAUSTED (retryable), 501/505 UNIMPLEMENTED, other 5xx
// UNAVAILABLE (retryable), anything else FAILED_PRECONDITION.
struct HttpErrorClass {
  Code code;
  Retry retry;
};
inline HttpErrorClass ClassifyHttpStatus(int32_t status) {
  switch (status) {
    case 400:
    case 422:
      return {Code::kInvalidArgument, Retry::kNo};
    case 401:
      return {Code::kUnauthenticated, Retry::kNo};
    case 403:
      return {Code::kPermissionDenied, Retry::kNo};
    case 404:
      return {Code::kNotFound, Retry::kNo};
    case 408:
      return {Code::kDeadlineExceeded, Retry::kYes};
    case 409:
      return {Code::kAborted, Retry::kNo};
    case 429:
      return {Code::kResourceExhausted, Retry::kYes};
    case 501:
    case 505:
      return {Code::kUnimplemented, Retry::kNo};
    default:
      break;
  }
  if (status >= 500 && status <= 599) return {Code::kUnavailable, Retry::kYes};
  return {Code::kFailedPrecondition, Retry::kNo};
}

// True when `segment` can be one URL path segment as is: non-empty, not "."
// or "..", and only unreserved characters (ALPHA DIGIT - . _ ~), so an id
// taken from config or params cannot change the path or the query.
inline bool IsSafePathSegment(std::string_view segment) {
  if (segment.empty() || segment == "." || segment == "..") return false;
  for (char c : segment) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
          c == '.' || c == '~')) {
      return false;
    }
  }
  return true;
}

// True for an absolute http:// or https:// URL (scheme case-insensitive)
// with a non-empty host, no user-info ("user@") and no whitespace. The host
// applies its egress policy on top; this only rejects what cannot be a base
// URL of an external service.
inline bool IsHttpUrl(std::string_view url) {
  for (char c : url) {
    if (std::isspace(static_cast<unsigned char>(c))) return false;
  }
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string scheme(url.substr(0, scheme_end));
  for (char& c : scheme) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (scheme != "http" && scheme != "https") return false;
  const size_t host_start = scheme_end + 3;
  size_t host_end = url.find_first_of("/?#", host_start);
  if (host_end == std::string_view::npos) host_end = url.size();
  const std::string_view authority =
      url.substr(host_start, host_end - host_start);
  if (authority.find('@') != std::string_view::npos) return false;
  std::string_view host;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  return !host.empty();
}

namespace internal {

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
constexpr int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year =
      (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// Seconds since the epoch of an HTTP-date (RFC 9110 section 5.6.7: IMF-fixdate,
// RFC 850 or asctime form), or nullopt.
inline std::optional<int64_t> ParseHttpDate(std::string_view text) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};
  std::vector<std::string> tokens;
  std::string token;
  for (char c : text) {
    if (c == ' ' || c == ',' || c == '\t') {
      if (!token.empty()) tokens.push_back(std::move(token));
      token.clear();
    } else {
      token += c;
    }
  }
  if (!token.empty()) tokens.push_back(std::move(token));
  auto number = [](std::string_view digits, int64_t* out) {
    if (digits.empty() || digits.size() > 4) return false;
    int64_t v = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
  };
  auto month_of = [&](std::string_view name, int64_t* out) {
    for (int i = 0; i < 12; ++i) {
      if (name == kMonths[i]) {
        *out = i + 1;
        return true;
      }
    }
    return false;
  };
  int64_t year = 0, month = 0, day = 0;
  std::string_view clock;
  if (tokens.size() == 6 && tokens[5] == "GMT") {
    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    if (!number(tokens[1], &day) || !month_of(tokens[2], &month) ||
        tokens[3].size() != 4 || !number(tokens[3], &year)) {
      return std::nullopt;
    }
    clock = tokens[4];
  } else if (tokens.size() == 4 && tokens[3] == "GMT") {
    // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (years 70-99 are 19xx,
    // 00-69 are 20xx).
    const std::string& date = tokens[1];
    if (date.size() != 9 || date[2] != '-' || date[6] != '-' ||
        !number(std::string_view(date).substr(0, 2), &day) ||
        !month_of(std::string_view(date).substr(3, 3), &month) ||
        !number(std::string_view(date).substr(7, 2), &year)) {
      return std::nullopt;
    }
    year += year < 70 ? 2000 : 1900;
    clock = tokens[2];
  } else if (tokens.size() == 5) {
    // asctime: Sun Nov  6 08:49:37 1994
    if (!month_of(tokens[1], &month) || !number(tokens[2], &day) ||
        tokens[4].size() != 4 || !number(tokens[4], &year)) {
      return std::nullopt;
    }
    clock = tokens[3];
  } else {
    return std::nullopt;
  }
  int64_t hour = 0, minute = 0, second = 0;
  if (clock.size() != 8 || clock[2] != ':' || clock[5] != ':' ||
      !number(clock.substr(0, 2), &hour) ||
      !number(clock.substr(3, 2), &minute) ||
      !number(clock.substr(6, 2), &second)) {
    return std::nullopt;
  }
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31};
  if (day < 1 || day > kDaysIn[month - 1] || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;
  }
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
         second;
}

}  // namespace internal

inline int64_t HttpResponse::RetryAfterMs(
    std::chrono::system_clock::time_point now) const {
  constexpr int64_t kMaxSeconds = 86400 * 7;
  std::optional<std::string> value = Header("retry-after");
  if (!value) return 0;
  const size_t begin = value->find_first_not_of(" \t");
  if (begin == std::string::npos) return 0;
  const size_t end = value->find_last_not_of(" \t");
  const std::string_view text =
      std::string_view(*value).substr(begin, end - begin + 1);
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t seconds = 0;
    for (char c : text) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > kMaxSeconds) return 0;
    }
    return seconds * 1000;
  }
  std::optional<int64_t> at = internal::ParseHttpDate(text);
  if (!at) return 0;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             now.time_since_epoch())
                             .count();
  const int64_t wait_ms = *at * 1000 - now_ms;
  if (wait_ms <= 0 || wait_ms > kMaxSeconds * 1000) return 0;
  return wait_ms;
}

namespace internal {

inline const cbp_host_api*& HostSlot() {
  static const cbp_host_api* host = nullptr;
  return host;
}

inline int AppendToString(void* ctx, const char* data, size_t size) {
  if (size > 0) static_cast<std::string*>(ctx)->append(data, size);
  return 0;
}

// Collects one error report from a host service.
struct CollectedError {
  bool set = false;
  cbp_status code = CBP_STATUS_UNKNOWN;
  std::string message;
  std::string details;
  int32_t retryable = CBP_RETRY_DEFAULT;
  int64_t retry_after_ms = 0;

  static void Report(void* ctx, cbp_status code, const char* message,
                     size_t message_size, const char* details,
                     size_t details_size, int32_t retryable,
                     int64_t retry_after_ms) {
    auto* self = static_cast<CollectedError*>(ctx);
    self->set = true;
    self->code = code;
    self->message.assign(message ? message : "", message ? message_size : 0);
    self->details.assign(details ? details : "", details ? details_size : 0);
    self->retryable = retryable;
    self->retry_after_ms = retry_after_ms;
  }
  cbp_error_sink Sink() {
    cbp_error_sink sink{};
    sink.struct_size = sizeof(sink);
    sink.ctx = this;
    sink.report = &CollectedError::Report;
    return sink;
  }
  [[noreturn]] void Throw(cbp_status code, std::string_view what) const {
    std::string text(what);
    text += ": ";
    text += set && !message.empty() ? message : "failed";
    nlohmann::json details_json = nullptr;
    if (!details.empty()) {
      details_json = nlohmann::json::parse(details, nullptr, false);
      if (details_json.is_discarded()) details_json = nullptr;
    }
    throw Error(static_cast<Code>(code), std::move(text),
                static_cast<Retry>(retryable), retry_after_ms,
                std::move(details_json));
  }
};

}  // namespace internal

enum class LogLevel : int32_t {
  kDebug = CBP_LOG_DEBUG,
  kInfo = CBP_LOG_INFO,
  kWarn = CBP_LOG_WARN,
  kError = CBP_LOG_ERROR,
};

// Logs through the host at any time (also outside calls). Never log secrets.
inline void Log(LogLevel level, std::string_view message) {
  const cbp_host_api* host = internal::HostSlot();
  if (host == nullptr || !CBP_HAS_FIELD(host, cbp_host_api, log) ||
      host->log == nullptr) {
    return;
  }
  host->log(host->host_ctx, static_cast<int32_t>(level), message.data(),
            message.size());
}

// The host services for one call. Valid only during that call.
class Context {
 public:
  Context(const cbp_host_api* host, const cbp_call_ctx* call)
      : host_(host), call_(call) {}

  std::string_view connector_id() const {
    return View(call_ && CBP_HAS_FIELD(call_, cbp_call_ctx, connector_id)
                    ? call_->connector_id
                    : cbp_str{nullptr, 0});
  }
  std::string_view request_id() const {
    return View(call_ && CBP_HAS_FIELD(call_, cbp_call_ctx, request_id)
                    ? call_->request_id
                    : cbp_str{nullptr, 0});
  }
  // Absolute deadline in Unix ms; 0 = none.
  int64_t deadline_unix_ms() const {
    return CBP_HAS_FIELD(call_, cbp_call_ctx, deadline_unix_ms)
               ? call_->deadline_unix_ms
               : 0;
  }

  int64_t NowUnixMs() const {
    Require(host_ && CBP_HAS_FIELD(host_, cbp_host_api, now_unix_ms),
            "now_unix_ms");
    return host_->now_unix_ms(host_->host_ctx);
  }
  int64_t MonotonicNs() const {
    Require(host_ && CBP_HAS_FIELD(host_, cbp_host_api, monotonic_ns),
            "monotonic_ns");
    return host_->monotonic_ns(host_->host_ctx);
  }
  // True once the deadline passed or the caller went away.
  bool Cancelled() const {
    Require(host_ && CBP_HAS_FIELD(host_, cbp_host_api, is_cancelled),
            "is_cancelled");
    return host_->is_cancelled(host_->host_ctx, call_) != 0;
  }
  // Throws Error(kDeadlineExceeded) once Cancelled() is true.
  void ThrowIfCancelled() const {
    if (Cancelled()) {
      throw Error(Code::kDeadlineExceeded, "call cancelled or deadline passed");
    }
  }

  void Log(LogLevel level, std::string_view message) const {
    sdk::Log(level, message);
  }

  // Performs an HTTP request through the host. Returns any HTTP status
  // (check response.status); throws Error on transport failure.
  HttpResponse Http(const HttpRequest& request) const {
    Require(host_ && CBP_HAS_FIELD(host_, cbp_host_api, http_request),
            "http_request");
    std::vector<cbp_header> headers;
    headers.reserve(request.headers.size());
    for (const auto& [name, value] : request.headers) {
      headers.push_back(
          {{name.data(), name.size()}, {value.data(), value.size()}});
    }
    cbp_http_request c_request{};
    c_request.struct_size = sizeof(c_request);
    c_request.method = {request.method.data(), request.method.size()};
    c_request.url = {request.url.data(), request.url.size()};
    c_request.headers = headers.data();
    c_request.header_count = headers.size();
    c_request.body = {request.body.data(), request.body.size()};
    c_request.timeout_ms = request.timeout_ms;

    HttpResponse response;
    cbp_http_response_sink sink{};
    sink.struct_size = sizeof(sink);
    sink.ctx = &response;
    sink.on_status = [](void* ctx, int32_t status) {
      static_cast<HttpResponse*>(ctx)->status = status;
      return 0;
    };
    sink.on_header = [](void* ctx, const char* name, size_t name_size,
                        const char* value, size_t value_size) {
      static_cast<HttpResponse*>(ctx)->headers.emplace_back(
          std::string(name, name_size), std::string(value, value_size));
      return 0;
    };
    sink.on_body = [](void* ctx, const char* data, size_t size) {
      static_cast<HttpResponse*>(ctx)->body.append(data, size);
      return 0;
    };
    internal::CollectedError error;
    cbp_error_sink err = error.Sink();
    cbp_status status =
        host_->http_request(host_->host_ctx, call_, &c_request, &sink, &err);
    if (status != CBP_STATUS_OK) error.Throw(status, "HTTP request failed");
    return response;
  }

  // The cached token for `key`, or nullopt when absent or expired.
  std::optional<std::string> TokenGet(std::string_view key) const {
    Require(host_ && CBP_HAS_FIELD(host_, cbp_host_api, token_get),
            "token_get");
    std::string value;
    cbp_sink out{&value, &internal::AppendToString};
    internal::CollectedError error;
    cbp_error_sink err = error.Sink();
    cbp_status status = host_->token_get(host_->host_ctx, call_, key.data(),
                                         key.size(), &out, &err);
    if (status == CBP_STATUS_NOT_FOUND) return std::nullopt;
    if (status != CBP_STATUS_OK) error.Throw(status, "token cache read failed");
    return value;
  }
  void TokenPut(std::string_view key, std::string_view value,
                int64_t ttl_ms) const {
    Require(host_ && CBP_HAS_FIELD(host_, cbp_host_api, token_put),
            "token_put");
    internal::CollectedError error;
    cbp_error_sink err = error.Sink();
    cbp_status status =
        host_->token_put(host_->host_ctx, call_, key.data(), key.size(),
                         value.data(), value.size(), ttl_ms, &err);
    if (status != CBP_STATUS_OK)
      error.Throw(status, "token cache write failed");
  }
  void TokenDelete(std::string_view key) const {
    Require(host_ && CBP_HAS_FIELD(host_, cbp_host_api, token_delete),
            "token_delete");
    internal::CollectedError error;
    cbp_error_sink err = error.Sink();
    cbp_status status = host_->token_delete(host_->host_ctx, call_, key.data(),
                                            key.size(), &err);
    if (status != CBP_STATUS_OK) {
      error.Throw(status, "token cache delete failed");
    }
  }

  // Signs an RS256 JWT. `header` holds extra header fields (e.g. kid).
  std::string SignJwtRs256(const nlohmann::json& header,
                           const nlohmann::json& claims,
                           std::string_view private_key_pem,
                           std::string_view passphrase = {}) const {
    Require(host_ && CBP_HAS_FIELD(host_, cbp_host_api, jwt_sign_rs256),
            "jwt_sign_rs256");
    std::string header_text = header.is_null() ? std::string() : header.dump();
    std::string claims_text = claims.dump();
    std::string token;
    cbp_sink out{&token, &internal::AppendToString};
    internal::CollectedError error;
    cbp_error_sink err = error.Sink();
    cbp_status status = host_->jwt_sign_rs256(
        host_->host_ctx, call_, header_text.data(), header_text.size(),
        claims_text.data(), claims_text.size(), private_key_pem.data(),
        private_key_pem.size(), passphrase.data(), passphrase.size(), &out,
        &err);
    if (status != CBP_STATUS_OK)
      error.Throw(status, "Unable to generate JWT token");
    return token;
  }

 private:
  static std::string_view View(cbp_str s) {
    return s.data ? std::string_view(s.data, s.size) : std::string_view();
  }
  static void Require(bool present, const char* what) {
    if (!present) {
      throw Error(Code::kUnimplemented,
                  std::string("host does not provide ") + what);
    }
  }

  const cbp_host_api* host_;
  const cbp_call_ctx* call_;
};

// What a connector instance is created from.
struct CreateArgs {
  std::string type_id;
  nlohmann::json config;
  nlohmann::json secrets;
  std::string connector_id;
};

// One configured connector. Throw Error (or any exception) to fail a call.
class Connector {
 public:
  virtual ~Connector() = default;
  virtual Result Execute(std::string_view sub_action,
                         const nlohmann::json& params, Context& ctx) = 0;
};

using ConnectorFactory =
    std::function<std::unique_ptr<Connector>(const CreateArgs&, Context&)>;

// Optional check of config and secrets beyond their JSON Schemas, run without
// an instance (and without host services). Throw Error to reject.
using ConfigValidator = std::function<void(const nlohmann::json& config,
                                           const nlohmann::json& secrets)>;

struct SubActionDef {
  std::string name;
  nlohmann::json params_schema = nlohmann::json::object();
};

struct MappingDef {
  std::string source;
  std::string target;
  std::string action;  // "overwrite", "append" or "nothing"
};

struct ConnectorTypeDef {
  std::string id;
  std::string name;
  std::vector<std::string> supported_features;
  nlohmann::json config_schema = nlohmann::json::object();
  nlohmann::json secrets_schema = nlohmann::json::object();
  std::vector<SubActionDef> sub_actions;
  std::vector<MappingDef> default_mappings;
  ConnectorFactory factory;
  ConfigValidator validate;  // optional
};

// Creates a connector of class T from (const CreateArgs&, Context&).
template <typename T>
ConnectorFactory MakeFactory() {
  return
      [](const CreateArgs& args, Context& ctx) -> std::unique_ptr<Connector> {
        return std::make_unique<T>(args, ctx);
      };
}

struct PluginDef {
  std::string id;
  std::string name;
  std::string version;
  bool concurrent_execute = false;
  std::vector<ConnectorTypeDef> connector_types;
};

namespace internal {

// Static C views of a PluginDef; built once, never freed.
struct Registry {
  PluginDef def;
  std::vector<std::string> schema_texts;  // stable after build
  std::vector<std::vector<const char*>> feature_ptrs;
  std::vector<cbp_sub_action> sub_actions;
  std::vector<std::vector<const cbp_sub_action*>> sub_action_ptrs;
  std::vector<cbp_field_mapping> mappings;
  std::vector<std::vector<const cbp_field_mapping*>> mapping_ptrs;
  std::vector<cbp_connector_type> types;
  std::vector<const cbp_connector_type*> type_ptrs;
  cbp_plugin_descriptor descriptor{};
  cbp_plugin_api api{};

  void Build() {
    size_t schema_count = 0, sub_count = 0, map_count = 0;
    for (const auto& type : def.connector_types) {
      schema_count += 2 + type.sub_actions.size();
      sub_count += type.sub_actions.size();
      map_count += type.default_mappings.size();
    }
    // Reserve so element addresses never move.
    schema_texts.reserve(schema_count);
    sub_actions.reserve(sub_count);
    mappings.reserve(map_count);
    feature_ptrs.reserve(def.connector_types.size());
    sub_action_ptrs.reserve(def.connector_types.size());
    mapping_ptrs.reserve(def.connector_types.size());
    types.reserve(def.connector_types.size());
    for (const auto& type : def.connector_types) {
      auto& features = feature_ptrs.emplace_back();
      for (const auto& f : type.supported_features)
        features.push_back(f.c_str());
      auto& subs = sub_action_ptrs.emplace_back();
      for (const auto& sub : type.sub_actions) {
        cbp_sub_action c{};
        c.struct_size = sizeof(c);
        c.name = sub.name.c_str();
        c.params_schema_json =
            schema_texts.emplace_back(sub.params_schema.dump()).c_str();
        subs.push_back(&sub_actions.emplace_back(c));
      }
      auto& maps = mapping_ptrs.emplace_back();
      for (const auto& m : type.default_mappings) {
        cbp_field_mapping c{};
        c.struct_size = sizeof(c);
        c.source = m.source.c_str();
        c.target = m.target.c_str();
        c.action = m.action.c_str();
        maps.push_back(&mappings.emplace_back(c));
      }
      cbp_connector_type c{};
      c.struct_size = sizeof(c);
      c.id = type.id.c_str();
      c.name = type.name.c_str();
      c.supported_features = features.data();
      c.supported_feature_count = features.size();
      c.config_schema_json =
          schema_texts.emplace_back(type.config_schema.dump()).c_str();
      c.secrets_schema_json =
          schema_texts.emplace_back(type.secrets_schema.dump()).c_str();
      c.sub_actions = subs.data();
      c.sub_action_count = subs.size();
      c.default_mappings = maps.data();
      c.default_mapping_count = maps.size();
      types.push_back(c);
    }
    for (const auto& t : types) type_ptrs.push_back(&t);
    descriptor.struct_size = sizeof(descriptor);
    descriptor.id = def.id.c_str();
    descriptor.name = def.name.c_str();
    descriptor.version = def.version.c_str();
    descriptor.connector_types = type_ptrs.data();
    descriptor.connector_type_count = type_ptrs.size();
  }

  const ConnectorTypeDef* FindType(std::string_view id) const {
    for (const auto& type : def.connector_types) {
      if (type.id == id) return &type;
    }
    return nullptr;
  }
};

struct InstanceBox {
  std::unique_ptr<Connector> connector;
};

inline void ReportError(const cbp_error_sink* err, cbp_status code,
                        std::string_view message,
                        const nlohmann::json& details = nullptr,
                        int32_t retryable = CBP_RETRY_DEFAULT,
                        int64_t retry_after_ms = 0) noexcept {
  if (!CBP_HAS_FIELD(err, cbp_error_sink, report) || err->report == nullptr)
    return;
  std::string details_text;
  try {
    if (!details.is_null()) {
      details_text = details.dump(-1, ' ', false,
                                  nlohmann::json::error_handler_t::replace);
    }
  } catch (...) {
    details_text.clear();
  }
  err->report(err->ctx, code, message.data(), message.size(),
              details_text.data(), details_text.size(), retryable,
              retry_after_ms);
}

// Runs `body`, turning every exception into a status (and an error report).
template <typename Body>
cbp_status Guard(const cbp_error_sink* err, Body&& body) noexcept {
  try {
    return body();
  } catch (const Error& e) {
    cbp_status code = static_cast<cbp_status>(e.code());
    if (code == CBP_STATUS_OK) code = CBP_STATUS_UNKNOWN;
    ReportError(err, code, e.message(), e.details(),
                static_cast<int32_t>(e.retry()), e.retry_after_ms());
    return code;
  } catch (const std::exception& e) {
    ReportError(err, CBP_STATUS_INTERNAL, e.what());
    return CBP_STATUS_INTERNAL;
  } catch (...) {
    ReportError(err, CBP_STATUS_INTERNAL, "unknown exception");
    return CBP_STATUS_INTERNAL;
  }
}

inline nlohmann::json ParseInput(const char* data, size_t size,
                                 const char* what) {
  if (data == nullptr || size == 0) return nlohmann::json::object();
  nlohmann::json parsed =
      nlohmann::json::parse(data, data + size, nullptr, false);
  if (parsed.is_discarded()) {
    throw Error(Code::kInvalidArgument,
                std::string(what) + " is not valid JSON");
  }
  return parsed;
}

// One Glue per plugin definition function, so each plugin has its own state.
template <PluginDef (*Define)()>
struct Glue {
  static Registry*& Slot() {
    static Registry* registry = nullptr;
    return registry;
  }

  static cbp_status Create(const char* type_id, size_t type_id_size,
                           const char* config, size_t config_size,
                           const char* secrets, size_t secrets_size,
                           const cbp_call_ctx* call, cbp_instance** out,
                           const cbp_error_sink* err) noexcept {
    if (out != nullptr) *out = nullptr;
    return Guard(err, [&]() -> cbp_status {
      if (out == nullptr)
        throw Error(Code::kInvalidArgument, "out_instance is null");
      std::string_view id(type_id ? type_id : "", type_id ? type_id_size : 0);
      const ConnectorTypeDef* type = Slot()->FindType(id);
      if (type == nullptr || !type->factory) {
        throw Error(Code::kNotFound,
                    "unknown connector type " + std::string(id));
      }
      CreateArgs args;
      args.type_id = std::string(id);
      args.config = ParseInput(config, config_size, "config");
      args.secrets = ParseInput(secrets, secrets_size, "secrets");
      Context ctx(HostSlot(), call);
      args.connector_id = std::string(ctx.connector_id());
      auto box = std::make_unique<InstanceBox>();
      box->connector = type->factory(args, ctx);
      if (!box->connector)
        throw Error(Code::kInternal, "connector factory returned null");
      *out = reinterpret_cast<cbp_instance*>(box.release());
      return CBP_STATUS_OK;
    });
  }

  static cbp_status Validate(const char* type_id, size_t type_id_size,
                             const char* config, size_t config_size,
                             const char* secrets, size_t secrets_size,
                             const cbp_error_sink* err) noexcept {
    return Guard(err, [&]() -> cbp_status {
      std::string_view id(type_id ? type_id : "", type_id ? type_id_size : 0);
      const ConnectorTypeDef* type = Slot()->FindType(id);
      if (type == nullptr) {
        throw Error(Code::kNotFound,
                    "unknown connector type " + std::string(id));
      }
      if (type->validate) {
        type->validate(ParseInput(config, config_size, "config"),
                       ParseInput(secrets, secrets_size, "secrets"));
      }
      return CBP_STATUS_OK;
    });
  }

  static void Destroy(cbp_instance* instance) noexcept {
    try {
      delete reinterpret_cast<InstanceBox*>(instance);
    } catch (...) {
      Log(LogLevel::kError, "exception in connector destructor ignored");
    }
  }

  static cbp_status Execute(cbp_instance* instance, const cbp_call_ctx* call,
                            const char* sub_action, size_t sub_action_size,
                            const char* params, size_t params_size,
                            const cbp_sink* out,
                            const cbp_error_sink* err) noexcept {
    return Guard(err, [&]() -> cbp_status {
      if (instance == nullptr)
        throw Error(Code::kInvalidArgument, "instance is null");
      auto* box = reinterpret_cast<InstanceBox*>(instance);
      nlohmann::json params_json = ParseInput(params, params_size, "params");
      Context ctx(HostSlot(), call);
      std::string_view name(sub_action ? sub_action : "",
                            sub_action ? sub_action_size : 0);
      Result result = box->connector->Execute(name, params_json, ctx);
      std::string text =
          result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (out != nullptr && out->write != nullptr &&
          out->write(out->ctx, text.data(), text.size()) != 0) {
        throw Error(Code::kResourceExhausted,
                    "host refused the result (too large?)", Retry::kNo);
      }
      return CBP_STATUS_OK;
    });
  }

  static const cbp_plugin_api* Entry(uint32_t host_major, uint32_t /*minor*/,
                                     const cbp_host_api* host) noexcept {
    if (host_major != CBP_ABI_VERSION_MAJOR || host == nullptr ||
        !CBP_HAS_FIELD(host, cbp_host_api, jwt_sign_rs256)) {
      return nullptr;
    }
    HostSlot() = host;
    try {
      if (Slot() == nullptr) {
        auto registry = std::make_unique<Registry>();
        registry->def = Define();
        registry->Build();
        cbp_plugin_api& api = registry->api;
        api.struct_size = sizeof(api);
        api.abi_major = CBP_ABI_VERSION_MAJOR;
        api.abi_minor = CBP_ABI_VERSION_MINOR;
        api.flags = registry->def.concurrent_execute
                        ? CBP_PLUGIN_FLAG_CONCURRENT_EXECUTE
                        : 0u;
        api.descriptor = &registry->descriptor;
        api.instance_create = &Create;
        api.instance_destroy = &Destroy;
        api.execute = &Execute;
        api.validate_config = &Validate;
        Slot() = registry.release();  // static until unload
      }
      return &Slot()->api;
    } catch (const std::exception& e) {
      Log(LogLevel::kError,
          std::string("plugin initialisation failed: ") + e.what());
    } catch (...) {
      Log(LogLevel::kError, "plugin initialisation failed: unknown exception");
    }
    return nullptr;
  }
};

}  // namespace internal
}  // namespace casebridge::sdk

// Defines the plugin's entry symbol from `define_fn`, a function
// `casebridge::sdk::PluginDef define_fn()` (called once, at load).
// Use exactly once per plugin, at namespace scope.
#define CASEBRIDGE_PLUGIN(define_fn)                                      \
  extern "C" CBP_EXPORT const cbp_plugin_api* casebridge_plugin_entry_v1( \
      uint32_t host_abi_major, uint32_t host_abi_minor,                   \
      const cbp_host_api* host) {                                         \
    return ::casebridge::sdk::internal::Glue<&define_fn>::Entry(          \
        host_abi_major, host_abi_minor, host);                            \
  }

#endif  // CASEBRIDGE_PLUGIN_HPP_

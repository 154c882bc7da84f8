// The host's outbound HTTP client (libcurl) used by every connector call.
// Each request passes the egress policy (egress_policy.h) before any
// connection is made, on every redirect hop, and is pinned to the addresses
// that were checked so DNS rebinding cannot swap them. TLS verification,
// per-origin CAs, proxying, timeouts and the response size cap follow
// Kibana's xpack.actions.* settings.
//
// HttpClient is thread-safe: Send() may be called from many threads at once.
// Connections (and TLS sessions) are shared between calls and reused. The
// client must outlive all in-flight Send() calls.
#ifndef CASEBRIDGE_SERVER_HTTP_HTTP_CLIENT_H_
#define CASEBRIDGE_SERVER_HTTP_HTTP_CLIENT_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/http/egress_policy.h"

namespace casebridge::http {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE, ...
  std::string url;             // http:// or https:// only
  // Sent as given. Without a Content-Type no Content-Type is sent (curl's
  // form-urlencoded default is suppressed); a User-Agent here replaces
  // HttpClientOptions::user_agent.
  HttpHeaders headers;
  std::string body;
  // Absolute deadline for the whole exchange, redirects included.
  std::optional<absl::Time> deadline;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;        // of the final response, names as received
  std::string body;           // decoded (Content-Encoding removed)
  std::string effective_url;  // URL of the final hop after redirects
};

// First value of header `name` (case-insensitive), if present.
std::optional<std::string> FindHeader(const HttpHeaders& headers,
                                      std::string_view name);

// True for headers whose values are credentials: Authorization,
// Proxy-Authorization, Cookie, Set-Cookie, Private-Token, X-*-Token,
// *api-key*, *secret*, *password*, *session*.
bool IsSensitiveHeader(std::string_view name);
// Copy of `headers` with sensitive values replaced by "[REDACTED]"; for logs.
HttpHeaders RedactHeaders(const HttpHeaders& headers);

// Parses a Retry-After value: delta-seconds ("120") or an HTTP-date (IMF
// fixdate, RFC 850 or asctime). A date in the past yields zero. nullopt for
// anything else.
std::optional<absl::Duration> ParseRetryAfter(std::string_view value,
                                              absl::Time now);

// TLS verification: none = accept any certificate; certificate = verify the
// chain but not the hostname; full = verify chain and hostname.
enum class VerificationMode { kNone, kCertificate, kFull };
absl::StatusOr<VerificationMode> ParseVerificationMode(std::string_view text);

// Per-target overrides matched on origin "scheme://host:port" (the port is
// always explicit after canonicalisation; "https://x" means
// "https://x:443"). customHostSettings equivalent.
struct HostSettings {
  std::string url;  // origin; path is ignored
  std::optional<VerificationMode> verification_mode;
  // If either is set, the CAs below replace the system trust store for this
  // origin (like Kibana's certificateAuthorities*).
  std::vector<std::string> ca_files;
  std::string ca_pem;
};

struct HttpClientOptions {
  EgressPolicyOptions egress;
  absl::Duration response_timeout = absl::Seconds(60);
  absl::Duration connect_timeout = absl::Seconds(10);
  // Body bytes (after decoding) beyond which the transfer is aborted with
  // ResourceExhausted.
  size_t max_response_bytes = 1024 * 1024;
  // Redirects followed per request (each hop re-checked). 0 disables
  // following; the 3xx is then returned as the response.
  int max_redirects = 3;

  std::string proxy_url;  // http:// or https://; empty = no proxy
  HttpHeaders proxy_headers;
  // Bypass wins: if both lists are set, proxy_only_hosts is ignored.
  std::vector<std::string> proxy_bypass_hosts;
  std::vector<std::string> proxy_only_hosts;
  VerificationMode proxy_verification_mode = VerificationMode::kFull;

  VerificationMode verification_mode = VerificationMode::kFull;
  std::vector<HostSettings> host_settings;

  // Keep connections open between requests. Off only for measurement.
  bool reuse_connections = true;
  std::string user_agent = "casebridge";
};

class HttpClient {
 public:
  // InvalidArgument for bad options (CIDRs, proxy URL, host-setting URLs);
  // NotFound/FailedPrecondition if a CA file cannot be read.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(
      HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs the request, following redirects. Any HTTP status (including
  // 4xx/5xx) is a response. Errors:
  //   InvalidArgument    bad URL, scheme other than http/https
  //   PermissionDenied   egress policy refusal (names host and config key)
  //   Unavailable        DNS failure, connection refused/reset, connection
  //                      closed mid-response; retryable
  //   DeadlineExceeded   response_timeout or request deadline reached
  //   ResourceExhausted  body larger than max_response_bytes
  //   FailedPrecondition TLS certificate verification failed (not retryable
  //                      until the CA or verification mode is changed)
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request);

  struct Stats {
    long connections_opened = 0;  // new TCP connections made by curl
    long requests = 0;            // HTTP exchanges, redirect hops included
  };
  Stats stats() const;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace casebridge::http

#endif  // CASEBRIDGE_SERVER_HTTP_HTTP_CLIENT_H_

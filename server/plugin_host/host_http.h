// HostHttp: the HTTP service the plugin host offers plugins
// (cbp_host_api.http_request). The server adapts server/http's libcurl client
// to it; tests use fakes.
//
// Implementations must be thread-safe: Send is called concurrently from many
// plugin calls. They apply egress policy, proxy, TLS, redirects, the response
// size cap and the timeout, and must return by `deadline`.
#ifndef CASEBRIDGE_SERVER_PLUGIN_HOST_HOST_HTTP_H_
#define CASEBRIDGE_SERVER_PLUGIN_HOST_HOST_HTTP_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace casebridge::plugin_host {

struct HostHttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Requested timeout; absl::ZeroDuration() = the implementation's default.
  absl::Duration timeout = absl::ZeroDuration();
  // Absolute deadline of the plugin call; absl::InfiniteFuture() = none.
  absl::Time deadline = absl::InfiniteFuture();
};

struct HostHttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The outcome of one request. `status` is OK when a response was received,
// whatever its HTTP status. Otherwise it is the transport failure:
// PERMISSION_DENIED (egress policy), DEADLINE_EXCEEDED (timeout), UNAVAILABLE
// (DNS/connect/TLS), RESOURCE_EXHAUSTED (response too large), INVALID_ARGUMENT
// (bad URL or method); `retryable` says whether retrying later may succeed.
struct HostHttpResult {
  absl::Status status;
  bool retryable = false;
  HostHttpResponse response;
};

class HostHttp {
 public:
  virtual ~HostHttp() = default;
  virtual HostHttpResult Send(const HostHttpRequest& request) = 0;
};

}  // namespace casebridge::plugin_host

#endif  // CASEBRIDGE_SERVER_PLUGIN_HOST_HOST_HTTP_H_

// CurlHostHttp: the plugin host's HTTP service (HostHttp) backed by the
// server's libcurl client (server/http/http_client.h), so every plugin request
// passes the configured egress policy, proxy, TLS settings, timeouts and
// response-size cap.
//
// Thread-safe (HttpClient is). Does not own the client, which must outlive
// it.
#ifndef CASEBRIDGE_SERVER_PLUGIN_HOST_CURL_HOST_HTTP_H_
#define CASEBRIDGE_SERVER_PLUGIN_HOST_CURL_HOST_HTTP_H_

#include "absl/status/status.h"
#include "server/http/http_client.h"
#include "server/plugin_host/host_http.h"

namespace casebridge::plugin_host {

class CurlHostHttp final : public HostHttp {
 public:
  explicit CurlHostHttp(http::HttpClient* client) : client_(client) {}

  // The request deadline is the earlier of request.deadline and
  // now + request.timeout (when set). Transport failures keep HttpClient's
  // code; UNAVAILABLE and DEADLINE_EXCEEDED are retryable, the rest
  // (PERMISSION_DENIED, INVALID_ARGUMENT, RESOURCE_EXHAUSTED,
  // FAILED_PRECONDITION, ...) are not.
  HostHttpResult Send(const HostHttpRequest& request) override;

 private:
  http::HttpClient* client_;
};

// Whether a transport failure with `code` may succeed when retried later.
bool IsRetryableTransportError(absl::StatusCode code);

}  // namespace casebridge::plugin_host

#endif  // CASEBRIDGE_SERVER_PLUGIN_HOST_CURL_HOST_HTTP_H_

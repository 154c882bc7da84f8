#include "server/plugin_host/curl_host_http.h"

#include <utility>

#include "absl/time/clock.h"

namespace casebridge::plugin_host {

bool IsRetryableTransportError(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kDeadlineExceeded;
}

HostHttpResult CurlHostHttp::Send(const HostHttpRequest& request) {
  http::HttpRequest out;
  out.method = request.method;
  out.url = request.url;
  out.headers = request.headers;
  out.body = request.body;
  absl::Time deadline = request.deadline;
  if (request.timeout > absl::ZeroDuration()) {
    deadline = std::min(deadline, absl::Now() + request.timeout);
  }
  if (deadline != absl::InfiniteFuture()) out.deadline = deadline;

  HostHttpResult result;
  absl::StatusOr<http::HttpResponse> response = client_->Send(out);
  if (!response.ok()) {
    result.status = response.status();
    result.retryable = IsRetryableTransportError(response.status().code());
    return result;
  }
  result.status = absl::OkStatus();
  result.response.status = response->status;
  result.response.headers = std::move(response->headers);
  result.response.body = std::move(response->body);
  return result;
}

}  // namespace casebridge::plugin_host

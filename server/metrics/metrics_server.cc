#include "server/metrics/metrics_server.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "server/metrics/metrics.h"
#include "server/util/log.h"

namespace casebridge::metrics {

MetricsServer::~MetricsServer() = default;

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen) {
  if (listen.empty()) return std::unique_ptr<MetricsServer>();
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics.listen must be host:port, not '", listen, "'"));
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  try {
    // Two worker threads are plenty for a scraper or two.
    server->exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics on ", listen, " (metrics.listen): ", e.what()));
  }
  server->exposer_->RegisterCollectable(DefaultRegistry());
  const std::vector<int> ports = server->exposer_->GetListeningPorts();
  std::string host = listen.substr(0, colon);
  server->address_ =
      absl::StrCat(host, ":", ports.empty() ? 0 : ports.front());
  log::Info("metrics", "serving Prometheus metrics on http://",
            server->address_, "/metrics");
  return server;
}

}  // namespace casebridge::metrics

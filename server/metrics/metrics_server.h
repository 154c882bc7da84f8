// The Prometheus scrape endpoint: an HTTP server on its own port (config
// `metrics.listen`) answering GET /metrics with the text exposition format of
// metrics::DefaultRegistry().
//
// Thread-safe. The returned server serves on its own threads until destroyed.
#ifndef CASEBRIDGE_SERVER_METRICS_METRICS_SERVER_H_
#define CASEBRIDGE_SERVER_METRICS_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace prometheus {
class Exposer;
}

namespace casebridge::metrics {

class MetricsServer {
 public:
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Starts serving on `listen` ("host:port"; port 0 picks a free port) and
  // logs the bound address. An empty `listen` means metrics are off: returns
  // null.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen);

  // "host:port" actually bound.
  const std::string& address() const { return address_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string address_;
};

}  // namespace casebridge::metrics

#endif  // CASEBRIDGE_SERVER_METRICS_METRICS_SERVER_H_

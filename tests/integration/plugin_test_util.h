// Test-only helper for running a connector plugin .so through the plugin host
// loader against a fake HTTP server, with the server's own HostHttp
// (CurlHostHttp over the libcurl HttpClient, loopback allowed).
//
// Thread-safety: PluginHarness is built once per test; its instances follow
// PluginInstance's contract.
#ifndef CASEBRIDGE_TESTS_INTEGRATION_PLUGIN_TEST_UTIL_H_
#define CASEBRIDGE_TESTS_INTEGRATION_PLUGIN_TEST_UTIL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/http/http_client.h"
#include "server/plugin_host/curl_host_http.h"
#include "server/plugin_host/plugin_loader.h"
#include "server/plugin_host/token_cache.h"

namespace casebridge::testing {

// Loads `<plugin dir>/<file>` with HTTP that may reach 127.0.0.1.
class PluginHarness {
 public:
  explicit PluginHarness(const std::string& file,
                         absl::Duration timeout = absl::Seconds(5));

  const plugin_host::PluginModule& module() const { return *module_; }
  absl::StatusOr<std::unique_ptr<plugin_host::PluginInstance>> Instance(
      const std::string& type_id, const nlohmann::json& config,
      const nlohmann::json& secrets);
  absl::Status Validate(const std::string& type_id,
                        const nlohmann::json& config,
                        const nlohmann::json& secrets);

 private:
  std::unique_ptr<http::HttpClient> client_;
  std::unique_ptr<plugin_host::CurlHostHttp> http_;
  plugin_host::InMemoryTokenCache tokens_;
  std::shared_ptr<plugin_host::PluginModule> module_;
};

// A port on 127.0.0.1 nothing listens on (bound, then closed).
int UnusedPort();

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_INTEGRATION_PLUGIN_TEST_UTIL_H_

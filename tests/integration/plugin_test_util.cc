#include "tests/integration/plugin_test_util.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

namespace casebridge::testing {

PluginHarness::PluginHarness(const std::string& file, absl::Duration timeout) {
  http::HttpClientOptions options;
  options.egress.allow_private_addresses = true;
  options.response_timeout = timeout;
  options.connect_timeout = timeout;
  auto client = http::HttpClient::Create(options);
  if (!client.ok()) std::abort();
  client_ = std::move(*client);
  http_ = std::make_unique<plugin_host::CurlHostHttp>(client_.get());
  plugin_host::LoaderOptions loader;
  loader.services.http = http_.get();
  loader.services.token_cache = &tokens_;
  auto module = plugin_host::LoadPluginFile(
      std::string(CASEBRIDGE_PLUGIN_DIR) + "/" + file, loader);
  if (!module.ok()) std::abort();
  module_ = std::move(*module);
}

absl::StatusOr<std::unique_ptr<plugin_host::PluginInstance>>
PluginHarness::Instance(const std::string& type_id,
                        const nlohmann::json& config,
                        const nlohmann::json& secrets) {
  return plugin_host::PluginInstance::Create(module_, type_id, "connector-1",
                                             config, secrets);
}

absl::Status PluginHarness::Validate(const std::string& type_id,
                                     const nlohmann::json& config,
                                     const nlohmann::json& secrets) {
  return plugin_host::ValidateConfig(*module_, type_id, config, secrets);
}

int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

}  // namespace casebridge::testing

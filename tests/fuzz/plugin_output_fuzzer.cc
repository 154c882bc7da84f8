// Fuzz target: what a plugin hands back from execute. The input becomes the
// status code, error report and output bytes of the relay plugin
// (tests/fuzz/plugins/relay.c, loaded by the real plugin loader), called
// through ConnectorManager::Execute on a preconfigured connector and
// converted with ResultToProto, i.e. what the ExecuteConnector callback
// handler does: the plugin host's output handling, ConnectorManager's result
// mapping and the conversion to the gRPC response. Checks: no crash
// or sanitizer report, no INTERNAL/UNKNOWN status (a bad plugin is a failed
// result, not an RPC error) and a response a client can decode.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "server/api/connector_service.h"
#include "server/api/grpc_status.h"
#include "server/api/json_struct.h"
#include "server/connectors/connector_manager.h"
#include "server/connectors/secret_box.h"
#include "server/connectors/store_token_cache.h"
#include "server/plugin_host/plugin_loader.h"
#include "server/store/sqlite/sqlite_store.h"
#include "server/util/log.h"
#include "tests/fuzz/fuzz_util.h"

namespace casebridge::fuzz {
namespace {

constexpr char kConnectorId[] = "fuzz-relay";

// Everything the service needs; built once, kept for the process.
struct World {
  std::string temp_dir;
  std::unique_ptr<store::Store> store;
  connectors::SecretBox box;
  std::unique_ptr<connectors::StoreTokenCache> tokens;
  plugin_host::LoadedPlugins plugins;
  std::unique_ptr<connectors::ConnectorManager> manager;
};

World* g_world = nullptr;

void RemoveTempDir() {
  if (g_world == nullptr) return;
  std::error_code ec;
  std::filesystem::remove_all(g_world->temp_dir, ec);
}

World* MakeWorld() {
  auto* w = new World();
  std::string pattern =
      (std::filesystem::temp_directory_path() / "casebridge-fuzz.XXXXXX")
          .string();
  if (mkdtemp(pattern.data()) == nullptr) Fail("mkdtemp");
  w->temp_dir = pattern;
  g_world = w;
  std::atexit(RemoveTempDir);

  store::SqliteStoreOptions store_options;
  store_options.path = w->temp_dir + "/fuzz.db";
  auto opened = store::OpenSqliteStore(store_options);
  if (!opened.ok()) Fail("store: " + opened.status().ToString());
  w->store = std::move(*opened);
  w->tokens =
      std::make_unique<connectors::StoreTokenCache>(w->store.get(), &w->box);

  plugin_host::LoaderOptions loader;
  loader.directories = {CASEBRIDGE_FUZZ_PLUGIN_DIR};
  loader.services.token_cache = w->tokens.get();
  loader.max_output_bytes = 64 << 10;  // small, so the cap is reachable
  w->plugins = plugin_host::LoadPlugins(loader);
  if (w->plugins.modules.size() != 1) {
    Fail(std::string("relay plugin not loaded from ") +
         CASEBRIDGE_FUZZ_PLUGIN_DIR);
  }

  connectors::ConnectorManagerOptions options;
  options.execute_threads = 1;
  options.preconfigured.push_back({kConnectorId, "Fuzz relay", ".fuzz-relay",
                                   nlohmann::json::object(),
                                   nlohmann::json::object()});
  auto manager =
      connectors::ConnectorManager::Create(w->store.get(), &w->box, &w->plugins,
                                           w->tokens.get(), std::move(options));
  if (!manager.ok()) Fail("manager: " + manager.status().ToString());
  w->manager = std::move(*manager);
  return w;
}

std::string Hex(const uint8_t* data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

}  // namespace
}  // namespace casebridge::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  casebridge::log::SetLevel(casebridge::log::Level::kError);
  casebridge::fuzz::MakeWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using casebridge::fuzz::g_world;
  if (size > (256 << 10)) return -1;
  casebridge::v1::ExecuteConnectorRequest request;
  request.set_id(casebridge::fuzz::kConnectorId);
  request.set_sub_action("relay");
  (*request.mutable_sub_action_params()->mutable_fields())["hex"]
      .set_string_value(casebridge::fuzz::Hex(data, size));
  casebridge::v1::ExecuteConnectorResponse response;
  auto result = g_world->manager->Execute(
      request.id(), request.sub_action(),
      casebridge::api::StructToJson(request.sub_action_params()),
      casebridge::connectors::ExecuteOptions());
  if (!result.ok()) {
    casebridge::fuzz::CheckStatus(
        casebridge::api::ToGrpcStatus(result.status()));
    casebridge::fuzz::Fail("Execute failed: " + result.status().ToString());
  }
  casebridge::api::ResultToProto(*result, response.mutable_result());
  if (response.result().connector_id() != casebridge::fuzz::kConnectorId) {
    casebridge::fuzz::Fail("result without the connector id");
  }
  casebridge::fuzz::CheckRoundTrip(response);
  return 0;
}

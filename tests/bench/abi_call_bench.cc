// abi_call_bench: the host-side cost of one plugin call through the C ABI.
//
// Loads the integration-test plugin (.test-echo, which echoes its params),
// then times PluginInstance::Execute — params serialised to JSON, the C
// execute call, the output sink, the result parsed back — over many calls on
// one thread, and prints one line:
//   RESULT abi_execute_ns=... calls=N
// Usage: abi_call_bench PLUGIN_SO [CALLS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "nlohmann/json.hpp"
#include "server/plugin_host/plugin_loader.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: abi_call_bench PLUGIN_SO [CALLS]\n");
    return 2;
  }
  const long calls = argc > 2 ? std::atol(argv[2]) : 200000;
  casebridge::plugin_host::LoaderOptions options;
  auto module = casebridge::plugin_host::LoadPluginFile(argv[1], options);
  if (!module.ok()) {
    std::fprintf(stderr, "abi_call_bench: %s\n", std::string(module.status().message()).c_str());
    return 1;
  }
  auto instance = casebridge::plugin_host::PluginInstance::Create(
      *module, ".test-echo", "bench", nlohmann::json::object(), nlohmann::json::object());
  if (!instance.ok()) {
    std::fprintf(stderr, "abi_call_bench: %s\n", std::string(instance.status().message()).c_str());
    return 1;
  }
  const nlohmann::json params = nlohmann::json::object();
  for (int i = 0; i < 1000; ++i) (void)(*instance)->Execute("echo", params);  // warm-up
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) {
    auto outcome = (*instance)->Execute("echo", params);
    if (!outcome.ok() || !outcome->ok()) {
      std::fprintf(stderr, "abi_call_bench: call %ld failed\n", i);
      return 1;
    }
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  std::printf("RESULT abi_execute_ns=%.0f calls=%ld\n", ns / static_cast<double>(calls), calls);
  return 0;
}

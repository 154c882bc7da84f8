// casebridge_plugin_check: loads plugin files with the server's loader and
// prints what they provide; optionally runs one sub-action.
//
//   casebridge_plugin_check PLUGIN.so [TYPE_ID SUB_ACTION [PARAMS_JSON]]
//
// Exit status 0 when the plugin loads (and the sub-action succeeds).
#include <cstdio>
#include <string>

#include "server/plugin_host/plugin_loader.h"

int main(int argc, char** argv) {
  using casebridge::plugin_host::CallOptions;
  using casebridge::plugin_host::LoaderOptions;
  using casebridge::plugin_host::PluginInstance;
  if (argc != 2 && argc != 4 && argc != 5) {
    std::fprintf(stderr,
                 "usage: %s PLUGIN.so [TYPE_ID SUB_ACTION [PARAMS_JSON]]\n",
                 argv[0]);
    return 2;
  }
  auto module =
      casebridge::plugin_host::LoadPluginFile(argv[1], LoaderOptions());
  if (!module.ok()) {
    std::fprintf(stderr, "cannot load %s: %s\n", argv[1],
                 std::string(module.status().message()).c_str());
    return 1;
  }
  std::printf("plugin %s %s \"%s\" abi %u.%u %s\n", (*module)->id().c_str(),
              (*module)->version().c_str(), (*module)->name().c_str(),
              (*module)->abi_major(), (*module)->abi_minor(),
              (*module)->path().c_str());
  for (const auto& type : (*module)->connector_types()) {
    std::string subs;
    for (const auto& sub : type.sub_actions)
      subs += (subs.empty() ? "" : ",") + sub.name;
    std::string features;
    for (const auto& f : type.supported_features)
      features += (features.empty() ? "" : ",") + f;
    std::printf("type %s \"%s\" features=%s sub_actions=%s mappings=%zu\n",
                type.id.c_str(), type.name.c_str(), features.c_str(),
                subs.c_str(), type.default_mappings.size());
  }
  if (argc == 2) return 0;

  nlohmann::json params = nlohmann::json::object();
  if (argc == 5) {
    params = nlohmann::json::parse(argv[4], nullptr, false);
    if (params.is_discarded()) {
      std::fprintf(stderr, "PARAMS_JSON is not valid JSON\n");
      return 2;
    }
  }
  auto instance = PluginInstance::Create(*module, argv[2], "plugin-check",
                                         nlohmann::json::object(),
                                         nlohmann::json::object());
  if (!instance.ok()) {
    std::fprintf(stderr, "instance_create failed: %s\n",
                 std::string(instance.status().message()).c_str());
    return 1;
  }
  CallOptions options;
  options.deadline = absl::Now() + absl::Seconds(30);
  auto outcome = (*instance)->Execute(argv[3], params, options);
  if (!outcome.ok()) {
    std::fprintf(stderr, "execute failed: %s\n",
                 std::string(outcome.status().message()).c_str());
    return 1;
  }
  if (!outcome->ok()) {
    std::fprintf(stderr, "execute returned code %d: %s\n",
                 static_cast<int>(outcome->code), outcome->message.c_str());
    return 1;
  }
  std::printf("result %s\n", outcome->data.dump().c_str());
  return 0;
}

// The plugin host: loads connector plugins (shared objects implementing
// sdk/include/casebridge/plugin_abi.h) at start-up and runs their instances.
//
// LoadPlugins scans directories, loads every *.so with Boost.DLL (absolute
// canonical paths, RTLD_NOW | RTLD_LOCAL, never RTLD_DEEPBIND), negotiates the
// ABI version and validates each descriptor. A bad plugin is skipped with one
// warning log line naming the file and the reason; the others stay usable.
// Loaded libraries are never unloaded (reload means restart).
//
// Ownership and threading: PluginModule is immutable after loading and shared
// (std::shared_ptr) by every PluginInstance made from it. LoadPlugins
// serialises itself with a process-wide mutex. PluginInstance is thread-safe:
// Execute runs on the calling thread; calls on one instance are serialised
// unless the plugin declares concurrent execution. The host does not preempt
// a plugin: deadlines are enforced on host services (HTTP is clamped to the
// deadline, is_cancelled turns true after it) and plugins poll is_cancelled.
// Plugin output is never trusted: it is size-capped and parsed, and unknown
// status codes become UNKNOWN.
#ifndef CASEBRIDGE_SERVER_PLUGIN_HOST_PLUGIN_LOADER_H_
#define CASEBRIDGE_SERVER_PLUGIN_HOST_PLUGIN_LOADER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "casebridge/plugin_abi.h"
#include "nlohmann/json.hpp"
#include "server/plugin_host/host_http.h"
#include "server/plugin_host/token_cache.h"

namespace casebridge::plugin_host {

// Services the host offers plugins. Not owned; must outlive every module and
// instance using them. A null service makes the matching host function fail
// with UNAVAILABLE ("... not configured").
struct HostServices {
  HostHttp* http = nullptr;
  TokenCache* token_cache = nullptr;
};

struct LoaderOptions {
  // Directories scanned (not recursively) for *.so files, in order.
  std::vector<std::string> directories;
  HostServices services;
  // Largest result JSON accepted from one execute.
  size_t max_output_bytes = 4 << 20;
};

struct SubActionInfo {
  std::string name;
  nlohmann::json params_schema;
};

struct FieldMappingInfo {
  std::string source;
  std::string target;
  std::string action;  // "overwrite", "append" or "nothing"
};

// A connector type as declared by a plugin's descriptor, parsed and validated.
struct ConnectorTypeInfo {
  std::string id;
  std::string name;
  std::vector<std::string> supported_features;
  nlohmann::json config_schema;
  nlohmann::json secrets_schema;
  std::vector<SubActionInfo> sub_actions;
  std::vector<FieldMappingInfo> default_mappings;

  const SubActionInfo* FindSubAction(std::string_view name) const;
};

struct HostContext;  // per-module host-side state; defined in host_services.h

// One loaded plugin file. Immutable; never unloaded.
class PluginModule {
 public:
  const std::string& path() const { return path_; }  // absolute, canonical
  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  // The ABI version the plugin was built with.
  uint32_t abi_major() const { return abi_major_; }
  uint32_t abi_minor() const { return abi_minor_; }
  bool concurrent_execute() const {
    return (flags_ & CBP_PLUGIN_FLAG_CONCURRENT_EXECUTE) != 0;
  }
  const std::vector<ConnectorTypeInfo>& connector_types() const {
    return connector_types_;
  }
  const ConnectorTypeInfo* FindType(std::string_view id) const;
  const HostServices& services() const { return services_; }
  size_t max_output_bytes() const { return max_output_bytes_; }
  const cbp_plugin_api* api() const { return api_; }
  HostContext* host_context() const { return host_context_; }

 private:
  friend absl::StatusOr<std::shared_ptr<PluginModule>> LoadPluginFile(
      const std::string& path, const LoaderOptions& options);

  PluginModule() = default;

  std::string path_, id_, name_, version_;
  uint32_t abi_major_ = 0, abi_minor_ = 0, flags_ = 0;
  std::vector<ConnectorTypeInfo> connector_types_;
  HostServices services_;
  size_t max_output_bytes_ = 0;
  const cbp_plugin_api* api_ = nullptr;  // static in the plugin
  HostContext* host_context_ = nullptr;  // leaked on purpose: never unloaded
};

struct SkippedPlugin {
  std::string path;
  std::string reason;
};

// The result of scanning the plugin directories.
struct LoadedPlugins {
  struct TypeRef {
    std::shared_ptr<const PluginModule> module;  // null when not found
    const ConnectorTypeInfo* type = nullptr;
  };

  std::vector<std::shared_ptr<const PluginModule>> modules;  // load order
  std::vector<SkippedPlugin> skipped;

  // Every connector type of every module, sorted by id.
  std::vector<TypeRef> ConnectorTypes() const;
  TypeRef FindType(std::string_view type_id) const;
};

// Loads every *.so in options.directories (sorted by file name within each
// directory). Missing directories and bad plugins are logged and skipped.
// A connector type id already served by an earlier plugin makes the later
// plugin be skipped as a whole.
LoadedPlugins LoadPlugins(const LoaderOptions& options);

// Loads and validates one plugin file. The error message is the reason a
// caller should log (LoadPlugins does). Loading the same file twice returns
// two modules over one mapped library.
absl::StatusOr<std::shared_ptr<PluginModule>> LoadPluginFile(
    const std::string& path, const LoaderOptions& options);

// Per-call parameters.
struct CallOptions {
  absl::Time deadline = absl::InfiniteFuture();
  std::string request_id;
  // Optional: true once the caller went away (e.g. [ctx] { return
  // ctx->IsCancelled(); }). Called from the plugin's thread during the call;
  // must be thread-safe and cheap.
  std::function<bool()> is_cancelled;
};

// What a plugin answered. `code` OK: `data` holds the result. Otherwise the
// plugin's error, with `retryable` already resolved from its explicit flag
// or the code's default class.
struct ExecuteOutcome {
  absl::StatusCode code = absl::StatusCode::kOk;
  nlohmann::json data;     // result on OK
  std::string message;     // error message otherwise
  nlohmann::json details;  // optional error details (JSON) or null
  bool retryable = false;
  int64_t retry_after_ms = 0;  // 0 = none
  // The plugin used a host service that waits on I/O during the call.
  bool used_host_io = false;

  bool ok() const { return code == absl::StatusCode::kOk; }
};

// True for the codes retryable by default (UNAVAILABLE, RESOURCE_EXHAUSTED,
// DEADLINE_EXCEEDED).
bool IsRetryableByDefault(absl::StatusCode code);

// Runs the plugin's optional validate_config hook for `type_id` (OK when the
// plugin has none). Call after JSON Schema validation, before storing a
// connector. Errors carry the plugin's code and message.
absl::Status ValidateConfig(const PluginModule& module,
                            std::string_view type_id,
                            const nlohmann::json& config,
                            const nlohmann::json& secrets);

// One configured connector living in a plugin. Holds its module alive.
class PluginInstance {
 public:
  // Creates the instance through the plugin's instance_create. Errors:
  // NOT_FOUND for an unknown type id, or the plugin's code and message.
  static absl::StatusOr<std::unique_ptr<PluginInstance>> Create(
      std::shared_ptr<const PluginModule> module, std::string_view type_id,
      std::string_view connector_id, const nlohmann::json& config,
      const nlohmann::json& secrets, const CallOptions& options = {});

  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;
  // Calls instance_destroy. The caller ensures no Execute is running.
  ~PluginInstance();

  // Runs `sub_action`. A non-OK status means the host refused the call or
  // the plugin broke the contract (INVALID_ARGUMENT for an undeclared
  // sub-action; INTERNAL "plugin returned invalid JSON"; INTERNAL when the
  // output exceeds the cap). Plugin-reported failures come back as an
  // ExecuteOutcome with a non-OK code.
  absl::StatusOr<ExecuteOutcome> Execute(std::string_view sub_action,
                                         const nlohmann::json& params,
                                         const CallOptions& options = {});

  const PluginModule& module() const { return *module_; }
  const ConnectorTypeInfo& type() const { return *type_; }
  const std::string& connector_id() const { return connector_id_; }

 private:
  PluginInstance(std::shared_ptr<const PluginModule> module,
                 const ConnectorTypeInfo* type, std::string connector_id);

  std::shared_ptr<const PluginModule> module_;
  const ConnectorTypeInfo* type_;
  std::string connector_id_;
  cbp_instance* instance_ = nullptr;
  std::mutex mu_;  // serialises calls unless concurrent_execute
};

}  // namespace casebridge::plugin_host

#endif  // CASEBRIDGE_SERVER_PLUGIN_HOST_PLUGIN_LOADER_H_

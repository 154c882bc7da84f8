#include "server/plugin_host/plugin_loader.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/dll/shared_library.hpp"
#include "server/metrics/metrics.h"
#include "server/plugin_host/host_services.h"
#include "server/util/log.h"

namespace casebridge::plugin_host {
namespace {

constexpr char kLogComponent[] = "plugin_host";
constexpr size_t kMaxConnectorTypes = 256;
constexpr size_t kMaxListItems = 1024;
constexpr size_t kMaxMessageBytes = 16 << 10;
constexpr size_t kMaxDetailsBytes = 64 << 10;
constexpr int64_t kMaxRetryAfterMs = int64_t{24} * 3600 * 1000;

// Boost.DLL loading is not guaranteed thread-safe everywhere; serialise.
std::mutex g_load_mutex;

// Libraries and host tables stay alive for the life of the process: plugins
// are never unloaded and may keep the host table. Guarded by g_load_mutex.
struct KeepAlive {
  std::vector<std::unique_ptr<boost::dll::shared_library>> libraries;
  std::vector<HostContext*> host_contexts;
};
KeepAlive& Kept() {
  static auto* kept = new KeepAlive();  // never destroyed: no dlclose at exit
  return *kept;
}

// Smallest cbp_plugin_api a 1.0 host can use: up to and including execute.
constexpr size_t kMinPluginApiSize =
    offsetof(cbp_plugin_api, execute) + sizeof(cbp_plugin_api::execute);

std::string Str(const char* s) {
  return s == nullptr ? std::string() : std::string(s);
}

bool ParseJsonObject(const char* text, nlohmann::json* out) {
  if (text == nullptr) return false;
  *out = nlohmann::json::parse(text, nullptr, false);
  return !out->is_discarded() && out->is_object();
}

// "MAJOR.MINOR.PATCH" with optional -prerelease/+build.
bool IsSemver(std::string_view v) {
  int parts = 0;
  size_t i = 0;
  while (parts < 3) {
    size_t start = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    if (i == start) return false;
    ++parts;
    if (parts < 3) {
      if (i >= v.size() || v[i] != '.') return false;
      ++i;
    }
  }
  return i == v.size() || v[i] == '-' || v[i] == '+';
}

absl::Status ValidateType(const cbp_connector_type* t, size_t index,
                          ConnectorTypeInfo* out) {
  std::string where = absl::StrCat("connector type #", index);
  if (!CBP_HAS_FIELD(t, cbp_connector_type, default_mapping_count)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " is null or too small"));
  }
  out->id = Str(t->id);
  out->name = Str(t->name);
  if (out->id.empty())
    return absl::InvalidArgumentError(absl::StrCat(where, " has an empty id"));
  where = absl::StrCat("connector type \"", out->id, "\"");
  if (out->name.empty())
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has an empty name"));
  if (t->supported_feature_count > kMaxListItems ||
      (t->supported_feature_count > 0 && t->supported_features == nullptr)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has a bad supported_features array"));
  }
  for (size_t i = 0; i < t->supported_feature_count; ++i) {
    std::string feature = Str(t->supported_features[i]);
    if (feature.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " has an empty feature id"));
    }
    out->supported_features.push_back(std::move(feature));
  }
  if (!ParseJsonObject(t->config_schema_json, &out->config_schema)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": config schema is not a valid JSON object"));
  }
  if (!ParseJsonObject(t->secrets_schema_json, &out->secrets_schema)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": secrets schema is not a valid JSON object"));
  }
  if (t->sub_action_count == 0 || t->sub_action_count > kMaxListItems ||
      t->sub_actions == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " declares no sub-actions"));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < t->sub_action_count; ++i) {
    const cbp_sub_action* s = t->sub_actions[i];
    if (!CBP_HAS_FIELD(s, cbp_sub_action, params_schema_json)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": sub-action #", i, " is null"));
    }
    SubActionInfo info;
    info.name = Str(s->name);
    if (info.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": sub-action #", i, " has no name"));
    }
    if (!names.insert(info.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": duplicate sub-action \"", info.name, "\""));
    }
    if (!ParseJsonObject(s->params_schema_json, &info.params_schema)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": params schema of sub-action \"", info.name,
                       "\" is not a valid JSON object"));
    }
    out->sub_actions.push_back(std::move(info));
  }
  if (t->default_mapping_count > kMaxListItems ||
      (t->default_mapping_count > 0 && t->default_mappings == nullptr)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has a bad default_mappings array"));
  }
  for (size_t i = 0; i < t->default_mapping_count; ++i) {
    const cbp_field_mapping* m = t->default_mappings[i];
    if (!CBP_HAS_FIELD(m, cbp_field_mapping, action)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": mapping #", i, " is null"));
    }
    FieldMappingInfo info{Str(m->source), Str(m->target), Str(m->action)};
    if (info.source.empty() || info.target.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": mapping #", i, " has an empty source or target"));
    }
    if (info.action != "overwrite" && info.action != "append" &&
        info.action != "nothing") {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": mapping #", i, " has action \"", info.action,
                       "\" (want overwrite, append or nothing)"));
    }
    out->default_mappings.push_back(std::move(info));
  }
  return absl::OkStatus();
}

absl::StatusCode ToStatusCode(cbp_status code, bool* known) {
  *known = code >= CBP_STATUS_OK && code <= CBP_STATUS_UNAUTHENTICATED;
  return *known ? static_cast<absl::StatusCode>(code)
                : absl::StatusCode::kUnknown;
}

// Counts one execute call per connector type, sub-action and result code.
void RecordExecuteMetrics(std::string_view type_id, std::string_view sub_action,
                          cbp_status rc, double seconds) {
  bool known = false;
  const absl::StatusCode code = ToStatusCode(rc, &known);
  metrics::RecordPluginCall(type_id, sub_action, absl::StatusCodeToString(code),
                            seconds);
}

// Collects the plugin's output, refusing more than `cap` bytes.
struct OutputBuffer {
  std::string data;
  size_t cap = 0;
  bool overflow = false;

  static int Write(void* ctx, const char* bytes, size_t size) {
    auto* self = static_cast<OutputBuffer*>(ctx);
    if (self->overflow || size > self->cap - self->data.size()) {
      self->overflow = true;
      return 1;
    }
    if (size > 0 && bytes == nullptr) return 1;
    self->data.append(bytes, size);
    return 0;
  }
};

// Collects the plugin's error report.
struct ErrorReport {
  bool set = false;
  cbp_status code = CBP_STATUS_UNKNOWN;
  std::string message;
  std::string details;
  int32_t retryable = CBP_RETRY_DEFAULT;
  int64_t retry_after_ms = 0;

  static void Report(void* ctx, cbp_status code, const char* message,
                     size_t message_size, const char* details,
                     size_t details_size, int32_t retryable,
                     int64_t retry_after_ms) {
    auto* self = static_cast<ErrorReport*>(ctx);
    self->set = true;
    self->code = code;
    self->message.assign(
        message == nullptr ? "" : message,
        message == nullptr ? 0 : std::min(message_size, kMaxMessageBytes));
    self->details.assign(
        details == nullptr ? "" : details,
        details == nullptr ? 0 : std::min(details_size, kMaxDetailsBytes + 1));
    self->retryable = retryable;
    self->retry_after_ms = retry_after_ms;
  }

  cbp_error_sink Sink() {
    cbp_error_sink sink{};
    sink.struct_size = sizeof(sink);
    sink.ctx = this;
    sink.report = &ErrorReport::Report;
    return sink;
  }
};

cbp_call_ctx MakeCallCtx(const CallState& state,
                         const std::string& request_id) {
  cbp_call_ctx call{};
  call.struct_size = sizeof(call);
  call.deadline_unix_ms = state.deadline == absl::InfiniteFuture()
                              ? 0
                              : absl::ToUnixMillis(state.deadline);
  if (call.deadline_unix_ms == 0 && state.deadline != absl::InfiniteFuture()) {
    call.deadline_unix_ms = 1;  // a deadline at the epoch is still a deadline
  }
  call.request_id = {request_id.data(), request_id.size()};
  call.connector_id = {state.connector_id.data(), state.connector_id.size()};
  call.host_handle = const_cast<CallState*>(&state);
  return call;
}

}  // namespace

const SubActionInfo* ConnectorTypeInfo::FindSubAction(
    std::string_view name) const {
  for (const auto& sub : sub_actions) {
    if (sub.name == name) return &sub;
  }
  return nullptr;
}

const ConnectorTypeInfo* PluginModule::FindType(std::string_view id) const {
  for (const auto& type : connector_types_) {
    if (type.id == id) return &type;
  }
  return nullptr;
}

bool IsRetryableByDefault(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kDeadlineExceeded;
}

absl::StatusOr<std::shared_ptr<PluginModule>> LoadPluginFile(
    const std::string& path, const LoaderOptions& options) {
  std::error_code fs_error;
  std::filesystem::path canonical = std::filesystem::canonical(path, fs_error);
  if (fs_error) {
    return absl::NotFoundError(
        absl::StrCat("cannot resolve path: ", fs_error.message()));
  }
  if (!std::filesystem::is_regular_file(canonical, fs_error)) {
    return absl::FailedPreconditionError("not a regular file");
  }

  std::lock_guard<std::mutex> lock(g_load_mutex);
  boost::dll::fs::error_code ec;
  auto owned = std::make_unique<boost::dll::shared_library>(
      canonical, ec,
      boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (ec || !owned->is_loaded()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load shared object: ", ec.message()));
  }
  // Never unloaded, even when rejected below: its constructors have run.
  boost::dll::shared_library* library = owned.get();
  Kept().libraries.push_back(std::move(owned));
  if (!library->has(CBP_ENTRY_SYMBOL)) {
    return absl::FailedPreconditionError(
        absl::StrCat("missing entry symbol ", CBP_ENTRY_SYMBOL));
  }
  auto entry =
      library
          ->get<const cbp_plugin_api*(uint32_t, uint32_t, const cbp_host_api*)>(
              CBP_ENTRY_SYMBOL);

  auto module = std::shared_ptr<PluginModule>(new PluginModule());
  module->path_ = canonical.string();
  module->services_ = options.services;
  module->max_output_bytes_ = options.max_output_bytes;
  module->host_context_ =
      NewHostContext(absl::StrCat("plugin:", canonical.filename().string()));
  Kept().host_contexts.push_back(module->host_context_);

  const cbp_plugin_api* api =
      entry(CBP_ABI_VERSION_MAJOR, CBP_ABI_VERSION_MINOR,
            &module->host_context_->api);
  if (api == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("plugin refused host ABI ", CBP_ABI_VERSION_MAJOR, ".",
                     CBP_ABI_VERSION_MINOR, " (entry returned null)"));
  }
  if (api->struct_size <
      offsetof(cbp_plugin_api, abi_minor) + sizeof(uint32_t)) {
    return absl::FailedPreconditionError("plugin API table is too small");
  }
  if (api->abi_major != CBP_ABI_VERSION_MAJOR) {
    return absl::FailedPreconditionError(absl::StrCat(
        "plugin ABI major version ", api->abi_major, " (", api->abi_major, ".",
        api->abi_minor, "), host supports ", CBP_ABI_VERSION_MAJOR, ".x"));
  }
  if (api->struct_size < kMinPluginApiSize) {
    return absl::FailedPreconditionError(
        absl::StrCat("plugin API table is ", api->struct_size,
                     " bytes, ABI 1.0 needs ", kMinPluginApiSize));
  }
  if (api->instance_create == nullptr || api->instance_destroy == nullptr ||
      api->execute == nullptr) {
    return absl::FailedPreconditionError(
        "plugin API table lacks instance_create, instance_destroy or execute");
  }
  module->api_ = api;
  module->abi_major_ = api->abi_major;
  module->abi_minor_ = api->abi_minor;
  module->flags_ = api->flags;

  const cbp_plugin_descriptor* d = api->descriptor;
  if (!CBP_HAS_FIELD(d, cbp_plugin_descriptor, connector_type_count)) {
    return absl::InvalidArgumentError("descriptor is null or too small");
  }
  module->id_ = Str(d->id);
  module->name_ = Str(d->name);
  module->version_ = Str(d->version);
  if (module->id_.empty())
    return absl::InvalidArgumentError("descriptor has an empty plugin id");
  if (module->name_.empty()) {
    return absl::InvalidArgumentError("descriptor has an empty plugin name");
  }
  if (!IsSemver(module->version_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plugin version \"", module->version_, "\" is not semver"));
  }
  if (d->connector_type_count == 0 || d->connector_types == nullptr) {
    return absl::InvalidArgumentError("descriptor declares no connector types");
  }
  if (d->connector_type_count > kMaxConnectorTypes) {
    return absl::InvalidArgumentError(
        "descriptor declares too many connector types");
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < d->connector_type_count; ++i) {
    ConnectorTypeInfo info;
    absl::Status status = ValidateType(d->connector_types[i], i, &info);
    if (!status.ok()) return status;
    if (!ids.insert(info.id).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "duplicate connector type id \"", info.id, "\" within the plugin"));
    }
    module->connector_types_.push_back(std::move(info));
  }
  SetLogComponent(module->host_context_, absl::StrCat("plugin:", module->id_));
  return module;
}

LoadedPlugins LoadPlugins(const LoaderOptions& options) {
  LoadedPlugins loaded;
  std::set<std::string> seen_paths;
  std::map<std::string, std::string> type_owner;  // type id -> plugin path
  auto skip = [&loaded](const std::string& path, std::string reason) {
    log::Warn(kLogComponent, "skipping plugin ", path, ": ", reason);
    loaded.skipped.push_back({path, std::move(reason)});
  };
  for (const std::string& dir : options.directories) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->path().extension() == ".so") files.push_back(it->path());
    }
    if (ec) {
      log::Warn(kLogComponent, "cannot scan plugin directory ", dir, ": ",
                ec.message());
      continue;
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::error_code canon_error;
      std::filesystem::path abs = std::filesystem::absolute(file, canon_error);
      std::string display =
          canon_error ? file.string() : abs.lexically_normal().string();
      std::filesystem::path canonical =
          std::filesystem::canonical(file, canon_error);
      if (!canon_error && !seen_paths.insert(canonical.string()).second) {
        continue;  // the same file under another name
      }
      auto module = LoadPluginFile(file.string(), options);
      if (!module.ok()) {
        skip(display, std::string(module.status().message()));
        continue;
      }
      const std::string& path = (*module)->path();
      std::string clash;
      for (const auto& type : (*module)->connector_types()) {
        auto it = type_owner.find(type.id);
        if (it != type_owner.end()) {
          clash = absl::StrCat("connector type id \"", type.id,
                               "\" is already provided by ", it->second);
          break;
        }
      }
      if (!clash.empty()) {
        skip(path, clash);
        continue;
      }
      for (const auto& type : (*module)->connector_types())
        type_owner[type.id] = path;
      log::Info(kLogComponent, "loaded plugin ", (*module)->id(), " ",
                (*module)->version(), " (ABI ", (*module)->abi_major(), ".",
                (*module)->abi_minor(), ", ",
                (*module)->connector_types().size(), " connector types) from ",
                path);
      loaded.modules.push_back(*std::move(module));
    }
  }
  return loaded;
}

std::vector<LoadedPlugins::TypeRef> LoadedPlugins::ConnectorTypes() const {
  std::vector<TypeRef> types;
  for (const auto& module : modules) {
    for (const auto& type : module->connector_types())
      types.push_back({module, &type});
  }
  std::sort(types.begin(), types.end(), [](const TypeRef& a, const TypeRef& b) {
    return a.type->id < b.type->id;
  });
  return types;
}

LoadedPlugins::TypeRef LoadedPlugins::FindType(std::string_view type_id) const {
  for (const auto& module : modules) {
    if (const ConnectorTypeInfo* type = module->FindType(type_id))
      return {module, type};
  }
  return {};
}

absl::Status ValidateConfig(const PluginModule& module,
                            std::string_view type_id,
                            const nlohmann::json& config,
                            const nlohmann::json& secrets) {
  const ConnectorTypeInfo* type = module.FindType(type_id);
  if (type == nullptr) {
    return absl::NotFoundError(absl::StrCat("plugin ", module.id(),
                                            " has no connector type \"",
                                            std::string(type_id), "\""));
  }
  const cbp_plugin_api* api = module.api();
  if (!CBP_HAS_FIELD(api, cbp_plugin_api, validate_config) ||
      api->validate_config == nullptr) {
    return absl::OkStatus();
  }
  std::string config_text = config.dump();
  std::string secrets_text = secrets.dump();
  ErrorReport report;
  cbp_error_sink err = report.Sink();
  cbp_status rc = api->validate_config(
      type->id.data(), type->id.size(), config_text.data(), config_text.size(),
      secrets_text.data(), secrets_text.size(), &err);
  if (rc == CBP_STATUS_OK) return absl::OkStatus();
  bool known = false;
  absl::StatusCode code = ToStatusCode(rc, &known);
  std::string message =
      report.set && !report.message.empty()
          ? report.message
          : absl::StrCat("plugin rejected the configuration (code ", rc, ")");
  if (!known)
    message =
        absl::StrCat("plugin returned unknown status code ", rc, ": ", message);
  return absl::Status(code, message);
}

PluginInstance::PluginInstance(std::shared_ptr<const PluginModule> module,
                               const ConnectorTypeInfo* type,
                               std::string connector_id)
    : module_(std::move(module)),
      type_(type),
      connector_id_(std::move(connector_id)) {}

PluginInstance::~PluginInstance() {
  if (instance_ != nullptr) module_->api()->instance_destroy(instance_);
}

absl::StatusOr<std::unique_ptr<PluginInstance>> PluginInstance::Create(
    std::shared_ptr<const PluginModule> module, std::string_view type_id,
    std::string_view connector_id, const nlohmann::json& config,
    const nlohmann::json& secrets, const CallOptions& options) {
  if (module == nullptr) return absl::InvalidArgumentError("no plugin module");
  const ConnectorTypeInfo* type = module->FindType(type_id);
  if (type == nullptr) {
    return absl::NotFoundError(absl::StrCat("plugin ", module->id(),
                                            " has no connector type \"",
                                            std::string(type_id), "\""));
  }
  std::string config_text = config.dump();
  std::string secrets_text = secrets.dump();
  CallState state;
  state.services = &module->services();
  state.deadline = options.deadline;
  state.is_cancelled = &options.is_cancelled;
  state.connector_id = std::string(connector_id);
  cbp_call_ctx call = MakeCallCtx(state, options.request_id);
  ErrorReport report;
  cbp_error_sink err = report.Sink();

  std::unique_ptr<PluginInstance> instance(
      new PluginInstance(module, type, std::string(connector_id)));
  cbp_instance* handle = nullptr;
  cbp_status rc = module->api()->instance_create(
      type->id.data(), type->id.size(), config_text.data(), config_text.size(),
      secrets_text.data(), secrets_text.size(), &call, &handle, &err);
  if (rc == CBP_STATUS_OK && handle != nullptr) {
    instance->instance_ = handle;
    return instance;
  }
  if (rc == CBP_STATUS_OK) {
    return absl::InternalError(
        absl::StrCat("plugin ", module->id(), " returned OK but no instance"));
  }
  if (handle != nullptr) module->api()->instance_destroy(handle);
  bool known = false;
  absl::StatusCode code = ToStatusCode(rc, &known);
  std::string message = report.set && !report.message.empty()
                            ? report.message
                            : absl::StrCat("plugin failed with code ", rc);
  if (!known)
    message =
        absl::StrCat("plugin returned unknown status code ", rc, ": ", message);
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kUnknown;
  return absl::Status(code, message);
}

absl::StatusOr<ExecuteOutcome> PluginInstance::Execute(
    std::string_view sub_action, const nlohmann::json& params,
    const CallOptions& options) {
  if (type_->FindSubAction(sub_action) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("connector type ", type_->id, " has no sub-action \"",
                     std::string(sub_action), "\""));
  }
  std::string params_text = params.dump();
  CallState state;
  state.services = &module_->services();
  state.deadline = options.deadline;
  state.is_cancelled = &options.is_cancelled;
  state.connector_id = connector_id_;
  cbp_call_ctx call = MakeCallCtx(state, options.request_id);
  OutputBuffer output;
  output.cap = module_->max_output_bytes();
  cbp_sink out{&output, &OutputBuffer::Write};
  ErrorReport report;
  cbp_error_sink err = report.Sink();

  cbp_status rc;
  const auto call_start = std::chrono::steady_clock::now();
  {
    std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
    if (!module_->concurrent_execute()) lock.lock();
    rc = module_->api()->execute(instance_, &call, sub_action.data(),
                                 sub_action.size(), params_text.data(),
                                 params_text.size(), &out, &err);
  }
  RecordExecuteMetrics(type_->id, sub_action, rc,
                       metrics::SecondsSince(call_start));

  ExecuteOutcome outcome;
  outcome.used_host_io = state.used_io.load(std::memory_order_relaxed);
  if (rc == CBP_STATUS_OK) {
    if (output.overflow) {
      return absl::InternalError(
          absl::StrCat("plugin output exceeds ", output.cap, " bytes"));
    }
    if (output.data.empty()) {
      outcome.data = nullptr;
      return outcome;
    }
    outcome.data = nlohmann::json::parse(output.data, nullptr, false);
    if (outcome.data.is_discarded()) {
      return absl::InternalError("plugin returned invalid JSON");
    }
    return outcome;
  }

  bool known = false;
  outcome.code = ToStatusCode(rc, &known);
  outcome.message =
      report.set && !report.message.empty()
          ? report.message
          : absl::StrCat("plugin failed with code ", rc, " and no message");
  if (!known) {
    outcome.message = absl::StrCat("plugin returned unknown status code ", rc,
                                   ": ", outcome.message);
  }
  if (report.set && !report.details.empty()) {
    if (report.details.size() > kMaxDetailsBytes) {
      log::Warn(kLogComponent, "plugin ", module_->id(),
                " error details too large; dropped");
    } else {
      nlohmann::json details =
          nlohmann::json::parse(report.details, nullptr, false);
      if (details.is_discarded()) {
        log::Warn(kLogComponent, "plugin ", module_->id(),
                  " returned invalid JSON error details; dropped");
      } else {
        outcome.details = std::move(details);
      }
    }
  }
  int32_t retryable = report.set ? report.retryable : CBP_RETRY_DEFAULT;
  outcome.retryable = retryable == CBP_RETRY_YES ? true
                      : retryable == CBP_RETRY_NO
                          ? false
                          : IsRetryableByDefault(outcome.code);
  if (report.set && report.retry_after_ms > 0) {
    outcome.retry_after_ms = std::min(report.retry_after_ms, kMaxRetryAfterMs);
  }
  return outcome;
}

}  // namespace casebridge::plugin_host

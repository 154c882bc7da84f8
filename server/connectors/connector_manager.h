// ConnectorManager: the connector registry and operations behind
// ConnectorService (and CaseService.FindConnectors). It knows the connector
// types of the loaded plugins, stores connectors with sealed secrets, keeps
// the immutable preconfigured connectors from the config file, validates
// config/secrets/params against each type's JSON Schemas before a plugin sees
// them, and runs sub-actions on cached plugin instances under a deadline.
//
// Thread-safe: one instance serves all calls. Borrows the store, the secret
// box, the loaded plugins and the token cache, which must outlive it.
// Errors follow server/util/status.h: INVALID_ARGUMENT with field violations
// ("name", "config.apiUrl", "secrets.password"), NOT_FOUND, ALREADY_EXISTS,
// FAILED_PRECONDITION (type disabled, no encryption key). A connector run that
// fails is an ExecuteResult with ok = false, never an error status.
//
// Execute keeps each connector's record (with its sealed secrets) and plugin
// instance in memory, keyed by the record's updated_at. Update and Delete
// through this manager drop them at once; a change made by another process
// sharing the store is seen after at most `connector_cache_ttl`.
#ifndef CASEBRIDGE_SERVER_CONNECTORS_CONNECTOR_MANAGER_H_
#define CASEBRIDGE_SERVER_CONNECTORS_CONNECTOR_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/connectors/deadline_timer.h"
#include "server/connectors/json_schema.h"
#include "server/connectors/secret_box.h"
#include "server/connectors/store_token_cache.h"
#include "server/plugin_host/plugin_loader.h"
#include "server/store/store.h"
#include "server/util/worker_pool.h"

namespace casebridge::connectors {

// A connector defined in the config file.
struct PreconfiguredConnectorSpec {
  std::string id;
  std::string name;
  std::string connector_type_id;
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json secrets = nlohmann::json::object();
};

struct ConnectorManagerOptions {
  std::vector<std::string> enabled_connector_types = {"*"};
  std::vector<PreconfiguredConnectorSpec> preconfigured;
  // Cap on one execute when the caller's deadline is later (or absent).
  absl::Duration execute_timeout = absl::Seconds(60);
  int execute_threads = 8;
  // Most plugin calls that may run on the caller's thread at once (see
  // ExecuteAsync); 0 sends every call to the execute workers.
  int inline_execute_slots = 2;
  // How long Execute trusts a connector record it has read (see above).
  absl::Duration connector_cache_ttl = absl::Seconds(1);
};

// A connector type as the API shows it.
struct ConnectorTypeView {
  const plugin_host::ConnectorTypeInfo* info = nullptr;
  std::shared_ptr<const plugin_host::PluginModule> module;
  bool enabled_in_config = false;
};

// A connector as the API shows it (never its secrets).
struct ConnectorView {
  std::string id;
  std::string connector_type_id;
  std::string name;
  nlohmann::json config;  // null for preconfigured connectors
  bool is_preconfigured = false;
  bool is_deprecated = false;
  bool is_missing_secrets = false;
  int64_t referenced_by_count = 0;  // filled by List and Delete only
  absl::Time created_at;
  absl::Time updated_at;
};

struct CreateConnectorParams {
  std::optional<std::string> id;
  std::string connector_type_id;
  std::string name;
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json secrets = nlohmann::json::object();
};

struct UpdateConnectorParams {
  std::string id;
  std::string name;
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json secrets = nlohmann::json::object();
};

// Kibana's run-connector response.
struct ExecuteResult {
  bool ok = false;
  std::string connector_id;
  nlohmann::json data;  // result on success
  std::string message;
  std::string service_message;
  bool retry = false;
  std::optional<absl::Time> retry_at;
  // The plugin's status code for a failed run; kUnknown when the host
  // produced the failure (timeout, contract violation).
  absl::StatusCode code = absl::StatusCode::kUnknown;
};

struct ExecuteOptions {
  absl::Time deadline = absl::InfiniteFuture();  // the caller's deadline
  std::string request_id;
  std::function<bool()> is_cancelled;  // optional
};

// Completion of ExecuteAsync: called exactly once, on any thread.
using ExecuteDone = std::function<void(absl::StatusOr<ExecuteResult>)>;

// A started ExecuteAsync. Thread-safe; may outlive the manager.
class ExecuteHandle {
 public:
  virtual ~ExecuteHandle() = default;
  // Gives up on the run: completes it at once with a retryable "cancelled"
  // result and tells the plugin; nothing when it has already completed.
  virtual void Cancel() = 0;
};

class ConnectorManager {
 public:
  // Builds the type registry from `plugins` and checks and seals the
  // preconfigured connectors (with a process-local key: they never reach
  // disk). A preconfigured connector of an unknown type or with an invalid
  // config is an error naming it.
  static absl::StatusOr<std::unique_ptr<ConnectorManager>> Create(
      store::Store* store, const SecretBox* box,
      const plugin_host::LoadedPlugins* plugins, StoreTokenCache* tokens,
      ConnectorManagerOptions options);
  ~ConnectorManager();

  // Every type of every loaded plugin, sorted by id; with `feature_id`, only
  // the types supporting it.
  std::vector<ConnectorTypeView> ListConnectorTypes(
      const std::optional<std::string>& feature_id) const;

  absl::StatusOr<ConnectorView> Create(const CreateConnectorParams& params);
  absl::StatusOr<ConnectorView> Get(std::string_view id);
  // Stored and preconfigured connectors, sorted by name, each with its
  // referenced_by_count.
  absl::StatusOr<std::vector<ConnectorView>> List();
  absl::StatusOr<ConnectorView> Update(const UpdateConnectorParams& params);
  // Returns how many cases and configurations still referenced it.
  absl::StatusOr<int64_t> Delete(std::string_view id);

  // Runs `sub_action`. NOT_FOUND only for an unknown connector id;
  // FAILED_PRECONDITION when its type is disabled or its secrets cannot be
  // opened (no key); every other failure is a result with ok = false.
  absl::StatusOr<ExecuteResult> Execute(std::string_view id,
                                        std::string_view sub_action,
                                        const nlohmann::json& params,
                                        const ExecuteOptions& options);

  // When a sub-action's plugin calls may run inline (see ExecuteAsync).
  static constexpr int kInlineStreak = 32;
  static constexpr absl::Duration kInlineCallLimit = absl::Milliseconds(1);

  // Execute without blocking: `done` gets what Execute would return. It runs
  // on the calling thread when the run ends before reaching the plugin
  // (unknown connector, invalid params, ...), else on the thread where the
  // plugin returns or on the deadline timer's thread when the deadline passes
  // first. `options.is_cancelled` is not polled: call Cancel() on the
  // returned handle instead. Never returns null.
  //
  // The plugin runs on an execute worker, or on the calling thread (before
  // ExecuteAsync returns) when its sub-action has proven cheap: its last
  // kInlineStreak calls each returned within kInlineCallLimit without host
  // I/O (HTTP, token cache). That saves two thread hand-offs per call. At
  // most `inline_execute_slots` calls run inline at once, so a plugin that
  // turns slow or hangs holds at most that many caller threads; its deadline
  // still ends the run on time, and its next calls go to the workers.
  std::shared_ptr<ExecuteHandle> ExecuteAsync(std::string_view id,
                                              std::string_view sub_action,
                                              nlohmann::json params,
                                              const ExecuteOptions& options,
                                              ExecuteDone done);

  // Validates `config` and `secrets` for the type and runs its "handshake"
  // sub-action on a throw-away instance; nothing is stored.
  absl::StatusOr<ExecuteResult> Test(std::string_view connector_type_id,
                                     const nlohmann::json& config,
                                     const nlohmann::json& secrets,
                                     const ExecuteOptions& options);

  // Connectors usable for cases: their type supports the "cases" feature and
  // is enabled; at most 1000, sorted by name.
  absl::StatusOr<std::vector<ConnectorView>> ListCaseConnectors();

 private:
  struct TypeEntry;
  struct Preconfigured;
  struct InstanceCache;
  struct ConnectorRecord;
  struct RecordCache;
  struct SubActionProfile;
  using PluginCall = std::function<absl::StatusOr<plugin_host::ExecuteOutcome>(
      const plugin_host::CallOptions&)>;

  ConnectorManager() = default;

  const TypeEntry* FindType(std::string_view type_id) const;
  const Preconfigured* FindPreconfigured(std::string_view id) const;
  absl::Status ValidateConnectorInput(const TypeEntry& type,
                                      const nlohmann::json& config,
                                      const nlohmann::json& secrets,
                                      ValidationErrors* errors) const;
  ConnectorView ViewOf(const store::Connector& c) const;
  ConnectorView ViewOf(const Preconfigured& p) const;
  void DropInstance(const std::string& id);
  // The record Execute runs `id` with: preconfigured, cached or read.
  absl::StatusOr<std::shared_ptr<const ConnectorRecord>> RecordFor(
      const std::string& id);
  // Runs `call` under `deadline` on the worker pool, or on this thread when
  // `profile` says it is cheap and an inline slot is free (see
  // ExecuteAsync); `done` gets its result. `profile` may be null.
  std::shared_ptr<ExecuteHandle> StartRun(
      std::string connector_id, PluginCall call, absl::Time deadline,
      const std::string& request_id, std::shared_ptr<SubActionProfile> profile,
      ExecuteDone done);
  // Claims one of the `inline_execute_slots`; false when all are taken.
  bool TakeInlineSlot();
  // Blocks until a run started by `start` completes, cancelling it when
  // `options.is_cancelled` says so.
  static absl::StatusOr<ExecuteResult> Wait(
      const std::function<std::shared_ptr<ExecuteHandle>(ExecuteDone)>& start,
      const ExecuteOptions& options);
  absl::Time EffectiveDeadline(absl::Time caller_deadline) const;

  store::Store* store_ = nullptr;
  const SecretBox* box_ = nullptr;
  StoreTokenCache* tokens_ = nullptr;
  ConnectorManagerOptions options_;
  std::vector<std::unique_ptr<TypeEntry>> types_;              // sorted by id
  std::vector<std::unique_ptr<Preconfigured>> preconfigured_;  // by id
  SecretBox preconfigured_box_;  // process-local key
  std::shared_ptr<InstanceCache> instances_;
  std::unique_ptr<RecordCache> records_;
  std::unique_ptr<WorkerPool> pool_;
  std::shared_ptr<DeadlineTimer> timer_;
  std::atomic<int> inline_calls_{0};  // plugin calls running inline now
};

}  // namespace casebridge::connectors

#endif  // CASEBRIDGE_SERVER_CONNECTORS_CONNECTOR_MANAGER_H_

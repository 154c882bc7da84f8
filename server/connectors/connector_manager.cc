#include "server/connectors/connector_manager.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "openssl/rand.h"
#include "server/connectors/connector_rules.h"
#include "server/metrics/metrics.h"
#include "server/util/ids.h"
#include "server/util/log.h"
#include "server/util/status.h"
#include "server/util/utf8.h"

namespace casebridge::connectors {
namespace {

constexpr char kLog[] = "connectors";
constexpr size_t kMaxCaseConnectors = 1000;

// Overwrites every string in a JSON value holding plaintext secrets.
void WipeJson(nlohmann::json& value) {
  if (value.is_string()) {
    Wipe(value.get_ref<std::string&>());
  } else if (value.is_structured()) {
    for (auto& item : value) WipeJson(item);
  }
}

std::string Trimmed(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

ExecuteResult ErrorResult(std::string connector_id, std::string message,
                          bool retry = false) {
  ExecuteResult r;
  r.ok = false;
  r.connector_id = std::move(connector_id);
  // Plugin text ends up in proto3 strings, which clients refuse unless UTF-8.
  r.message = ToValidUtf8(message);
  r.retry = retry;
  return r;
}

ExecuteResult CancelledResult(std::string connector_id) {
  return ErrorResult(
      std::move(connector_id),
      "the caller cancelled the call; the connector run was abandoned", true);
}

ExecuteResult DeadlineResult(std::string connector_id) {
  return ErrorResult(
      std::move(connector_id),
      "DEADLINE_EXCEEDED: the connector did not finish before its "
      "deadline (connectors.execute_timeout_ms or the call deadline)",
      true);
}

// Kibana's run result from what the plugin (or the host) returned.
ExecuteResult ResultOf(std::string connector_id,
                       absl::StatusOr<plugin_host::ExecuteOutcome> outcome) {
  if (!outcome.ok()) {
    // The host refused the call or the plugin broke the contract.
    return ErrorResult(std::move(connector_id),
                       std::string(outcome.status().message()), false);
  }
  ExecuteResult r;
  r.connector_id = std::move(connector_id);
  if (outcome->ok()) {
    r.ok = true;
    r.data = std::move(outcome->data);
    return r;
  }
  r.ok = false;
  r.code = outcome->code;
  r.message = outcome->message.empty()
                  ? absl::StrCat("connector failed with ",
                                 absl::StatusCodeToString(outcome->code))
                  : ToValidUtf8(outcome->message);
  const nlohmann::json& details = outcome->details;
  if (details.is_object() && details.contains("service_message") &&
      details["service_message"].is_string()) {
    r.service_message =
        ToValidUtf8(details["service_message"].get<std::string>());
  } else if (details.is_string()) {
    r.service_message = ToValidUtf8(details.get<std::string>());
  } else if (!details.is_null()) {
    r.service_message = details.dump();
  }
  r.retry = outcome->retryable;
  if (outcome->retry_after_ms > 0) {
    r.retry_at = absl::Now() + absl::Milliseconds(outcome->retry_after_ms);
  }
  return r;
}

// One run on the pool. It completes once, from whichever comes first: the
// plugin returning (worker thread), the deadline (timer thread) or Cancel().
// Co-owned by the worker task, the timer callback and the caller's handle,
// so it may outlive both the RPC and the manager.
class PoolCall final : public ExecuteHandle {
 public:
  PoolCall(std::string connector_id, ExecuteDone done,
           std::weak_ptr<DeadlineTimer> timer)
      : connector_id_(std::move(connector_id)),
        done_(std::move(done)),
        timer_(std::move(timer)) {}

  const std::string& connector_id() const { return connector_id_; }
  // True once the caller no longer waits: the plugin should stop.
  bool abandoned() const { return abandoned_.load(std::memory_order_acquire); }
  void set_deadline_handle(DeadlineTimer::Handle h) {
    std::lock_guard<std::mutex> lock(handle_mu_);
    deadline_handle_ = h;
  }

  // Delivers `result` unless the call has completed already.
  bool Complete(absl::StatusOr<ExecuteResult> result) {
    if (completed_.exchange(true, std::memory_order_acq_rel)) return false;
    abandoned_.store(true, std::memory_order_release);
    if (auto timer = timer_.lock()) {
      DeadlineTimer::Handle handle;
      {
        // The timer may fire before StartRun has stored its handle.
        std::lock_guard<std::mutex> lock(handle_mu_);
        handle = deadline_handle_;
      }
      timer->Cancel(handle);
    }
    ExecuteDone done = std::move(done_);
    done(std::move(result));
    return true;
  }

  void Cancel() override { Complete(CancelledResult(connector_id_)); }

 private:
  const std::string connector_id_;
  ExecuteDone done_;  // moved out by the one Complete that wins
  const std::weak_ptr<DeadlineTimer> timer_;
  std::mutex handle_mu_;
  DeadlineTimer::Handle deadline_handle_;  // guarded by handle_mu_
  std::atomic<bool> completed_{false};
  std::atomic<bool> abandoned_{false};
};

// A handle for a run that completed before it was started.
class DoneCall final : public ExecuteHandle {
 public:
  void Cancel() override {}
};

}  // namespace

// How cheap a sub-action's recent plugin calls were (see ExecuteAsync).
struct ConnectorManager::SubActionProfile {
  SubActionProfile(std::string type_id, std::string sub_action)
      : type_id(std::move(type_id)), sub_action(std::move(sub_action)) {}

  const std::string type_id;
  const std::string sub_action;
  // Calls in a row that returned within kInlineCallLimit without host I/O.
  std::atomic<int> fast_streak{0};

  bool RunsInline() const {
    return fast_streak.load(std::memory_order_relaxed) >= kInlineStreak;
  }
  void Record(bool fast) {
    if (!fast) {
      fast_streak.store(0, std::memory_order_relaxed);
    } else if (!RunsInline()) {
      fast_streak.fetch_add(1, std::memory_order_relaxed);
    }
  }
};

struct ConnectorManager::TypeEntry {
  std::shared_ptr<const plugin_host::PluginModule> module;
  const plugin_host::ConnectorTypeInfo* info = nullptr;
  bool enabled_in_config = false;
  std::shared_ptr<const JsonSchema> config_schema;
  std::shared_ptr<const JsonSchema> secrets_schema;
  std::map<std::string, std::shared_ptr<const JsonSchema>, std::less<>>
      params_schemas;
  std::map<std::string, std::shared_ptr<SubActionProfile>, std::less<>>
      profiles;               // one per sub-action
  absl::Status schema_error;  // a schema of the type does not compile
};

struct ConnectorManager::Preconfigured {
  PreconfiguredConnectorSpec spec;                // secrets emptied
  std::shared_ptr<const ConnectorRecord> record;  // secrets sealed
  absl::Time created_at;
};

// Plugin instances by connector id, valid for one updated_at.
struct ConnectorManager::InstanceCache {
  struct Entry {
    absl::Time version;
    std::shared_ptr<plugin_host::PluginInstance> instance;
  };
  std::mutex mu;
  std::map<std::string, Entry, std::less<>> entries;

  std::shared_ptr<plugin_host::PluginInstance> Find(const std::string& id,
                                                    absl::Time version) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = entries.find(id);
    if (it == entries.end() || it->second.version != version) return nullptr;
    return it->second.instance;
  }
  void Put(const std::string& id, absl::Time version,
           std::shared_ptr<plugin_host::PluginInstance> instance) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = entries.find(id);
    // A newer version may already be cached by a concurrent call.
    if (it != entries.end() && it->second.version > version) return;
    entries[id] = Entry{version, std::move(instance)};
  }
  void Drop(const std::string& id) {
    std::shared_ptr<plugin_host::PluginInstance> doomed;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = entries.find(id);
      if (it == entries.end()) return;
      doomed = std::move(it->second.instance);
      entries.erase(it);
    }
    // Destroyed here, or by the last execute still holding it.
  }
};

// What Execute needs of a connector; immutable once built.
struct ConnectorManager::ConnectorRecord {
  std::string id;
  std::string type_id;
  nlohmann::json config;
  std::string sealed_secrets;  // opened only to create an instance
  const SecretBox* box = nullptr;
  bool missing_secrets = false;
  absl::Time version;  // updated_at: keys the plugin instance
};

// Connector records Execute has read, by id, each trusted for the TTL. The
// epoch makes Invalidate win over a concurrent read of the old row: a record
// read before an Invalidate is never stored after it.
struct ConnectorManager::RecordCache {
  struct Entry {
    std::shared_ptr<const ConnectorRecord> record;
    absl::Time loaded_at;
  };
  std::mutex mu;
  uint64_t epoch = 0;
  std::map<std::string, Entry, std::less<>> entries;

  std::shared_ptr<const ConnectorRecord> Find(const std::string& id,
                                              absl::Time now,
                                              absl::Duration ttl,
                                              uint64_t* epoch_out) {
    std::lock_guard<std::mutex> lock(mu);
    *epoch_out = epoch;
    auto it = entries.find(id);
    if (it == entries.end() || now - it->second.loaded_at >= ttl) {
      return nullptr;
    }
    return it->second.record;
  }
  void Put(std::shared_ptr<const ConnectorRecord> record, absl::Time loaded_at,
           uint64_t read_epoch) {
    std::lock_guard<std::mutex> lock(mu);
    if (read_epoch != epoch) return;
    const std::string id = record->id;
    entries[id] = Entry{std::move(record), loaded_at};
  }
  void Invalidate(const std::string& id) {
    std::shared_ptr<const ConnectorRecord> doomed;
    std::lock_guard<std::mutex> lock(mu);
    ++epoch;
    auto it = entries.find(id);
    if (it == entries.end()) return;
    doomed = std::move(it->second.record);
    entries.erase(it);
  }
};

ConnectorManager::~ConnectorManager() = default;

absl::StatusOr<std::unique_ptr<ConnectorManager>> ConnectorManager::Create(
    store::Store* store, const SecretBox* box,
    const plugin_host::LoadedPlugins* plugins, StoreTokenCache* tokens,
    ConnectorManagerOptions options) {
  std::unique_ptr<ConnectorManager> m(new ConnectorManager());
  m->store_ = store;
  m->box_ = box;
  m->tokens_ = tokens;
  m->options_ = std::move(options);
  m->instances_ = std::make_shared<InstanceCache>();
  m->records_ = std::make_unique<RecordCache>();
  m->timer_ = std::make_shared<DeadlineTimer>();
  m->pool_ =
      std::make_unique<WorkerPool>(std::max(1, m->options_.execute_threads));

  for (const auto& ref : plugins->ConnectorTypes()) {
    auto entry = std::make_unique<TypeEntry>();
    entry->module = ref.module;
    entry->info = ref.type;
    entry->enabled_in_config = IsTypeEnabledInConfig(
        m->options_.enabled_connector_types, ref.type->id);
    auto compile =
        [&](const nlohmann::json& schema,
            const std::string& what) -> std::shared_ptr<const JsonSchema> {
      auto compiled = JsonSchema::Compile(schema);
      if (compiled.ok()) return *compiled;
      entry->schema_error = absl::FailedPreconditionError(
          absl::StrCat("connector type ", ref.type->id, " has an invalid ",
                       what, " schema: ", compiled.status().message()));
      log::Error(kLog, entry->schema_error.message());
      return JsonSchema::Compile(nlohmann::json::object()).value();
    };
    entry->config_schema = compile(ref.type->config_schema, "config");
    entry->secrets_schema = compile(ref.type->secrets_schema, "secrets");
    for (const auto& sub : ref.type->sub_actions) {
      entry->params_schemas[sub.name] =
          compile(sub.params_schema, "params (" + sub.name + ")");
      entry->profiles[sub.name] =
          std::make_shared<SubActionProfile>(ref.type->id, sub.name);
    }
    m->types_.push_back(std::move(entry));
  }

  // Preconfigured secrets never reach disk; a random process-local key seals
  // them in memory.
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof(raw)) != 1) {
    return absl::InternalError(
        "cannot generate a key for preconfigured secrets");
  }
  std::string local_key;
  for (unsigned char c : raw)
    absl::StrAppend(&local_key, absl::Hex(c, absl::kZeroPad2));
  ASSIGN_OR_RETURN(m->preconfigured_box_, SecretBox::Create(local_key, {}));
  Wipe(local_key);

  const absl::Time now = absl::Now();
  for (PreconfiguredConnectorSpec& spec : m->options_.preconfigured) {
    const std::string where =
        absl::StrCat("preconfigured connector \"", spec.id, "\"");
    if (!IsValidConnectorId(spec.id)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": invalid id"));
    }
    const TypeEntry* type = m->FindType(spec.connector_type_id);
    if (type == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": connector type ", spec.connector_type_id,
                       " is not provided by any loaded plugin"));
    }
    ValidationErrors errors;
    if (Trimmed(spec.name).empty()) errors.Add("name", "must not be empty");
    absl::Status s =
        m->ValidateConnectorInput(*type, spec.config, spec.secrets, &errors);
    if (s.ok()) s = errors.ToStatus();
    if (!s.ok())
      return absl::Status(s.code(), absl::StrCat(where, ": ", s.message()));
    auto p = std::make_unique<Preconfigured>();
    std::string plain = spec.secrets.dump();
    WipeJson(spec.secrets);
    auto sealed = m->preconfigured_box_.Seal(plain, spec.id);
    Wipe(plain);
    if (!sealed.ok()) return sealed.status();
    auto record = std::make_shared<ConnectorRecord>();
    record->id = spec.id;
    record->type_id = spec.connector_type_id;
    record->config = spec.config;
    record->sealed_secrets = *std::move(sealed);
    record->box = &m->preconfigured_box_;
    record->version = now;
    p->record = std::move(record);
    p->spec = std::move(spec);
    p->spec.secrets = nlohmann::json::object();
    p->created_at = now;
    m->preconfigured_.push_back(std::move(p));
  }
  m->options_.preconfigured.clear();
  std::sort(
      m->preconfigured_.begin(), m->preconfigured_.end(),
      [](const auto& a, const auto& b) { return a->spec.id < b->spec.id; });
  return m;
}

const ConnectorManager::TypeEntry* ConnectorManager::FindType(
    std::string_view type_id) const {
  for (const auto& t : types_) {
    if (t->info->id == type_id) return t.get();
  }
  return nullptr;
}

const ConnectorManager::Preconfigured* ConnectorManager::FindPreconfigured(
    std::string_view id) const {
  for (const auto& p : preconfigured_) {
    if (p->spec.id == id) return p.get();
  }
  return nullptr;
}

std::vector<ConnectorTypeView> ConnectorManager::ListConnectorTypes(
    const std::optional<std::string>& feature_id) const {
  std::vector<ConnectorTypeView> out;
  for (const auto& t : types_) {
    if (feature_id && !feature_id->empty()) {
      const auto& f = t->info->supported_features;
      if (std::find(f.begin(), f.end(), *feature_id) == f.end()) continue;
    }
    out.push_back({t->info, t->module, t->enabled_in_config});
  }
  return out;
}

absl::Status ConnectorManager::ValidateConnectorInput(
    const TypeEntry& type, const nlohmann::json& config,
    const nlohmann::json& secrets, ValidationErrors* errors) const {
  RETURN_IF_ERROR(type.schema_error);
  CheckNoEmptyStrings(config, "config", errors);
  CheckNoEmptyStrings(secrets, "secrets", errors);
  type.config_schema->Validate(config, "config", errors);
  type.secrets_schema->Validate(secrets, "secrets", errors);
  if (!errors->empty()) return absl::OkStatus();
  absl::Status hook =
      plugin_host::ValidateConfig(*type.module, type.info->id, config, secrets);
  if (hook.ok()) return absl::OkStatus();
  if (hook.code() == absl::StatusCode::kInvalidArgument) {
    errors->Add("config",
                absl::StrCat("error validating connector type config: ",
                             hook.message()));
    return absl::OkStatus();
  }
  return hook;
}

ConnectorView ConnectorManager::ViewOf(const store::Connector& c) const {
  ConnectorView v;
  v.id = c.id;
  v.connector_type_id = c.connector_type_id;
  v.name = c.name;
  v.config = c.config;
  v.is_deprecated = IsDeprecatedConnector(c.connector_type_id, c.config);
  const TypeEntry* type = FindType(c.connector_type_id);
  v.is_missing_secrets =
      c.is_missing_secrets || (c.sealed_secrets.empty() && type != nullptr &&
                               type->secrets_schema->HasRequiredProperties());
  v.created_at = c.created_at;
  v.updated_at = c.updated_at;
  return v;
}

ConnectorView ConnectorManager::ViewOf(const Preconfigured& p) const {
  ConnectorView v;
  v.id = p.spec.id;
  v.connector_type_id = p.spec.connector_type_id;
  v.name = p.spec.name;
  v.config = nullptr;  // Kibana omits config for preconfigured connectors
  v.is_preconfigured = true;
  v.is_deprecated =
      IsDeprecatedConnector(p.spec.connector_type_id, p.spec.config);
  v.created_at = p.created_at;
  v.updated_at = p.created_at;
  return v;
}

void ConnectorManager::DropInstance(const std::string& id) {
  records_->Invalidate(id);
  instances_->Drop(id);
}

absl::StatusOr<ConnectorView> ConnectorManager::Create(
    const CreateConnectorParams& params) {
  ValidationErrors errors;
  if (Trimmed(params.name).empty()) errors.Add("name", "must not be empty");
  if (Trimmed(params.connector_type_id).empty()) {
    errors.Add("connector_type_id", "must not be empty");
  }
  if (params.id && !IsValidConnectorId(*params.id)) {
    errors.Add("id",
               "must be 1-255 characters without control characters, and not "
               "\"__proto__\" or \"constructor\"");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  const TypeEntry* type = FindType(params.connector_type_id);
  if (type == nullptr) {
    return InvalidField(
        "connector_type_id",
        absl::StrCat("connector type ", params.connector_type_id,
                     " is not registered (no loaded plugin provides it)"));
  }
  if (!type->enabled_in_config) {
    return absl::FailedPreconditionError(absl::StrCat(
        "connector type ", params.connector_type_id,
        " is disabled in the config (connectors.enabled_connector_types)"));
  }
  const std::string id = params.id ? *params.id : NewUuid();
  if (FindPreconfigured(id) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat(
        "connector id ", id, " already exists as a preconfigured connector"));
  }
  if (!box_->has_key()) {
    // Seal reports the missing key and how to configure one.
    return box_->Seal("", id).status();
  }
  RETURN_IF_ERROR(
      ValidateConnectorInput(*type, params.config, params.secrets, &errors));
  RETURN_IF_ERROR(errors.ToStatus());

  store::Connector c;
  c.id = id;
  c.connector_type_id = params.connector_type_id;
  c.name = params.name;
  c.config = params.config;
  std::string plain = params.secrets.dump();
  auto sealed = box_->Seal(plain, id);
  Wipe(plain);
  if (!sealed.ok()) return sealed.status();
  c.sealed_secrets = *std::move(sealed);
  c.created_at = c.updated_at = absl::Now();
  ASSIGN_OR_RETURN(auto txn, store_->BeginWrite());
  absl::Status s = txn->InsertConnector(c);
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(
        absl::StrCat("connector ", id, " already exists"));
  }
  RETURN_IF_ERROR(s);
  RETURN_IF_ERROR(txn->Commit());
  // A connector of this id deleted by another process may still be cached.
  DropInstance(id);
  log::Info(kLog, "created connector ", id, " of type ", c.connector_type_id);
  return ViewOf(c);
}

absl::StatusOr<ConnectorView> ConnectorManager::Get(std::string_view id) {
  if (const Preconfigured* p = FindPreconfigured(id)) return ViewOf(*p);
  ASSIGN_OR_RETURN(auto txn, store_->BeginRead());
  absl::StatusOr<store::Connector> c = txn->GetConnector(id);
  if (absl::IsNotFound(c.status())) {
    return absl::NotFoundError(
        absl::StrCat("connector ", std::string(id), " not found"));
  }
  if (!c.ok()) return c.status();
  return ViewOf(*c);
}

absl::StatusOr<std::vector<ConnectorView>> ConnectorManager::List() {
  ASSIGN_OR_RETURN(auto txn, store_->BeginRead());
  ASSIGN_OR_RETURN(std::vector<store::Connector> stored, txn->ListConnectors());
  std::vector<ConnectorView> out;
  out.reserve(stored.size() + preconfigured_.size());
  for (const auto& c : stored) out.push_back(ViewOf(c));
  for (const auto& p : preconfigured_) out.push_back(ViewOf(*p));
  for (ConnectorView& v : out) {
    ASSIGN_OR_RETURN(v.referenced_by_count,
                     txn->CountConnectorReferences(v.id));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.name != b.name ? a.name < b.name : a.id < b.id;
  });
  return out;
}

absl::StatusOr<ConnectorView> ConnectorManager::Update(
    const UpdateConnectorParams& params) {
  if (FindPreconfigured(params.id) != nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("preconfigured connector ", params.id,
                     " cannot be updated; change it in the config file "
                     "(connectors.preconfigured)"));
  }
  ValidationErrors errors;
  if (Trimmed(params.name).empty()) errors.Add("name", "must not be empty");
  if (params.id.empty()) errors.Add("id", "must not be empty");
  RETURN_IF_ERROR(errors.ToStatus());
  store::Connector existing;
  {
    ASSIGN_OR_RETURN(auto read, store_->BeginRead());
    absl::StatusOr<store::Connector> c = read->GetConnector(params.id);
    if (absl::IsNotFound(c.status())) {
      return absl::NotFoundError(
          absl::StrCat("connector ", params.id, " not found"));
    }
    if (!c.ok()) return c.status();
    existing = *std::move(c);
  }
  const TypeEntry* type = FindType(existing.connector_type_id);
  if (type == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "connector type ", existing.connector_type_id, " of connector ",
        params.id, " is not provided by any loaded plugin"));
  }
  if (!type->enabled_in_config) {
    return absl::FailedPreconditionError(absl::StrCat(
        "connector type ", existing.connector_type_id,
        " is disabled in the config (connectors.enabled_connector_types)"));
  }
  if (!box_->has_key()) return box_->Seal("", params.id).status();
  RETURN_IF_ERROR(
      ValidateConnectorInput(*type, params.config, params.secrets, &errors));
  RETURN_IF_ERROR(errors.ToStatus());
  // As Kibana does, a deprecated (Table API) ServiceNow connector may only
  // move to import-set mode once the Elastic app answers on the instance;
  // the type's handshake is that check.
  if (IsDeprecatedConnector(existing.connector_type_id, existing.config) &&
      !IsDeprecatedConnector(existing.connector_type_id, params.config) &&
      type->info->FindSubAction("handshake") != nullptr) {
    ASSIGN_OR_RETURN(ExecuteResult check,
                     Test(existing.connector_type_id, params.config,
                          params.secrets, ExecuteOptions{}));
    if (!check.ok) {
      return absl::FailedPreconditionError(absl::StrCat(
          "connector ", params.id,
          " cannot leave Table API mode until the instance answers the "
          "import-set check: ",
          check.message));
    }
  }

  store::Connector c = existing;
  c.name = params.name;
  c.config = params.config;
  std::string plain = params.secrets.dump();
  auto sealed = box_->Seal(plain, c.id);
  Wipe(plain);
  if (!sealed.ok()) return sealed.status();
  c.sealed_secrets = *std::move(sealed);
  c.is_missing_secrets = false;
  c.updated_at =
      std::max(absl::Now(), existing.updated_at + absl::Microseconds(1));
  ASSIGN_OR_RETURN(auto txn, store_->BeginWrite());
  absl::Status s = txn->UpdateConnector(c);
  if (absl::IsNotFound(s)) {
    return absl::NotFoundError(
        absl::StrCat("connector ", params.id, " not found"));
  }
  RETURN_IF_ERROR(s);
  // Cached tokens belong to the old credentials.
  RETURN_IF_ERROR(txn->DeleteCachedTokens(c.id));
  RETURN_IF_ERROR(txn->Commit());
  DropInstance(c.id);
  log::Info(kLog, "updated connector ", c.id);
  return ViewOf(c);
}

absl::StatusOr<int64_t> ConnectorManager::Delete(std::string_view id_view) {
  const std::string id(id_view);
  if (FindPreconfigured(id) != nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("preconfigured connector ", id,
                     " cannot be deleted; remove it from the config file "
                     "(connectors.preconfigured)"));
  }
  ASSIGN_OR_RETURN(auto txn, store_->BeginWrite());
  ASSIGN_OR_RETURN(int64_t references, txn->CountConnectorReferences(id));
  absl::Status s = txn->DeleteConnector(id);
  if (absl::IsNotFound(s)) {
    return absl::NotFoundError(absl::StrCat("connector ", id, " not found"));
  }
  RETURN_IF_ERROR(s);
  RETURN_IF_ERROR(txn->DeleteCachedTokens(id));
  RETURN_IF_ERROR(txn->Commit());
  DropInstance(id);
  log::Info(kLog, "deleted connector ", id, " (", references,
            " cases and configurations still referenced it)");
  return references;
}

absl::Time ConnectorManager::EffectiveDeadline(
    absl::Time caller_deadline) const {
  const absl::Time now = absl::Now();
  absl::Time deadline = now + options_.execute_timeout;
  if (caller_deadline < deadline) {
    // Keep a margin to deliver the result before the caller gives up.
    const absl::Duration left = caller_deadline - now;
    const absl::Duration margin = std::min(absl::Milliseconds(250), left / 10);
    deadline = caller_deadline - std::max(margin, absl::ZeroDuration());
  }
  return deadline;
}

bool ConnectorManager::TakeInlineSlot() {
  int taken = inline_calls_.load(std::memory_order_relaxed);
  while (taken < options_.inline_execute_slots) {
    if (inline_calls_.compare_exchange_weak(taken, taken + 1,
                                            std::memory_order_acq_rel)) {
      return true;
    }
  }
  return false;
}

std::shared_ptr<ExecuteHandle> ConnectorManager::StartRun(
    std::string connector_id, PluginCall call, absl::Time deadline,
    const std::string& request_id, std::shared_ptr<SubActionProfile> profile,
    ExecuteDone done) {
  auto run = std::make_shared<PoolCall>(std::move(connector_id),
                                        std::move(done), timer_);
  std::weak_ptr<PoolCall> weak = run;
  run->set_deadline_handle(timer_->Schedule(deadline, [weak] {
    std::shared_ptr<PoolCall> late = weak.lock();
    if (late == nullptr) return;
    if (late->Complete(DeadlineResult(late->connector_id()))) {
      log::Warn(kLog, "connector ", late->connector_id(),
                " did not finish by its deadline; its plugin call keeps a "
                "thread until it returns");
    }
  }));
  plugin_host::CallOptions call_options;
  call_options.deadline = deadline;
  call_options.request_id = request_id;
  call_options.is_cancelled = [weak] {
    std::shared_ptr<PoolCall> r = weak.lock();
    return r == nullptr || r->abandoned();
  };
  const bool run_inline =
      profile != nullptr && profile->RunsInline() && TakeInlineSlot();
  if (run_inline) {
    metrics::RecordInlinePluginCall(profile->type_id, profile->sub_action);
  }
  auto task = [run, call = std::move(call),
               call_options = std::move(call_options),
               profile = std::move(profile)]() mutable {
    // Queued behind busy workers past its deadline: nobody waits any more.
    if (run->abandoned()) return;
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<plugin_host::ExecuteOutcome> outcome = call(call_options);
    if (profile != nullptr) {
      profile->Record(outcome.ok() && !outcome->used_host_io &&
                      std::chrono::steady_clock::now() - start <
                          absl::ToChronoNanoseconds(kInlineCallLimit));
    }
    call = nullptr;  // frees what the call captured before the reply
    if (run->abandoned()) return;
    run->Complete(ResultOf(run->connector_id(), std::move(outcome)));
  };
  if (run_inline) {
    task();
    inline_calls_.fetch_sub(1, std::memory_order_acq_rel);
  } else {
    pool_->Submit(std::move(task));
  }
  return run;
}

absl::StatusOr<ExecuteResult> ConnectorManager::Wait(
    const std::function<std::shared_ptr<ExecuteHandle>(ExecuteDone)>& start,
    const ExecuteOptions& options) {
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<absl::StatusOr<ExecuteResult>> result;
  };
  auto waiter = std::make_shared<Waiter>();
  std::shared_ptr<ExecuteHandle> handle =
      start([waiter](absl::StatusOr<ExecuteResult> result) {
        std::lock_guard<std::mutex> lock(waiter->mu);
        waiter->result = std::move(result);
        waiter->cv.notify_all();
      });
  std::unique_lock<std::mutex> lock(waiter->mu);
  while (!waiter->result.has_value()) {
    if (options.is_cancelled && options.is_cancelled()) {
      lock.unlock();
      handle->Cancel();
      lock.lock();
      continue;
    }
    waiter->cv.wait_for(lock, std::chrono::milliseconds(100));
  }
  return *std::move(waiter->result);
}

absl::StatusOr<std::shared_ptr<const ConnectorManager::ConnectorRecord>>
ConnectorManager::RecordFor(const std::string& id) {
  if (const Preconfigured* p = FindPreconfigured(id)) return p->record;
  const absl::Time now = absl::Now();
  uint64_t epoch = 0;
  std::shared_ptr<const ConnectorRecord> cached =
      records_->Find(id, now, options_.connector_cache_ttl, &epoch);
  if (cached != nullptr) return cached;
  ASSIGN_OR_RETURN(auto txn, store_->BeginRead());
  absl::StatusOr<store::Connector> c = txn->GetConnector(id);
  if (absl::IsNotFound(c.status())) {
    return absl::NotFoundError(absl::StrCat("connector ", id, " not found"));
  }
  if (!c.ok()) return c.status();
  txn.reset();
  auto record = std::make_shared<ConnectorRecord>();
  record->id = id;
  const TypeEntry* type = FindType(c->connector_type_id);
  record->missing_secrets =
      c->is_missing_secrets || (c->sealed_secrets.empty() && type != nullptr &&
                                type->secrets_schema->HasRequiredProperties());
  record->type_id = std::move(c->connector_type_id);
  record->config = std::move(c->config);
  record->sealed_secrets = std::move(c->sealed_secrets);
  record->box = box_;
  record->version = c->updated_at;
  records_->Put(record, now, epoch);
  return std::shared_ptr<const ConnectorRecord>(std::move(record));
}

absl::StatusOr<ExecuteResult> ConnectorManager::Execute(
    std::string_view id, std::string_view sub_action,
    const nlohmann::json& params, const ExecuteOptions& options) {
  return Wait(
      [&](ExecuteDone done) {
        return ExecuteAsync(id, sub_action, params, options, std::move(done));
      },
      options);
}

std::shared_ptr<ExecuteHandle> ConnectorManager::ExecuteAsync(
    std::string_view id_view, std::string_view sub_action,
    nlohmann::json params, const ExecuteOptions& options, ExecuteDone done) {
  const std::string id(id_view);
  auto finish = [&done](absl::StatusOr<ExecuteResult> result) {
    done(std::move(result));
    return std::make_shared<DoneCall>();
  };
  absl::StatusOr<std::shared_ptr<const ConnectorRecord>> found = RecordFor(id);
  if (!found.ok()) return finish(found.status());
  std::shared_ptr<const ConnectorRecord> record = *std::move(found);
  const TypeEntry* type = FindType(record->type_id);
  if (type == nullptr) {
    return finish(
        ErrorResult(id, absl::StrCat("connector type ", record->type_id,
                                     " is not provided by any loaded plugin")));
  }
  if (!type->enabled_in_config) {
    return finish(absl::FailedPreconditionError(absl::StrCat(
        "connector type ", record->type_id,
        " is disabled in the config (connectors.enabled_connector_types)")));
  }
  auto schema = type->params_schemas.find(sub_action);
  if (schema == type->params_schemas.end()) {
    std::vector<std::string> known;
    for (const auto& s : type->info->sub_actions) known.push_back(s.name);
    return finish(ErrorResult(
        id,
        absl::StrCat("error validating action params: unknown sub-action \"",
                     std::string(sub_action), "\" for connector type ",
                     record->type_id, " (known: ", absl::StrJoin(known, ", "),
                     ")")));
  }
  ValidationErrors errors;
  schema->second->Validate(params, "sub_action_params", &errors);
  if (absl::Status s = errors.ToStatus(); !s.ok()) {
    return finish(ErrorResult(
        id, absl::StrCat("error validating action params: ", s.message())));
  }
  if (record->missing_secrets) {
    return finish(ErrorResult(
        id, absl::StrCat("connector ", id,
                         " is missing its secrets; update it with them")));
  }

  std::shared_ptr<plugin_host::PluginInstance> instance =
      instances_->Find(id, record->version);
  std::string plain_secrets;
  if (instance == nullptr && !record->sealed_secrets.empty()) {
    absl::StatusOr<std::string> opened =
        record->box->Open(record->sealed_secrets, id);
    if (!opened.ok()) return finish(opened.status());
    plain_secrets = *std::move(opened);
  }
  const absl::Time deadline = EffectiveDeadline(options.deadline);
  auto call = [instances = instances_, module = type->module, record,
               secrets_text = std::move(plain_secrets), instance,
               sub = std::string(schema->first), params = std::move(params)](
                  const plugin_host::CallOptions& call_options) mutable
      -> absl::StatusOr<plugin_host::ExecuteOutcome> {
    if (instance == nullptr)
      instance = instances->Find(record->id, record->version);
    if (instance == nullptr) {
      nlohmann::json secrets =
          secrets_text.empty()
              ? nlohmann::json::object()
              : nlohmann::json::parse(secrets_text, nullptr, false);
      Wipe(secrets_text);
      if (secrets.is_discarded()) secrets = nlohmann::json::object();
      auto created = plugin_host::PluginInstance::Create(
          module, record->type_id, record->id, record->config, secrets,
          call_options);
      WipeJson(secrets);
      if (!created.ok()) {
        return absl::Status(
            created.status().code(),
            absl::StrCat("cannot create the connector instance: ",
                         created.status().message()));
      }
      instance =
          std::shared_ptr<plugin_host::PluginInstance>(std::move(*created));
      instances->Put(record->id, record->version, instance);
    }
    Wipe(secrets_text);
    return instance->Execute(sub, params, call_options);
  };
  auto profile = type->profiles.find(schema->first);
  return StartRun(id, std::move(call), deadline, options.request_id,
                  profile == type->profiles.end() ? nullptr : profile->second,
                  std::move(done));
}

absl::StatusOr<ExecuteResult> ConnectorManager::Test(
    std::string_view connector_type_id, const nlohmann::json& config,
    const nlohmann::json& secrets, const ExecuteOptions& options) {
  const std::string type_id(connector_type_id);
  if (Trimmed(type_id).empty())
    return InvalidField("connector_type_id", "must not be empty");
  const TypeEntry* type = FindType(type_id);
  if (type == nullptr) {
    return InvalidField(
        "connector_type_id",
        absl::StrCat("connector type ", type_id,
                     " is not registered (no loaded plugin provides it)"));
  }
  if (!type->enabled_in_config) {
    return absl::FailedPreconditionError(absl::StrCat(
        "connector type ", type_id,
        " is disabled in the config (connectors.enabled_connector_types)"));
  }
  ValidationErrors errors;
  RETURN_IF_ERROR(ValidateConnectorInput(*type, config, secrets, &errors));
  RETURN_IF_ERROR(errors.ToStatus());
  const std::string test_id = absl::StrCat("test-", NewUuid());
  if (type->info->FindSubAction("handshake") == nullptr) {
    return ErrorResult(
        test_id, absl::StrCat("connector type ", type_id,
                              " has no \"handshake\" sub-action; the "
                              "config and secrets are valid but cannot be "
                              "tested against the external system"));
  }
  StoreTokenCache* tokens = tokens_;
  auto call = [module = type->module, type_id, test_id, config,
               secrets_copy = secrets,
               tokens](const plugin_host::CallOptions& call_options) mutable
      -> absl::StatusOr<plugin_host::ExecuteOutcome> {
    auto created = plugin_host::PluginInstance::Create(
        module, type_id, test_id, config, secrets_copy, call_options);
    WipeJson(secrets_copy);
    if (!created.ok()) {
      return absl::Status(created.status().code(),
                          absl::StrCat("cannot create the connector instance: ",
                                       created.status().message()));
    }
    auto outcome = (*created)->Execute("handshake", nlohmann::json::object(),
                                       call_options);
    created->reset();
    if (tokens != nullptr) tokens->Purge(test_id).IgnoreError();
    return outcome;
  };
  const absl::Time deadline = EffectiveDeadline(options.deadline);
  absl::StatusOr<ExecuteResult> r = Wait(
      [&](ExecuteDone done) {
        return StartRun(test_id, std::move(call), deadline, options.request_id,
                        /*profile=*/nullptr, std::move(done));
      },
      options);
  if (r.ok()) r->connector_id.clear();  // nothing was stored
  return r;
}

absl::StatusOr<std::vector<ConnectorView>>
ConnectorManager::ListCaseConnectors() {
  ASSIGN_OR_RETURN(std::vector<ConnectorView> all, List());
  std::vector<ConnectorView> out;
  for (ConnectorView& v : all) {
    const TypeEntry* type = FindType(v.connector_type_id);
    if (type == nullptr || !type->enabled_in_config) continue;
    const auto& f = type->info->supported_features;
    if (std::find(f.begin(), f.end(), "cases") == f.end()) continue;
    out.push_back(std::move(v));
    if (out.size() >= kMaxCaseConnectors) break;
  }
  return out;
}

}  // namespace casebridge::connectors

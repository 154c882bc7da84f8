// casebridge-server: reads the config, wires the components and serves gRPC
// until SIGTERM or SIGINT, then drains in-flight calls.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/api/api_key_service.h"
#include "server/api/authz.h"
#include "server/api/case_service.h"
#include "server/api/connector_service.h"
#include "server/auth/setup.h"
#include "server/cases/case_manager.h"
#include "server/cases/push_runtime.h"

#include "casebridge/plugin_abi.h"
#include "server/api/rpc_observer.h"
#include "server/config/config.h"
#include "server/config/config_check.h"
#include "server/metrics/metrics.h"
#include "server/metrics/metrics_server.h"
#include "server/connectors/connector_manager.h"
#include "server/connectors/secret_box.h"
#include "server/connectors/store_token_cache.h"
#include "server/http/http_client.h"
#include "server/plugin_host/curl_host_http.h"
#include "server/plugin_host/plugin_loader.h"
#include "server/api/health_probe.h"
#include "server/store/store_factory.h"
#include "server/util/log.h"
#include "server/util/worker_pool.h"

namespace {

constexpr char kServerVersion[] = "0.1.0";
constexpr char kApiVersion[] = "casebridge.v1";

volatile std::sig_atomic_t g_stop_requested = 0;

void OnSignal(int) { g_stop_requested = 1; }

void PrintUsage() {
  std::printf(
      "usage: casebridge-server [--config FILE] [--listen HOST:PORT] [--data-dir DIR]\n"
      "                         [--plugin-dir DIR]... [--log-level LEVEL]\n"
      "       casebridge-server --check-config FILE\n"
      "       casebridge-server --health-probe HOST:PORT\n"
      "       casebridge-server --version\n");
}

struct Flags {
  std::string config_path;
  std::string check_config_path;
  std::string listen;
  std::string data_dir;
  std::vector<std::string> plugin_dirs;
  std::string log_level;
  bool version = false;
  bool help = false;
};

bool ParseFlags(int argc, char** argv, Flags& flags, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_inline_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline_value = true;
    }
    auto take_value = [&](std::string& out) {
      if (has_inline_value) {
        out = value;
        return true;
      }
      if (i + 1 >= argc) {
        error = absl::StrCat(arg, " needs a value");
        return false;
      }
      out = argv[++i];
      return true;
    };
    if (arg == "--config") {
      if (!take_value(flags.config_path)) return false;
    } else if (arg == "--check-config") {
      if (!take_value(flags.check_config_path)) return false;
    } else if (arg == "--listen") {
      if (!take_value(flags.listen)) return false;
    } else if (arg == "--data-dir") {
      if (!take_value(flags.data_dir)) return false;
    } else if (arg == "--plugin-dir") {
      std::string dir;
      if (!take_value(dir)) return false;
      flags.plugin_dirs.push_back(dir);
    } else if (arg == "--log-level") {
      if (!take_value(flags.log_level)) return false;
    } else if (arg == "--version") {
      flags.version = true;
    } else if (arg == "--help" || arg == "-h") {
      flags.help = true;
    } else {
      error = absl::StrCat("unknown flag ", arg);
      return false;
    }
  }
  return true;
}

absl::StatusOr<casebridge::config::Config> BuildConfig(const std::string& path, const Flags& flags) {
  casebridge::config::Config config;
  if (!path.empty()) {
    auto loaded = casebridge::config::LoadConfigFile(path);
    if (!loaded.ok()) return loaded.status();
    config = *std::move(loaded);
  }
  if (auto s = casebridge::config::ApplyEnvironment(config); !s.ok()) return s;
  if (!flags.listen.empty()) config.listen_address = flags.listen;
  if (!flags.data_dir.empty()) config.data_dir = flags.data_dir;
  if (!flags.plugin_dirs.empty()) config.plugin_dirs = flags.plugin_dirs;
  if (!flags.log_level.empty()) config.log_level = flags.log_level;
  if (auto s = casebridge::config::Validate(config); !s.ok()) return s;
  return config;
}

absl::StatusOr<casebridge::http::HttpClientOptions> HttpOptionsFrom(
    const casebridge::config::HttpConfig& c) {
  using casebridge::http::ParseVerificationMode;
  casebridge::http::HttpClientOptions o;
  o.egress.allowed_hosts = c.allowed_hosts;
  o.egress.allow_private_addresses = c.allow_private_addresses;
  o.egress.allowed_private_hosts = c.allowed_private_hosts;
  o.egress.allowed_private_cidrs = c.allowed_private_cidrs;
  o.egress.allowed_hosts_key = "http.allowed_hosts";
  o.egress.private_key_prefix = "http.";
  o.response_timeout = absl::Milliseconds(c.response_timeout_ms);
  o.connect_timeout = absl::Milliseconds(c.connect_timeout_ms);
  o.max_response_bytes = static_cast<size_t>(c.max_response_bytes);
  o.max_redirects = c.max_redirects;
  o.proxy_url = c.proxy_url;
  for (const auto& [name, value] : c.proxy_headers) o.proxy_headers.emplace_back(name, value);
  o.proxy_bypass_hosts = c.proxy_bypass_hosts;
  o.proxy_only_hosts = c.proxy_only_hosts;
  auto mode = ParseVerificationMode(c.verification_mode);
  if (!mode.ok()) return mode.status();
  o.verification_mode = *mode;
  auto proxy_mode = ParseVerificationMode(c.proxy_verification_mode);
  if (!proxy_mode.ok()) return proxy_mode.status();
  o.proxy_verification_mode = *proxy_mode;
  for (const auto& h : c.host_settings) {
    casebridge::http::HostSettings hs;
    hs.url = h.url;
    if (!h.verification_mode.empty()) {
      auto m = ParseVerificationMode(h.verification_mode);
      if (!m.ok()) return m.status();
      hs.verification_mode = *m;
    }
    hs.ca_files = h.ca_files;
    hs.ca_pem = h.ca_pem;
    o.host_settings.push_back(std::move(hs));
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // Container health checks: exit 0 when the server at ADDR is SERVING.
  if (argc == 3 && std::string(argv[1]) == "--health-probe") {
    return casebridge::api::RunHealthProbe(argv[2]);
  }
  using namespace casebridge;
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex (gRPC
  // takes several per call) would maintain a lock-order graph; that is a
  // debugging aid, not something to pay for in the server.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Flags flags;
  std::string flag_error;
  if (!ParseFlags(argc, argv, flags, flag_error)) {
    std::fprintf(stderr, "casebridge-server: %s\n", flag_error.c_str());
    PrintUsage();
    return 2;
  }
  if (flags.help) {
    PrintUsage();
    return 0;
  }
  if (flags.version) {
    std::printf("casebridge-server %s\napi %s\nplugin abi %d.%d\n", kServerVersion,
                kApiVersion, CBP_ABI_VERSION_MAJOR, CBP_ABI_VERSION_MINOR);
    return 0;
  }
  if (!flags.check_config_path.empty()) {
    return config::RunCheckConfig(flags.check_config_path);
  }

  auto config_or = BuildConfig(flags.config_path, flags);
  if (!config_or.ok()) {
    log::Error("main", "invalid configuration: ", config_or.status().message());
    return 1;
  }
  const config::Config config = *std::move(config_or);
  log::Level level = log::Level::kInfo;
  log::ParseLevel(config.log_level, &level);
  log::SetLevel(level);

  metrics::SetBuildInfo(kServerVersion, kApiVersion,
                        absl::StrCat(CBP_ABI_VERSION_MAJOR, ".", CBP_ABI_VERSION_MINOR));
  auto metrics_server = metrics::MetricsServer::Start(config.metrics.listen);
  if (!metrics_server.ok()) {
    log::Error("main", metrics_server.status().message());
    return 1;
  }

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    log::Error("main", "cannot create data_dir ", config.data_dir, ": ", ec.message());
    return 1;
  }

  auto store_or = store::OpenConfiguredStore(config);
  if (!store_or.ok()) {
    log::Error("main", store_or.status().message());
    return 1;
  }
  std::unique_ptr<store::Store> case_store = *std::move(store_or);
  cases::CaseManager case_manager(case_store.get());
  auth::ApiKeyManager api_keys(case_store.get());
  auto security = auth::SetUpSecurity(
      config, [&api_keys](const std::string& id) { return api_keys.Lookup(id); });
  if (!security.ok()) {
    log::Error("main", "invalid security configuration: ", security.status().message());
    return 1;
  }
  api::RpcAuthorizer authz(security->guard.get());

  // Secrets key: without one the server runs, but refuses to create or run
  // connectors that need secrets.
  auto keys = config::ResolveEncryptionKeys(config);
  if (!keys.ok()) {
    log::Error("main", "cannot load the encryption keys: ", keys.status().message());
    return 1;
  }
  connectors::SecretBox secret_box;
  if (keys->primary.empty()) {
    log::Warn("main",
              "no encryption key is configured: creating connectors is refused until "
              "CASEBRIDGE_ENCRYPTION_KEY (at least 32 characters) or "
              "connectors.encryption_key_file is set");
  } else {
    auto box = connectors::SecretBox::Create(keys->primary, keys->old_keys);
    if (!box.ok()) {
      log::Error("main", "invalid encryption key: ", box.status().message());
      return 1;
    }
    secret_box = *std::move(box);
    log::Info("main", "secrets encryption enabled (", keys->old_keys.size(),
              " old decryption-only keys)");
  }
  for (std::string& k : keys->old_keys) connectors::Wipe(k);
  connectors::Wipe(keys->primary);

  auto http_options = HttpOptionsFrom(config.http);
  if (!http_options.ok()) {
    log::Error("main", "invalid http configuration: ", http_options.status().message());
    return 1;
  }
  auto http_client = http::HttpClient::Create(*std::move(http_options));
  if (!http_client.ok()) {
    log::Error("main", "invalid http configuration: ", http_client.status().message());
    return 1;
  }
  plugin_host::CurlHostHttp host_http(http_client->get());
  connectors::StoreTokenCache token_cache(case_store.get(), &secret_box);

  plugin_host::LoaderOptions loader_options;
  loader_options.directories = config.plugin_dirs;
  loader_options.services.http = &host_http;
  loader_options.services.token_cache = &token_cache;
  const plugin_host::LoadedPlugins plugins = plugin_host::LoadPlugins(loader_options);
  for (const auto& module : plugins.modules) {
    log::Info("main", "loaded plugin ", module->id(), " ", module->version(), " (ABI ",
              module->abi_major(), ".", module->abi_minor(), ") from ", module->path());
    for (const auto& type : module->connector_types()) {
      log::Info("main", "connector type ", type.id, " (", type.name, ") from plugin ",
                module->id());
    }
  }
  log::Info("main", plugins.modules.size(), " plugins loaded, ", plugins.skipped.size(),
            " skipped");

  connectors::ConnectorManagerOptions manager_options;
  manager_options.enabled_connector_types = config.connectors.enabled_connector_types;
  manager_options.execute_timeout = absl::Milliseconds(config.connectors.execute_timeout_ms);
  manager_options.execute_threads = config.connectors.execute_threads;
  manager_options.inline_execute_slots = config.connectors.inline_execute_slots;
  for (const auto& p : config.connectors.preconfigured) {
    manager_options.preconfigured.push_back(
        {p.id, p.name, p.connector_type_id, p.config, p.secrets});
  }
  auto connector_manager = connectors::ConnectorManager::Create(
      case_store.get(), &secret_box, &plugins, &token_cache, std::move(manager_options));
  if (!connector_manager.ok()) {
    log::Error("main", "invalid connectors configuration: ",
               connector_manager.status().message());
    return 1;
  }

  api::CaseServiceImpl case_service(&case_manager, &authz, connector_manager->get());
  api::ConnectorServiceImpl connector_service(connector_manager->get(), &authz);
  api::ApiKeyServiceImpl api_key_service(&api_keys, &authz);
  std::unique_ptr<cases::PushRuntime> push =
      cases::PushRuntime::Start(case_store.get(), connector_manager->get(), config.jobs);
  case_service.SetPushManager(push->manager());
  // PostgreSQL reads wait on the network: keep them off gRPC's callback
  // threads, on as many threads as there are pooled connections.
  std::unique_ptr<WorkerPool> read_pool;
  if (config.store == "postgres") {
    read_pool = std::make_unique<WorkerPool>(std::max(1, config.postgres.pool_size));
    case_service.SetReadPool(read_pool.get());
  }
  api::WatchOptions watch_options;
  watch_options.poll_interval = absl::Milliseconds(config.watch.poll_interval_ms);
  watch_options.retention = absl::Hours(config.watch.retention_hours);
  watch_options.max_streams = config.watch.max_streams;
  api::CaseWatchHub watch_hub(case_store.get(), watch_options);
  case_service.SetWatchHub(&watch_hub);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(config.listen_address, security->credentials, &bound_port);
  // The request observer (ids, metrics, log line) runs first, so its log
  // line can still name the principal the authorizer recorded.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  api::RpcObserverOptions observer = api::RpcObserverOptionsFrom(config);
  observer.principal = [&authz](const grpc::ServerContextBase& ctx) {
    return authz.PrincipalIdOf(ctx);
  };
  interceptors.push_back(api::NewRpcObserverFactory(std::move(observer)));
  interceptors.push_back(authz.NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_request_bytes));
  // Handlers block on SQLite (and writers on the group commit), so keep enough
  // polling threads alive: with the default of at most 2 idle pollers, gRPC
  // creates and destroys a thread for nearly every call under load.
  using SyncOption = grpc::ServerBuilder::SyncServerOption;
  builder.SetSyncServerOption(SyncOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(SyncOption::MAX_POLLERS, 64);
  builder.RegisterService(&case_service);
  builder.RegisterService(&connector_service);
  builder.RegisterService(&api_key_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    log::Error("main", "cannot listen on ", config.listen_address);
    return 1;
  }
  auto* health = server->GetHealthCheckService();
  health->SetServingStatus("casebridge.v1.CaseService", true);
  health->SetServingStatus("casebridge.v1.ConnectorService", true);
  health->SetServingStatus("casebridge.v1.ApiKeyService", true);
  // The actual port matters when the config asks for port 0 (tests).
  std::string host = config.listen_address.substr(0, config.listen_address.rfind(':'));
  log::Info("main", "casebridge-server ", kServerVersion, " listening on ", host, ":", bound_port);
  std::printf("LISTENING %s:%d\n", host.c_str(), bound_port);
  std::fflush(stdout);

  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  while (!g_stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  log::Info("main", "shutting down");
  health->SetServingStatus(false);
  push->Stop();  // waiting PushCase calls answer; queued jobs stay for the next start
  watch_hub.Shutdown();  // ends the streams, which never end on their own
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  log::Info("main", "stopped");
  return 0;
}

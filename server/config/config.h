// Server configuration: a YAML file, then CASEBRIDGE_* environment variables,
// then command-line flags, each overriding the one before.
#ifndef CASEBRIDGE_SERVER_CONFIG_CONFIG_H_
#define CASEBRIDGE_SERVER_CONFIG_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace casebridge::config {

// The acting user until authentication is configured.
struct Principal {
  std::string username = "casebridge";
  std::string full_name = "casebridge";
  std::string email;
  std::string profile_uid;
};

// A connector defined in the config file (Kibana's xpack.actions.preconfigured):
// immutable through the API.
struct PreconfiguredConnector {
  std::string id;
  std::string name;
  std::string connector_type_id;
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json secrets = nlohmann::json::object();
};

// `connectors:` section.
struct ConnectorsConfig {
  // Connector types usable; "*" = all (Kibana's enabledActionTypes).
  std::vector<std::string> enabled_connector_types = {"*"};
  // Sorted by id.
  std::vector<PreconfiguredConnector> preconfigured;
  // File holding the primary secrets key (first line; >= 32 characters).
  // CASEBRIDGE_ENCRYPTION_KEY overrides it.
  std::string encryption_key_file;
  // File of older keys, one per line, used only to open (key rotation).
  // CASEBRIDGE_OLD_ENCRYPTION_KEYS (comma-separated) adds to it.
  std::string old_encryption_keys_file;
  // Longest an ExecuteConnector may run when the caller sets no shorter
  // deadline.
  int64_t execute_timeout_ms = 60000;
  // Worker threads running plugin calls.
  int execute_threads = 8;
  // Most cheap plugin calls run at once on the calling thread instead of a
  // worker (connectors::ConnectorManagerOptions::inline_execute_slots).
  int inline_execute_slots = 2;
};

// `http:` section: outbound HTTP for connectors (http::HttpClientOptions).
struct HttpHostSettings {
  std::string url;
  std::string verification_mode;  // empty = inherit
  std::vector<std::string> ca_files;
  std::string ca_pem;
};

struct HttpConfig {
  std::vector<std::string> allowed_hosts = {"*"};
  bool allow_private_addresses = false;
  std::vector<std::string> allowed_private_hosts;
  std::vector<std::string> allowed_private_cidrs;
  int64_t response_timeout_ms = 60000;
  int64_t connect_timeout_ms = 10000;
  int64_t max_response_bytes = 1024 * 1024;
  int max_redirects = 3;
  std::string proxy_url;
  std::vector<std::string> proxy_bypass_hosts;
  std::vector<std::string> proxy_only_hosts;
  std::map<std::string, std::string> proxy_headers;
  std::string verification_mode = "full";
  std::string proxy_verification_mode = "full";
  std::vector<HttpHostSettings> host_settings;
};

// `tls:` section: transport security of the gRPC port (server/auth/tls.h).
struct TlsConfig {
  // "tls" (default; needs cert_file and key_file), "mtls" (also needs
  // client_ca_file; every client must present a certificate it signed) or
  // "plaintext" (explicit opt-out, meant for loopback development).
  std::string mode = "tls";
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
};

// `auth:` section: who may call and what they may do (server/auth/).
struct ApiKeyConfig {
  std::string id;          // shown in logs and the audit log
  std::string sha256;      // hex SHA-256 of the key; the key itself never
  Principal principal;     // acts as this user
  std::vector<std::string> roles;
};

struct JwtConfig {
  // PEM public keys (RSA for RS256, EC P-256 for ES256); JWT auth is on
  // when at least one is given.
  std::vector<std::string> public_key_files;
  std::string issuer;                  // required "iss"
  std::vector<std::string> audiences;  // "aud" must contain one of them
  std::string username_claim = "sub";
  std::string full_name_claim = "name";
  std::string email_claim = "email";
  std::string profile_uid_claim;        // empty = none
  std::string roles_claim = "roles";    // list of role strings
  int64_t leeway_seconds = 60;          // clock skew allowed on exp/nbf
};

struct AnonymousConfig {
  // Off by default. When on, calls without credentials act as `principal`
  // (default_principal unless principal_set) with `roles`.
  bool enabled = false;
  bool principal_set = false;
  Principal principal;
  std::vector<std::string> roles;
};

struct AuthConfig {
  AnonymousConfig anonymous;
  std::vector<ApiKeyConfig> api_keys;
  JwtConfig jwt;
  // JSON-lines audit log file; empty = no audit log.
  std::string audit_log_path;
  // Per-principal token bucket; 0 = no limit.
  double rate_limit_per_second = 0;
  int64_t rate_limit_burst = 0;  // 0 = max(1, rate_limit_per_second)
};

// `jobs:` section: the durable push queue (server/jobs/).
struct JobsConfig {
  int workers = 4;               // concurrent pushes of this process
  int max_attempts = 5;          // then the job is FAILED
  int64_t backoff_base_ms = 1000;   // delay after the first failure
  int64_t backoff_cap_ms = 300000;  // longest computed delay
  int64_t lease_ms = 30000;         // a dead worker's job is taken over after this
  int64_t attempt_timeout_ms = 60000;  // one pushToService run
  int64_t poll_ms = 2000;           // idle workers look for due jobs this often
  int64_t push_wait_ms = 60000;     // synchronous PushCase wait without a call deadline
};

// `metrics:` section: the Prometheus scrape endpoint.
struct MetricsConfig {
  // host:port of the HTTP server answering GET /metrics; empty = off.
  std::string listen;
};

// `watch:` section: the WatchCases change feed.
struct WatchConfig {
  // Case events are kept this long; older resume tokens get OUT_OF_RANGE.
  int64_t retention_hours = 168;
  // How often open streams look for events committed by other replicas.
  int64_t poll_interval_ms = 2000;
  // Most WatchCases streams served at once; more get RESOURCE_EXHAUSTED.
  int max_streams = 1000;
};

// The secrets keys, resolved from the environment and key files.
struct EncryptionKeys {
  std::string primary;  // empty = none configured
  std::vector<std::string> old_keys;
};

// store: postgres. The DSN may hold a password: prefer the
// CASEBRIDGE_POSTGRES_DSN environment variable to the file.
struct PostgresConfig {
  std::string dsn;  // libpq connection string or postgresql:// URI
  int pool_size = 16;  // most connections per process
  int acquire_timeout_ms = 5000;  // wait for a pooled connection
  int statement_timeout_ms = 30000;  // per statement; 0 = none
};

struct Config {
  // gRPC listen address, host:port.
  std::string listen_address = "127.0.0.1:50051";
  // Directory for the SQLite database and other local state.
  std::string data_dir = "data";
  // "sqlite" (embedded, default) or "postgres".
  std::string store = "sqlite";
  // SQLite database file; <data_dir>/casebridge.db when empty.
  std::string sqlite_path;
  // store: postgres settings ("postgres:" section; the top-level
  // "postgres_dsn" key is an alias of postgres.dsn).
  PostgresConfig postgres;
  // Directories scanned for plugin .so files at start-up.
  std::vector<std::string> plugin_dirs;
  std::string log_level = "info";
  // One JSON log line per RPC (request id, principal, method, duration, code).
  bool log_requests = true;
  Principal default_principal;
  // Largest request the server accepts, in bytes.
  int64_t max_request_bytes = 4 * 1024 * 1024;
  // Threads serving gRPC calls; 0 = gRPC's default.
  int server_threads = 0;

  ConnectorsConfig connectors;
  HttpConfig http;
  TlsConfig tls;
  AuthConfig auth;
  JobsConfig jobs;

  MetricsConfig metrics;
  WatchConfig watch;

  // Resolved path of the SQLite file.
  std::string SqlitePath() const;
};

// Reads `path` (YAML). Unknown keys and wrong types are errors listing every
// problem found.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

// Like LoadConfigFile, but reads into `config` whatever parses and appends
// every problem found to `problems`. Errors only when the file cannot be
// read or is not a YAML map.
absl::Status LoadConfigFileCollecting(const std::string& path, Config* config,
                                      std::vector<std::string>* problems);

// Applies CASEBRIDGE_LISTEN, CASEBRIDGE_DATA_DIR, CASEBRIDGE_STORE,
// CASEBRIDGE_SQLITE_PATH, CASEBRIDGE_POSTGRES_DSN, CASEBRIDGE_PLUGIN_DIRS
// (colon-separated), CASEBRIDGE_LOG_LEVEL, CASEBRIDGE_TLS_MODE and
// CASEBRIDGE_AUTH_ANONYMOUS_ROLES (comma-separated; turns anonymous access on
// with these roles) when set.
absl::Status ApplyEnvironment(Config& config);

// Resolves the secrets keys: CASEBRIDGE_ENCRYPTION_KEY, else the first line
// of connectors.encryption_key_file; old keys from
// connectors.old_encryption_keys_file (one per line) and
// CASEBRIDGE_OLD_ENCRYPTION_KEYS (comma-separated). Errors name the file
// that cannot be read, never a key.
absl::StatusOr<EncryptionKeys> ResolveEncryptionKeys(const Config& config);

// Checks values that no parser can: the store kind, address form, log level.
absl::Status Validate(const Config& config);
// Every problem Validate would report, one per entry.
std::vector<std::string> ValidationProblems(const Config& config);

}  // namespace casebridge::config

#endif  // CASEBRIDGE_SERVER_CONFIG_CONFIG_H_

// Server configuration: a YAML file, then CASEBRIDGE_* environment variables,
// then command-line flags, each overriding the one before.
#ifndef CASEBRIDGE_SERVER_CONFIG_CONFIG_H_
#define CASEBRIDGE_SERVER_CONFIG_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace casebridge::config {

// The acting user until authentication is configured.
struct Principal {
  std::string username = "casebridge";
  std::string full_name = "casebridge";
  std::string email;
  std::string profile_uid;
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
  // libpq connection string for store: postgres.
  std::string postgres_dsn;
  // Directories scanned for plugin .so files at start-up.
  std::vector<std::string> plugin_dirs;
  std::string log_level = "info";
  Principal default_principal;
  // Largest request the server accepts, in bytes.
  int64_t max_request_bytes = 4 * 1024 * 1024;
  // Threads serving gRPC calls; 0 = gRPC's default.
  int server_threads = 0;

  // Resolved path of the SQLite file.
  std::string SqlitePath() const;
};

// Reads `path` (YAML). Unknown keys and wrong types are errors listing every
// problem found.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

// Applies CASEBRIDGE_LISTEN, CASEBRIDGE_DATA_DIR, CASEBRIDGE_STORE,
// CASEBRIDGE_SQLITE_PATH, CASEBRIDGE_POSTGRES_DSN, CASEBRIDGE_PLUGIN_DIRS
// (colon-separated) and CASEBRIDGE_LOG_LEVEL when set.
absl::Status ApplyEnvironment(Config& config);

// Checks values that no parser can: the store kind, address form, log level.
absl::Status Validate(const Config& config);

}  // namespace casebridge::config

#endif  // CASEBRIDGE_SERVER_CONFIG_CONFIG_H_

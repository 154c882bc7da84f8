#include "server/config/config.h"

#include <cstdlib>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/util/log.h"
#include "yaml-cpp/yaml.h"

namespace casebridge::config {
namespace {

// Collects every problem in a file instead of stopping at the first.
class Problems {
 public:
  void Add(std::string problem) { problems_.push_back(std::move(problem)); }
  absl::Status ToStatus(const std::string& path) const {
    if (problems_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("config ", path, ": ", absl::StrJoin(problems_, "; ")));
  }

 private:
  std::vector<std::string> problems_;
};

template <typename T>
void ReadScalar(const YAML::Node& node, const std::string& key, T* out, Problems& problems) {
  try {
    *out = node.as<T>();
  } catch (const YAML::Exception&) {
    problems.Add(absl::StrCat("'", key, "' has the wrong type"));
  }
}

void ReadStringList(const YAML::Node& node, const std::string& key,
                    std::vector<std::string>* out, Problems& problems) {
  if (!node.IsSequence()) {
    problems.Add(absl::StrCat("'", key, "' must be a list of strings"));
    return;
  }
  out->clear();
  for (const auto& item : node) {
    std::string value;
    ReadScalar(item, key, &value, problems);
    out->push_back(value);
  }
}

void ReadPrincipal(const YAML::Node& node, Principal* out, Problems& problems) {
  if (!node.IsMap()) {
    problems.Add("'default_principal' must be a map");
    return;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (key == "username") ReadScalar(entry.second, "default_principal.username", &out->username, problems);
    else if (key == "full_name") ReadScalar(entry.second, "default_principal.full_name", &out->full_name, problems);
    else if (key == "email") ReadScalar(entry.second, "default_principal.email", &out->email, problems);
    else if (key == "profile_uid") ReadScalar(entry.second, "default_principal.profile_uid", &out->profile_uid, problems);
    else problems.Add(absl::StrCat("unknown key 'default_principal.", key, "'"));
  }
}

}  // namespace

std::string Config::SqlitePath() const {
  if (!sqlite_path.empty()) return sqlite_path;
  return (std::filesystem::path(data_dir) / "casebridge.db").string();
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat("config file ", path, " cannot be read"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config ", path, " is not valid YAML: ", e.what()));
  }
  Config config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat("config ", path, " must be a YAML map"));
  Problems problems;
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "listen") ReadScalar(value, key, &config.listen_address, problems);
    else if (key == "data_dir") ReadScalar(value, key, &config.data_dir, problems);
    else if (key == "store") ReadScalar(value, key, &config.store, problems);
    else if (key == "sqlite_path") ReadScalar(value, key, &config.sqlite_path, problems);
    else if (key == "postgres_dsn") ReadScalar(value, key, &config.postgres_dsn, problems);
    else if (key == "plugin_dirs") ReadStringList(value, key, &config.plugin_dirs, problems);
    else if (key == "log_level") ReadScalar(value, key, &config.log_level, problems);
    else if (key == "default_principal") ReadPrincipal(value, &config.default_principal, problems);
    else if (key == "max_request_bytes") ReadScalar(value, key, &config.max_request_bytes, problems);
    else if (key == "server_threads") ReadScalar(value, key, &config.server_threads, problems);
    else problems.Add(absl::StrCat("unknown key '", key, "'"));
  }
  if (absl::Status s = problems.ToStatus(path); !s.ok()) return s;
  return config;
}

absl::Status ApplyEnvironment(Config& config) {
  auto env = [](const char* name) -> const char* {
    const char* value = std::getenv(name);
    return (value != nullptr && *value != '\0') ? value : nullptr;
  };
  if (const char* v = env("CASEBRIDGE_LISTEN")) config.listen_address = v;
  if (const char* v = env("CASEBRIDGE_DATA_DIR")) config.data_dir = v;
  if (const char* v = env("CASEBRIDGE_STORE")) config.store = v;
  if (const char* v = env("CASEBRIDGE_SQLITE_PATH")) config.sqlite_path = v;
  if (const char* v = env("CASEBRIDGE_POSTGRES_DSN")) config.postgres_dsn = v;
  if (const char* v = env("CASEBRIDGE_PLUGIN_DIRS")) {
    config.plugin_dirs = absl::StrSplit(v, ':', absl::SkipEmpty());
  }
  if (const char* v = env("CASEBRIDGE_LOG_LEVEL")) config.log_level = v;
  return absl::OkStatus();
}

absl::Status Validate(const Config& config) {
  std::vector<std::string> problems;
  if (config.store != "sqlite" && config.store != "postgres") {
    problems.push_back(absl::StrCat("store must be 'sqlite' or 'postgres', not '", config.store, "'"));
  }
  if (config.store == "postgres" && config.postgres_dsn.empty()) {
    problems.push_back("store 'postgres' needs postgres_dsn");
  }
  if (config.listen_address.rfind(':') == std::string::npos) {
    problems.push_back(absl::StrCat("listen must be host:port, not '", config.listen_address, "'"));
  }
  log::Level level;
  if (!log::ParseLevel(config.log_level, &level)) {
    problems.push_back(absl::StrCat("log_level must be debug, info, warn or error, not '", config.log_level, "'"));
  }
  if (config.max_request_bytes < 1024) problems.push_back("max_request_bytes must be at least 1024");
  if (config.server_threads < 0) problems.push_back("server_threads must not be negative");
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
  return absl::OkStatus();
}

}  // namespace casebridge::config

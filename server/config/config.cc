#include "server/config/config.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/config/auth_config.h"
#include "server/util/log.h"
#include "yaml-cpp/yaml.h"

namespace casebridge::config {
namespace {

// Collects every problem in a file instead of stopping at the first.
class Problems {
 public:
  void Add(std::string problem) { problems_.push_back(std::move(problem)); }
  const std::vector<std::string>& list() const { return problems_; }
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

void ReadStringMap(const YAML::Node& node, const std::string& key,
                   std::map<std::string, std::string>* out, Problems& problems) {
  if (!node.IsMap()) {
    problems.Add(absl::StrCat("'", key, "' must be a map of strings"));
    return;
  }
  out->clear();
  for (const auto& entry : node) {
    std::string value;
    ReadScalar(entry.second, absl::StrCat(key, ".", entry.first.as<std::string>()), &value,
               problems);
    (*out)[entry.first.as<std::string>()] = value;
  }
}

// Plain YAML scalars become the JSON type they spell (null, bool, integer,
// number); quoted scalars stay strings.
nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& entry : node) out[entry.first.as<std::string>()] = YamlToJson(entry.second);
      return out;
    }
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted
  if (text == "~" || text == "null") return nullptr;
  if (text == "true") return true;
  if (text == "false") return false;
  if (!text.empty() && text.find_first_not_of("-0123456789") == std::string::npos) {
    try {
      size_t used = 0;
      long long v = std::stoll(text, &used);
      if (used == text.size()) return v;
    } catch (...) {
    }
  }
  if (!text.empty() && text.find_first_not_of("-+.0123456789eE") == std::string::npos) {
    try {
      size_t used = 0;
      double v = std::stod(text, &used);
      if (used == text.size()) return v;
    } catch (...) {
    }
  }
  return text;
}

void ReadPreconfigured(const YAML::Node& node, std::vector<PreconfiguredConnector>* out,
                       Problems& problems) {
  const std::string base = "connectors.preconfigured";
  if (!node.IsMap()) {
    problems.Add(absl::StrCat("'", base, "' must be a map of connector id to connector"));
    return;
  }
  out->clear();
  for (const auto& entry : node) {
    PreconfiguredConnector c;
    c.id = entry.first.as<std::string>();
    const std::string prefix = absl::StrCat(base, ".", c.id);
    if (c.id.empty() || c.id == "__proto__" || c.id == "constructor") {
      problems.Add(absl::StrCat("'", base, "' has the invalid connector id \"", c.id, "\""));
      continue;
    }
    if (!entry.second.IsMap()) {
      problems.Add(absl::StrCat("'", prefix, "' must be a map"));
      continue;
    }
    for (const auto& field : entry.second) {
      const std::string key = field.first.as<std::string>();
      const std::string path = absl::StrCat(prefix, ".", key);
      if (key == "name") {
        ReadScalar(field.second, path, &c.name, problems);
      } else if (key == "connector_type_id") {
        ReadScalar(field.second, path, &c.connector_type_id, problems);
      } else if (key == "config" || key == "secrets") {
        if (!field.second.IsMap() && !field.second.IsNull()) {
          problems.Add(absl::StrCat("'", path, "' must be a map"));
          continue;
        }
        nlohmann::json value =
            field.second.IsNull() ? nlohmann::json::object() : YamlToJson(field.second);
        (key == "config" ? c.config : c.secrets) = std::move(value);
      } else {
        problems.Add(absl::StrCat("unknown key '", path, "'"));
      }
    }
    if (c.name.empty()) problems.Add(absl::StrCat("'", prefix, ".name' is required"));
    if (c.connector_type_id.empty()) {
      problems.Add(absl::StrCat("'", prefix, ".connector_type_id' is required"));
    }
    out->push_back(std::move(c));
  }
  std::sort(out->begin(), out->end(),
            [](const PreconfiguredConnector& a, const PreconfiguredConnector& b) {
              return a.id < b.id;
            });
}

void ReadConnectors(const YAML::Node& node, ConnectorsConfig* out, Problems& problems) {
  if (!node.IsMap()) {
    problems.Add("'connectors' must be a map");
    return;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const std::string path = "connectors." + key;
    const YAML::Node& value = entry.second;
    if (key == "enabled_connector_types") ReadStringList(value, path, &out->enabled_connector_types, problems);
    else if (key == "preconfigured") ReadPreconfigured(value, &out->preconfigured, problems);
    else if (key == "encryption_key_file") ReadScalar(value, path, &out->encryption_key_file, problems);
    else if (key == "old_encryption_keys_file") ReadScalar(value, path, &out->old_encryption_keys_file, problems);
    else if (key == "execute_timeout_ms") ReadScalar(value, path, &out->execute_timeout_ms, problems);
    else if (key == "execute_threads") ReadScalar(value, path, &out->execute_threads, problems);
    else if (key == "inline_execute_slots") ReadScalar(value, path, &out->inline_execute_slots, problems);
    else problems.Add(absl::StrCat("unknown key '", path, "'"));
  }
}

void ReadJobs(const YAML::Node& node, JobsConfig* out, Problems& problems) {
  if (!node.IsMap()) {
    problems.Add("'jobs' must be a map");
    return;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const std::string path = "jobs." + key;
    const YAML::Node& value = entry.second;
    if (key == "workers") ReadScalar(value, path, &out->workers, problems);
    else if (key == "max_attempts") ReadScalar(value, path, &out->max_attempts, problems);
    else if (key == "backoff_base_ms") ReadScalar(value, path, &out->backoff_base_ms, problems);
    else if (key == "backoff_cap_ms") ReadScalar(value, path, &out->backoff_cap_ms, problems);
    else if (key == "lease_ms") ReadScalar(value, path, &out->lease_ms, problems);
    else if (key == "attempt_timeout_ms") ReadScalar(value, path, &out->attempt_timeout_ms, problems);
    else if (key == "poll_ms") ReadScalar(value, path, &out->poll_ms, problems);
    else if (key == "push_wait_ms") ReadScalar(value, path, &out->push_wait_ms, problems);
    else problems.Add(absl::StrCat("unknown key '", path, "'"));
  }
}

void ReadHostSettings(const YAML::Node& node, std::vector<HttpHostSettings>* out,
                      Problems& problems) {
  if (!node.IsSequence()) {
    problems.Add("'http.host_settings' must be a list");
    return;
  }
  out->clear();
  int index = 0;
  for (const auto& item : node) {
    const std::string prefix = absl::StrCat("http.host_settings[", index++, "]");
    if (!item.IsMap()) {
      problems.Add(absl::StrCat("'", prefix, "' must be a map"));
      continue;
    }
    HttpHostSettings hs;
    for (const auto& entry : item) {
      const std::string key = entry.first.as<std::string>();
      const std::string path = absl::StrCat(prefix, ".", key);
      if (key == "url") ReadScalar(entry.second, path, &hs.url, problems);
      else if (key == "verification_mode") ReadScalar(entry.second, path, &hs.verification_mode, problems);
      else if (key == "ca_files") ReadStringList(entry.second, path, &hs.ca_files, problems);
      else if (key == "ca_pem") ReadScalar(entry.second, path, &hs.ca_pem, problems);
      else problems.Add(absl::StrCat("unknown key '", path, "'"));
    }
    if (hs.url.empty()) problems.Add(absl::StrCat("'", prefix, ".url' is required"));
    out->push_back(std::move(hs));
  }
}

void ReadHttp(const YAML::Node& node, HttpConfig* out, Problems& problems) {
  if (!node.IsMap()) {
    problems.Add("'http' must be a map");
    return;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const std::string path = "http." + key;
    const YAML::Node& value = entry.second;
    if (key == "allowed_hosts") ReadStringList(value, path, &out->allowed_hosts, problems);
    else if (key == "allow_private_addresses") ReadScalar(value, path, &out->allow_private_addresses, problems);
    else if (key == "allowed_private_hosts") ReadStringList(value, path, &out->allowed_private_hosts, problems);
    else if (key == "allowed_private_cidrs") ReadStringList(value, path, &out->allowed_private_cidrs, problems);
    else if (key == "response_timeout_ms") ReadScalar(value, path, &out->response_timeout_ms, problems);
    else if (key == "connect_timeout_ms") ReadScalar(value, path, &out->connect_timeout_ms, problems);
    else if (key == "max_response_bytes") ReadScalar(value, path, &out->max_response_bytes, problems);
    else if (key == "max_redirects") ReadScalar(value, path, &out->max_redirects, problems);
    else if (key == "proxy_url") ReadScalar(value, path, &out->proxy_url, problems);
    else if (key == "proxy_bypass_hosts") ReadStringList(value, path, &out->proxy_bypass_hosts, problems);
    else if (key == "proxy_only_hosts") ReadStringList(value, path, &out->proxy_only_hosts, problems);
    else if (key == "proxy_headers") ReadStringMap(value, path, &out->proxy_headers, problems);
    else if (key == "verification_mode") ReadScalar(value, path, &out->verification_mode, problems);
    else if (key == "proxy_verification_mode") ReadScalar(value, path, &out->proxy_verification_mode, problems);
    else if (key == "host_settings") ReadHostSettings(value, &out->host_settings, problems);
    else problems.Add(absl::StrCat("unknown key '", path, "'"));
  }
}

void ReadPostgres(const YAML::Node& node, PostgresConfig* out, Problems& problems) {
  if (!node.IsMap()) {
    problems.Add("'postgres' must be a map");
    return;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const std::string path = "postgres." + key;
    const YAML::Node& value = entry.second;
    if (key == "dsn") ReadScalar(value, path, &out->dsn, problems);
    else if (key == "pool_size") ReadScalar(value, path, &out->pool_size, problems);
    else if (key == "acquire_timeout_ms") ReadScalar(value, path, &out->acquire_timeout_ms, problems);
    else if (key == "statement_timeout_ms") ReadScalar(value, path, &out->statement_timeout_ms, problems);
    else problems.Add(absl::StrCat("unknown key '", path, "'"));
  }
}

void ReadMetrics(const YAML::Node& node, MetricsConfig* out, Problems& problems) {
  if (!node.IsMap()) {
    problems.Add("'metrics' must be a map");
    return;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const std::string path = "metrics." + key;
    if (key == "listen") ReadScalar(entry.second, path, &out->listen, problems);
    else problems.Add(absl::StrCat("unknown key '", path, "'"));
  }
}

void ReadWatch(const YAML::Node& node, WatchConfig* out, Problems& problems) {
  if (!node.IsMap()) {
    problems.Add("'watch' must be a map");
    return;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const std::string path = "watch." + key;
    if (key == "retention_hours") ReadScalar(entry.second, path, &out->retention_hours, problems);
    else if (key == "poll_interval_ms") ReadScalar(entry.second, path, &out->poll_interval_ms, problems);
    else if (key == "max_streams") ReadScalar(entry.second, path, &out->max_streams, problems);
    else problems.Add(absl::StrCat("unknown key '", path, "'"));
  }
}

bool IsVerificationMode(const std::string& mode) {
  return mode == "none" || mode == "certificate" || mode == "full";
}

// Reads the non-empty lines of a key file, trimmed of surrounding spaces.
absl::StatusOr<std::vector<std::string>> ReadKeyLines(const std::string& path, const char* key) {
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat(key, ": cannot read the key file ", path));
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    const size_t end = line.find_last_not_of(" \t\r");
    lines.push_back(line.substr(begin, end - begin + 1));
  }
  return lines;
}

}  // namespace

absl::StatusOr<EncryptionKeys> ResolveEncryptionKeys(const Config& config) {
  EncryptionKeys keys;
  const char* env_key = std::getenv("CASEBRIDGE_ENCRYPTION_KEY");
  if (env_key != nullptr && *env_key != '\0') {
    keys.primary = env_key;
  } else if (!config.connectors.encryption_key_file.empty()) {
    auto lines = ReadKeyLines(config.connectors.encryption_key_file,
                              "connectors.encryption_key_file");
    if (!lines.ok()) return lines.status();
    if (lines->empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("connectors.encryption_key_file: the key file ",
                       config.connectors.encryption_key_file, " is empty"));
    }
    keys.primary = (*lines)[0];
  }
  if (!config.connectors.old_encryption_keys_file.empty()) {
    auto lines = ReadKeyLines(config.connectors.old_encryption_keys_file,
                              "connectors.old_encryption_keys_file");
    if (!lines.ok()) return lines.status();
    keys.old_keys = *std::move(lines);
  }
  if (const char* env_old = std::getenv("CASEBRIDGE_OLD_ENCRYPTION_KEYS");
      env_old != nullptr && *env_old != '\0') {
    for (absl::string_view k : absl::StrSplit(env_old, ',', absl::SkipWhitespace())) {
      k = absl::StripAsciiWhitespace(k);
      keys.old_keys.emplace_back(k.data(), k.size());
    }
  }
  return keys;
}

std::string Config::SqlitePath() const {
  if (!sqlite_path.empty()) return sqlite_path;
  return (std::filesystem::path(data_dir) / "casebridge.db").string();
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  Config config;
  std::vector<std::string> problems;
  if (absl::Status s = LoadConfigFileCollecting(path, &config, &problems); !s.ok()) return s;
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config ", path, ": ", absl::StrJoin(problems, "; ")));
  }
  return config;
}

absl::Status LoadConfigFileCollecting(const std::string& path, Config* config,
                                      std::vector<std::string>* problems_out) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat("config file ", path, " cannot be read"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config ", path, " is not valid YAML: ", e.what()));
  }
  if (root.IsNull()) return absl::OkStatus();
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat("config ", path, " must be a YAML map"));
  Problems problems;
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "listen") ReadScalar(value, key, &config->listen_address, problems);
    else if (key == "data_dir") ReadScalar(value, key, &config->data_dir, problems);
    else if (key == "store") ReadScalar(value, key, &config->store, problems);
    else if (key == "sqlite_path") ReadScalar(value, key, &config->sqlite_path, problems);
    else if (key == "postgres_dsn") ReadScalar(value, key, &config->postgres.dsn, problems);
    else if (key == "postgres") ReadPostgres(value, &config->postgres, problems);
    else if (key == "plugin_dirs") ReadStringList(value, key, &config->plugin_dirs, problems);
    else if (key == "log_level") ReadScalar(value, key, &config->log_level, problems);
    else if (key == "default_principal") ReadPrincipal(value, &config->default_principal, problems);
    else if (key == "max_request_bytes") ReadScalar(value, key, &config->max_request_bytes, problems);
    else if (key == "server_threads") ReadScalar(value, key, &config->server_threads, problems);
    else if (key == "connectors") ReadConnectors(value, &config->connectors, problems);
    else if (key == "http") ReadHttp(value, &config->http, problems);
    else if (key == "jobs") ReadJobs(value, &config->jobs, problems);
    else if (key == "metrics") ReadMetrics(value, &config->metrics, problems);
    else if (key == "watch") ReadWatch(value, &config->watch, problems);
    else if (key == "log_requests") ReadScalar(value, key, &config->log_requests, problems);
    else if (key == "tls" || key == "auth") {
      std::vector<std::string> found;
      if (key == "tls") ReadTlsConfig(value, &config->tls, found);
      else ReadAuthConfig(value, &config->auth, found);
      for (auto& p : found) problems.Add(std::move(p));
    }
    else problems.Add(absl::StrCat("unknown key '", key, "'"));
  }
  problems_out->insert(problems_out->end(), problems.list().begin(), problems.list().end());
  return absl::OkStatus();
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
  if (const char* v = env("CASEBRIDGE_POSTGRES_DSN")) config.postgres.dsn = v;
  if (const char* v = env("CASEBRIDGE_PLUGIN_DIRS")) {
    config.plugin_dirs = absl::StrSplit(v, ':', absl::SkipEmpty());
  }
  if (const char* v = env("CASEBRIDGE_LOG_LEVEL")) config.log_level = v;
  if (const char* v = env("CASEBRIDGE_METRICS_LISTEN")) config.metrics.listen = v;
  ApplySecurityEnvironment(config);
  return absl::OkStatus();
}

absl::Status Validate(const Config& config) {
  std::vector<std::string> problems = ValidationProblems(config);
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
  return absl::OkStatus();
}

std::vector<std::string> ValidationProblems(const Config& config) {
  std::vector<std::string> problems;
  if (config.store != "sqlite" && config.store != "postgres") {
    problems.push_back(absl::StrCat("store must be 'sqlite' or 'postgres', not '", config.store, "'"));
  }
  if (config.store == "postgres" && config.postgres.dsn.empty()) {
    problems.push_back("store 'postgres' needs postgres.dsn (or CASEBRIDGE_POSTGRES_DSN)");
  }
  if (config.postgres.pool_size < 1 || config.postgres.pool_size > 1000) {
    problems.push_back("postgres.pool_size must be between 1 and 1000");
  }
  if (config.postgres.acquire_timeout_ms < 1) problems.push_back("postgres.acquire_timeout_ms must be positive");
  if (config.postgres.statement_timeout_ms < 0) {
    problems.push_back("postgres.statement_timeout_ms must not be negative");
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
  if (config.connectors.execute_timeout_ms < 1) {
    problems.push_back("connectors.execute_timeout_ms must be positive");
  }
  if (config.connectors.execute_threads < 1 || config.connectors.execute_threads > 256) {
    problems.push_back("connectors.execute_threads must be between 1 and 256");
  }
  if (config.connectors.inline_execute_slots < 0 || config.connectors.inline_execute_slots > 64) {
    problems.push_back("connectors.inline_execute_slots must be between 0 and 64");
  }
  const JobsConfig& jobs = config.jobs;
  if (jobs.workers < 1 || jobs.workers > 256) problems.push_back("jobs.workers must be between 1 and 256");
  if (jobs.max_attempts < 1) problems.push_back("jobs.max_attempts must be positive");
  if (jobs.backoff_base_ms < 1) problems.push_back("jobs.backoff_base_ms must be positive");
  if (jobs.backoff_cap_ms < jobs.backoff_base_ms) {
    problems.push_back("jobs.backoff_cap_ms must be at least jobs.backoff_base_ms");
  }
  if (jobs.lease_ms < 300) problems.push_back("jobs.lease_ms must be at least 300");
  if (jobs.attempt_timeout_ms < 1) problems.push_back("jobs.attempt_timeout_ms must be positive");
  if (jobs.poll_ms < 10) problems.push_back("jobs.poll_ms must be at least 10");
  if (jobs.push_wait_ms < 1) problems.push_back("jobs.push_wait_ms must be positive");
  const HttpConfig& http = config.http;
  if (http.response_timeout_ms < 1) problems.push_back("http.response_timeout_ms must be positive");
  if (http.connect_timeout_ms < 1) problems.push_back("http.connect_timeout_ms must be positive");
  if (http.max_response_bytes < 1) problems.push_back("http.max_response_bytes must be positive");
  if (http.max_redirects < 0) problems.push_back("http.max_redirects must not be negative");
  if (!IsVerificationMode(http.verification_mode)) {
    problems.push_back("http.verification_mode must be none, certificate or full");
  }
  if (!IsVerificationMode(http.proxy_verification_mode)) {
    problems.push_back("http.proxy_verification_mode must be none, certificate or full");
  }
  for (size_t i = 0; i < http.host_settings.size(); ++i) {
    const std::string& mode = http.host_settings[i].verification_mode;
    if (!mode.empty() && !IsVerificationMode(mode)) {
      problems.push_back(absl::StrCat("http.host_settings[", i,
                                      "].verification_mode must be none, certificate or full"));
    }
  }
  if (!config.metrics.listen.empty() && config.metrics.listen.rfind(':') == std::string::npos) {
    problems.push_back(absl::StrCat("metrics.listen must be host:port, not '",
                                    config.metrics.listen, "'"));
  }
  if (config.watch.retention_hours < 1) problems.push_back("watch.retention_hours must be positive");
  if (config.watch.poll_interval_ms < 10) {
    problems.push_back("watch.poll_interval_ms must be at least 10");
  }
  if (config.watch.max_streams < 1) problems.push_back("watch.max_streams must be positive");
  ValidateSecurity(config, problems);
  return problems;
}

}  // namespace casebridge::config

#include "server/config/auth_config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace casebridge::config {
namespace {

template <typename T>
void Read(const YAML::Node& node, const std::string& key, T* out,
          std::vector<std::string>& problems) {
  try {
    *out = node.as<T>();
  } catch (const YAML::Exception&) {
    problems.push_back(absl::StrCat("'", key, "' has the wrong type"));
  }
}

void ReadList(const YAML::Node& node, const std::string& key,
              std::vector<std::string>* out,
              std::vector<std::string>& problems) {
  if (!node.IsSequence()) {
    problems.push_back(absl::StrCat("'", key, "' must be a list of strings"));
    return;
  }
  out->clear();
  for (const auto& item : node) {
    std::string value;
    Read(item, key, &value, problems);
    out->push_back(value);
  }
}

bool IsMap(const YAML::Node& node, const std::string& key,
           std::vector<std::string>& problems) {
  if (node.IsMap()) return true;
  problems.push_back(absl::StrCat("'", key, "' must be a map"));
  return false;
}

void ReadUser(const YAML::Node& node, const std::string& key, Principal* out,
              std::vector<std::string>& problems) {
  if (!IsMap(node, key, problems)) return;
  for (const auto& entry : node) {
    const std::string k = entry.first.as<std::string>();
    const std::string path = absl::StrCat(key, ".", k);
    if (k == "username")
      Read(entry.second, path, &out->username, problems);
    else if (k == "full_name")
      Read(entry.second, path, &out->full_name, problems);
    else if (k == "email")
      Read(entry.second, path, &out->email, problems);
    else if (k == "profile_uid")
      Read(entry.second, path, &out->profile_uid, problems);
    else
      problems.push_back(absl::StrCat("unknown key '", path, "'"));
  }
}

void ReadAnonymous(const YAML::Node& node, AnonymousConfig* out,
                   std::vector<std::string>& problems) {
  const std::string key = "auth.anonymous";
  if (!IsMap(node, key, problems)) return;
  out->enabled = true;
  for (const auto& entry : node) {
    const std::string k = entry.first.as<std::string>();
    const std::string path = absl::StrCat(key, ".", k);
    if (k == "enabled")
      Read(entry.second, path, &out->enabled, problems);
    else if (k == "principal") {
      out->principal_set = true;
      ReadUser(entry.second, path, &out->principal, problems);
    } else if (k == "roles")
      ReadList(entry.second, path, &out->roles, problems);
    else
      problems.push_back(absl::StrCat("unknown key '", path, "'"));
  }
}

void ReadApiKeys(const YAML::Node& node, std::vector<ApiKeyConfig>* out,
                 std::vector<std::string>& problems) {
  if (!node.IsSequence()) {
    problems.push_back("'auth.api_keys' must be a list of maps");
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string key = absl::StrCat("auth.api_keys[", i, "]");
    if (!IsMap(node[i], key, problems)) continue;
    ApiKeyConfig k;
    k.principal.username.clear();
    k.principal.full_name.clear();
    for (const auto& entry : node[i]) {
      const std::string name = entry.first.as<std::string>();
      const std::string path = absl::StrCat(key, ".", name);
      if (name == "id")
        Read(entry.second, path, &k.id, problems);
      else if (name == "sha256")
        Read(entry.second, path, &k.sha256, problems);
      else if (name == "principal")
        ReadUser(entry.second, path, &k.principal, problems);
      else if (name == "roles")
        ReadList(entry.second, path, &k.roles, problems);
      else if (name == "key") {
        problems.push_back(absl::StrCat(
            "'", path, "' is not allowed: give the key's hex SHA-256 as ", key,
            ".sha256 and keep the key out of the config"));
      } else
        problems.push_back(absl::StrCat("unknown key '", path, "'"));
    }
    out->push_back(std::move(k));
  }
}

void ReadJwt(const YAML::Node& node, JwtConfig* out,
             std::vector<std::string>& problems) {
  const std::string key = "auth.jwt";
  if (!IsMap(node, key, problems)) return;
  for (const auto& entry : node) {
    const std::string k = entry.first.as<std::string>();
    const std::string path = absl::StrCat(key, ".", k);
    const YAML::Node& v = entry.second;
    if (k == "public_key_files")
      ReadList(v, path, &out->public_key_files, problems);
    else if (k == "issuer")
      Read(v, path, &out->issuer, problems);
    else if (k == "audiences")
      ReadList(v, path, &out->audiences, problems);
    else if (k == "username_claim")
      Read(v, path, &out->username_claim, problems);
    else if (k == "full_name_claim")
      Read(v, path, &out->full_name_claim, problems);
    else if (k == "email_claim")
      Read(v, path, &out->email_claim, problems);
    else if (k == "profile_uid_claim")
      Read(v, path, &out->profile_uid_claim, problems);
    else if (k == "roles_claim")
      Read(v, path, &out->roles_claim, problems);
    else if (k == "leeway_seconds")
      Read(v, path, &out->leeway_seconds, problems);
    else
      problems.push_back(absl::StrCat("unknown key '", path, "'"));
  }
}

void ReadRateLimit(const YAML::Node& node, AuthConfig* out,
                   std::vector<std::string>& problems) {
  const std::string key = "auth.rate_limit";
  if (!IsMap(node, key, problems)) return;
  for (const auto& entry : node) {
    const std::string k = entry.first.as<std::string>();
    const std::string path = absl::StrCat(key, ".", k);
    if (k == "per_second")
      Read(entry.second, path, &out->rate_limit_per_second, problems);
    else if (k == "burst")
      Read(entry.second, path, &out->rate_limit_burst, problems);
    else
      problems.push_back(absl::StrCat("unknown key '", path, "'"));
  }
}

}  // namespace

void ReadTlsConfig(const YAML::Node& node, TlsConfig* out,
                   std::vector<std::string>& problems) {
  if (!IsMap(node, "tls", problems)) return;
  for (const auto& entry : node) {
    const std::string k = entry.first.as<std::string>();
    const std::string path = absl::StrCat("tls.", k);
    if (k == "mode")
      Read(entry.second, path, &out->mode, problems);
    else if (k == "cert_file")
      Read(entry.second, path, &out->cert_file, problems);
    else if (k == "key_file")
      Read(entry.second, path, &out->key_file, problems);
    else if (k == "client_ca_file")
      Read(entry.second, path, &out->client_ca_file, problems);
    else
      problems.push_back(absl::StrCat("unknown key '", path, "'"));
  }
}

void ReadAuthConfig(const YAML::Node& node, AuthConfig* out,
                    std::vector<std::string>& problems) {
  if (!IsMap(node, "auth", problems)) return;
  for (const auto& entry : node) {
    const std::string k = entry.first.as<std::string>();
    const YAML::Node& v = entry.second;
    if (k == "anonymous")
      ReadAnonymous(v, &out->anonymous, problems);
    else if (k == "api_keys")
      ReadApiKeys(v, &out->api_keys, problems);
    else if (k == "jwt")
      ReadJwt(v, &out->jwt, problems);
    else if (k == "audit_log")
      Read(v, "auth.audit_log", &out->audit_log_path, problems);
    else if (k == "rate_limit")
      ReadRateLimit(v, out, problems);
    else
      problems.push_back(absl::StrCat("unknown key 'auth.", k, "'"));
  }
}

void ApplySecurityEnvironment(Config& config) {
  auto env = [](const char* name) -> const char* {
    const char* value = std::getenv(name);
    return (value != nullptr && *value != '\0') ? value : nullptr;
  };
  if (const char* v = env("CASEBRIDGE_TLS_MODE")) config.tls.mode = v;
  if (const char* v = env("CASEBRIDGE_AUTH_ANONYMOUS_ROLES")) {
    config.auth.anonymous.enabled = true;
    config.auth.anonymous.roles.clear();
    for (absl::string_view role : absl::StrSplit(v, ',', absl::SkipEmpty())) {
      config.auth.anonymous.roles.emplace_back(
          absl::StripAsciiWhitespace(role));
    }
  }
}

void ValidateSecurity(const Config& config,
                      std::vector<std::string>& problems) {
  const TlsConfig& tls = config.tls;
  if (tls.mode != "tls" && tls.mode != "mtls" && tls.mode != "plaintext") {
    problems.push_back(absl::StrCat(
        "tls.mode must be tls, mtls or plaintext, not '", tls.mode, "'"));
  } else if (tls.mode != "plaintext") {
    if (tls.cert_file.empty() || tls.key_file.empty()) {
      problems.push_back(
          "tls.cert_file and tls.key_file are required (or set tls.mode: "
          "plaintext explicitly, for loopback development only)");
    }
    if (tls.mode == "mtls" && tls.client_ca_file.empty()) {
      problems.push_back("tls.mode mtls needs tls.client_ca_file");
    }
  }
  const AuthConfig& auth = config.auth;
  for (size_t i = 0; i < auth.api_keys.size(); ++i) {
    const ApiKeyConfig& k = auth.api_keys[i];
    const std::string key = absl::StrCat("auth.api_keys[", i, "]");
    if (k.id.empty()) problems.push_back(absl::StrCat(key, ".id is required"));
    bool hex = k.sha256.size() == 64;
    for (char c : k.sha256) hex = hex && absl::ascii_isxdigit(c);
    if (!hex) {
      problems.push_back(absl::StrCat(
          key, ".sha256 must be 64 hex digits (sha256sum of the key)"));
    }
    if (k.principal.username.empty()) {
      problems.push_back(absl::StrCat(key, ".principal.username is required"));
    }
  }
  const JwtConfig& jwt = auth.jwt;
  if (!jwt.public_key_files.empty()) {
    if (jwt.issuer.empty()) problems.push_back("auth.jwt.issuer is required");
    if (jwt.audiences.empty())
      problems.push_back("auth.jwt.audiences is required");
    if (jwt.username_claim.empty()) {
      problems.push_back("auth.jwt.username_claim must not be empty");
    }
    if (jwt.leeway_seconds < 0 || jwt.leeway_seconds > 600) {
      problems.push_back("auth.jwt.leeway_seconds must be between 0 and 600");
    }
  }
  if (auth.rate_limit_per_second < 0 || auth.rate_limit_burst < 0) {
    problems.push_back("auth.rate_limit values must not be negative");
  }
}

}  // namespace casebridge::config

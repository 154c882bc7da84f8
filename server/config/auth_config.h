// Readers and checks for the `tls:` and `auth:` config sections; used by
// config.cc only. Problems are appended as human-readable strings that name
// the key; values of secrets are never included.
#ifndef CASEBRIDGE_SERVER_CONFIG_AUTH_CONFIG_H_
#define CASEBRIDGE_SERVER_CONFIG_AUTH_CONFIG_H_

#include <string>
#include <vector>

#include "server/config/config.h"
#include "yaml-cpp/yaml.h"

namespace casebridge::config {

void ReadTlsConfig(const YAML::Node& node, TlsConfig* out,
                   std::vector<std::string>& problems);
void ReadAuthConfig(const YAML::Node& node, AuthConfig* out,
                    std::vector<std::string>& problems);
// CASEBRIDGE_TLS_MODE and CASEBRIDGE_AUTH_ANONYMOUS_ROLES.
void ApplySecurityEnvironment(Config& config);
void ValidateSecurity(const Config& config, std::vector<std::string>& problems);

}  // namespace casebridge::config

#endif  // CASEBRIDGE_SERVER_CONFIG_AUTH_CONFIG_H_

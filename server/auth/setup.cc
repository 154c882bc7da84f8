#include "server/auth/setup.h"

#include "server/auth/tls.h"
#include "server/util/log.h"

namespace casebridge::auth {

absl::StatusOr<Security> SetUpSecurity(const config::Config& config,
                                       ApiKeyLookup lookup) {
  Security security;
  auto credentials = MakeServerCredentials(config.tls, config.listen_address);
  if (!credentials.ok()) return credentials.status();
  security.credentials = *std::move(credentials);
  auto authenticator = Authenticator::Create(
      config.auth, config.default_principal, std::move(lookup));
  if (!authenticator.ok()) return authenticator.status();
  std::unique_ptr<AuditLog> audit;
  if (!config.auth.audit_log_path.empty()) {
    auto opened = AuditLog::Open(config.auth.audit_log_path);
    if (!opened.ok()) return opened.status();
    audit = *std::move(opened);
  }
  if (config.auth.anonymous.enabled) {
    log::Warn("auth",
              "anonymous access is on: calls without credentials act as the "
              "anonymous principal (auth.anonymous); turn it off outside "
              "local development");
  }
  log::Info("auth", config.auth.api_keys.size(),
            " API keys in the config, JWT ",
            config.auth.jwt.public_key_files.empty() ? "off" : "on",
            ", audit log ", audit == nullptr ? "off" : "on");
  security.guard = std::make_unique<Guard>(
      *std::move(authenticator), std::move(audit),
      config.auth.rate_limit_per_second,
      static_cast<double>(config.auth.rate_limit_burst));
  return security;
}

}  // namespace casebridge::auth

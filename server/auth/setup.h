// One-call wiring of transport security and the Guard for main.cc.
//
// The returned objects are owned by the caller and must outlive the server.
#ifndef CASEBRIDGE_SERVER_AUTH_SETUP_H_
#define CASEBRIDGE_SERVER_AUTH_SETUP_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/auth/authenticator.h"
#include "server/auth/guard.h"
#include "server/config/config.h"

namespace casebridge::auth {

struct Security {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::unique_ptr<Guard> guard;
};

// Reads certificates, keys and JWT public keys, opens the audit log and
// builds the Guard. `lookup` finds stored API keys (may be null: config keys
// only). Errors name the config key or file at fault.
absl::StatusOr<Security> SetUpSecurity(const config::Config& config,
                                       ApiKeyLookup lookup);

}  // namespace casebridge::auth

#endif  // CASEBRIDGE_SERVER_AUTH_SETUP_H_

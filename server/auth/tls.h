// Builds the gRPC server credentials from the `tls:` config: TLS with the
// configured certificate and key, optionally requiring and verifying client
// certificates (mTLS), or insecure credentials when the config explicitly
// says plaintext.
//
// Stateless; thread-safe. Key material read from files is wiped after use.
#ifndef CASEBRIDGE_SERVER_AUTH_TLS_H_
#define CASEBRIDGE_SERVER_AUTH_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/config/config.h"

namespace casebridge::auth {

// INVALID_ARGUMENT names the file that cannot be read. Logs a warning for
// plaintext on a non-loopback `listen_address`.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const config::TlsConfig& tls, const std::string& listen_address);

}  // namespace casebridge::auth

#endif  // CASEBRIDGE_SERVER_AUTH_TLS_H_

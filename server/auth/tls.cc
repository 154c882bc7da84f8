#include "server/auth/tls.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "server/auth/api_key.h"
#include "server/util/log.h"

namespace casebridge::auth {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.", key, ": cannot read ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string content = buffer.str();
  if (content.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.", key, ": ", path, " is empty"));
  }
  return content;
}

bool IsLoopback(const std::string& listen_address) {
  const std::string host = listen_address.substr(0, listen_address.rfind(':'));
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]" ||
         host == "::1" || absl::StartsWith(host, "127.") ||
         absl::StartsWith(host, "unix:");
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const config::TlsConfig& tls, const std::string& listen_address) {
  if (tls.mode == "plaintext") {
    if (!IsLoopback(listen_address)) {
      log::Warn("tls", "tls.mode is plaintext on ", listen_address,
                ": credentials and case data cross the network unencrypted");
    }
    return grpc::InsecureServerCredentials();
  }
  auto cert = ReadFile(tls.cert_file, "cert_file");
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(tls.key_file, "key_file");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (tls.mode == "mtls") {
    auto ca = ReadFile(tls.client_ca_file, "client_ca_file");
    if (!ca.ok()) {
      Wipe(*key);
      return ca.status();
    }
    options.pem_root_certs = *ca;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  options.pem_key_cert_pairs.push_back({*key, *cert});
  auto credentials = grpc::SslServerCredentials(options);
  Wipe(*key);
  Wipe(options.pem_key_cert_pairs[0].private_key);
  log::Info("tls", "gRPC port uses ", tls.mode == "mtls" ? "mTLS" : "TLS");
  return credentials;
}

}  // namespace casebridge::auth

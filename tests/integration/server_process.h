// ServerProcess runs the real casebridge-server binary as a child process for
// integration tests: ephemeral port on 127.0.0.1, a fresh temporary data
// directory, stdout/stderr captured to files, health-checked before use, and
// Stop (SIGTERM) / Kill (SIGKILL) / Restart on the same data directory.
//
// Not thread-safe: one thread owns a ServerProcess and calls its lifecycle
// methods. The channel and stubs it hands out are gRPC objects and may be used
// from any thread while the process runs. The destructor kills a still
// running server and removes the temporary directory (kept when the
// environment variable CASEBRIDGE_KEEP_TEST_DIRS is set). In sanitizer
// builds the destructor stops the server gracefully instead (so
// LeakSanitizer checks its exit), and in every build it fails the current
// test when the server's stderr holds a sanitizer report (and keeps the
// temporary directory with the full log).
//
// With CASEBRIDGE_TEST_STORE=postgres in the test's environment, the server
// runs on the PostgreSQL store instead, in a database of its own on the test
// server (tests/pg/postgres_instance.h), unless options.env sets
// CASEBRIDGE_STORE itself.
#ifndef CASEBRIDGE_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define CASEBRIDGE_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "casebridge/v1/case_service.grpc.pb.h"
#include "casebridge/v1/connector_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace casebridge::testing {

struct ServerOptions {
  // Extra command-line arguments appended after the harness's own flags.
  std::vector<std::string> extra_args;
  // When non-empty, written to <temp dir>/casebridge.yaml and passed with
  // --config. --listen and --data-dir flags still override it.
  std::string config_yaml;
  // Environment variables set (or overridden) for the child.
  std::vector<std::pair<std::string, std::string>> env;
  // Data directory to use; a fresh one under the temp dir when empty.
  std::string data_dir;
  // How long Start waits for the LISTENING line and health SERVING.
  std::chrono::milliseconds start_timeout{30000};
  // The binary; ServerProcess::DefaultBinary() when empty.
  std::string binary;
  // Plaintext gRPC and anonymous access with every role (through
  // CASEBRIDGE_TLS_MODE and CASEBRIDGE_AUTH_ANONYMOUS_ROLES, unless `env`
  // sets them), so tests that are not about security need no credentials.
  // Security tests turn it off and configure tls/auth themselves.
  bool open_access = true;
  // Channel credentials for channel(); insecure when null.
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
  // Name the server certificate is checked against (TLS), when set.
  std::string tls_target_name;
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerOptions options = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The casebridge-server path compiled into the test library.
  static std::string DefaultBinary();

  // Spawns the server, waits for "LISTENING host:port" on its stdout and for
  // grpc.health.v1 to answer SERVING. On failure the child is killed and the
  // status message includes the tail of its stderr.
  absl::Status Start();

  // SIGTERM, then waits up to `timeout` for exit (SIGKILL after that).
  // Returns the raw wait status (see WIFEXITED), or -1 if nothing ran.
  int Stop(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(15000));

  // SIGKILL and reap. Returns the raw wait status, or -1 if nothing ran.
  int Kill();

  // Stop (or Kill when `hard`), then Start again on the same data directory
  // (a new ephemeral port; channel() and stubs must be fetched again).
  absl::Status Restart(bool hard = false);

  // True while the child has not exited.
  bool Running();

  pid_t pid() const { return pid_; }
  // "127.0.0.1:PORT" of the current run.
  const std::string& address() const { return address_; }
  const std::string& temp_dir() const { return temp_dir_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& stderr_path() const { return stderr_path_; }

  // Everything the server wrote to stderr so far (all runs).
  std::string ReadStderr() const;
  // The first AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer
  // report in the server's stderr (all runs), or "" when there is none.
  std::string SanitizerReport() const;
  // Peak resident set (VmHWM) in kB from /proc, or -1.
  long PeakRssKb() const;

  // A channel to the current run (created on first use after Start).
  std::shared_ptr<grpc::Channel> channel();
  std::unique_ptr<casebridge::v1::CaseService::Stub> NewCaseStub();
  std::unique_ptr<casebridge::v1::ConnectorService::Stub> NewConnectorStub();
  std::unique_ptr<grpc::health::v1::Health::Stub> NewHealthStub();

 private:
  void UsePostgresWhenAsked();
  absl::Status Spawn();
  absl::Status WaitForListening();
  absl::Status WaitForServing();
  int Reap(std::chrono::milliseconds timeout);
  std::string StderrTail(size_t max_bytes) const;

  ServerOptions options_;
  std::string temp_dir_;
  std::string data_dir_;
  std::string config_path_;
  std::string stdout_path_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  absl::Status setup_error_;  // reported by Start
};

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_INTEGRATION_SERVER_PROCESS_H_

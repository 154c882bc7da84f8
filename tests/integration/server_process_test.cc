// Tests of the ServerProcess harness itself against the real binary: start
// on an ephemeral port, health, captured logs, SIGTERM/SIGKILL, restart on
// the same data directory, and start-up failures reported with the log tail.
#include "tests/integration/server_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace casebridge::testing {
namespace {

grpc::health::v1::HealthCheckResponse::ServingStatus Health(
    ServerProcess& server, const std::string& service,
    grpc::Status* status_out = nullptr) {
  auto stub = server.NewHealthStub();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&ctx, request, &response);
  if (status_out != nullptr) *status_out = status;
  return response.status();
}

TEST(ServerProcessTest, StartsOnEphemeralPortAndServesHealth) {
  ServerProcess server;
  ASSERT_TRUE(server.Start().ok());
  EXPECT_TRUE(server.Running());
  EXPECT_GT(server.pid(), 0);
  EXPECT_EQ(server.address().rfind("127.0.0.1:", 0), 0u) << server.address();
  EXPECT_NE(server.address(), "127.0.0.1:0");
  EXPECT_EQ(Health(server, ""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(server, "casebridge.v1.CaseService"),
            grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(server, "casebridge.v1.ConnectorService"),
            grpc::health::v1::HealthCheckResponse::SERVING);
  grpc::Status unknown;
  Health(server, "no.such.Service", &unknown);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(std::filesystem::is_directory(server.data_dir()));
  EXPECT_GT(server.PeakRssKb(), 0);
}

TEST(ServerProcessTest, TwoServersRunSideBySide) {
  ServerProcess a;
  ServerProcess b;
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  EXPECT_NE(a.address(), b.address());
  EXPECT_NE(a.data_dir(), b.data_dir());
  EXPECT_EQ(Health(a, ""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(b, ""), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(ServerProcessTest, StderrIsCapturedAsJsonLogLines) {
  ServerProcess server;
  ASSERT_TRUE(server.Start().ok());
  std::string log = server.ReadStderr();
  EXPECT_NE(log.find("listening"), std::string::npos) << log;
  EXPECT_NE(log.find(server.address().substr(server.address().rfind(':'))),
            std::string::npos)
      << log;
  EXPECT_EQ(log.front(), '{') << "logs are JSON lines: " << log;
}

TEST(ServerProcessTest, SigtermStopsCleanly) {
  ServerProcess server;
  ASSERT_TRUE(server.Start().ok());
  int wstatus = server.Stop();
  ASSERT_TRUE(WIFEXITED(wstatus)) << "wait status " << wstatus;
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
  EXPECT_FALSE(server.Running());
  EXPECT_NE(server.ReadStderr().find("stopped"), std::string::npos)
      << server.ReadStderr();
}

TEST(ServerProcessTest, KillIsSigkill) {
  ServerProcess server;
  ASSERT_TRUE(server.Start().ok());
  int wstatus = server.Kill();
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "wait status " << wstatus;
  EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
  EXPECT_FALSE(server.Running());
}

TEST(ServerProcessTest, RestartKeepsDataDirAndServesAgain) {
  ServerProcess server;
  ASSERT_TRUE(server.Start().ok());
  const std::string data_dir = server.data_dir();
  ASSERT_TRUE(server.Restart(/*hard=*/true).ok());
  EXPECT_EQ(server.data_dir(), data_dir);
  EXPECT_EQ(Health(server, ""), grpc::health::v1::HealthCheckResponse::SERVING);
  ASSERT_TRUE(server.Restart(/*hard=*/false).ok());
  EXPECT_EQ(Health(server, ""), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(ServerProcessTest, BadConfigFailsStartWithLogTail) {
  ServerOptions options;
  options.config_yaml = "no_such_key: 1\n";
  ServerProcess server(options);
  absl::Status s = server.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("no_such_key"), std::string::npos)
      << s;
  EXPECT_FALSE(server.Running());
}

TEST(ServerProcessTest, EnvironmentReachesTheServer) {
  ServerOptions options;
  options.env = {{"CASEBRIDGE_LOG_LEVEL", "bogus"}};
  ServerProcess server(options);
  absl::Status s = server.Start();
  ASSERT_FALSE(s.ok())
      << "an invalid CASEBRIDGE_LOG_LEVEL must stop the server";
  EXPECT_NE(std::string(s.message()).find("log_level"), std::string::npos) << s;
}

// A stand-in "server" that prints a sanitizer report and exits: the harness
// must see it and fail the test that ran it.
TEST(ServerProcessTest, SanitizerReportFailsTheTest) {
  const std::string script = ::testing::TempDir() + "/fake_sanitized_server_" +
                             std::to_string(getpid()) + ".sh";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\n"
           "echo '==1==ERROR: AddressSanitizer: heap-use-after-free on "
           "address 0x1' >&2\n"
           "exit 1\n";
  }
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  std::string report, temp_dir;
  EXPECT_NONFATAL_FAILURE(
      {
        ServerOptions options;
        options.binary = script;
        options.start_timeout = std::chrono::milliseconds(5000);
        ServerProcess server(options);
        EXPECT_FALSE(server.Start().ok());
        report = server.SanitizerReport();
        temp_dir = server.temp_dir();
      },
      "reported a sanitizer error");
  EXPECT_EQ(
      report.rfind("==1==ERROR: AddressSanitizer: heap-use-after-free", 0), 0u)
      << report;
  EXPECT_TRUE(std::filesystem::exists(temp_dir + "/stderr.log"))
      << "the log of a run with a report is kept";
  std::filesystem::remove_all(temp_dir);
  std::filesystem::remove(script);
}

TEST(ServerProcessTest, CleanRunHasNoSanitizerReport) {
  ServerProcess server;
  ASSERT_TRUE(server.Start().ok());
  int wstatus = server.Stop();
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
      << "wait status " << wstatus << "\n"
      << server.ReadStderr();
  EXPECT_EQ(server.SanitizerReport(), "");
}

}  // namespace
}  // namespace casebridge::testing

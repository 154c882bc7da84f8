#include "tests/integration/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/pg/postgres_instance.h"

#ifndef CASEBRIDGE_SERVER_BINARY
#error "CASEBRIDGE_SERVER_BINARY must be defined to the casebridge-server path"
#endif

extern char** environ;

namespace casebridge::testing {
namespace {

using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif
#else
constexpr bool kSanitizerBuild = false;
#endif

// Lines the sanitizer runtimes start their reports with.
constexpr const char* kSanitizerMarkers[] = {
    "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
    ": runtime error: ", "SUMMARY: UndefinedBehaviorSanitizer"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string MakeTempDir() {
  const char* base = getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp",
                   "/casebridge-itest-XXXXXX");
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return "";
  return std::string(buf.data());
}

}  // namespace

ServerProcess::ServerProcess(ServerOptions options)
    : options_(std::move(options)) {
  temp_dir_ = MakeTempDir();
  data_dir_ =
      options_.data_dir.empty() ? temp_dir_ + "/data" : options_.data_dir;
  stdout_path_ = temp_dir_ + "/stdout.log";
  stderr_path_ = temp_dir_ + "/stderr.log";
  if (!options_.config_yaml.empty()) {
    config_path_ = temp_dir_ + "/casebridge.yaml";
    std::ofstream(config_path_) << options_.config_yaml;
  }
  UsePostgresWhenAsked();
}

void ServerProcess::UsePostgresWhenAsked() {
  const char* store = getenv("CASEBRIDGE_TEST_STORE");
  if (store == nullptr || std::string(store) != "postgres") return;
  for (const auto& [key, value] : options_.env) {
    if (key == "CASEBRIDGE_STORE") return;  // the test chose its store
  }
  // One database per data directory, so Restart and a second process on
  // the same data directory see the same data.
  absl::StatusOr<std::string> dsn = TestDatabaseFor(data_dir_);
  if (!dsn.ok()) {
    setup_error_ = dsn.status();
    return;
  }
  options_.env.emplace_back("CASEBRIDGE_STORE", "postgres");
  options_.env.emplace_back("CASEBRIDGE_POSTGRES_DSN", *dsn);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    // A graceful exit lets LeakSanitizer look for leaks.
    if (kSanitizerBuild) {
      Stop(std::chrono::milliseconds(10000));
    } else {
      Kill();
    }
  }
  // The temporary directory is kept for a report, to read the whole log.
  const std::string report = SanitizerReport();
  if (!report.empty()) {
    ADD_FAILURE() << "casebridge-server reported a sanitizer error (stderr: "
                  << stderr_path_ << "):\n"
                  << report;
  }
  if (!temp_dir_.empty() && report.empty() &&
      getenv("CASEBRIDGE_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
  }
}

std::string ServerProcess::DefaultBinary() { return CASEBRIDGE_SERVER_BINARY; }

absl::Status ServerProcess::Start() {
  if (temp_dir_.empty())
    return absl::InternalError("cannot create a temporary directory");
  if (!setup_error_.ok()) return setup_error_;
  if (pid_ > 0) return absl::FailedPreconditionError("server already running");
  channel_.reset();
  address_.clear();
  if (absl::Status s = Spawn(); !s.ok()) return s;
  absl::Status s = WaitForListening();
  if (s.ok()) s = WaitForServing();
  if (!s.ok()) {
    Kill();
    return absl::Status(
        s.code(), absl::StrCat(s.message(), "\n--- server stderr (tail) ---\n",
                               StderrTail(4000)));
  }
  return absl::OkStatus();
}

absl::Status ServerProcess::Spawn() {
  const std::string binary =
      options_.binary.empty() ? DefaultBinary() : options_.binary;
  std::vector<std::string> args = {binary, "--listen", "127.0.0.1:0",
                                   "--data-dir", data_dir_};
  if (!config_path_.empty()) {
    args.push_back("--config");
    args.push_back(config_path_);
  }
  args.insert(args.end(), options_.extra_args.begin(),
              options_.extra_args.end());

  std::vector<std::pair<std::string, std::string>> env = options_.env;
  if (options_.open_access) {
    auto set_default = [&env](const std::string& key, const std::string& value) {
      for (const auto& [k, v] : env) {
        if (k == key) return;
      }
      env.emplace_back(key, value);
    };
    set_default("CASEBRIDGE_TLS_MODE", "plaintext");
    set_default("CASEBRIDGE_AUTH_ANONYMOUS_ROLES", "superuser");
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    bool overridden = false;
    for (const auto& [key, value] : env) {
      if (entry.rfind(key + "=", 0) == 0) overridden = true;
    }
    // A developer's own security settings must not leak into tests.
    if (!options_.open_access &&
        (entry.rfind("CASEBRIDGE_TLS_MODE=", 0) == 0 ||
         entry.rfind("CASEBRIDGE_AUTH_ANONYMOUS_ROLES=", 0) == 0)) {
      overridden = true;
    }
    if (!overridden) env_strings.push_back(entry);
  }
  for (const auto& [key, value] : env) env_strings.push_back(key + "=" + value);

  // Everything the child needs is prepared before fork: only async-signal-safe
  // calls happen between fork and exec.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_fd = open(stdout_path_.c_str(),
                    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = open(stderr_path_.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    if (out_fd >= 0) close(out_fd);
    if (err_fd >= 0) close(err_fd);
    return absl::InternalError(
        absl::StrCat("cannot open log files in ", temp_dir_));
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(out_fd);
    close(err_fd);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Die with the test process so a crashed test leaves no server behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  pid_ = pid;
  return absl::OkStatus();
}

absl::Status ServerProcess::WaitForListening() {
  const auto deadline = Clock::now() + options_.start_timeout;
  while (Clock::now() < deadline) {
    std::string out = ReadFile(stdout_path_);
    size_t pos = out.find("LISTENING ");
    if (pos != std::string::npos) {
      size_t end = out.find('\n', pos);
      if (end != std::string::npos) {
        std::string hostport = out.substr(pos + 10, end - pos - 10);
        size_t colon = hostport.rfind(':');
        if (colon == std::string::npos) {
          return absl::InternalError(
              absl::StrCat("bad LISTENING line: ", hostport));
        }
        // Always dial loopback: the server listens on 127.0.0.1.
        address_ = absl::StrCat("127.0.0.1:", hostport.substr(colon + 1));
        return absl::OkStatus();
      }
    }
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(absl::StrCat(
          "server exited before listening (wait status ", wstatus, ")"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::DeadlineExceededError(
      "server printed no LISTENING line in time");
}

absl::Status ServerProcess::WaitForServing() {
  auto stub = NewHealthStub();
  const auto deadline = Clock::now() + options_.start_timeout;
  std::string last_error;
  while (Clock::now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&ctx, request, &response);
    if (status.ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }
    last_error = status.ok() ? "status not SERVING" : status.error_message();
    if (!Running())
      return absl::UnavailableError("server exited while waiting for health");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("health never SERVING: ", last_error));
}

int ServerProcess::Reap(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int wstatus = 0;
    pid_t r = waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      const bool reaped = r == pid_;
      pid_ = -1;
      channel_.reset();
      return reaped ? wstatus : -1;
    }
    if (Clock::now() >= deadline) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int ServerProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  // Our own idle connection would otherwise hold the server's graceful drain.
  channel_.reset();
  kill(pid_, SIGTERM);
  int wstatus = Reap(timeout);
  if (wstatus == -2) return Kill();
  return wstatus;
}

int ServerProcess::Kill() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGKILL);
  int wstatus = Reap(std::chrono::milliseconds(30000));
  return wstatus;
}

absl::Status ServerProcess::Restart(bool hard) {
  if (hard) {
    Kill();
  } else {
    Stop();
  }
  return Start();
}

bool ServerProcess::Running() {
  if (pid_ <= 0) return false;
  int wstatus = 0;
  pid_t r = waitpid(pid_, &wstatus, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string ServerProcess::ReadStderr() const { return ReadFile(stderr_path_); }

std::string ServerProcess::SanitizerReport() const {
  const std::string all = ReadStderr();
  size_t first = std::string::npos;
  for (const char* marker : kSanitizerMarkers) {
    first = std::min(first, all.find(marker));
  }
  if (first == std::string::npos) return "";
  const size_t line_start = all.rfind('\n', first);
  const size_t start = line_start == std::string::npos ? 0 : line_start + 1;
  return all.substr(start, 8000);
}

std::string ServerProcess::StderrTail(size_t max_bytes) const {
  std::string all = ReadStderr();
  return all.size() <= max_bytes ? all : all.substr(all.size() - max_bytes);
}

long ServerProcess::PeakRssKb() const {
  if (pid_ <= 0) return -1;
  std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0)
      return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

std::shared_ptr<grpc::Channel> ServerProcess::channel() {
  if (channel_ == nullptr) {
    grpc::ChannelArguments args;
    // A fresh connection per ServerProcess run; never share subchannels with
    // an earlier run on another port.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    if (!options_.tls_target_name.empty()) {
      args.SetSslTargetNameOverride(options_.tls_target_name);
    }
    channel_ = grpc::CreateCustomChannel(
        address_,
        options_.channel_credentials != nullptr
            ? options_.channel_credentials
            : grpc::InsecureChannelCredentials(),
        args);
  }
  return channel_;
}

std::unique_ptr<casebridge::v1::CaseService::Stub>
ServerProcess::NewCaseStub() {
  return casebridge::v1::CaseService::NewStub(channel());
}

std::unique_ptr<casebridge::v1::ConnectorService::Stub>
ServerProcess::NewConnectorStub() {
  return casebridge::v1::ConnectorService::NewStub(channel());
}

std::unique_ptr<grpc::health::v1::Health::Stub> ServerProcess::NewHealthStub() {
  return grpc::health::v1::Health::NewStub(channel());
}

}  // namespace casebridge::testing

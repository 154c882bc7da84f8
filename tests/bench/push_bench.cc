// Push throughput benchmark: the HTTP requests per second casebridge issues
// to a FakeJira while pushing cases, against the requests per second the
// same fake serves to a plain keep-alive HTTP load loop in the same run.
// Prints both rates, their ratio (target >= 0.5) and p50/p99 push latency.
//
// Usage: casebridge_push_bench [--smoke] <plugin dir>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "casebridge/v1/case_service.grpc.pb.h"
#include "casebridge/v1/connector_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_jira.h"
#include "tests/integration/server_process.h"

namespace {

namespace v1 = ::casebridge::v1;
using casebridge::testing::FakeJira;
using casebridge::testing::ServerOptions;
using casebridge::testing::ServerProcess;
using Clock = std::chrono::steady_clock;

google::protobuf::Struct ToStruct(const nlohmann::json& value) {
  google::protobuf::Struct out;
  (void)google::protobuf::util::JsonStringToMessage(value.dump(), &out);
  return out;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return c;
}

// Requests/s a plain keep-alive client loop gets from the fake: `threads`
// connections, each GETting one issue for `duration`.
double PlainRate(FakeJira& fake, const std::string& issue, int threads,
                 std::chrono::milliseconds duration) {
  std::atomic<int64_t> done{0};
  std::vector<std::thread> workers;
  const auto end = Clock::now() + duration;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      httplib::Client client(fake.base_url());
      client.set_keep_alive(true);
      client.set_basic_auth("jira-bot@example.com", "jira-api-token");
      const std::string path = "/rest/api/2/issue/" + issue;
      while (Clock::now() < end) {
        auto r = client.Get(path.c_str());
        if (r && r->status == 200) done.fetch_add(1);
      }
    });
  }
  for (auto& w : workers) w.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(done.load()) / secs;
}

// CPU seconds (user + system) process `pid` has used so far; 0 when
// /proc cannot tell.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name; utime and stime are the
  // 14th and 15th fields of the line.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = false;
  std::string plugin_dir;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      smoke = true;
    } else {
      plugin_dir = argv[i];
    }
  }
  if (plugin_dir.empty()) {
    std::fprintf(stderr, "usage: %s [--smoke] <plugin dir>\n", argv[0]);
    return 2;
  }
  auto env_int = [](const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
  };
  const int cases_count =
      smoke ? 24 : std::max(1, env_int("BENCH_CASES", 2000));
  const int clients = env_int("BENCH_CLIENTS", 8);
  const int workers = env_int("BENCH_WORKERS", 8);
  auto env_str = [](const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return std::string(v != nullptr && *v != '\0' ? v : fallback);
  };

  FakeJira fake;
  fake.Start();
  ServerOptions options;
  options.config_yaml =
      absl::StrCat("log_level: ", env_str("BENCH_LOG_LEVEL", "warn"),
                   "\nplugin_dirs: [\"", plugin_dir,
                   "\"]\nhttp:\n  allow_private_addresses: true\n"
                   "jobs:\n  workers: ",
                   workers, "\n  poll_ms: 200\n");
  options.env = {{"CASEBRIDGE_ENCRYPTION_KEY",
                  "push-bench-key-0123456789abcdef0123456789"}};
  ServerProcess server(options);
  if (absl::Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "cannot start the server: %s\n", s.ToString().c_str());
    return 1;
  }
  auto connectors = server.NewConnectorStub();
  auto cases = server.NewCaseStub();
  v1::CreateConnectorRequest cc;
  cc.set_connector_type_id(".jira");
  cc.set_name("Jira bench");
  *cc.mutable_config() =
      ToStruct({{"apiUrl", fake.base_url()}, {"projectKey", "CK"}});
  *cc.mutable_secrets() = ToStruct(
      {{"email", "jira-bot@example.com"}, {"apiToken", "jira-api-token"}});
  v1::CreateConnectorResponse connector;
  if (!connectors->CreateConnector(Context().get(), cc, &connector).ok()) {
    std::fprintf(stderr, "cannot create the connector\n");
    return 1;
  }
  std::vector<std::string> ids;
  for (int i = 0; i < cases_count; ++i) {
    v1::CreateCaseRequest r;
    r.set_title(absl::StrCat("Bench case ", i));
    r.set_description("push benchmark");
    r.set_owner("securitySolution");
    v1::CreateCaseResponse created;
    if (!cases->CreateCase(Context().get(), r, &created).ok()) return 1;
    ids.push_back(created.case_().id());
  }

  // Casebridge pushing: `clients` callers each push their share
  // synchronously; the fake counts the HTTP requests the plugin makes.
  fake.server().ClearRequests();
  std::fprintf(stderr, "pushing %d cases\n", cases_count);
  std::vector<std::vector<double>> latencies(clients);
  std::atomic<int> failures{0};
  const double server_cpu_start = CpuSeconds(server.pid());
  const double self_cpu_start = CpuSeconds(getpid());
  const auto push_start = Clock::now();
  std::vector<std::thread> callers;
  for (int c = 0; c < clients; ++c) {
    callers.emplace_back([&, c] {
      auto stub = server.NewCaseStub();
      for (size_t i = c; i < ids.size(); i += clients) {
        v1::PushCaseRequest r;
        r.set_case_id(ids[i]);
        r.set_connector_id(connector.connector().id());
        v1::PushCaseResponse resp;
        const auto t0 = Clock::now();
        grpc::Status s = stub->PushCase(Context().get(), r, &resp);
        latencies[c].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0)
                .count());
        if (!s.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : callers) t.join();
  const double push_secs =
      std::chrono::duration<double>(Clock::now() - push_start).count();
  const double server_cpu = CpuSeconds(server.pid()) - server_cpu_start;
  const double self_cpu = CpuSeconds(getpid()) - self_cpu_start;
  const size_t push_requests = fake.server().request_count();
  const double push_rate = static_cast<double>(push_requests) / push_secs;

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    if (all.empty()) return 0.0;
    size_t i =
        std::min(all.size() - 1,
                 static_cast<size_t>(p * static_cast<double>(all.size())));
    return all[i];
  };

  // The same fake under a plain load loop, same number of connections.
  fake.server().ClearRequests();
  const double plain_rate = PlainRate(
      fake, "CK-1", clients, std::chrono::milliseconds(smoke ? 500 : 3000));

  std::printf("push bench: %d cases, %d callers, %d workers, %d failed\n",
              cases_count, clients, workers, failures.load());
  std::printf("  pushes/s            %.1f\n", cases_count / push_secs);
  std::printf("  casebridge HTTP/s   %.1f (%zu requests in %.2f s)\n",
              push_rate, push_requests, push_secs);
  std::printf("  plain loop HTTP/s   %.1f\n", plain_rate);
  std::printf("  ratio               %.2f (target >= 0.5)\n",
              plain_rate > 0 ? push_rate / plain_rate : 0.0);
  std::printf("  push latency ms     p50 %.1f  p99 %.1f\n", pct(0.50),
              pct(0.99));
  std::printf(
      "  CPU ms per push     server %.2f, bench process (fake + callers) "
      "%.2f\n",
      server_cpu * 1000 / cases_count, self_cpu * 1000 / cases_count);
  if (const char* keep = std::getenv("BENCH_SERVER_LOG"); keep != nullptr) {
    std::filesystem::copy_file(
        server.stderr_path(), keep,
        std::filesystem::copy_options::overwrite_existing);
  }
  server.Stop();
  if (failures.load() > 0 || fake.issue_count() != ids.size()) {
    std::fprintf(stderr, "pushes failed: %d, issues %zu of %zu\n",
                 failures.load(), fake.issue_count(), ids.size());
    return 1;
  }
  return 0;
}

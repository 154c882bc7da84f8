// Scale-out on PostgreSQL: three casebridge-server processes on one database
// behind one client that spreads its calls across them (label postgres; the
// cluster comes from the `postgres` CTest fixture).
//
// - Concurrent UpdateCases of one case through different replicas are
//   serialised by `version`: exactly one wins each round.
// - 300 async pushes to a strict fake Jira with added latency complete with
//   exactly one Jira issue per case while one replica is SIGKILLed mid-way;
//   its leased jobs are taken over by the others after the lease expires.
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "casebridge/v1/case_service.grpc.pb.h"
#include "casebridge/v1/connector_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/fake_jira.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/server_process.h"
#include "tests/pg/postgres_instance.h"

namespace casebridge::testing {
namespace {

namespace v1 = ::casebridge::v1;
using json = nlohmann::json;

constexpr int kReplicas = 3;

std::unique_ptr<grpc::ClientContext> Context(int seconds = 30) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() +
                  std::chrono::seconds(seconds));
  return c;
}

google::protobuf::Struct ToStruct(const json& value) {
  google::protobuf::Struct out;
  auto status = google::protobuf::util::JsonStringToMessage(value.dump(), &out);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out;
}

// Short leases and polls so that a dead replica's jobs move on quickly; the
// idle poll is long on purpose: new jobs reach idle workers of every replica
// through LISTEN/NOTIFY.
std::string ReplicaConfig() {
  return absl::StrCat(
      "log_level: info\nplugin_dirs: [\"", CASEBRIDGE_PLUGIN_DIR,
      "\"]\nhttp:\n  allow_private_addresses: true\n"
      "  response_timeout_ms: 2000\n"
      "jobs:\n  workers: 4\n  max_attempts: 6\n  backoff_base_ms: 50\n"
      "  backoff_cap_ms: 200\n  lease_ms: 1500\n  poll_ms: 5000\n"
      "  attempt_timeout_ms: 4000\n"
      "metrics:\n  listen: 127.0.0.1:0\n");
}

class ScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dsn = CreateTestDatabase("scale_out");
    ASSERT_TRUE(dsn.ok()) << dsn.status();
    ServerOptions options;
    options.config_yaml = ReplicaConfig();
    options.env = {
        {"CASEBRIDGE_STORE", "postgres"},
        {"CASEBRIDGE_POSTGRES_DSN", *dsn},
        {"CASEBRIDGE_ENCRYPTION_KEY", "scale-out-key-0123456789abcdef012345"}};
    for (int i = 0; i < kReplicas; ++i) {
      replicas_.push_back(std::make_unique<ServerProcess>(options));
      absl::Status started = replicas_.back()->Start();
      ASSERT_TRUE(started.ok()) << "replica " << i << ": " << started;
      case_stubs_.push_back(replicas_.back()->NewCaseStub());
    }
  }

  // The replica serving call number `n` (round robin).
  v1::CaseService::Stub& CasesOf(size_t n) {
    return *case_stubs_[n % case_stubs_.size()];
  }

  std::string CreateCase(size_t n, const std::string& title) {
    v1::CreateCaseRequest request;
    request.set_title(title);
    request.set_description("scale-out test");
    request.set_owner("securitySolution");
    v1::CreateCaseResponse response;
    grpc::Status s = CasesOf(n).CreateCase(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.case_().id();
  }

  std::vector<std::unique_ptr<ServerProcess>> replicas_;
  std::vector<std::unique_ptr<v1::CaseService::Stub>> case_stubs_;
};

TEST_F(ScaleOutTest, EveryReplicaSeesTheOthersWrites) {
  std::vector<std::string> ids;
  for (int i = 0; i < 9; ++i) {
    ids.push_back(CreateCase(i, absl::StrCat("Spread case ", i)));
  }
  for (int r = 0; r < kReplicas; ++r) {
    v1::FindCasesRequest find;
    find.set_per_page(100);
    v1::FindCasesResponse found;
    ASSERT_TRUE(CasesOf(r).FindCases(Context().get(), find, &found).ok());
    EXPECT_EQ(found.total(), 9) << "replica " << r;
    for (const std::string& id : ids) {
      v1::GetCaseRequest get;
      get.set_id(id);
      v1::GetCaseResponse got;
      EXPECT_TRUE(CasesOf(r).GetCase(Context().get(), get, &got).ok())
          << "replica " << r << " case " << id;
    }
  }
}

TEST_F(ScaleOutTest, ConcurrentUpdatesThroughDifferentReplicasExactlyOneWins) {
  const std::string id = CreateCase(0, "Contended case");
  for (int round = 0; round < 5; ++round) {
    v1::GetCaseRequest get;
    get.set_id(id);
    v1::GetCaseResponse current;
    ASSERT_TRUE(CasesOf(round).GetCase(Context().get(), get, &current).ok());
    const std::string version = current.case_().version();

    std::atomic<int> ready{0}, wins{0}, aborted{0};
    std::vector<std::string> other;
    std::mutex other_mu;
    std::vector<std::thread> writers;
    for (int r = 0; r < kReplicas; ++r) {
      writers.emplace_back([&, r] {
        v1::UpdateCasesRequest update;
        v1::CasePatch* patch = update.add_cases();
        patch->set_id(id);
        patch->set_version(version);
        patch->set_title(absl::StrCat("Round ", round, " by replica ", r));
        v1::UpdateCasesResponse response;
        ready.fetch_add(1);
        while (ready.load() < kReplicas) std::this_thread::yield();
        grpc::Status s =
            CasesOf(r).UpdateCases(Context().get(), update, &response);
        if (s.ok()) {
          wins.fetch_add(1);
        } else if (s.error_code() == grpc::StatusCode::ABORTED) {
          aborted.fetch_add(1);
        } else {
          std::lock_guard<std::mutex> lock(other_mu);
          other.push_back(s.error_message());
        }
      });
    }
    for (std::thread& t : writers) t.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(aborted.load(), kReplicas - 1) << "round " << round;
    EXPECT_TRUE(other.empty()) << other.front();

    // Every replica reads the winner's version.
    std::set<std::string> versions;
    for (int r = 0; r < kReplicas; ++r) {
      v1::GetCaseResponse after;
      ASSERT_TRUE(CasesOf(r).GetCase(Context().get(), get, &after).ok());
      versions.insert(after.case_().version());
      EXPECT_NE(after.case_().version(), version);
    }
    EXPECT_EQ(versions.size(), 1u) << "round " << round;
  }
}

TEST_F(ScaleOutTest, AsyncPushesSurviveAKilledReplicaWithoutDuplicates) {
  FakeJira fake;
  // Answers are held while the jobs are queued (however slow that is), then
  // latency keeps pushes in flight long enough for the kill to hit some.
  fake.server().SetLatency(std::chrono::seconds(30));
  fake.Start();

  auto connectors = replicas_[0]->NewConnectorStub();
  v1::CreateConnectorRequest create_connector;
  create_connector.set_connector_type_id(".jira");
  create_connector.set_name("Jira");
  *create_connector.mutable_config() =
      ToStruct({{"apiUrl", fake.base_url()}, {"projectKey", "CK"}});
  *create_connector.mutable_secrets() = ToStruct(
      {{"email", "jira-bot@example.com"}, {"apiToken", "jira-api-token"}});
  v1::CreateConnectorResponse connector;
  ASSERT_TRUE(
      connectors->CreateConnector(Context().get(), create_connector, &connector)
          .ok());

  constexpr int kCases = 300;
  std::vector<std::string> case_ids;
  for (int i = 0; i < kCases; ++i) {
    case_ids.push_back(CreateCase(i, absl::StrCat("Pushed case ", i)));
  }
  ASSERT_FALSE(HasFailure());
  // Queued through every replica; each replica's workers claim from the
  // shared queue.
  for (int i = 0; i < kCases; ++i) {
    v1::PushCaseRequest request;
    request.set_case_id(case_ids[i]);
    request.set_connector_id(connector.connector().id());
    request.set_async(true);
    v1::PushCaseResponse response;
    grpc::Status s = CasesOf(i).PushCase(Context().get(), request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  fake.server().SetLatency(std::chrono::milliseconds(40));

  // Kill replica 1 while pushes are in flight.
  for (int i = 0; i < 2000 && fake.issue_count() < kCases / 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  replicas_[1]->Kill();
  const size_t at_kill = fake.issue_count();
  RecordProperty("issues_at_kill", static_cast<int>(at_kill));
  EXPECT_LT(at_kill, static_cast<size_t>(kCases)) << "the kill came too late";

  int64_t succeeded = 0;
  for (int i = 0; i < 600 && succeeded < kCases; ++i) {
    v1::ListPushJobsRequest list;
    list.add_states(v1::PUSH_JOB_STATE_SUCCEEDED);
    list.set_per_page(1);
    v1::ListPushJobsResponse listed;
    ASSERT_TRUE(CasesOf(i % 2 == 0 ? 0 : 2)
                    .ListPushJobs(Context().get(), list, &listed)
                    .ok());
    succeeded = listed.total();
    if (succeeded < kCases) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_EQ(succeeded, kCases);
  EXPECT_EQ(fake.issue_count(), static_cast<size_t>(kCases));

  std::set<std::string> external_ids;
  for (size_t i = 0; i < case_ids.size(); ++i) {
    v1::GetCaseRequest get;
    get.set_id(case_ids[i]);
    v1::GetCaseResponse got;
    ASSERT_TRUE(CasesOf(i % 2 == 0 ? 0 : 2)
                    .GetCase(Context().get(), get, &got)
                    .ok());
    ASSERT_TRUE(got.case_().has_external_service()) << case_ids[i];
    const std::string& external_id = got.case_().external_service().external_id();
    external_ids.insert(external_id);
    std::optional<FakeJiraIssue> issue = fake.Issue(external_id);
    ASSERT_TRUE(issue.has_value()) << external_id;
    EXPECT_NE(issue->fields["labels"].dump().find("casebridge-case-" +
                                                  case_ids[i]),
              std::string::npos);
  }
  EXPECT_EQ(external_ids.size(), static_cast<size_t>(kCases));

  // Both survivors pushed: the queue is shared, not per replica.
  for (int r : {0, 2}) {
    const int port = MetricsPort(replicas_[r]->ReadStderr());
    ASSERT_NE(port, 0) << "replica " << r;
    const double pushed =
        SeriesValue(HttpGet(port, "/metrics"), "casebridge_push_jobs_total",
                    {{"connector_type", ".jira"}, {"state", "succeeded"}});
    EXPECT_GT(pushed, 0) << "replica " << r;
  }
}

}  // namespace
}  // namespace casebridge::testing

// Durability under SIGKILL: client threads stream CreateCase calls, the server
// is killed mid-stream, restarted on the same data directory, and every case
// whose CreateCase returned OK must still be there (GetCase by id, FindCases
// total at least the acknowledged count). Two kill/restart rounds.
#include <sys/wait.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace casebridge::testing {
namespace {

namespace v1 = ::casebridge::v1;

constexpr int kThreads = 8;
constexpr char kOwner[] = "crashtest";

struct Acked {
  std::mutex mu;
  std::map<std::string, std::string> title_by_id;  // guarded by mu
};

// Streams CreateCase calls from kThreads threads until `stop`; records every
// acknowledged case. Returns the number of calls that failed.
class CreateStream {
 public:
  CreateStream(std::shared_ptr<grpc::Channel> channel, Acked* acked, int round)
      : channel_(std::move(channel)), acked_(acked), round_(round) {
    for (int t = 0; t < kThreads; ++t)
      threads_.emplace_back([this, t] { Run(t); });
  }
  ~CreateStream() { Join(); }

  void Join() {
    stop_ = true;
    for (auto& th : threads_) {
      if (th.joinable()) th.join();
    }
  }
  int ok() const { return ok_; }
  int failed() const { return failed_; }

 private:
  void Run(int thread) {
    auto stub = v1::CaseService::NewStub(channel_);
    for (int seq = 0; !stop_; ++seq) {
      v1::CreateCaseRequest r;
      r.set_title(absl::StrCat("crash r", round_, " t", thread, " #", seq));
      r.set_description("created while the server may be killed");
      r.add_tags(absl::StrCat("round-", round_));
      r.set_owner(kOwner);
      v1::CreateCaseResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
      grpc::Status s = stub->CreateCase(&ctx, r, &resp);
      if (s.ok()) {
        std::lock_guard<std::mutex> lock(acked_->mu);
        acked_->title_by_id[resp.case_().id()] = r.title();
        ++ok_;
      } else {
        ++failed_;
        // Once the server is gone every call fails fast; don't spin.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  }

  std::shared_ptr<grpc::Channel> channel_;
  Acked* acked_;
  const int round_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0};
  std::atomic<int> failed_{0};
  std::vector<std::thread> threads_;
};

size_t AckedCount(Acked& acked) {
  std::lock_guard<std::mutex> lock(acked.mu);
  return acked.title_by_id.size();
}

void ExpectAllAckedPresent(ServerProcess& server, Acked& acked) {
  auto stub = server.NewCaseStub();
  std::lock_guard<std::mutex> lock(acked.mu);
  int missing = 0;
  for (const auto& [id, title] : acked.title_by_id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    v1::GetCaseRequest r;
    r.set_id(id);
    v1::GetCaseResponse resp;
    grpc::Status s = stub->GetCase(&ctx, r, &resp);
    if (!s.ok() || resp.case_().title() != title) {
      if (++missing <= 10) {
        ADD_FAILURE() << "acknowledged case " << id << " (" << title
                      << ") lost after SIGKILL: " << s.error_message();
      }
    }
  }
  EXPECT_EQ(missing, 0) << "of " << acked.title_by_id.size()
                        << " acknowledged cases";

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::FindCasesRequest find;
  find.add_owners(kOwner);
  find.set_per_page(1);
  v1::FindCasesResponse found;
  grpc::Status s = stub->FindCases(&ctx, find, &found);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_GE(found.total(), static_cast<int64_t>(acked.title_by_id.size()));
}

TEST(CrashTest, NoAcknowledgedCaseIsLostOnSigkill) {
  ServerProcess server;
  ASSERT_TRUE(server.Start().ok()) << server.ReadStderr();
  Acked acked;
  for (int round = 0; round < 2; ++round) {
    const size_t before = AckedCount(acked);
    {
      CreateStream stream(server.channel(), &acked, round);
      // Kill mid-stream once enough creates were acknowledged (bounded wait).
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (AckedCount(acked) < before + 300 &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      int wstatus = server.Kill();
      ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
          << wstatus;
      stream.Join();
      ASSERT_GT(stream.ok(), 0)
          << "no CreateCase succeeded before the kill; stderr:\n"
          << server.ReadStderr();
      std::cerr << "round " << round << ": " << stream.ok() << " acknowledged, "
                << stream.failed() << " failed around the kill\n";
    }
    ASSERT_TRUE(server.Start().ok()) << "restart after SIGKILL failed";
    ExpectAllAckedPresent(server, acked);
  }
}

}  // namespace
}  // namespace casebridge::testing

// Store conformance: push jobs and push records (server/jobs/ relies on
// these semantics; the PostgreSQL store must pass them too).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/unit/store_conformance.h"

namespace casebridge::store::testing {
namespace {

const absl::Time kP0 = absl::FromUnixSeconds(1800000000);

absl::Time T(int64_t s) { return kP0 + absl::Seconds(s); }

Case PushCase(const std::string& id) {
  Case c;
  c.id = id;
  c.title = "t";
  c.description = "d";
  c.owner = "securitySolution";
  c.created_at = T(0);
  c.created_by = User{"alice", "", "", ""};
  return c;
}

PushJob Job(const std::string& id, const std::string& case_id,
            const std::string& connector_id, int64_t created_s) {
  PushJob j;
  j.id = id;
  j.case_id = case_id;
  j.connector_id = connector_id;
  j.connector_type_id = ".jira";
  j.max_attempts = 5;
  j.created_at = T(created_s);
  j.updated_at = T(created_s);
  j.requested_by = User{"bob", "Bob B", "bob@example.com", "uid-bob"};
  return j;
}

std::vector<std::string> JobIds(const std::vector<PushJob>& jobs) {
  std::vector<std::string> out;
  for (const PushJob& j : jobs) out.push_back(j.id);
  return out;
}

}  // namespace

#define PUSH_STORE_TEST(name) TEST_P(StoreConformanceTest, name)

PUSH_STORE_TEST(PushJobRoundTripsEveryField) {
  Insert(PushCase("c1"));
  PushJob j = Job("j1", "c1", "k1", 1);
  j.state = PushJobState::kRetryWait;
  j.attempts = 2;
  j.next_attempt_at = T(9);
  j.finished_at = T(10);
  j.last_error = PushError{"UNAVAILABLE", "boom", "svc said no", true};
  ExternalService e;
  e.connector_id = "k1";
  e.connector_name = "Jira";
  e.external_id = "10001";
  e.external_title = "SEC-1";
  e.external_url = "https://x/browse/SEC-1";
  e.pushed_at = T(3);
  e.pushed_by = j.requested_by;
  j.external_service = e;
  Write([&](Transaction& tx) { CB_EXPECT_OK(tx.InsertPushJob(j)); });
  {
    // Not committed: after a failed statement a transaction may only be
    // rolled back (PostgreSQL aborts it).
    auto dup = store_->BeginWrite();
    ASSERT_TRUE(dup.ok());
    EXPECT_EQ((*dup)->InsertPushJob(j).code(),
              absl::StatusCode::kAlreadyExists);
  }
  auto tx = store_->BeginRead();
  ASSERT_TRUE(tx.ok());
  CB_ASSERT_OK_AND_ASSIGN(PushJob got, (*tx)->GetPushJob("j1"));
  EXPECT_EQ(got.case_id, "c1");
  EXPECT_EQ(got.connector_id, "k1");
  EXPECT_EQ(got.connector_type_id, ".jira");
  EXPECT_EQ(got.state, PushJobState::kRetryWait);
  EXPECT_EQ(got.attempts, 2);
  EXPECT_EQ(got.max_attempts, 5);
  EXPECT_EQ(got.created_at, T(1));
  EXPECT_EQ(got.next_attempt_at, T(9));
  EXPECT_EQ(got.finished_at, T(10));
  EXPECT_EQ(got.requested_by, j.requested_by);
  ASSERT_TRUE(got.last_error.has_value());
  EXPECT_EQ(got.last_error->code, "UNAVAILABLE");
  EXPECT_EQ(got.last_error->service_message, "svc said no");
  EXPECT_TRUE(got.last_error->retryable);
  ASSERT_TRUE(got.external_service.has_value());
  EXPECT_EQ(got.external_service->external_title, "SEC-1");
  EXPECT_EQ(got.external_service->pushed_at, T(3));
  EXPECT_EQ((*tx)->GetPushJob("nope").status().code(),
            absl::StatusCode::kNotFound);
}

PUSH_STORE_TEST(ClaimTakesDueJobsOnePerPairUnderLease) {
  Insert(PushCase("c1"));
  Insert(PushCase("c2"));
  Write([&](Transaction& tx) {
    CB_EXPECT_OK(tx.InsertPushJob(Job("a", "c1", "k1", 1)));
    CB_EXPECT_OK(tx.InsertPushJob(Job("b", "c1", "k1", 2)));  // same pair
    CB_EXPECT_OK(tx.InsertPushJob(Job("c", "c1", "k2", 3)));  // other connector
    PushJob later = Job("d", "c2", "k1", 4);
    later.state = PushJobState::kRetryWait;
    later.next_attempt_at = T(100);  // not due yet
    CB_EXPECT_OK(tx.InsertPushJob(later));
  });
  std::vector<PushJob> claimed;
  Write([&](Transaction& tx) {
    auto r = tx.ClaimPushJobs("w1", T(10), T(40), 10);
    ASSERT_TRUE(r.ok()) << r.status();
    claimed = *r;
  });
  EXPECT_EQ(JobIds(claimed), (std::vector<std::string>{"a", "c"}));
  for (const PushJob& j : claimed) {
    EXPECT_EQ(j.state, PushJobState::kRunning);
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.lease_owner, "w1");
    EXPECT_EQ(j.lease_expires_at, T(40));
  }
  // "b" waits while "a" holds a live lease.
  Write([&](Transaction& tx) {
    auto r = tx.ClaimPushJobs("w2", T(20), T(50), 10);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->empty()) << JobIds(*r).size();
    auto next = tx.NextPushJobDue();
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, std::optional<absl::Time>(T(40)));
  });
  // A renewed lease keeps the pair busy; a stale owner cannot renew.
  Write([&](Transaction& tx) {
    CB_EXPECT_OK(tx.RenewPushJobLease("a", "w1", T(60)));
    EXPECT_EQ(tx.RenewPushJobLease("a", "w2", T(60)).code(),
              absl::StatusCode::kAborted);
  });
  Write([&](Transaction& tx) {
    auto r = tx.ClaimPushJobs("w2", T(35), T(70), 10);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty());
  });
  // The leases expire (their worker died): "a" and "c" are claimed again,
  // with one more attempt, and the old owner can no longer write them.
  Write([&](Transaction& tx) {
    auto r = tx.ClaimPushJobs("w2", T(61), T(200), 10);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(JobIds(*r), (std::vector<std::string>{"a", "c"}));
    EXPECT_EQ((*r)[0].attempts, 2);
    PushJob stale = (*r)[0];
    stale.state = PushJobState::kSucceeded;
    EXPECT_EQ(tx.UpdatePushJob(stale, "w1").code(), absl::StatusCode::kAborted);
    CB_EXPECT_OK(tx.UpdatePushJob(stale, "w2"));
  });
  // "a" finished: "b" is next for the pair; "d" becomes due at T(100).
  Write([&](Transaction& tx) {
    auto r = tx.ClaimPushJobs("w3", T(100), T(130), 10);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(JobIds(*r), (std::vector<std::string>{"b", "d"}));
  });
}

PUSH_STORE_TEST(ClaimRespectsLimit) {
  Insert(PushCase("c1"));
  Write([&](Transaction& tx) {
    for (int i = 0; i < 5; ++i)
      CB_EXPECT_OK(tx.InsertPushJob(
          Job(absl::StrCat("j", i), "c1", absl::StrCat("k", i), i)));
  });
  Write([&](Transaction& tx) {
    auto r = tx.ClaimPushJobs("w", T(10), T(20), 2);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(JobIds(*r), (std::vector<std::string>{"j0", "j1"}));
  });
}

PUSH_STORE_TEST(FindAndLatestPushJobs) {
  Insert(PushCase("c1"));
  Insert(PushCase("c2"));
  Write([&](Transaction& tx) {
    PushJob a = Job("a", "c1", "k1", 1);
    a.state = PushJobState::kFailed;
    CB_EXPECT_OK(tx.InsertPushJob(a));
    CB_EXPECT_OK(tx.InsertPushJob(Job("b", "c1", "k1", 2)));
    PushJob c = Job("c", "c1", "k2", 3);
    c.state = PushJobState::kSucceeded;
    CB_EXPECT_OK(tx.InsertPushJob(c));
    CB_EXPECT_OK(tx.InsertPushJob(Job("d", "c2", "k1", 4)));
  });
  auto tx = store_->BeginRead();
  ASSERT_TRUE(tx.ok());
  PushJobQuery q;
  q.case_id = "c1";
  CB_ASSERT_OK_AND_ASSIGN(PushJobPage page, (*tx)->FindPushJobs(q));
  EXPECT_EQ(page.total, 3);
  EXPECT_EQ(JobIds(page.jobs), (std::vector<std::string>{"c", "b", "a"}));
  q.states = {PushJobState::kFailed, PushJobState::kSucceeded};
  CB_ASSERT_OK_AND_ASSIGN(page, (*tx)->FindPushJobs(q));
  EXPECT_EQ(JobIds(page.jobs), (std::vector<std::string>{"c", "a"}));
  PushJobQuery all;
  all.per_page = 2;
  all.page = 2;
  CB_ASSERT_OK_AND_ASSIGN(page, (*tx)->FindPushJobs(all));
  EXPECT_EQ(page.total, 4);
  EXPECT_EQ(JobIds(page.jobs), (std::vector<std::string>{"b", "a"}));
  CB_ASSERT_OK_AND_ASSIGN(std::vector<PushJob> latest,
                          (*tx)->LatestPushJobs("c1"));
  EXPECT_EQ(JobIds(latest), (std::vector<std::string>{"b", "c"}));
}

PUSH_STORE_TEST(PushRecordsPerConnectorGoWithTheCase) {
  Insert(PushCase("c1"));
  PushRecord r;
  r.case_id = "c1";
  r.connector_id = "k2";
  r.external_service.connector_id = "k2";
  r.external_service.external_id = "INC1";
  r.external_service.pushed_at = T(5);
  r.pushed_attachments = {{"att-1", 1}, {"att-2", 3}};
  Write([&](Transaction& tx) {
    CB_EXPECT_OK(tx.PutPushRecord(r));
    PushRecord other = r;
    other.connector_id = "k1";
    other.external_service.external_id = "SEC-1";
    CB_EXPECT_OK(tx.PutPushRecord(other));
    r.pushed_attachments["att-2"] = 4;  // replace
    CB_EXPECT_OK(tx.PutPushRecord(r));
    CB_EXPECT_OK(tx.InsertPushJob(Job("j", "c1", "k1", 1)));
  });
  {
    auto tx = store_->BeginRead();
    ASSERT_TRUE(tx.ok());
    CB_ASSERT_OK_AND_ASSIGN(std::optional<PushRecord> got,
                            (*tx)->GetPushRecord("c1", "k2"));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->external_service.external_id, "INC1");
    EXPECT_EQ(got->external_service.pushed_at, T(5));
    EXPECT_EQ(got->pushed_attachments,
              (std::map<std::string, int64_t>{{"att-1", 1}, {"att-2", 4}}));
    CB_ASSERT_OK_AND_ASSIGN(got, (*tx)->GetPushRecord("c1", "k3"));
    EXPECT_FALSE(got.has_value());
    CB_ASSERT_OK_AND_ASSIGN(std::vector<PushRecord> all,
                            (*tx)->ListPushRecords("c1"));
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].connector_id, "k1");
    EXPECT_EQ(all[1].connector_id, "k2");
  }
  Write([&](Transaction& tx) { CB_EXPECT_OK(tx.DeleteCase("c1")); });
  auto tx = store_->BeginRead();
  ASSERT_TRUE(tx.ok());
  CB_ASSERT_OK_AND_ASSIGN(std::vector<PushRecord> all,
                          (*tx)->ListPushRecords("c1"));
  EXPECT_TRUE(all.empty());
  EXPECT_EQ((*tx)->GetPushJob("j").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace casebridge::store::testing

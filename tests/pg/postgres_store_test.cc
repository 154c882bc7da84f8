// Runs the Store conformance suite against the PostgreSQL store, plus
// PostgreSQL-specific checks: migrations from several processes and threads
// at once, concurrent version-checked writes from two "replicas" (two Store
// objects on one database), and error mapping for an unreachable server.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/store/postgres/pg_schema.h"
#include "server/store/postgres/pg_store.h"
#include "tests/pg/postgres_instance.h"
#include "tests/unit/store_conformance.h"

namespace casebridge::store::testing {
namespace {

using ::casebridge::testing::CreateTestDatabase;
using ::casebridge::testing::TestDatabaseFor;

absl::StatusOr<std::unique_ptr<Store>> OpenDsn(const std::string& dsn,
                                               int pool_size = 4) {
  PostgresStoreOptions options;
  options.dsn = dsn;
  options.pool_size = pool_size;
  return OpenPostgresStore(options);
}

absl::StatusOr<std::unique_ptr<Store>> OpenForDir(const std::string& dir) {
  absl::StatusOr<std::string> dsn = TestDatabaseFor(dir);
  if (!dsn.ok()) return dsn.status();
  return OpenDsn(*dsn);
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"Postgres",
                                                        OpenForDir}),
                         StoreFactoryName);

Case MakeCase(const std::string& id) {
  Case c;
  c.id = id;
  c.title = "Phishing campaign";
  c.description = "Suspicious mail";
  c.owner = "securitySolution";
  c.created_at = absl::FromUnixSeconds(1700000000);
  c.created_by = User{"alice", "Alice", "alice@example.com", "uid-alice"};
  return c;
}

// kMigrationCount when schema_migrations of `dsn` holds each migration
// exactly once; a negative number naming the failed check otherwise.
int64_t MigrationRows(const std::string& dsn) {
  absl::Status s = ::casebridge::testing::ExecSql(
      dsn,
      "DO $$ BEGIN IF (SELECT count(*) FROM schema_migrations) <> "
      "(SELECT count(DISTINCT version) FROM schema_migrations) THEN RAISE "
      "EXCEPTION 'duplicate migration rows'; END IF; END $$");
  if (!s.ok()) return -1;
  s = ::casebridge::testing::ExecSql(
      dsn, absl::StrCat("DO $$ BEGIN IF (SELECT count(*) FROM "
                        "schema_migrations) <> ",
                        pg::kMigrationCount,
                        " THEN RAISE EXCEPTION 'wrong count'; END IF; END $$"));
  return s.ok() ? static_cast<int64_t>(pg::kMigrationCount) : -2;
}

TEST(PostgresStoreTest, ConcurrentMigrationsFromThreadsApplyOnce) {
  auto dsn = CreateTestDatabase("migrate_threads");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  constexpr int kThreads = 6;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto store = OpenDsn(*dsn, 1);
      if (store.ok()) ok.fetch_add(1);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(MigrationRows(*dsn), static_cast<int64_t>(pg::kMigrationCount));
}

TEST(PostgresStoreTest, ConcurrentMigrationsFromProcessesApplyOnce) {
  auto dsn = CreateTestDatabase("migrate_procs");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  constexpr int kProcs = 4;
  std::vector<pid_t> children;
  for (int i = 0; i < kProcs; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = OpenDsn(*dsn, 1);
      _exit(store.ok() ? 0 : 1);
    }
    children.push_back(pid);
  }
  int failures = 0;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(MigrationRows(*dsn), static_cast<int64_t>(pg::kMigrationCount));
}

// Two replicas update the same case from the same version at once: exactly
// one update succeeds, every other one is Aborted.
TEST(PostgresStoreTest, ConcurrentVersionCheckedUpdatesExactlyOneWins) {
  auto dsn = CreateTestDatabase("one_wins");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  auto replica_a = OpenDsn(*dsn, 8);
  auto replica_b = OpenDsn(*dsn, 8);
  ASSERT_TRUE(replica_a.ok()) << replica_a.status();
  ASSERT_TRUE(replica_b.ok()) << replica_b.status();
  for (int round = 0; round < 5; ++round) {
    const std::string id = absl::StrCat("case-", round);
    {
      auto tx = (*replica_a)->BeginWrite();
      ASSERT_TRUE(tx.ok());
      Case c = MakeCase(id);
      ASSERT_TRUE((*tx)->InsertCase(c).ok());
      ASSERT_TRUE((*tx)->Commit().ok());
    }
    constexpr int kWriters = 8;
    std::atomic<int> ready{0}, wins{0}, aborted{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kWriters; ++i) {
      Store* store = (i % 2 == 0 ? *replica_a : *replica_b).get();
      threads.emplace_back([&, store, i] {
        Case c = MakeCase(id);
        c.version = 1;
        c.title = absl::StrCat("writer ", i);
        auto tx = store->BeginWrite();
        if (!tx.ok()) {
          other.fetch_add(1);
          return;
        }
        ready.fetch_add(1);
        while (ready.load() < kWriters) std::this_thread::yield();
        absl::Status s = (*tx)->UpdateCase(c);
        if (s.ok()) s = (*tx)->Commit();
        if (s.ok()) {
          wins.fetch_add(1);
        } else if (absl::IsAborted(s)) {
          aborted.fetch_add(1);
        } else {
          other.fetch_add(1);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(aborted.load(), kWriters - 1) << "round " << round;
    EXPECT_EQ(other.load(), 0) << "round " << round;
    auto rtx = (*replica_b)->BeginRead();
    ASSERT_TRUE(rtx.ok());
    auto got = (*rtx)->GetCase(id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->version, 2);
  }
}

// Push-job claims from two replicas with four workers each: every job runs
// exactly once, and no two jobs of one (case, connector) pair ever run at
// the same time, although each pair has several jobs queued.
TEST(PostgresStoreTest, ConcurrentClaimsFromTwoReplicasNeverShareAJobOrPair) {
  auto dsn = CreateTestDatabase("claims");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  auto replica_a = OpenDsn(*dsn, 8);
  auto replica_b = OpenDsn(*dsn, 8);
  ASSERT_TRUE(replica_a.ok()) << replica_a.status();
  ASSERT_TRUE(replica_b.ok()) << replica_b.status();
  constexpr int kCases = 20, kConnectors = 2, kJobsPerPair = 4;
  constexpr int kJobs = kCases * kConnectors * kJobsPerPair;
  const absl::Time t0 = absl::FromUnixSeconds(1800000000);
  {
    auto tx = (*replica_a)->BeginWrite();
    ASSERT_TRUE(tx.ok());
    int n = 0;
    for (int c = 0; c < kCases; ++c) {
      Case kase = MakeCase(absl::StrCat("case-", c));
      ASSERT_TRUE((*tx)->InsertCase(kase).ok());
      for (int k = 0; k < kConnectors; ++k) {
        for (int j = 0; j < kJobsPerPair; ++j, ++n) {
          PushJob job;
          job.id = absl::StrCat("job-", c, "-", k, "-", j);
          job.case_id = kase.id;
          job.connector_id = absl::StrCat("conn-", k);
          job.connector_type_id = ".jira";
          job.max_attempts = 5;
          job.created_at = t0 + absl::Milliseconds(n);
          job.updated_at = job.created_at;
          ASSERT_TRUE((*tx)->InsertPushJob(job).ok());
        }
      }
    }
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  std::mutex mu;
  std::set<std::string> running_pairs;        // guarded by mu
  std::map<std::string, int> claims_per_job;  // guarded by mu
  std::atomic<int> overlaps{0}, errors{0}, done{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    Store* store = (w % 2 == 0 ? *replica_a : *replica_b).get();
    const std::string owner = absl::StrCat("worker-", w);
    workers.emplace_back([&, store, owner] {
      int idle_rounds = 0;
      while (done.load() < kJobs && idle_rounds < 2000) {
        const absl::Time now = t0 + absl::Seconds(1);
        std::vector<PushJob> claimed;
        {
          auto tx = store->BeginWrite();
          if (!tx.ok()) {
            errors.fetch_add(1);
            return;
          }
          auto r = (*tx)->ClaimPushJobs(owner, now, now + absl::Hours(1), 2);
          if (!r.ok() || !(*tx)->Commit().ok()) {
            errors.fetch_add(1);
            continue;
          }
          claimed = *std::move(r);
        }
        if (claimed.empty()) {
          ++idle_rounds;
          std::this_thread::yield();
          continue;
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          for (const PushJob& j : claimed) {
            ++claims_per_job[j.id];
            if (!running_pairs.insert(j.case_id + "/" + j.connector_id)
                     .second) {
              overlaps.fetch_add(1);
            }
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        auto tx = store->BeginWrite();
        if (!tx.ok()) {
          errors.fetch_add(1);
          return;
        }
        for (PushJob& j : claimed) {
          j.state = PushJobState::kSucceeded;
          j.lease_owner.clear();
          j.lease_expires_at.reset();
          if (!(*tx)->UpdatePushJob(j, owner).ok()) errors.fetch_add(1);
        }
        {
          // Before the commit: until then the pair still counts as running
          // in the database, so no other claim can overlap this window.
          std::lock_guard<std::mutex> lock(mu);
          for (const PushJob& j : claimed) {
            running_pairs.erase(j.case_id + "/" + j.connector_id);
          }
        }
        if (!(*tx)->Commit().ok()) errors.fetch_add(1);
        done.fetch_add(static_cast<int>(claimed.size()));
      }
    });
  }
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(done.load(), kJobs);
  EXPECT_EQ(claims_per_job.size(), static_cast<size_t>(kJobs));
  for (const auto& [id, claims] : claims_per_job) {
    EXPECT_EQ(claims, 1) << id;
  }
  auto tx = (*replica_b)->BeginRead();
  ASSERT_TRUE(tx.ok());
  PushJobQuery succeeded;
  succeeded.states = {PushJobState::kSucceeded};
  auto page = (*tx)->FindPushJobs(succeeded);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->total, kJobs);
}

// A job queued through one replica wakes the push-work listener of another
// (NOTIFY at commit), and re-queueing a job does too; a removed listener is
// not called again.
TEST(PostgresStoreTest, QueuedPushJobsWakeOtherReplicasListeners) {
  auto dsn = CreateTestDatabase("notify");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  auto writer = OpenDsn(*dsn);
  auto listener = OpenDsn(*dsn);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE(listener.ok()) << listener.status();
  std::mutex mu;
  std::condition_variable cv;
  int wakes = 0;  // guarded by mu
  (*listener)->SetPushWorkListener([&] {
    std::lock_guard<std::mutex> lock(mu);
    ++wakes;
    cv.notify_all();
  });
  // The listener calls once when it has connected (it may have missed
  // notifications before); wait for that, so the next call is ours.
  auto wait_for_wakes = [&](int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(20),
                       [&] { return wakes >= n; });
  };
  ASSERT_TRUE(wait_for_wakes(1));

  PushJob job;
  job.id = "job-1";
  job.case_id = "case-1";
  job.connector_id = "conn-1";
  job.connector_type_id = ".jira";
  job.max_attempts = 5;
  job.created_at = job.updated_at = absl::FromUnixSeconds(1800000000);
  {
    auto tx = (*writer)->BeginWrite();
    ASSERT_TRUE(tx.ok());
    Case c = MakeCase("case-1");
    ASSERT_TRUE((*tx)->InsertCase(c).ok());
    ASSERT_TRUE((*tx)->InsertPushJob(job).ok());
    // Not before the commit.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    {
      std::lock_guard<std::mutex> lock(mu);
      EXPECT_EQ(wakes, 1);
    }
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_TRUE(wait_for_wakes(2)) << "insert did not wake the other replica";

  {
    auto tx = (*writer)->BeginWrite();
    ASSERT_TRUE(tx.ok());
    job.state = PushJobState::kFailed;
    ASSERT_TRUE((*tx)->UpdatePushJob(job, "").ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  {
    auto tx = (*writer)->BeginWrite();
    ASSERT_TRUE(tx.ok());
    job.state = PushJobState::kQueued;  // RetryPushJob
    ASSERT_TRUE((*tx)->UpdatePushJob(job, "").ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_TRUE(wait_for_wakes(3)) << "re-queue did not wake the other replica";

  (*listener)->SetPushWorkListener(nullptr);
  int before = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    before = wakes;
  }
  {
    auto tx = (*writer)->BeginWrite();
    ASSERT_TRUE(tx.ok());
    PushJob second = job;
    second.id = "job-2";
    ASSERT_TRUE((*tx)->InsertPushJob(second).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(wakes, before);
}

// Read-modify-write in write transactions (the CaseManager pattern: read the
// case, then update it with the version read) loses no update when replicas
// run it concurrently: the read locks the row until commit.
TEST(PostgresStoreTest, ReadModifyWriteFromTwoReplicasLosesNoUpdate) {
  auto dsn = CreateTestDatabase("rmw");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  auto replica_a = OpenDsn(*dsn, 4);
  auto replica_b = OpenDsn(*dsn, 4);
  ASSERT_TRUE(replica_a.ok() && replica_b.ok());
  {
    auto tx = (*replica_a)->BeginWrite();
    ASSERT_TRUE(tx.ok());
    Case c = MakeCase("counter");
    c.title = "0";
    ASSERT_TRUE((*tx)->InsertCase(c).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  constexpr int kThreads = 4, kIncrements = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    Store* store = (i % 2 == 0 ? *replica_a : *replica_b).get();
    threads.emplace_back([&, store] {
      for (int n = 0; n < kIncrements; ++n) {
        auto tx = store->BeginWrite();
        if (!tx.ok()) {
          failures.fetch_add(1);
          continue;
        }
        auto c = (*tx)->GetCase("counter");
        if (!c.ok()) {
          failures.fetch_add(1);
          continue;
        }
        c->title = std::to_string(std::stoi(c->title) + 1);
        absl::Status s = (*tx)->UpdateCase(*c);
        if (s.ok()) s = (*tx)->Commit();
        if (!s.ok()) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto rtx = (*replica_a)->BeginRead();
  ASSERT_TRUE(rtx.ok());
  auto got = (*rtx)->GetCase("counter");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->title, std::to_string(kThreads * kIncrements));
  EXPECT_EQ(got->version, 1 + kThreads * kIncrements);
}

// Comments added concurrently through two replicas are all counted.
TEST(PostgresStoreTest, ConcurrentAttachmentsKeepTotals) {
  auto dsn = CreateTestDatabase("totals");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  auto replica_a = OpenDsn(*dsn, 4);
  auto replica_b = OpenDsn(*dsn, 4);
  ASSERT_TRUE(replica_a.ok() && replica_b.ok());
  {
    auto tx = (*replica_a)->BeginWrite();
    ASSERT_TRUE(tx.ok());
    Case c = MakeCase("c1");
    ASSERT_TRUE((*tx)->InsertCase(c).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  constexpr int kThreads = 6;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    Store* store = (i % 2 == 0 ? *replica_a : *replica_b).get();
    threads.emplace_back([&, store, i] {
      Attachment a;
      a.id = absl::StrCat("a", i);
      a.case_id = "c1";
      a.owner = "securitySolution";
      a.content = Json{{"comment", "hi"}};
      a.created_at = absl::FromUnixSeconds(1700000000 + i);
      auto tx = store->BeginWrite();
      absl::Status s = tx.ok() ? (*tx)->InsertAttachment(a) : tx.status();
      if (s.ok()) s = (*tx)->Commit();
      if (!s.ok()) failures.fetch_add(1);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto rtx = (*replica_b)->BeginRead();
  ASSERT_TRUE(rtx.ok());
  auto got = (*rtx)->GetCase("c1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->total_comment, kThreads);
}

// A statement that failed leaves the transaction unusable; Commit says so
// instead of reporting the rollback PostgreSQL does as success.
TEST(PostgresStoreTest, CommitAfterFailedStatementIsAbortedAndWritesNothing) {
  auto dsn = CreateTestDatabase("failed_stmt");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  auto store = OpenDsn(*dsn);
  ASSERT_TRUE(store.ok()) << store.status();
  {
    auto tx = (*store)->BeginWrite();
    ASSERT_TRUE(tx.ok());
    Case good = MakeCase("good");
    ASSERT_TRUE((*tx)->InsertCase(good).ok());
    Case bad = MakeCase("bad");
    bad.title = "\xff\xfe not UTF-8";  // refused by the server
    EXPECT_FALSE((*tx)->InsertCase(bad).ok());
    EXPECT_TRUE(absl::IsAborted((*tx)->Commit()));
  }
  auto rtx = (*store)->BeginRead();
  ASSERT_TRUE(rtx.ok());
  EXPECT_TRUE(absl::IsNotFound((*rtx)->GetCase("good").status()));
}

// Pooled connections killed by the server (as by a restart or failover) are
// replaced: the next transaction still starts.
TEST(PostgresStoreTest, KilledPooledConnectionsAreReplaced) {
  auto dsn = CreateTestDatabase("killed");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  auto store = OpenDsn(*dsn, 2);
  ASSERT_TRUE(store.ok()) << store.status();
  {
    auto tx = (*store)->BeginWrite();
    ASSERT_TRUE(tx.ok());
    Case c = MakeCase("c1");
    ASSERT_TRUE((*tx)->InsertCase(c).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  ASSERT_TRUE(::casebridge::testing::ExecSql(
                  *dsn,
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND pid <> "
                  "pg_backend_pid()")
                  .ok());
  auto rtx = (*store)->BeginRead();
  ASSERT_TRUE(rtx.ok()) << rtx.status();
  auto got = (*rtx)->GetCase("c1");
  EXPECT_TRUE(got.ok()) << got.status();
}

// PostgreSQL text cannot hold NUL; such a value is refused before it is
// sent (libpq would cut it short) and the transaction stays usable.
TEST(PostgresStoreTest, NulInTextIsInvalidArgument) {
  auto dsn = CreateTestDatabase("nul");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  auto store = OpenDsn(*dsn);
  ASSERT_TRUE(store.ok()) << store.status();
  auto tx = (*store)->BeginWrite();
  ASSERT_TRUE(tx.ok());
  Case bad = MakeCase("bad");
  bad.title = std::string("nul\0byte", 8);
  EXPECT_TRUE(absl::IsInvalidArgument((*tx)->InsertCase(bad)));
  Case good = MakeCase("good");
  EXPECT_TRUE((*tx)->InsertCase(good).ok());
  EXPECT_TRUE((*tx)->Commit().ok());
}

TEST(PostgresStoreTest, UnreachableServerIsUnavailable) {
  auto store = OpenDsn(
      "host=/nonexistent-casebridge-socket-dir port=5432 user=postgres "
      "connect_timeout=2");
  EXPECT_TRUE(absl::IsUnavailable(store.status())) << store.status();
}

TEST(PostgresStoreTest, EmptyDsnIsInvalidArgument) {
  PostgresStoreOptions options;
  EXPECT_TRUE(absl::IsInvalidArgument(OpenPostgresStore(options).status()));
}

// A pool of one connection: a second transaction waits for the first and
// fails with Unavailable after acquire_timeout instead of hanging.
TEST(PostgresStoreTest, ExhaustedPoolIsUnavailable) {
  auto dsn = CreateTestDatabase("pool");
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  PostgresStoreOptions options;
  options.dsn = *dsn;
  options.pool_size = 1;
  options.acquire_timeout = absl::Milliseconds(100);
  auto store = OpenPostgresStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto first = (*store)->BeginRead();
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(absl::IsUnavailable((*store)->BeginRead().status()));
  first->reset();
  EXPECT_TRUE((*store)->BeginRead().ok());
}

}  // namespace
}  // namespace casebridge::store::testing

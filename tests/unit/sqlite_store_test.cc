// Runs the Store conformance suite against the SQLite store, plus checks of
// SQLite-specific behaviour (migrations, pragmas) and a disabled benchmark.
#include "server/store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/unit/store_conformance.h"

namespace casebridge::store::testing {
namespace {

absl::StatusOr<std::unique_ptr<Store>> OpenInDir(const std::string& dir) {
  SqliteStoreOptions options;
  options.path = dir + "/casebridge.db";
  options.read_connections = 2;
  return OpenSqliteStore(options);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"Sqlite", OpenInDir}),
                         StoreFactoryName);

// Runs `sql` on a private connection and returns the first column of the
// first row as text ("" when none).
std::string QueryText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sql;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text != nullptr) out = reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

class SqliteOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "casebridge-sqlite-XXXXXX")
            .string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/casebridge.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
  std::string path_;
};

TEST_F(SqliteOnlyTest, MigrationsApplyOnceAcrossReopens) {
  std::string applied;
  {
    auto store = OpenInDir(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
  }
  EXPECT_EQ(QueryText(path_, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(path_, "SELECT count(*) FROM schema_migrations"), "1");
  applied = QueryText(path_,
                      "SELECT group_concat(version || ':' || applied_at) FROM "
                      "schema_migrations");
  ASSERT_FALSE(applied.empty());
  {
    auto store = OpenInDir(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
  }
  EXPECT_EQ(QueryText(path_,
                      "SELECT group_concat(version || ':' || applied_at) FROM "
                      "schema_migrations"),
            applied);
}

TEST_F(SqliteOnlyTest, UnopenablePathIsAnError) {
  SqliteStoreOptions options;
  options.path = dir_ + "/missing-dir/db.sqlite";
  EXPECT_FALSE(OpenSqliteStore(options).ok());
  options.path = "";
  EXPECT_FALSE(OpenSqliteStore(options).ok());
}

TEST_F(SqliteOnlyTest, SecondWriterProcessTimesOutAsUnavailable) {
  SqliteStoreOptions options;
  options.path = path_;
  options.busy_timeout = absl::Milliseconds(50);
  auto a = OpenSqliteStore(options);
  auto b = OpenSqliteStore(options);  // stands in for another process
  ASSERT_TRUE(a.ok() && b.ok());
  auto held = (*a)->BeginWrite();
  ASSERT_TRUE(held.ok()) << held.status();
  auto blocked = (*b)->BeginWrite();
  EXPECT_TRUE(absl::IsUnavailable(blocked.status())) << blocked.status();
}

// A rough throughput check, not a unit test:
//   sqlite_store_test --gtest_also_run_disabled_tests
//   --gtest_filter='*Benchmark*'
TEST_F(SqliteOnlyTest, DISABLED_Benchmark) {
  auto opened = OpenInDir(dir_);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  constexpr int kCases = 100000;
  const char* tags[] = {"phishing", "malware", "network", "email",  "endpoint",
                        "cloud",    "insider", "ddos",    "policy", "audit"};
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCases; ++i) {
    auto tx = store.BeginWrite();
    ASSERT_TRUE(tx.ok());
    Case c;
    c.id = absl::StrCat("case-", i);
    c.title = absl::StrCat("Case number ", i, " about ", tags[i % 10]);
    c.description = "Something happened on a host and needs a look";
    c.owner = i % 3 == 0 ? "observability" : "securitySolution";
    c.status = static_cast<CaseStatus>((i % 3) * 10);
    c.tags = {tags[i % 10], tags[(i / 10) % 10]};
    c.created_at = absl::FromUnixSeconds(1700000000 + i);
    c.created_by = User{"alice", "Alice", "a@example.com", "uid-alice"};
    ASSERT_TRUE((*tx)->InsertCase(c).ok());
    UserAction u;
    u.id = absl::StrCat("ua-", i);
    u.case_id = c.id;
    u.type = "create_case";
    u.action = "create";
    u.created_at = c.created_at;
    u.owner = c.owner;
    ASSERT_TRUE((*tx)->InsertUserAction(u).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("create case (case + user action, one txn each): %.0f/s\n",
              kCases / secs);

  for (int round = 0; round < 2; ++round) {
    constexpr int kQueries = 500;
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < kQueries; ++i) {
      auto tx = store.BeginRead();
      CaseQuery q;
      q.filter.statuses = {CaseStatus::kOpen};
      q.filter.tags = {tags[i % 10]};
      auto page = (*tx)->FindCases(q);
      ASSERT_TRUE(page.ok());
      ASSERT_EQ(page->cases.size(), 20u);
    }
    secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf("FindCases status+tag, 20/page, with counts: %.0f/s\n",
                kQueries / secs);
  }
  constexpr int kGets = 20000;
  start = std::chrono::steady_clock::now();
  {
    for (int i = 0; i < kGets; ++i) {
      auto tx = store.BeginRead();
      auto c = (*tx)->GetCase(absl::StrCat("case-", (i * 7919) % kCases));
      ASSERT_TRUE(c.ok());
    }
  }
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
             .count();
  std::printf("GetCase (own read txn each): %.0f/s\n", kGets / secs);
}

}  // namespace
}  // namespace casebridge::store::testing

// Runs the Store conformance suite against the SQLite store, plus checks of
// SQLite-specific behaviour (migrations, pragmas) and a disabled benchmark.
#include "server/store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/store/sqlite/case_doc.h"
#include "server/store/sqlite/sqlite_schema.h"
#include "server/store/write_queue.h"
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
  EXPECT_EQ(QueryText(path_, "SELECT count(*) FROM schema_migrations"),
            absl::StrCat(sqlite::kMigrationCount));
  EXPECT_NE(QueryText(path_, "SELECT count(*) FROM sqlite_stat1"), "0");
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

TEST_F(SqliteOnlyTest, OpeningAnOlderSchemaAppliesOnlyNewMigrations) {
  // A database left at schema version 1 with one case in it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  std::string setup = absl::StrCat(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
      "description TEXT NOT NULL, applied_at INTEGER NOT NULL);",
      sqlite::kMigrations[0].sql,
      "INSERT INTO schema_migrations VALUES (1, 'initial schema', 42);"
      "INSERT INTO cases(rid, id, version, owner, status, severity, title, "
      "description, created_at, created_by_username, created_by_profile_uid, "
      "assignee_count, connector_id, doc) VALUES (7, 'old', 1, 'o', 10, 0, "
      "'Old case', 'from v1', 0, 'u', 'p', 0, 'none', '{}');"
      "INSERT INTO case_tags VALUES (7, 'legacy');");
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, setup.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "");
  sqlite3_close(db);

  auto store = OpenInDir(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(QueryText(path_,
                      "SELECT applied_at FROM schema_migrations WHERE "
                      "version = 1"),
            "42");
  EXPECT_EQ(
      QueryText(path_, "SELECT max(version) FROM schema_migrations"),
      absl::StrCat(sqlite::kMigrations[sqlite::kMigrationCount - 1].version));
  // Later migrations saw the existing data (counters were backfilled).
  auto tx = (*store)->BeginRead();
  ASSERT_TRUE(tx.ok());
  CaseFilter f;
  f.owners = {"o"};
  f.tags = {"legacy"};
  auto counts = (*tx)->CountCasesByStatus(f);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->in_progress, 1);
  EXPECT_EQ(counts->open, 0);
  f.search = "old";
  auto page = (*tx)->FindCases(CaseQuery{f});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->total, 1);
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

Case ListCase(const std::string& id, int64_t created, CaseStatus status,
              std::vector<std::string> tags) {
  Case c;
  c.id = id;
  c.title = "t " + id;
  c.description = "d";
  c.owner = "o";
  c.status = status;
  c.tags = std::move(tags);
  c.created_at = absl::FromUnixSeconds(created);
  c.created_by = User{"alice", "Alice", "a@example.com", "uid-alice"};
  return c;
}

std::vector<std::string> PageIds(Store& store, CaseStatus status,
                                 const std::string& tag, bool ascending) {
  auto tx = store.BeginRead();
  EXPECT_TRUE(tx.ok());
  CaseQuery q;
  q.filter.owners = {"o"};
  q.filter.statuses = {status};
  q.filter.tags = {tag};
  q.ascending = ascending;
  auto page = (*tx)->FindCases(q);
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> ids;
  if (page.ok()) {
    for (const Case& c : page->cases) ids.push_back(c.id);
    EXPECT_EQ(page->total, static_cast<int64_t>(ids.size()));
  }
  return ids;
}

// The one-owner, one-status, one-tag page reads the copies of owner, status
// and created_at kept on case_tags; they must follow updates.
TEST_F(SqliteOnlyTest, ListViewPageFollowsUpdates) {
  auto opened = OpenInDir(dir_);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  {
    auto tx = store.BeginWrite();
    ASSERT_TRUE(tx.ok());
    Case a = ListCase("a", 100, CaseStatus::kOpen, {"x"});
    Case b = ListCase("b", 300, CaseStatus::kOpen, {"x", "y"});
    Case c = ListCase("c", 200, CaseStatus::kOpen, {"y"});
    ASSERT_TRUE((*tx)->InsertCase(a).ok());
    ASSERT_TRUE((*tx)->InsertCase(b).ok());
    ASSERT_TRUE((*tx)->InsertCase(c).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(PageIds(store, CaseStatus::kOpen, "x", false),
            (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(PageIds(store, CaseStatus::kOpen, "y", true),
            (std::vector<std::string>{"c", "b"}));
  {
    auto tx = store.BeginWrite();
    ASSERT_TRUE(tx.ok());
    auto b = (*tx)->GetCase("b");
    ASSERT_TRUE(b.ok());
    b->status = CaseStatus::kClosed;
    ASSERT_TRUE((*tx)->UpdateCase(*b).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(PageIds(store, CaseStatus::kOpen, "x", false),
            (std::vector<std::string>{"a"}));
  EXPECT_EQ(PageIds(store, CaseStatus::kClosed, "y", false),
            (std::vector<std::string>{"b"}));
  // A direct write of the copied columns (not through UpdateCase).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE cases SET status = 10, created_at = 50 "
                         "WHERE id = 'c'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(PageIds(store, CaseStatus::kInProgress, "y", false),
            (std::vector<std::string>{"c"}));
  EXPECT_TRUE(PageIds(store, CaseStatus::kOpen, "y", false).empty());
}

// Concurrent writers share SQLite transactions (group commit): every
// committed write is visible afterwards, no rolled-back one is, and a
// rollback in the middle of a batch leaves the others' writes intact.
TEST_F(SqliteOnlyTest, GroupCommitKeepsEachTransactionAtomic) {
  auto opened = OpenInDir(dir_);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, &failures, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto tx = store.BeginWrite();
        if (!tx.ok()) {
          ++failures[t];
          continue;
        }
        std::string id = absl::StrCat("c-", t, "-", i);
        Case c = ListCase(id, t * 1000 + i, CaseStatus::kOpen, {"g"});
        if (!(*tx)->InsertCase(c).ok()) ++failures[t];
        // Every third transaction is abandoned after writing.
        if (i % 3 == 2) continue;
        if (!(*tx)->Commit().ok()) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << t;
  auto tx = store.BeginRead();
  ASSERT_TRUE(tx.ok());
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      auto c = (*tx)->GetCase(absl::StrCat("c-", t, "-", i));
      EXPECT_EQ(c.ok(), i % 3 != 2) << t << "/" << i << " " << c.status();
    }
  }
  CaseFilter f;
  f.owners = {"o"};
  f.tags = {"g"};
  auto counts = (*tx)->CountCasesByStatus(f);
  ASSERT_TRUE(counts.ok());
  int expected = 0;
  for (int i = 0; i < kPerThread; ++i) expected += i % 3 != 2 ? 1 : 0;
  EXPECT_EQ(counts->open, kThreads * expected);
}

// A rough throughput check, not a unit test:
//   sqlite_store_test --gtest_also_run_disabled_tests
//   --gtest_filter='*Benchmark*'
TEST_F(SqliteOnlyTest, DISABLED_Benchmark) {
  auto opened = OpenInDir(dir_);
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  const char* env = std::getenv("CASEBRIDGE_BENCH_CASES");
  const int kCases = env != nullptr ? std::atoi(env) : 100000;
  const char* tags[] = {"phishing", "malware", "network", "email",  "endpoint",
                        "cloud",    "insider", "ddos",    "policy", "audit"};
  // Wall time on a shared machine is noisy; CPU time of this (single
  // threaded) process is reported too.
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu = std::clock();
  auto cpu_secs = [&] { return double(std::clock() - cpu) / CLOCKS_PER_SEC; };
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
  std::printf(
      "create case (case + user action, one txn each): %.0f/s wall, %.0f/s "
      "cpu\n",
      kCases / secs, kCases / cpu_secs());

  for (int round = 0; round < 2; ++round) {
    constexpr int kQueries = 500;
    start = std::chrono::steady_clock::now();
    cpu = std::clock();
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
    std::printf(
        "FindCases status+tag, 20/page, with counts: %.0f/s wall, %.0f/s cpu\n",
        kQueries / secs, kQueries / cpu_secs());
  }
  constexpr int kGets = 20000;
  start = std::chrono::steady_clock::now();
  cpu = std::clock();
  {
    for (int i = 0; i < kGets; ++i) {
      auto tx = store.BeginRead();
      auto c = (*tx)->GetCase(absl::StrCat("case-", (i * 7919) % kCases));
      ASSERT_TRUE(c.ok());
    }
  }
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
             .count();
  std::printf("GetCase (own read txn each): %.0f/s wall, %.0f/s cpu\n",
              kGets / secs, kGets / cpu_secs());
}

// WriteQueue on the SQLite store: every op is acknowledged once, in order,
// after its writes are visible to new readers; a failing op does not take
// its batch down; the destructor applies what is still queued.
TEST_F(SqliteOnlyTest, WriteQueueAcknowledgesAfterCommit) {
  auto store = OpenInDir(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  constexpr int kOps = 40;
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::string> errors;
  {
    WriteQueue queue(store->get(), /*max_batch=*/8);
    for (int i = 0; i < kOps; ++i) {
      const std::string id = absl::StrCat("q", i);
      queue.Submit(
          [id, i](Transaction& tx) -> absl::Status {
            if (i % 10 == 7) return absl::InvalidArgumentError("odd one out");
            Case c;
            c.id = id;
            c.title = id;
            c.owner = "o";
            c.created_at = absl::FromUnixSeconds(1700000000 + i);
            return tx.InsertCase(c);
          },
          [&, id, i](absl::Status status) {
            std::string error;
            if (i % 10 == 7) {
              if (status.code() != absl::StatusCode::kInvalidArgument)
                error = absl::StrCat(id, ": ", status.ToString());
            } else if (!status.ok()) {
              error = absl::StrCat(id, ": ", status.ToString());
            } else {
              // Acknowledged means committed: a new reader sees it.
              auto tx = (*store)->BeginRead();
              if (!tx.ok() || !(*tx)->GetCase(id).ok())
                error = absl::StrCat(id, " acknowledged but not visible");
            }
            std::lock_guard<std::mutex> lock(mu);
            order.push_back(i);
            if (!error.empty()) errors.push_back(error);
          });
    }
  }  // the destructor drains the queue
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(order.size(), static_cast<size_t>(kOps));
  for (int i = 0; i < kOps; ++i) EXPECT_EQ(order[i], i);
  EXPECT_EQ(QueryText(path_, "SELECT count(*) FROM cases"), "36");
}

// Migration 6 rewrites the JSON `doc` of existing cases in the binary format
// without losing anything, and the cases read back the same.
TEST_F(SqliteOnlyTest, MigrationSixConvertsJsonCaseDocuments) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  std::string setup =
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
      "description TEXT NOT NULL, applied_at INTEGER NOT NULL);";
  for (size_t i = 0; i < sqlite::kMigrationCount; ++i) {
    if (sqlite::kMigrations[i].version >= 6) break;
    absl::StrAppend(&setup, sqlite::kMigrations[i].sql,
                    "INSERT INTO schema_migrations VALUES (",
                    sqlite::kMigrations[i].version, ", 'm', 1);");
  }
  absl::StrAppend(
      &setup,
      "INSERT INTO cases(rid, id, version, owner, status, severity, title, "
      "description, created_at, created_by_username, created_by_profile_uid, "
      "assignee_count, connector_id, doc) VALUES (3, 'rich', 4, 'o', 20, 30, "
      "'Rich', 'every part', 1000000, 'ann', 'uid-ann', 1, 'conn-1', "
      "'{\"tags\":[\"a\",\"b\"],\"assignees\":[\"uid-1\"],"
      "\"custom_fields\":[{\"k\":\"t\",\"t\":0,\"v\":\"txt\"},"
      "{\"k\":\"g\",\"t\":1,\"v\":true},{\"k\":\"n\",\"t\":2,"
      "\"v\":-5},{\"k\":\"z\",\"t\":0,\"v\":null}],"
      "\"connector\":{\"id\":\"conn-1\",\"name\":\"Jira\",\"type\":"
      "\".jira\",\"fields\":{\"issueType\":\"1\",\"parent\":null}},"
      "\"sync_alerts\":false,\"duration\":77,"
      "\"created_by\":{\"u\":\"ann\",\"n\":\"Ann\",\"e\":\"a@x\","
      "\"p\":\"uid-ann\"},\"closed_by\":{\"u\":\"bob\",\"n\":\"\","
      "\"e\":\"\",\"p\":\"\"},\"external_service\":{\"connector_id\":"
      "\"conn-1\",\"connector_name\":\"Jira\",\"external_id\":\"10\","
      "\"external_title\":\"SEC-10\",\"external_url\":\"https://j/10\","
      "\"pushed_at\":2000000,\"pushed_by\":{\"u\":\"cy\",\"n\":\"\","
      "\"e\":\"\",\"p\":\"\"}}}');");
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, setup.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "");
  sqlite3_close(db);

  auto store = OpenInDir(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(QueryText(path_, "SELECT typeof(doc) FROM cases"), "blob");
  auto tx = (*store)->BeginRead();
  ASSERT_TRUE(tx.ok());
  auto c = (*tx)->GetCase("rich");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->version, 4);
  EXPECT_EQ(c->tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c->assignees, (std::vector<std::string>{"uid-1"}));
  EXPECT_EQ(c->custom_fields,
            (std::vector<CustomFieldValue>{
                {"t", CustomFieldType::kText, std::string("txt")},
                {"g", CustomFieldType::kToggle, true},
                {"n", CustomFieldType::kNumber, int64_t{-5}},
                {"z", CustomFieldType::kText, std::monostate{}}}));
  EXPECT_EQ(c->connector,
            (CaseConnector{"conn-1", "Jira", ".jira",
                           Json{{"issueType", "1"}, {"parent", nullptr}}}));
  EXPECT_FALSE(c->sync_alerts);
  EXPECT_EQ(c->duration_seconds, std::optional<int64_t>(77));
  EXPECT_EQ(c->created_by, (User{"ann", "Ann", "a@x", "uid-ann"}));
  EXPECT_FALSE(c->updated_by.has_value());
  ASSERT_TRUE(c->closed_by.has_value());
  EXPECT_EQ(c->closed_by->username, "bob");
  ASSERT_TRUE(c->external_service.has_value());
  EXPECT_EQ(c->external_service->external_title, "SEC-10");
  EXPECT_EQ(c->external_service->pushed_at, absl::FromUnixMicros(2000000));
  EXPECT_EQ(c->external_service->pushed_by.username, "cy");
  auto reporters = (*tx)->ListReporters({});
  ASSERT_TRUE(reporters.ok()) << reporters.status();
  EXPECT_EQ(*reporters, (std::vector<User>{{"ann", "Ann", "a@x", "uid-ann"}}));
}

// The binary case document: a round trip keeps every part, and every
// truncation or trailing byte is reported as corrupt rather than misread.
TEST(CaseDocTest, RoundTripsAndRejectsDamage) {
  Case c;
  c.tags = {"x", std::string(300, 't')};
  c.assignees = {"uid-1", ""};
  c.custom_fields = {{"k1", CustomFieldType::kNumber, int64_t{1} << 60},
                     {"k2", CustomFieldType::kToggle, false},
                     {"k3", CustomFieldType::kText, std::string("v")},
                     {"k4", CustomFieldType::kText, std::monostate{}}};
  c.connector = CaseConnector{"id", "name", ".jira", Json{{"a", 1}}};
  c.sync_alerts = false;
  c.duration_seconds = -3;
  c.created_by = User{"u", "n", "e", "p"};
  c.updated_by = User{"u2", "", "", ""};
  c.external_service = ExternalService{"c",
                                       "n",
                                       "1",
                                       "T-1",
                                       "https://x",
                                       absl::FromUnixMicros(5),
                                       User{"pusher", "", "", ""}};
  const std::string blob = sqlite::EncodeCaseDoc(c);
  Case got;
  ASSERT_TRUE(sqlite::DecodeCaseDoc(blob, &got).ok());
  EXPECT_EQ(got.tags, c.tags);
  EXPECT_EQ(got.assignees, c.assignees);
  EXPECT_EQ(got.custom_fields, c.custom_fields);
  EXPECT_EQ(got.connector, c.connector);
  EXPECT_EQ(got.sync_alerts, c.sync_alerts);
  EXPECT_EQ(got.duration_seconds, c.duration_seconds);
  EXPECT_EQ(got.created_by, c.created_by);
  EXPECT_EQ(got.updated_by, c.updated_by);
  EXPECT_FALSE(got.closed_by.has_value());
  ASSERT_TRUE(got.external_service.has_value());
  EXPECT_EQ(got.external_service->external_url, "https://x");
  EXPECT_EQ(got.external_service->pushed_at, absl::FromUnixMicros(5));
  EXPECT_EQ(got.external_service->pushed_by, c.external_service->pushed_by);
  for (size_t n = 0; n < blob.size(); ++n) {
    Case partial;
    EXPECT_EQ(sqlite::DecodeCaseDoc(blob.substr(0, n), &partial).code(),
              absl::StatusCode::kInternal)
        << n;
  }
  Case extra;
  EXPECT_FALSE(sqlite::DecodeCaseDoc(blob + "x", &extra).ok());
}

// Commits `count` cases, one write transaction each.
void InsertCases(Store& store, int count) {
  for (int i = 0; i < count; ++i) {
    auto tx = store.BeginWrite();
    ASSERT_TRUE(tx.ok()) << tx.status();
    Case c = ListCase(absl::StrCat("wal-", i), 1700000000 + i,
                      CaseStatus::kOpen, {"wal"});
    c.description = std::string(2000, 'x');  // a few pages per commit
    ASSERT_TRUE((*tx)->InsertCase(c).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
}

// Checkpoints copy WAL pages into the database file, so its size tells
// whether one ran.
TEST_F(SqliteOnlyTest, WalIsCheckpointedOnABackgroundThread) {
  SqliteStoreOptions options;
  options.path = path_;
  options.checkpoint_pages = 32;
  auto store = OpenSqliteStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  const auto initial = std::filesystem::file_size(path_);
  InsertCases(**store, 200);
  bool grew = false;
  for (int i = 0; i < 500 && !grew; ++i) {
    grew = std::filesystem::file_size(path_) > initial;
    if (!grew) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(grew) << "no checkpoint copied the WAL into the database";
  // Everything stays readable while and after checkpoints run.
  auto tx = (*store)->BeginRead();
  ASSERT_TRUE(tx.ok());
  EXPECT_TRUE((*tx)->GetCase("wal-199").ok());
}

// The committing thread never checkpoints: below the threshold nothing is
// copied, however many commits there were (SQLite's own automatic
// checkpoint would have run after 1000 pages).
TEST_F(SqliteOnlyTest, CommitsNeverCheckpointInline) {
  SqliteStoreOptions options;
  options.path = path_;
  options.checkpoint_pages = 1 << 30;
  auto store = OpenSqliteStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  const auto initial = std::filesystem::file_size(path_);
  InsertCases(**store, 600);
  EXPECT_GT(std::filesystem::file_size(path_ + "-wal"), 1000u * 4096u);
  EXPECT_EQ(std::filesystem::file_size(path_), initial);
}

}  // namespace
}  // namespace casebridge::store::testing

#include "tests/pg/postgres_instance.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

#ifndef CASEBRIDGE_PG_CLUSTER_SCRIPT
#error "CASEBRIDGE_PG_CLUSTER_SCRIPT must name tests/pg/pg_cluster.sh"
#endif

namespace casebridge::testing {
namespace {

struct State {
  std::mutex mu;
  bool resolved = false;
  absl::StatusOr<std::string> admin_dsn = std::string();
  std::string private_cluster;                // dir to stop at exit
  std::vector<std::string> databases;         // to drop at exit
  std::map<std::string, std::string> by_key;  // TestDatabaseFor
};

State& GetState() {
  static State* state = new State();
  return *state;
}

std::string RunCapture(const std::string& cmd, int* rc) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) {
    *rc = -1;
    return out;
  }
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  *rc = pclose(f);
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void CleanUpAtExit() {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.admin_dsn.ok() && !s.admin_dsn->empty()) {
    for (const std::string& db : s.databases) {
      ExecSql(*s.admin_dsn,
              absl::StrCat("DROP DATABASE IF EXISTS \"", db, "\" WITH (FORCE)"))
          .IgnoreError();
    }
  }
  if (!s.private_cluster.empty()) {
    int rc = 0;
    RunCapture(absl::StrCat(CASEBRIDGE_PG_CLUSTER_SCRIPT, " stop '",
                            s.private_cluster, "' 2>&1"),
               &rc);
  }
}

absl::StatusOr<std::string> ResolveLocked(State& s) {
  if (s.resolved) return s.admin_dsn;
  s.resolved = true;
  std::atexit(CleanUpAtExit);
  if (const char* dsn = std::getenv("CASEBRIDGE_TEST_POSTGRES_DSN");
      dsn != nullptr && *dsn != '\0') {
    s.admin_dsn = std::string(dsn);
    return s.admin_dsn;
  }
  const char* file = std::getenv("CASEBRIDGE_TEST_POSTGRES_DSN_FILE");
  if (file == nullptr || *file == '\0') file = CASEBRIDGE_PG_FIXTURE_DSN_FILE;
  {
    std::ifstream in(file);
    std::string line;
    if (in && std::getline(in, line) && !Trim(line).empty()) {
      s.admin_dsn = Trim(line);
      return s.admin_dsn;
    }
  }
  std::string state = absl::StrCat("/tmp/cbpg-state.", getpid());
  int rc = 0;
  std::string out = RunCapture(
      absl::StrCat(CASEBRIDGE_PG_CLUSTER_SCRIPT, " start '", state, "' 2>&1"),
      &rc);
  if (rc != 0) {
    s.admin_dsn = absl::UnavailableError(
        absl::StrCat("cannot start a PostgreSQL cluster: ", out));
    return s.admin_dsn;
  }
  std::ifstream cluster(state + "/cluster");
  std::string dir;
  std::getline(cluster, dir);
  s.private_cluster = Trim(dir);
  std::remove((state + "/dsn").c_str());
  std::remove((state + "/cluster").c_str());
  rmdir(state.c_str());
  // The last line is the DSN.
  out = Trim(out);
  size_t nl = out.rfind('\n');
  s.admin_dsn = nl == std::string::npos ? out : out.substr(nl + 1);
  return s.admin_dsn;
}

// The DSN of database `db` on the server of `admin`.
std::string WithDatabase(const std::string& admin, const std::string& db) {
  return absl::StrCat(admin, " dbname=", db);  // a later keyword wins
}

}  // namespace

absl::StatusOr<std::string> PostgresAdminDsn() {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  return ResolveLocked(s);
}

absl::Status ExecSql(const std::string& dsn, const std::string& sql) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("connect: ", message));
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PGresult* res = PQexec(conn, sql.c_str());
  absl::Status status;
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    status =
        absl::InternalError(absl::StrCat(sql, ": ", PQresultErrorMessage(res)));
  }
  PQclear(res);
  PQfinish(conn);
  return status;
}

absl::StatusOr<std::string> CreateTestDatabase(const std::string& hint) {
  absl::StatusOr<std::string> admin = PostgresAdminDsn();
  if (!admin.ok()) return admin.status();
  static std::atomic<int> counter{0};
  std::string name = "cb_";
  for (char ch : hint) {
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
      name += ch;
    } else if (ch >= 'A' && ch <= 'Z') {
      name += static_cast<char>(ch - 'A' + 'a');
    }
    if (name.size() > 30) break;
  }
  std::random_device rd;
  absl::StrAppend(&name, "_", getpid(), "_", counter.fetch_add(1), "_",
                  rd() % 100000);
  absl::Status status =
      ExecSql(*admin, absl::StrCat("CREATE DATABASE \"", name, "\""));
  if (!status.ok()) return status;
  {
    State& s = GetState();
    std::lock_guard<std::mutex> lock(s.mu);
    s.databases.push_back(name);
  }
  return WithDatabase(*admin, name);
}

absl::StatusOr<std::string> TestDatabaseFor(const std::string& key) {
  State& s = GetState();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.by_key.find(key);
    if (it != s.by_key.end()) return it->second;
  }
  std::string hint = key;
  size_t slash = hint.rfind('/');
  if (slash != std::string::npos) hint = hint.substr(slash + 1);
  absl::StatusOr<std::string> dsn = CreateTestDatabase(hint);
  if (!dsn.ok()) return dsn;
  std::lock_guard<std::mutex> lock(s.mu);
  s.by_key[key] = *dsn;
  return dsn;
}

}  // namespace casebridge::testing

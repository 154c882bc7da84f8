#include "server/store/sqlite/sqlite_conn.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace casebridge::store::sqlite {

absl::Status SqliteError(sqlite3* db, int rc, std::string_view op) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message =
      absl::StrCat("sqlite store: ", AbslView(op), ": ", detail);
  switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return absl::AlreadyExistsError(message);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return absl::NotFoundError(message);
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    case SQLITE_READONLY:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::BindInt(int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, next_++, v);
  if (rc != SQLITE_OK && status_.ok()) status_ = SqliteError(db_, rc, op_);
  return *this;
}

Stmt& Stmt::BindText(std::string_view v) {
  int rc = sqlite3_bind_text64(stmt_, next_++, v.data(), v.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && status_.ok()) status_ = SqliteError(db_, rc, op_);
  return *this;
}

Stmt& Stmt::BindBlob(std::string_view v) {
  int rc =
      sqlite3_bind_blob64(stmt_, next_++, v.data(), v.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && status_.ok()) status_ = SqliteError(db_, rc, op_);
  return *this;
}

Stmt& Stmt::BindNull() {
  int rc = sqlite3_bind_null(stmt_, next_++);
  if (rc != SQLITE_OK && status_.ok()) status_ = SqliteError(db_, rc, op_);
  return *this;
}

absl::StatusOr<bool> Stmt::Next() {
  if (!status_.ok()) return status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The extended code of a failed step is only reliable from the connection.
  return SqliteError(db_, sqlite3_extended_errcode(db_), op_);
}

absl::Status Stmt::Run() {
  while (true) {
    absl::StatusOr<bool> row = Next();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

absl::StatusOr<std::unique_ptr<Conn>> Conn::Open(const std::string& path,
                                                 bool read_only,
                                                 absl::Duration busy_timeout) {
  // Once per process, before SQLite initialises: without it every SQLite
  // allocation of every connection takes one global mutex to keep memory
  // statistics nobody reads.
  static const int configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return 0;
  }();
  (void)configured;
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
              (read_only ? SQLITE_OPEN_READONLY
                         : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(db, rc, absl::StrCat("open ", path));
    sqlite3_close(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(
      db, static_cast<int>(absl::ToInt64Milliseconds(busy_timeout)));
  std::unique_ptr<Conn> conn(new Conn(db));
  // synchronous=NORMAL in WAL mode: a commit is appended to the WAL without
  // an fsync, so a committed transaction survives a crash of the process
  // (SIGKILL) — the OS still has the pages — but may be lost on power
  // failure or an OS crash. That is the durability casebridge asks for.
  //
  // No memory-mapped I/O: in WAL mode a connection drops its whole mapping
  // whenever it starts a read transaction after another connection
  // committed, so under any write load every read transaction paid an
  // munmap (a TLB shootdown across cores) and page faults for each page it
  // touched. pread into the page cache measured ~40% less CPU per push; a
  // read-only load is as fast either way (its page cache stays valid).
  SQ_RETURN_IF_ERROR(
      conn->ExecScript("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; "
                       "PRAGMA temp_store=MEMORY;"
                       "PRAGMA cache_size=-16384; PRAGMA mmap_size=0;",
                       "configure connection"));
  return conn;
}

Conn::~Conn() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

absl::StatusOr<Stmt> Conn::Prepare(std::string_view sql, const char* op) {
  // Heterogeneous lookup is C++20; a temporary key is cheap next to a query.
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end()) return Stmt(it->second, db_, /*owned=*/false, op);
  bool cache = cache_.size() < kMaxCachedStatements;
  sqlite3_stmt* stmt = nullptr;
  int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                         cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db_, rc, op);
  }
  if (cache) cache_.emplace(std::move(key), stmt);
  return Stmt(stmt, db_, /*owned=*/!cache, op);
}

absl::Status Conn::ExecScript(const char* sql, const char* op) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK)
    return SqliteError(db_, sqlite3_extended_errcode(db_), op);
  return absl::OkStatus();
}

}  // namespace casebridge::store::sqlite

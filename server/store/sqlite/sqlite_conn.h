// Private helpers of the SQLite store: one connection with its cache of
// prepared statements, a borrowed-statement handle that binds positionally,
// and the mapping of SQLite result codes to absl::Status.
//
// Not thread-safe: a Conn and the Stmts borrowed from it are used by one
// thread at a time (the owner of the transaction running on it). A Stmt must
// not outlive its Conn, and a Conn hands out each cached statement to at most
// one live Stmt at a time (callers finish one query before starting the same
// query again).
#ifndef CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_CONN_H_
#define CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_CONN_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#define SQ_STATUS_CONCAT_INNER(a, b) a##b
#define SQ_STATUS_CONCAT(a, b) SQ_STATUS_CONCAT_INNER(a, b)

#define SQ_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status sq_status_ = (expr);      \
    if (!sq_status_.ok()) return sq_status_; \
  } while (0)

#define SQ_ASSIGN_OR_RETURN(lhs, expr) \
  SQ_ASSIGN_OR_RETURN_IMPL(SQ_STATUS_CONCAT(sq_statusor_, __LINE__), lhs, expr)
#define SQ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(*tmp)

namespace casebridge::store::sqlite {

// Debian's Abseil has its own string_view type; this bridges std's.
inline absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Maps a SQLite result code to a status whose message names `op`:
// BUSY/LOCKED -> Unavailable, PRIMARYKEY/UNIQUE constraint -> AlreadyExists,
// FOREIGNKEY constraint -> NotFound, READONLY -> FailedPrecondition, anything
// else -> Internal.
absl::Status SqliteError(sqlite3* db, int rc, std::string_view op);

class Conn;

// A prepared statement borrowed from a Conn. Parameters are bound in order
// with the Bind* calls; the statement is reset and its bindings cleared when
// the Stmt is destroyed.
class Stmt {
 public:
  Stmt(sqlite3_stmt* stmt, sqlite3* db, bool owned, const char* op)
      : stmt_(stmt), db_(db), owned_(owned), op_(op) {}
  Stmt(Stmt&& other) noexcept
      : stmt_(other.stmt_),
        db_(other.db_),
        owned_(other.owned_),
        op_(other.op_),
        next_(other.next_),
        status_(std::move(other.status_)) {
    other.stmt_ = nullptr;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  Stmt& BindInt(int64_t v);
  Stmt& BindText(std::string_view v);
  Stmt& BindBlob(std::string_view v);
  Stmt& BindNull();
  Stmt& BindTime(absl::Time t) { return BindInt(absl::ToUnixMicros(t)); }
  Stmt& BindOptTime(const std::optional<absl::Time>& t) {
    return t ? BindTime(*t) : BindNull();
  }
  Stmt& BindOptText(const std::optional<std::string>& v) {
    return v ? BindText(*v) : BindNull();
  }

  // Steps once: true when a row is available, false when done.
  absl::StatusOr<bool> Next();
  // Steps to completion, ignoring rows.
  absl::Status Run();

  bool IsNull(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string_view Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    if (p == nullptr) return {};
    return std::string_view(
        reinterpret_cast<const char*>(p),
        static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string Str(int col) const { return std::string(Text(col)); }
  bool IsBlob(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_BLOB;
  }
  // Valid until the next step, reset or column read of `col`.
  std::string_view BlobView(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    if (p == nullptr) return {};
    return std::string_view(
        static_cast<const char*>(p),
        static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    if (p == nullptr) return {};
    return std::string(static_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  absl::Time Time(int col) const { return absl::FromUnixMicros(Int(col)); }
  std::optional<absl::Time> OptTime(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Time(col);
  }

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
  bool owned_;  // finalized on destruction (not cached)
  const char* op_;
  int next_ = 1;
  absl::Status status_;  // first binding error, reported by Next/Run
};

// One SQLite connection and its statement cache.
class Conn {
 public:
  // Opens `path` (creating it when `read_only` is false) and applies the
  // per-connection pragmas.
  static absl::StatusOr<std::unique_ptr<Conn>> Open(
      const std::string& path, bool read_only, absl::Duration busy_timeout);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // A cached statement for `sql` (prepared once per connection). `op` names
  // the operation in error messages and must be a string literal.
  absl::StatusOr<Stmt> Prepare(std::string_view sql, const char* op);
  // Runs one or more statements without caching (schema work).
  absl::Status ExecScript(const char* sql, const char* op);

  int64_t Changes() const { return sqlite3_changes64(db_); }
  int64_t LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* db() const { return db_; }

 private:
  explicit Conn(sqlite3* db) : db_(db) {}

  // Bounds the cache when callers build many distinct dynamic statements.
  static constexpr size_t kMaxCachedStatements = 512;

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace casebridge::store::sqlite

#endif  // CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_CONN_H_

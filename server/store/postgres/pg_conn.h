// Private helpers of the PostgreSQL store: one libpq connection with its
// cache of server-side prepared statements, a query-parameter list, a result
// wrapper, and the mapping of libpq/SQLSTATE errors to absl::Status.
//
// Not thread-safe: a Conn is used by one thread at a time (the owner of the
// transaction running on it). A Result owns its PGresult and may outlive the
// query that made it but not the process's libpq.
#ifndef CASEBRIDGE_SERVER_STORE_POSTGRES_PG_CONN_H_
#define CASEBRIDGE_SERVER_STORE_POSTGRES_PG_CONN_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#define PG_STATUS_CONCAT_INNER(a, b) a##b
#define PG_STATUS_CONCAT(a, b) PG_STATUS_CONCAT_INNER(a, b)

#define PG_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status pg_status_ = (expr);      \
    if (!pg_status_.ok()) return pg_status_; \
  } while (0)

#define PG_ASSIGN_OR_RETURN(lhs, expr) \
  PG_ASSIGN_OR_RETURN_IMPL(PG_STATUS_CONCAT(pg_statusor_, __LINE__), lhs, expr)
#define PG_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(*tmp)

namespace casebridge::store::pg {

// Query parameters, appended in $1, $2, ... order. Text parameters are sent
// in text format and typed by the statement; Bytes go as binary bytea.
class Params {
 public:
  Params& Text(std::string_view v);
  Params& OptText(const std::optional<std::string>& v);
  Params& Int(int64_t v);
  Params& Bool(bool v);
  Params& Time(absl::Time t);  // int64 microseconds since the epoch
  Params& OptTime(const std::optional<absl::Time>& t);
  Params& Null();
  Params& Bytes(std::string_view v);
  // A text[] array literal of `values`.
  Params& TextArray(const std::vector<std::string>& values);
  Params& IntArray(const std::vector<int64_t>& values);

  int size() const { return static_cast<int>(values_.size()); }
  // Position ($n) the next parameter will get.
  int next() const { return size() + 1; }
  // InvalidArgument when a text parameter holds a NUL, which PostgreSQL
  // text cannot (libpq would silently cut the value there).
  absl::Status CheckText(std::string_view op) const;

 private:
  friend class Conn;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
};

// A query result (rows in text format).
class Result {
 public:
  explicit Result(PGresult* r) : res_(r, &PQclear) {}
  int rows() const { return PQntuples(res_.get()); }
  bool IsNull(int row, int col) const {
    return PQgetisnull(res_.get(), row, col) != 0;
  }
  std::string Str(int row, int col) const {
    return std::string(PQgetvalue(res_.get(), row, col),
                       PQgetlength(res_.get(), row, col));
  }
  std::string_view View(int row, int col) const {
    return std::string_view(PQgetvalue(res_.get(), row, col),
                            PQgetlength(res_.get(), row, col));
  }
  int64_t Int(int row, int col) const;
  bool Bool(int row, int col) const { return View(row, col) == "t"; }
  absl::Time Time(int row, int col) const {
    return absl::FromUnixMicros(Int(row, col));
  }
  std::optional<absl::Time> OptTime(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Time(row, col);
  }
  std::optional<std::string> OptStr(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Str(row, col);
  }
  // A bytea column (hex text format) decoded.
  std::string Bytes(int row, int col) const;
  // Rows changed by an INSERT/UPDATE/DELETE.
  int64_t Affected() const;
  // The underlying result (possibly null), for status checks.
  const PGresult* raw_for_error() const { return res_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> res_;
};

// Maps a failed result (or, when null, the connection's last error) to a
// status naming `op`: unique violation -> AlreadyExists, foreign-key
// violation -> NotFound, serialization failure / deadlock -> Aborted,
// connection errors, shutdown and too many connections -> Unavailable,
// statement or lock timeout -> DeadlineExceeded, anything else -> Internal.
absl::Status PgError(PGconn* conn, const PGresult* res, std::string_view op);

class Conn {
 public:
  // Connects with `dsn`; Unavailable when the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<Conn>> Open(const std::string& dsn);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs `sql` (a fixed text with $n placeholders) as a prepared statement,
  // preparing it on this connection on first use.
  absl::StatusOr<Result> Query(const std::string& sql, const Params& params,
                               std::string_view op);
  // Runs `sql` once without preparing it (dynamic or one-off statements).
  absl::StatusOr<Result> QueryOnce(const std::string& sql, const Params& params,
                                   std::string_view op);
  // Runs a parameterless script (may hold several statements).
  absl::Status Exec(const std::string& sql, std::string_view op);

  // True when the connection is usable and outside any transaction.
  bool Idle() const;
  bool Broken() const;
  PGconn* raw() const { return conn_; }

 private:
  explicit Conn(PGconn* c) : conn_(c) {}
  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> name
};

}  // namespace casebridge::store::pg

#endif  // CASEBRIDGE_SERVER_STORE_POSTGRES_PG_CONN_H_

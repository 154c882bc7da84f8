#include "server/store/postgres/pg_conn.h"

#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace casebridge::store::pg {
namespace {

absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Statements beyond this many per connection run unprepared, bounding the
// server-side memory of unusual dynamic queries.
constexpr size_t kMaxPrepared = 512;

constexpr Oid kByteaOid = 17;

void AppendArrayElement(std::string* out, std::string_view v) {
  out->push_back('"');
  for (char ch : v) {
    if (ch == '"' || ch == '\\') out->push_back('\\');
    out->push_back(ch);
  }
  out->push_back('"');
}

}  // namespace

Params& Params::Text(std::string_view v) {
  values_.emplace_back(std::string(v));
  formats_.push_back(0);
  return *this;
}

Params& Params::OptText(const std::optional<std::string>& v) {
  if (!v) return Null();
  return Text(*v);
}

Params& Params::Int(int64_t v) { return Text(std::to_string(v)); }

Params& Params::Bool(bool v) { return Text(v ? "t" : "f"); }

Params& Params::Time(absl::Time t) { return Int(absl::ToUnixMicros(t)); }

Params& Params::OptTime(const std::optional<absl::Time>& t) {
  if (!t) return Null();
  return Time(*t);
}

Params& Params::Null() {
  values_.emplace_back(std::nullopt);
  formats_.push_back(0);
  return *this;
}

Params& Params::Bytes(std::string_view v) {
  values_.emplace_back(std::string(v));
  formats_.push_back(1);
  return *this;
}

Params& Params::TextArray(const std::vector<std::string>& values) {
  std::string lit = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) lit.push_back(',');
    AppendArrayElement(&lit, values[i]);
  }
  lit.push_back('}');
  return Text(lit);
}

Params& Params::IntArray(const std::vector<int64_t>& values) {
  std::string lit = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) lit.push_back(',');
    lit += std::to_string(values[i]);
  }
  lit.push_back('}');
  return Text(lit);
}

absl::Status Params::CheckText(std::string_view op) const {
  for (size_t i = 0; i < values_.size(); ++i) {
    if (formats_[i] == 0 && values_[i] &&
        values_[i]->find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "postgres store: ", AV(op), ": text holds a NUL character"));
    }
  }
  return absl::OkStatus();
}

int64_t Result::Int(int row, int col) const {
  int64_t v = 0;
  if (!absl::SimpleAtoi(AV(View(row, col)), &v)) return 0;
  return v;
}

std::string Result::Bytes(int row, int col) const {
  size_t len = 0;
  unsigned char* raw = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(res_.get(), row, col)),
      &len);
  if (raw == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(raw), len);
  PQfreemem(raw);
  return out;
}

int64_t Result::Affected() const {
  int64_t v = 0;
  if (!absl::SimpleAtoi(PQcmdTuples(res_.get()), &v)) return 0;
  return v;
}

absl::Status PgError(PGconn* conn, const PGresult* res, std::string_view op) {
  std::string message;
  const char* state = nullptr;
  if (res != nullptr) {
    message = PQresultErrorMessage(res);
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  }
  if (message.empty() && conn != nullptr) message = PQerrorMessage(conn);
  while (!message.empty() &&
         (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  std::string text = absl::StrCat("postgres store: ", AV(op), ": ", message);
  std::string_view code = state != nullptr ? state : "";
  if (code == "23505") return absl::AlreadyExistsError(text);
  if (code == "23503") return absl::NotFoundError(text);
  if (code == "40001" || code == "40P01") return absl::AbortedError(text);
  if (code == "57014" || code == "55P03") {
    return absl::DeadlineExceededError(text);
  }
  if (code.substr(0, 2) == "08" || code == "57P01" || code == "57P02" ||
      code == "57P03" || code == "53300" ||
      (conn != nullptr && PQstatus(conn) == CONNECTION_BAD)) {
    return absl::UnavailableError(text);
  }
  if (code.empty() && res == nullptr) return absl::UnavailableError(text);
  return absl::InternalError(text);
}

absl::StatusOr<std::unique_ptr<Conn>> Conn::Open(const std::string& dsn) {
  PGconn* c = PQconnectdb(dsn.c_str());
  if (c == nullptr) {
    return absl::UnavailableError("postgres store: out of memory connecting");
  }
  if (PQstatus(c) != CONNECTION_OK) {
    std::string message = PQerrorMessage(c);
    PQfinish(c);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return absl::UnavailableError(
        absl::StrCat("postgres store: cannot connect: ", message));
  }
  auto conn = std::unique_ptr<Conn>(new Conn(c));
  // Notices (e.g. "relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  PG_RETURN_IF_ERROR(conn->Exec(
      "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'", "set up session"));
  return conn;
}

Conn::~Conn() { PQfinish(conn_); }

bool Conn::Broken() const { return PQstatus(conn_) != CONNECTION_OK; }

bool Conn::Idle() const {
  return !Broken() && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

absl::StatusOr<Result> Conn::Query(const std::string& sql, const Params& params,
                                   std::string_view op) {
  PG_RETURN_IF_ERROR(params.CheckText(op));
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    if (prepared_.size() >= kMaxPrepared) return QueryOnce(sql, params, op);
    std::string name = absl::StrCat("cb", prepared_.size() + 1);
    std::vector<Oid> types(params.formats_.size(), 0);
    for (size_t i = 0; i < types.size(); ++i) {
      if (params.formats_[i] == 1) types[i] = kByteaOid;
    }
    Result prep(PQprepare(conn_, name.c_str(), sql.c_str(),
                          static_cast<int>(types.size()), types.data()));
    ExecStatusType st = PQresultStatus(prep.raw_for_error());
    if (st != PGRES_COMMAND_OK) {
      return PgError(conn_, prep.raw_for_error(), op);
    }
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.values_.size());
  for (const auto& v : params.values_) {
    values.push_back(v ? v->data() : nullptr);
    lengths.push_back(v ? static_cast<int>(v->size()) : 0);
  }
  Result r(PQexecPrepared(conn_, it->second.c_str(), params.size(),
                          values.data(), lengths.data(), params.formats_.data(),
                          /*resultFormat=*/0));
  ExecStatusType st = PQresultStatus(r.raw_for_error());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(conn_, r.raw_for_error(), op);
  }
  return r;
}

absl::StatusOr<Result> Conn::QueryOnce(const std::string& sql,
                                       const Params& params,
                                       std::string_view op) {
  PG_RETURN_IF_ERROR(params.CheckText(op));
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<Oid> types;
  for (size_t i = 0; i < params.values_.size(); ++i) {
    const auto& v = params.values_[i];
    values.push_back(v ? v->data() : nullptr);
    lengths.push_back(v ? static_cast<int>(v->size()) : 0);
    types.push_back(params.formats_[i] == 1 ? kByteaOid : 0);
  }
  Result r(PQexecParams(conn_, sql.c_str(), params.size(), types.data(),
                        values.data(), lengths.data(), params.formats_.data(),
                        /*resultFormat=*/0));
  ExecStatusType st = PQresultStatus(r.raw_for_error());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(conn_, r.raw_for_error(), op);
  }
  return r;
}

absl::Status Conn::Exec(const std::string& sql, std::string_view op) {
  Result r(PQexec(conn_, sql.c_str()));
  ExecStatusType st = PQresultStatus(r.raw_for_error());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(conn_, r.raw_for_error(), op);
  }
  return absl::OkStatus();
}

}  // namespace casebridge::store::pg

#include "server/store/postgres/pg_store.h"

#include <chrono>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/store/postgres/pg_conn.h"
#include "server/store/postgres/pg_listener.h"
#include "server/store/postgres/pg_schema.h"
#include "server/store/postgres/pg_transaction.h"

namespace casebridge::store {
namespace pg {

// --- ConnPool.

ConnPool::ConnPool(const PostgresStoreOptions& options) : options_(options) {}

absl::StatusOr<std::unique_ptr<Conn>> ConnPool::OpenExtra() {
  PG_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, Conn::Open(options_.dsn));
  if (options_.statement_timeout > absl::ZeroDuration()) {
    PG_RETURN_IF_ERROR(conn->Exec(
        absl::StrCat("SET statement_timeout = ",
                     absl::ToInt64Milliseconds(options_.statement_timeout)),
        "set statement_timeout"));
  }
  return conn;
}

absl::StatusOr<std::unique_ptr<Conn>> ConnPool::Acquire() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    const int max_open = std::max(options_.pool_size, 1);
    auto ready = [&] { return !idle_.empty() || open_ < max_open; };
    if (!ready()) {
      auto wait = std::chrono::microseconds(
          absl::ToInt64Microseconds(options_.acquire_timeout));
      if (!cv_.wait_for(lock, wait, ready)) {
        return absl::UnavailableError(
            "postgres store: no free connection in the pool");
      }
    }
    if (!idle_.empty()) {
      std::unique_ptr<Conn> conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;
  }
  absl::StatusOr<std::unique_ptr<Conn>> conn = OpenExtra();
  if (!conn.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    cv_.notify_one();
  }
  return conn;
}

void ConnPool::Release(std::unique_ptr<Conn> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (conn != nullptr && conn->Idle()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
    conn.reset();
  }
  cv_.notify_one();
}

// --- PgTransaction lifecycle.

PgTransaction::~PgTransaction() {
  if (!done_ && conn_ != nullptr && !conn_->Broken()) {
    conn_->Exec("ROLLBACK", "roll back").IgnoreError();
  }
  pool_->Release(std::move(conn_));
}

absl::Status PgTransaction::Commit() {
  if (done_) {
    return absl::FailedPreconditionError(
        "postgres store: commit: transaction already finished");
  }
  if (in_savepoint_) {
    return absl::FailedPreconditionError(
        "postgres store: commit: a write-batch member cannot commit");
  }
  done_ = true;
  if (PQtransactionStatus(conn_->raw()) == PQTRANS_INERROR) {
    // A statement failed earlier; PostgreSQL would turn COMMIT into
    // ROLLBACK and still report success.
    conn_->Exec("ROLLBACK", "roll back").IgnoreError();
    return absl::AbortedError(
        "postgres store: commit: a statement of the transaction failed; "
        "rolled back");
  }
  return conn_->Exec("COMMIT", "commit");
}

absl::Status PgTransaction::RunInSavepoint(const Store::WriteOp& op) {
  if (done_) {
    return absl::FailedPreconditionError(
        "postgres store: write batch: transaction already finished");
  }
  PG_RETURN_IF_ERROR(conn_->Exec("SAVEPOINT batch_member", "savepoint"));
  in_savepoint_ = true;
  absl::Status status = op(*this);
  in_savepoint_ = false;
  // A failed statement leaves the transaction in error until the rollback
  // to the savepoint, which also undoes the member's other writes.
  absl::Status end =
      status.ok() && PQtransactionStatus(conn_->raw()) != PQTRANS_INERROR
          ? conn_->Exec("RELEASE SAVEPOINT batch_member", "release savepoint")
          : conn_->Exec("ROLLBACK TO SAVEPOINT batch_member; RELEASE "
                        "SAVEPOINT batch_member",
                        "roll back to savepoint");
  if (status.ok() && PQtransactionStatus(conn_->raw()) == PQTRANS_INERROR) {
    status = absl::AbortedError(
        "postgres store: a statement of the write failed; rolled back");
  }
  return status.ok() ? end : status;
}

absl::StatusOr<Result> PgTransaction::Q(const std::string& sql,
                                        const Params& params,
                                        std::string_view op) {
  if (done_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "postgres store: ", AV(op), ": transaction already finished"));
  }
  return conn_->Query(sql, params, op);
}

absl::Status PgTransaction::VersionFailure(const char* table,
                                           std::string_view id,
                                           const char* what) {
  Params p;
  p.Text(id);
  PG_ASSIGN_OR_RETURN(
      Result r, Q(absl::StrCat("SELECT version FROM ", table, " WHERE id = $1"),
                  p, "check version"));
  if (r.rows() == 0) {
    return absl::NotFoundError(absl::StrCat(what, " ", AV(id), " not found"));
  }
  return absl::AbortedError(absl::StrCat(what, " ", AV(id),
                                         " has been updated (stored version ",
                                         r.Int(0, 0), ")"));
}

namespace {

class PgStore : public Store {
 public:
  explicit PgStore(const PostgresStoreOptions& options)
      : pool_(options), push_listener_(&pool_, kPushJobsChannel) {}

  absl::Status Migrate();

  absl::StatusOr<std::unique_ptr<Transaction>> BeginRead() override {
    return Begin("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", false);
  }
  absl::StatusOr<std::unique_ptr<Transaction>> BeginWrite() override {
    return Begin("BEGIN ISOLATION LEVEL READ COMMITTED", true);
  }
  // One transaction for the whole batch, a savepoint per op: one commit
  // (and one WAL flush) instead of one per op.
  std::vector<absl::Status> ApplyWriteBatch(
      absl::Span<const WriteOp> ops) override {
    std::vector<absl::Status> out(ops.size());
    if (ops.empty()) return out;
    absl::StatusOr<std::unique_ptr<Transaction>> tx = BeginWrite();
    if (!tx.ok()) {
      for (absl::Status& s : out) s = tx.status();
      return out;
    }
    auto* pg = static_cast<PgTransaction*>(tx->get());
    std::vector<bool> kept(ops.size(), false);
    for (size_t i = 0; i < ops.size(); ++i) {
      out[i] = pg->RunInSavepoint(ops[i]);
      kept[i] = out[i].ok();
    }
    const absl::Status committed = pg->Commit();
    for (size_t i = 0; i < ops.size(); ++i) {
      if (kept[i]) out[i] = committed;
    }
    return out;
  }
  void SetPushWorkListener(std::function<void()> wake) override {
    push_listener_.Set(std::move(wake));
  }

 private:
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(const char* sql,
                                                     bool write) {
    // A pooled connection may have died with the server (a restart or
    // failover); BEGIN then fails on it and one fresh connection is tried.
    for (int attempt = 0;; ++attempt) {
      PG_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, pool_.Acquire());
      absl::Status status = conn->Exec(sql, "begin transaction");
      if (status.ok()) {
        return std::unique_ptr<Transaction>(
            new PgTransaction(&pool_, std::move(conn), write));
      }
      const bool broken = conn->Broken();
      pool_.Release(std::move(conn));
      if (!broken || attempt > 0) return status;
    }
  }

  ConnPool pool_;
  Listener push_listener_;  // after pool_: uses it until destroyed
};

// Applies the pending migrations while holding the migration advisory lock
// on a dedicated connection; other replicas wait for the lock and then find
// nothing left to do.
absl::Status PgStore::Migrate() {
  PG_ASSIGN_OR_RETURN(std::unique_ptr<Conn> conn, pool_.OpenExtra());
  // Migrations may take longer than ordinary statements.
  PG_RETURN_IF_ERROR(conn->Exec("SET statement_timeout = 0", "set timeout"));
  PG_RETURN_IF_ERROR(conn->Exec(
      absl::StrCat("SELECT pg_advisory_lock(", kMigrationLockKey, ")"),
      "take migration lock"));
  absl::Status status = [&]() -> absl::Status {
    PG_RETURN_IF_ERROR(
        conn->Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                   "version bigint PRIMARY KEY, description text NOT NULL, "
                   "applied_at bigint NOT NULL)",
                   "create schema_migrations"));
    // Every missing version is applied, not only those above the highest
    // recorded one: branches may land migrations out of numeric order.
    PG_ASSIGN_OR_RETURN(Result r,
                        conn->QueryOnce("SELECT version FROM schema_migrations",
                                        Params(), "read schema versions"));
    std::set<int64_t> applied;
    for (int row = 0; row < r.rows(); ++row) applied.insert(r.Int(row, 0));
    for (size_t i = 0; i < kMigrationCount; ++i) {
      const Migration& m = kMigrations[i];
      if (applied.count(m.version) > 0) continue;
      absl::Status step = conn->Exec("BEGIN", "begin migration");
      if (step.ok()) step = conn->Exec(m.sql, "apply migration");
      if (step.ok()) {
        Params p;
        p.Int(m.version).Text(m.description).Time(absl::Now());
        step = conn->QueryOnce(
                       "INSERT INTO schema_migrations(version, description, "
                       "applied_at) VALUES ($1, $2, $3)",
                       p, "record migration")
                   .status();
      }
      if (step.ok()) step = conn->Exec("COMMIT", "commit migration");
      if (!step.ok()) {
        conn->Exec("ROLLBACK", "roll back migration").IgnoreError();
        return absl::Status(step.code(),
                            absl::StrCat("migration ", m.version, " (",
                                         m.description, "): ", step.message()));
      }
    }
    return absl::OkStatus();
  }();
  conn->Exec(absl::StrCat("SELECT pg_advisory_unlock(", kMigrationLockKey, ")"),
             "release migration lock")
      .IgnoreError();
  return status;
}

}  // namespace
}  // namespace pg

absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(
    const PostgresStoreOptions& options) {
  if (options.dsn.empty()) {
    return absl::InvalidArgumentError("postgres store: empty dsn");
  }
  auto store = std::make_unique<pg::PgStore>(options);
  PG_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace casebridge::store

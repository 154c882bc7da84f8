#include "server/store/store_factory.h"

#include "absl/strings/str_cat.h"
#include "server/store/postgres/pg_store.h"
#include "server/store/sqlite/sqlite_store.h"

namespace casebridge::store {

std::string DescribeStore(const config::Config& config) {
  if (config.store == "postgres") return "postgres";
  return absl::StrCat("sqlite:", config.SqlitePath());
}

absl::StatusOr<std::unique_ptr<Store>> OpenConfiguredStore(
    const config::Config& config) {
  if (config.store == "postgres") {
    PostgresStoreOptions options;
    options.dsn = config.postgres.dsn;
    options.pool_size = config.postgres.pool_size;
    options.acquire_timeout =
        absl::Milliseconds(config.postgres.acquire_timeout_ms);
    options.statement_timeout =
        absl::Milliseconds(config.postgres.statement_timeout_ms);
    absl::StatusOr<std::unique_ptr<Store>> store = OpenPostgresStore(options);
    if (!store.ok()) {
      return absl::Status(store.status().code(),
                          absl::StrCat("cannot open the PostgreSQL store: ",
                                       store.status().message()));
    }
    return store;
  }
  if (config.store != "sqlite") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown store \"", config.store, "\""));
  }
  SqliteStoreOptions options;
  options.path = config.SqlitePath();
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(options);
  if (!store.ok()) {
    return absl::Status(
        store.status().code(),
        absl::StrCat("cannot open the SQLite store at ", options.path, ": ",
                     store.status().message()));
  }
  return store;
}

}  // namespace casebridge::store

// Test access to a throwaway PostgreSQL server: one database per test.
//
// The server is found, in order, from CASEBRIDGE_TEST_POSTGRES_DSN (an admin
// DSN of a running server), from the file named by
// CASEBRIDGE_TEST_POSTGRES_DSN_FILE or else from the file the CTest fixture
// `postgres` writes (tests/pg/pg_cluster.sh start <build>/tests/pg/cluster)
// while its cluster runs, or else a private cluster is started with
// pg_cluster.sh for this process and stopped at exit. Databases created
// through CreateDatabase are dropped (WITH FORCE) at process exit.
//
// Thread-safe: all functions may be called from any thread.
#ifndef CASEBRIDGE_TESTS_PG_POSTGRES_INSTANCE_H_
#define CASEBRIDGE_TESTS_PG_POSTGRES_INSTANCE_H_

#include <string>

#include "absl/status/statusor.h"

namespace casebridge::testing {

// The admin DSN (database "postgres") of the test server, starting a
// private one on first use when none is configured.
absl::StatusOr<std::string> PostgresAdminDsn();

// Creates a fresh, empty database with a unique name derived from `hint`
// and returns its DSN.
absl::StatusOr<std::string> CreateTestDatabase(const std::string& hint);

// The DSN of the database made for `key` by an earlier call, or a new one:
// lets a store factory reopen the same database for the same directory.
absl::StatusOr<std::string> TestDatabaseFor(const std::string& key);

// Runs `sql` on the database `dsn` (no result); for test set-up.
absl::Status ExecSql(const std::string& dsn, const std::string& sql);

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_PG_POSTGRES_INSTANCE_H_

// Opens the Store the configuration selects: SQLite (store: sqlite, the
// default) or PostgreSQL (store: postgres). Stateless; thread-safe.
#ifndef CASEBRIDGE_SERVER_STORE_STORE_FACTORY_H_
#define CASEBRIDGE_SERVER_STORE_STORE_FACTORY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/config/config.h"
#include "server/store/store.h"

namespace casebridge::store {

// Opens (creating or migrating as needed) the configured store. The error
// message says which store and where, never the DSN (it may hold a
// password).
absl::StatusOr<std::unique_ptr<Store>> OpenConfiguredStore(
    const config::Config& config);

// "sqlite:<path>" or "postgres" (without the DSN), for logs.
std::string DescribeStore(const config::Config& config);

}  // namespace casebridge::store

#endif  // CASEBRIDGE_SERVER_STORE_STORE_FACTORY_H_

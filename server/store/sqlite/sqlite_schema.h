// The SQLite store's schema as ordered migrations. Append new migrations;
// never edit one that has shipped. Thread-compatible constants.
#ifndef CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_SCHEMA_H_
#define CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_SCHEMA_H_

#include <cstddef>
#include <cstdint>

namespace casebridge::store::sqlite {

struct Migration {
  int64_t version;
  const char* description;
  const char* sql;  // one or more statements, applied in one transaction
};

extern const Migration kMigrations[];
extern const size_t kMigrationCount;

}  // namespace casebridge::store::sqlite

#endif  // CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_SCHEMA_H_

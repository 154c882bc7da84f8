// The SQLite store's schema as ordered migrations. Append new migrations;
// never edit one that has shipped. Thread-compatible constants.
#ifndef CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_SCHEMA_H_
#define CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_SCHEMA_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace casebridge::store::sqlite {

class Conn;

struct Migration {
  int64_t version;
  const char* description;
  const char* sql;  // one or more statements, applied in one transaction
  // Optional: runs after `sql`, in the same transaction, for data changes
  // SQL cannot express.
  absl::Status (*rewrite)(Conn& conn) = nullptr;
};

// Migration 6's rewrite: stores every case `doc` still held as JSON text in
// the binary format of case_doc.h. Defined with the store's row codecs.
absl::Status RewriteJsonCaseDocs(Conn& conn);

extern const Migration kMigrations[];
extern const size_t kMigrationCount;

}  // namespace casebridge::store::sqlite

#endif  // CASEBRIDGE_SERVER_STORE_SQLITE_SQLITE_SCHEMA_H_

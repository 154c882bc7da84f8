// The SQLite store's binary encoding of the parts of a Case that have no
// column of their own (tags, assignees, custom fields, connector, users,
// external service): the `doc` column, stored as a BLOB. It replaces the
// earlier JSON text, which the store still reads (a TEXT `doc`), so rows
// written before the change need no rewrite. Decoding is a bounds-checked
// walk with no intermediate DOM; a malformed blob is an Internal error.
// Thread-compatible free functions.
#ifndef CASEBRIDGE_SERVER_STORE_SQLITE_CASE_DOC_H_
#define CASEBRIDGE_SERVER_STORE_SQLITE_CASE_DOC_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "server/store/model.h"

namespace casebridge::store::sqlite {

// The blob for `c`'s non-column parts.
std::string EncodeCaseDoc(const Case& c);

// Sets `c`'s non-column parts from a blob made by EncodeCaseDoc.
absl::Status DecodeCaseDoc(std::string_view blob, Case* c);

}  // namespace casebridge::store::sqlite

#endif  // CASEBRIDGE_SERVER_STORE_SQLITE_CASE_DOC_H_

// Status helpers shared by every component: propagation macros and
// field-level validation errors.
//
// A validation error is an InvalidArgument absl::Status carrying the list of
// offending fields as a payload; the API edge turns it into a
// google.rpc.BadRequest detail. Field paths use proto field names, e.g.
// "title", "cases[2].tags[0]", "attachment.user.comment".
#ifndef CASEBRIDGE_SERVER_UTIL_STATUS_H_
#define CASEBRIDGE_SERVER_UTIL_STATUS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace casebridge {

#define CB_STATUS_CONCAT_INNER(a, b) a##b
#define CB_STATUS_CONCAT(a, b) CB_STATUS_CONCAT_INNER(a, b)

// Returns from the current function when `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                              \
  do {                                                     \
    if (absl::Status _cb_status = (expr); !_cb_status.ok()) \
      return _cb_status;                                   \
  } while (false)

// ASSIGN_OR_RETURN(lhs, expr): evaluates an absl::StatusOr<T>, returns its
// status on error, otherwise assigns the value to `lhs` (which may declare).
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(CB_STATUS_CONCAT(_cb_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

struct FieldViolation {
  std::string field;
  std::string description;
};

// The payload key under which field violations travel in an absl::Status.
inline constexpr char kFieldViolationsPayload[] = "casebridge/field-violations";

// An InvalidArgument status naming one field.
absl::Status InvalidField(std::string field, std::string description);

// Collects every violation of a request, so a client learns all of them at
// once. Not thread-safe.
class ValidationErrors {
 public:
  void Add(std::string field, std::string description);
  bool empty() const { return violations_.empty(); }
  // OK when nothing was added; otherwise InvalidArgument whose message lists
  // the violations and whose payload carries them.
  absl::Status ToStatus() const;

 private:
  std::vector<FieldViolation> violations_;
};

// The field violations carried by `status` (empty when there are none).
std::vector<FieldViolation> GetFieldViolations(const absl::Status& status);

}  // namespace casebridge

#endif  // CASEBRIDGE_SERVER_UTIL_STATUS_H_

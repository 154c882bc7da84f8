// Activity (user actions) in Kibana's shapes: the create_case snapshot, one
// action per changed field between a stored case and its patched form (tags
// and assignees split into add/delete with only the values added or
// removed), and comment actions. Pure functions; thread-safe. Action ids are
// fresh UUIDs.
#ifndef CASEBRIDGE_SERVER_CASES_CASE_DIFF_H_
#define CASEBRIDGE_SERVER_CASES_CASE_DIFF_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/store/model.h"

namespace casebridge::cases {

// The create_case/create action with the snapshot of the new case.
store::UserAction CreateCaseAction(const store::Case& c,
                                   const store::User& user, absl::Time now);

// Actions for every field of `original` that differs in `updated`, in field
// order: title, description, tags, status, severity, assignees, connector,
// settings, category, customFields. Bookkeeping fields are ignored.
std::vector<store::UserAction> DiffCase(const store::Case& original,
                                        const store::Case& updated,
                                        const store::User& user,
                                        absl::Time now);

// True when a user-visible field differs (the same fields DiffCase compares,
// order-sensitive for arrays).
bool CaseFieldsDiffer(const store::Case& a, const store::Case& b);

// A comment action ("create", "update" or "delete") for `attachment` on its
// case, with payload {comment: {type, owner, ...content}}.
store::UserAction CommentAction(const char* action,
                                const store::Attachment& attachment,
                                const store::User& user, absl::Time now);

}  // namespace casebridge::cases

#endif  // CASEBRIDGE_SERVER_CASES_CASE_DIFF_H_

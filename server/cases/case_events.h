// The WatchCases change feed, write side: one event per case per mutation,
// written in the mutation's transaction, and a process-wide signal that a
// transaction holding events committed.
//
// RecordCaseEvent must be the last write before Commit: the PostgreSQL store
// serialises event writers from the event insert to commit (so that events
// commit in seq order). NotifyCaseEventsCommitted is thread-safe and cheap.
#ifndef CASEBRIDGE_SERVER_CASES_CASE_EVENTS_H_
#define CASEBRIDGE_SERVER_CASES_CASE_EVENTS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/store/model.h"
#include "server/store/store.h"

namespace casebridge::cases {

// Appends the event `type` for case `c` (its owner and version after the
// change; version 0 for a deleted case).
absl::Status RecordCaseEvent(store::Transaction& tx, store::CaseEventType type,
                             const store::Case& c, absl::Time now);

// Call after a transaction with events committed: wakes this process's
// WatchCases streams. Other replicas' streams find the events by polling.
void NotifyCaseEventsCommitted();

// Increases with every NotifyCaseEventsCommitted.
uint64_t CaseEventsGeneration();

// Waits until the generation differs from `seen` or `timeout` passes;
// returns the generation then.
uint64_t WaitForCaseEvents(uint64_t seen, absl::Duration timeout);

// Wakes every WaitForCaseEvents caller at once (shutdown).
void WakeCaseEventWaiters();

}  // namespace casebridge::cases

#endif  // CASEBRIDGE_SERVER_CASES_CASE_EVENTS_H_

// An in-memory Store for CaseManager logic tests: maps guarded by a mutex,
// write transactions working on a copy that Commit() publishes. Supports
// cases, attachments, alerts, activity and configurations; search and list
// queries answer Unimplemented. `fail_next_commit` injects a storage error.
// Thread-safe like a real Store; not for production.
#ifndef CASEBRIDGE_TESTS_UNIT_FAKE_STORE_H_
#define CASEBRIDGE_TESTS_UNIT_FAKE_STORE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/store/store.h"

namespace casebridge::store::testing {

struct FakeState {
  std::map<std::string, Case> cases;
  std::vector<Attachment> attachments;  // insertion order
  std::vector<UserAction> user_actions;
  std::map<std::string, Configuration> configurations;  // by id
  std::vector<CaseEvent> case_events;                    // by seq
  int64_t last_event_seq = 0;
  int64_t events_pruned_through = 0;
};

class FakeStore : public Store {
 public:
  absl::StatusOr<std::unique_ptr<Transaction>> BeginRead() override;
  absl::StatusOr<std::unique_ptr<Transaction>> BeginWrite() override;

  // A copy of the committed state.
  FakeState Snapshot();
  // Runs `edit` on the committed state (test set-up).
  template <typename F>
  void Edit(F edit) {
    std::lock_guard<std::mutex> lock(mu_);
    edit(state_);
  }
  void FailNextCommit(absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_next_commit_ = std::move(status);
  }

 private:
  friend class FakeTransaction;
  std::mutex writer_;  // held by the open write transaction
  std::mutex mu_;      // guards the fields below
  FakeState state_;
  absl::Status fail_next_commit_;
};

}  // namespace casebridge::store::testing

#endif  // CASEBRIDGE_TESTS_UNIT_FAKE_STORE_H_

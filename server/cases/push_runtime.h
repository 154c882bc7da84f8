// PushRuntime: the push pipeline of one server process — the PushManager and
// the PushQueue whose workers run it — built from the `jobs:` config section.
// main.cc starts it with one call and stops it on shutdown.
//
// Thread-safe. Borrows the store and the connector manager, which must
// outlive it; Stop() (or the destructor) joins the workers.
#ifndef CASEBRIDGE_SERVER_CASES_PUSH_RUNTIME_H_
#define CASEBRIDGE_SERVER_CASES_PUSH_RUNTIME_H_

#include <memory>

#include "server/cases/push_manager.h"
#include "server/config/config.h"
#include "server/connectors/connector_manager.h"
#include "server/jobs/push_queue.h"
#include "server/store/store.h"

namespace casebridge::cases {

class PushRuntime {
 public:
  // Builds the manager and the queue and starts the workers; jobs left by
  // an earlier process are picked up (RUNNING ones once their lease ends).
  static std::unique_ptr<PushRuntime> Start(
      store::Store* store, connectors::ConnectorManager* connectors,
      const config::JobsConfig& config);
  ~PushRuntime();

  PushManager* manager() { return manager_.get(); }
  // Stops the workers; running attempts are cancelled and retried later.
  void Stop();

 private:
  PushRuntime() = default;

  store::Store* store_ = nullptr;  // set while the listener is installed
  std::unique_ptr<PushManager> manager_;
  std::unique_ptr<jobs::PushQueue> queue_;
};

}  // namespace casebridge::cases

#endif  // CASEBRIDGE_SERVER_CASES_PUSH_RUNTIME_H_

#include "server/cases/push_runtime.h"

namespace casebridge::cases {

std::unique_ptr<PushRuntime> PushRuntime::Start(
    store::Store* store, connectors::ConnectorManager* connectors,
    const config::JobsConfig& config) {
  std::unique_ptr<PushRuntime> rt(new PushRuntime());
  PushManagerOptions manager_options;
  manager_options.default_wait = absl::Milliseconds(config.push_wait_ms);
  rt->manager_ =
      std::make_unique<PushManager>(store, connectors, manager_options);
  jobs::PushQueueOptions options;
  options.workers = config.workers;
  options.max_attempts = config.max_attempts;
  options.lease = absl::Milliseconds(config.lease_ms);
  options.backoff.base = absl::Milliseconds(config.backoff_base_ms);
  options.backoff.cap = absl::Milliseconds(config.backoff_cap_ms);
  options.attempt_timeout = absl::Milliseconds(config.attempt_timeout_ms);
  options.idle_poll = absl::Milliseconds(config.poll_ms);
  rt->queue_ =
      std::make_unique<jobs::PushQueue>(store, rt->manager_.get(), options);
  rt->manager_->AttachQueue(rt->queue_.get());
  rt->queue_->Start();
  // Other replicas' new jobs (PostgreSQL NOTIFY) wake a worker at once; the
  // idle poll stays as the fallback.
  rt->store_ = store;
  store->SetPushWorkListener([queue = rt->queue_.get()] { queue->Notify(); });
  return rt;
}

PushRuntime::~PushRuntime() { Stop(); }

void PushRuntime::Stop() {
  if (store_ != nullptr) {
    store_->SetPushWorkListener(nullptr);
    store_ = nullptr;
  }
  if (queue_) queue_->Stop();
}

}  // namespace casebridge::cases

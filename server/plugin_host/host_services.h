// The host-services table (cbp_host_api) given to plugins, and the per-call
// state behind cbp_call_ctx.host_handle. Internal to the plugin host.
//
// A HostContext exists per loaded module and is never freed (plugins keep the
// table for as long as they are loaded). Everything a host function needs for
// one call (services, deadline, cancellation, connector id) comes from the
// CallState of that call, so one table serves any number of hosts in a process.
// All host functions are thread-safe.
#ifndef CASEBRIDGE_SERVER_PLUGIN_HOST_HOST_SERVICES_H_
#define CASEBRIDGE_SERVER_PLUGIN_HOST_HOST_SERVICES_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "casebridge/plugin_abi.h"
#include "server/plugin_host/plugin_loader.h"

namespace casebridge::plugin_host {

struct HostContext {
  cbp_host_api api{};
  std::mutex mu;
  std::string log_component;  // "plugin:<id or file name>", guarded by mu
};

// Creates a HostContext with a filled table; the caller never frees it.
HostContext* NewHostContext(std::string log_component);
void SetLogComponent(HostContext* context, std::string log_component);

// The state of one host->plugin call; cbp_call_ctx.host_handle points at it.
struct CallState {
  const HostServices* services = nullptr;
  absl::Time deadline = absl::InfiniteFuture();
  const std::function<bool()>* is_cancelled = nullptr;  // may be null
  std::string connector_id;
  // Set once the plugin uses a host service that waits on I/O (HTTP, the
  // token cache). Written from any plugin thread during the call.
  mutable std::atomic<bool> used_io{false};

  bool Cancelled() const;
};

}  // namespace casebridge::plugin_host

#endif  // CASEBRIDGE_SERVER_PLUGIN_HOST_HOST_SERVICES_H_

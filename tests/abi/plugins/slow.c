/* execute runs until the host says the call is cancelled (deadline passed),
 * then returns DEADLINE_EXCEEDED. If cancellation never comes it gives up
 * after about 20 s and returns OK, which the test treats as a failure. */
#define PLUGIN_ID "slow"
#define TYPE_ID ".slow"
#include "test_plugin_common.h"

static cbp_status Execute(cbp_instance* instance, const cbp_call_ctx* call,
                          const char* sub_action, size_t sub_action_size,
                          const char* params, size_t params_size,
                          const cbp_sink* out, const cbp_error_sink* err) {
  int64_t start = g_host->monotonic_ns(g_host->host_ctx);
  (void)instance;
  (void)sub_action;
  (void)sub_action_size;
  (void)params;
  (void)params_size;
  while (g_host->monotonic_ns(g_host->host_ctx) - start <
         (int64_t)20000000000) {
    if (g_host->is_cancelled(g_host->host_ctx, call)) {
      ReportError(err, CBP_STATUS_DEADLINE_EXCEEDED, "stopped: call cancelled");
      return CBP_STATUS_DEADLINE_EXCEEDED;
    }
  }
  WriteText(out, "{\"cancelled\":false}");
  return CBP_STATUS_OK;
}

static const cbp_plugin_api kApi = {sizeof(cbp_plugin_api),
                                    CBP_ABI_VERSION_MAJOR,
                                    CBP_ABI_VERSION_MINOR,
                                    0,
                                    &kDescriptor,
                                    DefaultCreate,
                                    DefaultDestroy,
                                    Execute,
                                    NULL};

CBP_EXPORT const cbp_plugin_api* casebridge_plugin_entry_v1(
    uint32_t host_abi_major, uint32_t host_abi_minor,
    const cbp_host_api* host) {
  (void)host_abi_minor;
  if (host_abi_major != CBP_ABI_VERSION_MAJOR) return NULL;
  g_host = host;
  return &kApi;
}

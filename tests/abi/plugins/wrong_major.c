/* Claims ABI major 2: the 1.x host must refuse it. */
#define PLUGIN_ID "wrong-major"
#define TYPE_ID ".wrong-major"
#include "test_plugin_common.h"

static cbp_status Execute(cbp_instance* instance, const cbp_call_ctx* call,
                          const char* sub_action, size_t sub_action_size,
                          const char* params, size_t params_size,
                          const cbp_sink* out, const cbp_error_sink* err) {
  (void)instance;
  (void)call;
  (void)sub_action;
  (void)sub_action_size;
  (void)params;
  (void)params_size;
  (void)err;
  WriteText(out, "{}");
  return CBP_STATUS_OK;
}

static const cbp_plugin_api kApi = {
    sizeof(cbp_plugin_api), 2,       0,   0, &kDescriptor, DefaultCreate,
    DefaultDestroy,         Execute, NULL};

CBP_EXPORT const cbp_plugin_api* casebridge_plugin_entry_v1(
    uint32_t host_abi_major, uint32_t host_abi_minor,
    const cbp_host_api* host) {
  (void)host_abi_major;
  (void)host_abi_minor;
  g_host = host;
  return &kApi; /* a careless plugin that does not check the host major */
}

/* Built twice (PLUGIN_ID dup-a and dup-b), both declaring ".dup-type": the
 * second one loaded must be skipped. */
#define TYPE_ID ".dup-type"
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
  WriteText(out, "{\"plugin\":\"" PLUGIN_ID "\"}");
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

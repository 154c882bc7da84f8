/* A working plugin built WITHOUT casebridge_add_plugin: default visibility
 * leaks an extra exported symbol. The export check must flag it. */
#define PLUGIN_ID "extra-symbol"
#define TYPE_ID ".extra-symbol"
#include "test_plugin_common.h"

int casebridge_test_leaked_helper(int x);
int casebridge_test_leaked_helper(int x) { return x * 2; }

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

/* Its descriptor declares the same sub-action twice: the loader must reject
 * it and name the reason. */
#define PLUGIN_ID "bad-descriptor"
#define TYPE_ID ".bad-descriptor"
#include "test_plugin_common.h"

static const cbp_sub_action* const kDupSubs[] = {&kRun, &kRun};
static const cbp_connector_type kBadType = {sizeof(cbp_connector_type),
                                            TYPE_ID,
                                            "Bad type",
                                            kFeatures,
                                            1,
                                            "{\"type\":\"object\"}",
                                            "{\"type\":\"object\"}",
                                            kDupSubs,
                                            2,
                                            kMappings,
                                            1};
static const cbp_connector_type* const kBadTypes[] = {&kBadType};
static const cbp_plugin_descriptor kBadDescriptor = {
    sizeof(cbp_plugin_descriptor),
    PLUGIN_ID,
    "Bad descriptor plugin",
    "0.1.0",
    kBadTypes,
    1};

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
  (void)out;
  (void)err;
  return CBP_STATUS_OK;
}

static const cbp_plugin_api kApi = {sizeof(cbp_plugin_api),
                                    CBP_ABI_VERSION_MAJOR,
                                    CBP_ABI_VERSION_MINOR,
                                    0,
                                    &kBadDescriptor,
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
  (void)kDescriptor;
  return &kApi;
}

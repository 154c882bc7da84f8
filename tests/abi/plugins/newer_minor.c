/* Built against a hypothetical ABI 1.7: its API table and connector type are
 * larger than the host's (fields appended). A 1.0 host must load it and use
 * only the fields it knows. */
#define PLUGIN_ID "newer-minor"
#define TYPE_ID ".newer-minor"
#include <stdio.h>

#include "test_plugin_common.h"

/* What a 1.7 header would declare: the 1.0 layout plus appended members. */
typedef struct {
  cbp_plugin_api base;
  cbp_status (*future_function)(void);
  uint64_t future_flags;
} cbp_plugin_api_1_7;

typedef struct {
  cbp_connector_type base;
  const char* future_documentation_url;
} cbp_connector_type_1_7;

static cbp_status FutureFunction(void) { return CBP_STATUS_OK; }

static const cbp_connector_type_1_7 kTypeNew = {
    {sizeof(cbp_connector_type_1_7), TYPE_ID, "Newer minor type", kFeatures, 1,
     "{\"type\":\"object\"}", "{\"type\":\"object\"}", kSubActions, 1,
     kMappings, 1},
    "https://example.invalid/docs"};
static const cbp_connector_type* const kTypesNew[] = {&kTypeNew.base};
static const cbp_plugin_descriptor kDescriptorNew = {
    sizeof(cbp_plugin_descriptor),
    PLUGIN_ID,
    "Newer minor plugin",
    "1.7.0",
    kTypesNew,
    1};

static cbp_status Execute(cbp_instance* instance, const cbp_call_ctx* call,
                          const char* sub_action, size_t sub_action_size,
                          const char* params, size_t params_size,
                          const cbp_sink* out, const cbp_error_sink* err) {
  char text[128];
  (void)instance;
  (void)sub_action;
  (void)sub_action_size;
  (void)params;
  (void)params_size;
  (void)err;
  snprintf(text, sizeof text, "{\"host_minor\":%u,\"connector_id_size\":%u}",
           (unsigned)g_host->abi_minor, (unsigned)call->connector_id.size);
  if (WriteText(out, text) != 0) return CBP_STATUS_RESOURCE_EXHAUSTED;
  return CBP_STATUS_OK;
}

static const cbp_plugin_api_1_7 kApi = {
    {sizeof(cbp_plugin_api_1_7), CBP_ABI_VERSION_MAJOR, 7, 0, &kDescriptorNew,
     DefaultCreate, DefaultDestroy, Execute, NULL},
    FutureFunction,
    42};

CBP_EXPORT const cbp_plugin_api* casebridge_plugin_entry_v1(
    uint32_t host_abi_major, uint32_t host_abi_minor,
    const cbp_host_api* host) {
  (void)host_abi_minor;
  if (host_abi_major != CBP_ABI_VERSION_MAJOR) return NULL;
  g_host = host;
  (void)kDescriptor;
  return &kApi.base;
}

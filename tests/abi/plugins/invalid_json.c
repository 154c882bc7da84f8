/* execute reports success but writes text that is not JSON; sub-action
 * "bad_status" returns a status code no ABI version defines. */
#define PLUGIN_ID "invalid-json"
#define TYPE_ID ".invalid-json"
#include "test_plugin_common.h"

static const cbp_sub_action kBadStatus = {sizeof(cbp_sub_action), "bad_status",
                                          "{\"type\":\"object\"}"};
static const cbp_sub_action kHuge = {sizeof(cbp_sub_action), "huge",
                                     "{\"type\":\"object\"}"};
static const cbp_sub_action* const kSubs[] = {&kRun, &kBadStatus, &kHuge};
static const cbp_connector_type kTypeMany = {sizeof(cbp_connector_type),
                                             TYPE_ID,
                                             "Invalid JSON type",
                                             kFeatures,
                                             1,
                                             "{\"type\":\"object\"}",
                                             "{\"type\":\"object\"}",
                                             kSubs,
                                             3,
                                             kMappings,
                                             1};
static const cbp_connector_type* const kTypesMany[] = {&kTypeMany};
static const cbp_plugin_descriptor kDescriptorMany = {
    sizeof(cbp_plugin_descriptor),
    PLUGIN_ID,
    "Invalid JSON plugin",
    "0.1.0",
    kTypesMany,
    1};

static cbp_status Execute(cbp_instance* instance, const cbp_call_ctx* call,
                          const char* sub_action, size_t sub_action_size,
                          const char* params, size_t params_size,
                          const cbp_sink* out, const cbp_error_sink* err) {
  (void)instance;
  (void)call;
  (void)params;
  (void)params_size;
  if (sub_action_size == 10 && memcmp(sub_action, "bad_status", 10) == 0) {
    ReportError(err, 99, "a code from the future");
    return 99;
  }
  if (sub_action_size == 4 && memcmp(sub_action, "huge", 4) == 0) {
    /* Ignores the sink refusing more data and claims success. */
    static char chunk[4096];
    int i;
    memset(chunk, ' ', sizeof chunk);
    for (i = 0; i < 4096; ++i) out->write(out->ctx, chunk, sizeof chunk);
    return CBP_STATUS_OK;
  }
  WriteText(out, "{\"incident\": not json");
  return CBP_STATUS_OK;
}

static const cbp_plugin_api kApi = {sizeof(cbp_plugin_api),
                                    CBP_ABI_VERSION_MAJOR,
                                    CBP_ABI_VERSION_MINOR,
                                    0,
                                    &kDescriptorMany,
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

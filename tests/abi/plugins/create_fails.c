/* instance_create always fails with FAILED_PRECONDITION and a message;
 * validate_config requires a "url" key. */
#define PLUGIN_ID "create-fails"
#define TYPE_ID ".create-fails"
#include "test_plugin_common.h"

static cbp_status Create(const char* type_id, size_t type_id_size,
                         const char* config, size_t config_size,
                         const char* secrets, size_t secrets_size,
                         const cbp_call_ctx* call, cbp_instance** out_instance,
                         const cbp_error_sink* err) {
  (void)type_id;
  (void)type_id_size;
  (void)config;
  (void)config_size;
  (void)secrets;
  (void)secrets_size;
  (void)call;
  *out_instance = NULL;
  ReportError(err, CBP_STATUS_FAILED_PRECONDITION,
              "config rejected: url is required");
  return CBP_STATUS_FAILED_PRECONDITION;
}

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
  ReportError(err, CBP_STATUS_INTERNAL, "must never run");
  return CBP_STATUS_INTERNAL;
}

/* validate_config: the config must mention "url". */
static cbp_status Validate(const char* type_id, size_t type_id_size,
                           const char* config, size_t config_size,
                           const char* secrets, size_t secrets_size,
                           const cbp_error_sink* err) {
  size_t i;
  (void)type_id;
  (void)type_id_size;
  (void)secrets;
  (void)secrets_size;
  for (i = 0; i + 5 <= config_size; ++i) {
    if (memcmp(config + i, "\"url\"", 5) == 0) return CBP_STATUS_OK;
  }
  ReportError(err, CBP_STATUS_INVALID_ARGUMENT, "config.url is required");
  return CBP_STATUS_INVALID_ARGUMENT;
}

static const cbp_plugin_api kApi = {sizeof(cbp_plugin_api),
                                    CBP_ABI_VERSION_MAJOR,
                                    CBP_ABI_VERSION_MINOR,
                                    0,
                                    &kDescriptor,
                                    Create,
                                    DefaultDestroy,
                                    Execute,
                                    Validate};

CBP_EXPORT const cbp_plugin_api* casebridge_plugin_entry_v1(
    uint32_t host_abi_major, uint32_t host_abi_minor,
    const cbp_host_api* host) {
  (void)host_abi_minor;
  if (host_abi_major != CBP_ABI_VERSION_MAJOR) return NULL;
  g_host = host;
  return &kApi;
}

/* Shared scaffolding for the C test plugins: one connector type TYPE_ID with
 * one sub-action "run", and helpers to report errors. Each plugin defines
 * PLUGIN_ID and TYPE_ID before including this file and provides the
 * functions it declares. Pure C99, like a third-party C plugin would be. */
#ifndef CASEBRIDGE_TESTS_ABI_PLUGINS_TEST_PLUGIN_COMMON_H_
#define CASEBRIDGE_TESTS_ABI_PLUGINS_TEST_PLUGIN_COMMON_H_

#include <string.h>

#include "casebridge/plugin_abi.h"

/* Not every plugin uses every helper. */
#define TEST_UNUSED __attribute__((unused))

static const cbp_host_api* g_host;

static const char* const kFeatures[] = {"cases"};
static const cbp_sub_action kRun = {sizeof(cbp_sub_action), "run",
                                    "{\"type\":\"object\"}"};
static const cbp_sub_action* const kSubActions[] = {&kRun};
static const cbp_field_mapping kTitle = {sizeof(cbp_field_mapping), "title",
                                         "summary", "overwrite"};
static const cbp_field_mapping* const kMappings[] = {&kTitle};
static const cbp_connector_type kType = {sizeof(cbp_connector_type),
                                         TYPE_ID,
                                         "Test type " TYPE_ID,
                                         kFeatures,
                                         1,
                                         "{\"type\":\"object\"}",
                                         "{\"type\":\"object\"}",
                                         kSubActions,
                                         1,
                                         kMappings,
                                         1};
static const cbp_connector_type* const kTypes[] = {&kType};
TEST_UNUSED static const cbp_plugin_descriptor kDescriptor = {
    sizeof(cbp_plugin_descriptor),
    PLUGIN_ID,
    "Test plugin " PLUGIN_ID,
    "0.1.0",
    kTypes,
    1};

TEST_UNUSED static void ReportError(const cbp_error_sink* err, cbp_status code,
                                    const char* message) {
  if (err != NULL && err->report != NULL) {
    err->report(err->ctx, code, message, strlen(message), NULL, 0,
                CBP_RETRY_DEFAULT, 0);
  }
}

TEST_UNUSED static int WriteText(const cbp_sink* out, const char* text) {
  return out->write(out->ctx, text, strlen(text));
}

/* A trivial instance: the plugin needs no per-instance state. */
static int g_instance_marker;

TEST_UNUSED static cbp_status DefaultCreate(
    const char* type_id, size_t type_id_size, const char* config,
    size_t config_size, const char* secrets, size_t secrets_size,
    const cbp_call_ctx* call, cbp_instance** out_instance,
    const cbp_error_sink* err) {
  (void)type_id;
  (void)type_id_size;
  (void)config;
  (void)config_size;
  (void)secrets;
  (void)secrets_size;
  (void)call;
  (void)err;
  *out_instance = (cbp_instance*)&g_instance_marker;
  return CBP_STATUS_OK;
}

TEST_UNUSED static void DefaultDestroy(cbp_instance* instance) {
  (void)instance;
}

#endif /* CASEBRIDGE_TESTS_ABI_PLUGINS_TEST_PLUGIN_COMMON_H_ */

/* The plugin behind plugin_output_fuzzer: it hands back whatever bytes the
 * fuzzer chose. One connector type ".fuzz-relay" with one sub-action
 * "relay" whose params are {"hex": "<hex digits>"}. The decoded bytes are
 *   [0]     the status code execute returns (any value, also undefined ones)
 *   [1]     bit 0: report an error through the error sink;
 *           bit 1: write the output in one-byte pieces;
 *           bits 2-3: retryable (0 default, 1 no, 2 yes, 3 the raw value 7)
 *   [2..9]  retry_after_ms, little endian
 *   [10..]  the output (OK) or the error message, then after the first NUL
 *           byte the error details.
 * Pure C99 and built without sanitizers (a plugin must not rely on host
 * symbols). Stateless; concurrent calls are fine. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "casebridge/plugin_abi.h"

static const char* const kFeatures[] = {"cases"};
static const cbp_sub_action kRelay = {
    sizeof(cbp_sub_action), "relay",
    "{\"type\":\"object\",\"properties\":{\"hex\":{\"type\":\"string\"}},"
    "\"required\":[\"hex\"]}"};
static const cbp_sub_action* const kSubActions[] = {&kRelay};
static const cbp_connector_type kType = {sizeof(cbp_connector_type),
                                         ".fuzz-relay",
                                         "Fuzz relay",
                                         kFeatures,
                                         1,
                                         "{\"type\":\"object\"}",
                                         "{\"type\":\"object\"}",
                                         kSubActions,
                                         1,
                                         NULL,
                                         0};
static const cbp_connector_type* const kTypes[] = {&kType};
static const cbp_plugin_descriptor kDescriptor = {sizeof(cbp_plugin_descriptor),
                                                  "fuzz-relay",
                                                  "Fuzz relay plugin",
                                                  "1.0.0",
                                                  kTypes,
                                                  1};

static int g_instance_tag;

static cbp_status Create(const char* type_id, size_t type_id_size,
                         const char* config, size_t config_size,
                         const char* secrets, size_t secrets_size,
                         const cbp_call_ctx* call, cbp_instance** out,
                         const cbp_error_sink* err) {
  (void)type_id;
  (void)type_id_size;
  (void)config;
  (void)config_size;
  (void)secrets;
  (void)secrets_size;
  (void)call;
  (void)err;
  *out = (cbp_instance*)&g_instance_tag;
  return CBP_STATUS_OK;
}

static void Destroy(cbp_instance* instance) { (void)instance; }

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes the hex string after "hex":" in `params` into a new buffer. */
static unsigned char* Decode(const char* params, size_t params_size,
                             size_t* size) {
  static const char kKey[] = "\"hex\":\"";
  const size_t key_size = sizeof kKey - 1;
  size_t start = 0, end, i;
  unsigned char* bytes;
  while (start + key_size <= params_size &&
         memcmp(params + start, kKey, key_size) != 0) {
    ++start;
  }
  if (start + key_size > params_size) return NULL;
  start += key_size;
  end = start;
  while (end < params_size && params[end] != '"') ++end;
  bytes = (unsigned char*)malloc((end - start) / 2 + 1);
  if (bytes == NULL) return NULL;
  *size = 0;
  for (i = start; i + 1 < end; i += 2) {
    int hi = HexValue(params[i]), lo = HexValue(params[i + 1]);
    if (hi < 0 || lo < 0) break;
    bytes[(*size)++] = (unsigned char)(hi * 16 + lo);
  }
  return bytes;
}

static cbp_status Execute(cbp_instance* instance, const cbp_call_ctx* call,
                          const char* sub_action, size_t sub_action_size,
                          const char* params, size_t params_size,
                          const cbp_sink* out, const cbp_error_sink* err) {
  size_t size = 0, i, text_size, split;
  unsigned char* bytes;
  cbp_status code;
  int flags, retryable;
  int64_t retry_after = 0;
  const char* text;
  (void)instance;
  (void)call;
  (void)sub_action;
  (void)sub_action_size;
  bytes = Decode(params, params_size, &size);
  if (bytes == NULL) return CBP_STATUS_INVALID_ARGUMENT;
  if (size < 10) {
    free(bytes);
    return CBP_STATUS_OK; /* nothing written: null data */
  }
  code = (cbp_status)bytes[0];
  flags = bytes[1];
  retryable = (flags >> 2) & 3;
  retryable = retryable == 0   ? CBP_RETRY_DEFAULT
              : retryable == 1 ? CBP_RETRY_NO
              : retryable == 2 ? CBP_RETRY_YES
                               : 7;
  for (i = 0; i < 8; ++i) {
    retry_after |= (int64_t)((uint64_t)bytes[2 + i] << (8 * i));
  }
  text = (const char*)bytes + 10;
  text_size = size - 10;
  split = 0;
  while (split < text_size && text[split] != '\0') ++split;
  if (code == CBP_STATUS_OK) {
    if (flags & 2) {
      for (i = 0; i < text_size; ++i) {
        if (out->write(out->ctx, text + i, 1) != 0) break;
      }
    } else if (text_size > 0) {
      out->write(out->ctx, text, text_size);
    }
  }
  if (flags & 1) {
    err->report(err->ctx, code, text, split,
                split < text_size ? text + split + 1 : NULL,
                split < text_size ? text_size - split - 1 : 0, retryable,
                retry_after);
  }
  free(bytes);
  return code;
}

static const cbp_plugin_api kApi = {sizeof(cbp_plugin_api),
                                    CBP_ABI_VERSION_MAJOR,
                                    CBP_ABI_VERSION_MINOR,
                                    CBP_PLUGIN_FLAG_CONCURRENT_EXECUTE,
                                    &kDescriptor,
                                    Create,
                                    Destroy,
                                    Execute,
                                    NULL};

CBP_EXPORT const cbp_plugin_api* casebridge_plugin_entry_v1(
    uint32_t host_abi_major, uint32_t host_abi_minor,
    const cbp_host_api* host) {
  (void)host_abi_minor;
  (void)host;
  if (host_abi_major != CBP_ABI_VERSION_MAJOR) return NULL;
  return &kApi;
}

/* The plugin ABI header compiled as strict C99 (-std=c99 -pedantic -Werror),
 * plus run-time checks of CBP_HAS_FIELD and the status code values. */
#include <stdio.h>

#include "casebridge/plugin_abi.h"

static int g_failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                            \
    }                                                                          \
  } while (0)

/* A plugin-side definition of the entry point type-checks against the
 * declaration in the header. */
const cbp_plugin_api* casebridge_plugin_entry_v1(uint32_t host_abi_major,
                                                 uint32_t host_abi_minor,
                                                 const cbp_host_api* host) {
  (void)host_abi_major;
  (void)host_abi_minor;
  (void)host;
  return NULL;
}

int main(void) {
  cbp_host_api host;
  cbp_plugin_api api;
  const cbp_host_api* null_host = NULL;
  cbp_entry_fn entry = &casebridge_plugin_entry_v1;

  CHECK(CBP_ABI_VERSION_MAJOR == 1);
  CHECK(CBP_STATUS_OK == 0);
  CHECK(CBP_STATUS_DEADLINE_EXCEEDED == 4);
  CHECK(CBP_STATUS_RESOURCE_EXHAUSTED == 8);
  CHECK(CBP_STATUS_UNAVAILABLE == 14);
  CHECK(CBP_STATUS_UNAUTHENTICATED == 16);

  host.struct_size = (uint32_t)sizeof(host);
  CHECK(CBP_HAS_FIELD(&host, cbp_host_api, jwt_sign_rs256));
  /* A 1.0-sized table seen by a reader that knows a field beyond it. */
  host.struct_size = (uint32_t)offsetof(cbp_host_api, token_get);
  CHECK(CBP_HAS_FIELD(&host, cbp_host_api, http_request));
  CHECK(!CBP_HAS_FIELD(&host, cbp_host_api, token_get));
  CHECK(!CBP_HAS_FIELD(null_host, cbp_host_api, log));

  api.struct_size = (uint32_t)sizeof(api);
  CHECK(CBP_HAS_FIELD(&api, cbp_plugin_api, validate_config));
  CHECK(entry(1, 0, NULL) == NULL);

  if (g_failures == 0) printf("plugin_abi.h OK as C99\n");
  return g_failures == 0 ? 0 : 1;
}

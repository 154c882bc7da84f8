/*
 * casebridge plugin ABI: the stable C interface between the casebridge server
 * (the host) and connector plugins (shared objects loaded in-process).
 *
 * Pure C99; includes only <stdint.h> and <stddef.h>; compiles as C and C++.
 * Every name carries the prefix cbp_ / CBP_. A plugin exports exactly one
 * symbol, casebridge_plugin_entry_v1 (see the end of this file).
 *
 * VERSIONING
 *  - CBP_ABI_VERSION_MAJOR changes only for incompatible changes; the host
 *    refuses a plugin whose major differs from its own. A new major also gets
 *    a new entry symbol name (_v2), so old hosts never find new plugins.
 *  - CBP_ABI_VERSION_MINOR grows when fields or functions are APPENDED to a
 *    struct or table. Released fields are never removed, reordered or retyped.
 *  - Every struct that may grow begins with `uint32_t struct_size`, set by the
 *    side that fills it in to sizeof() as that side was compiled. A reader
 *    uses a field only if it fits: CBP_HAS_FIELD(ptr, type, field). A pointer
 *    to a function that is absent (does not fit, or is NULL) must not be
 *    called. Writers zero-fill what they do not set.
 *  - Arrays of growable structs are arrays of POINTERS, so a newer element
 *    size never changes the stride.
 *  - Frozen value types (cbp_str, cbp_header, cbp_sink) have no struct_size
 *    and will never change.
 *
 * MEMORY OWNERSHIP (applies everywhere unless an item says otherwise)
 *  1. Inputs are borrowed: pointers passed into a function are valid only
 *     until that function returns. Copy what you need to keep.
 *  2. Outputs go through sinks owned by the receiving side: the caller passes a
 *     sink, the callee writes bytes into it, and the owner copies them at once.
 *     No memory ever changes owner; nothing allocated by one side is freed by
 *     the other.
 *  3. Opaque handles are released only by their matching destroy function.
 *  4. The plugin's cbp_plugin_api table and its descriptor (with every string
 *     and array it references) have static storage duration: valid until the
 *     module is unloaded. The host never unloads modules in production.
 *  5. The cbp_host_api table passed to the entry function stays valid for as
 *     long as the module is loaded.
 *
 * STRINGS AND BUFFERS
 *  - Data crossing at call time is (pointer, length), UTF-8 for text, with no
 *    NUL terminator required. A NULL pointer is allowed only with length 0.
 *  - Descriptor strings (static metadata) are NUL-terminated UTF-8.
 *  - JSON parameters are complete JSON texts (RFC 8259).
 *
 * ERRORS
 *  - cbp_status values equal the gRPC / absl canonical codes.
 *  - A failing function returns a non-OK cbp_status and, when it was given an
 *    error sink, reports a message (plus optional details JSON, retry class and
 *    retry_after_ms) through it. The returned code wins if the two differ.
 *  - Retry class: CBP_RETRY_DEFAULT derives it from the code (UNAVAILABLE,
 *    RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED are retryable; every other
 *    code is permanent); CBP_RETRY_YES / CBP_RETRY_NO override that.
 *  - No exception, panic or longjmp may cross this interface in either
 *    direction. No C++, protobuf, absl or gRPC type crosses it.
 *
 * THREADING
 *  - Stated per function below. Summary: the entry function runs once per
 *    load on the loader thread; instance_create / instance_destroy never
 * overlap an execute on the same instance; execute calls on one instance are
 *    serialised by the host unless the plugin sets
 *    CBP_PLUGIN_FLAG_CONCURRENT_EXECUTE. All host functions are thread-safe.
 *  - Host functions taking a cbp_call_ctx may be called only while the host
 *    call that supplied that context is in progress, on any thread. A plugin
 *    must not keep a call context or a sink after the call returns.
 *
 * TRUST
 *  In-process plugins run with the server's full privileges and are trusted
 *  not to corrupt memory. The host still treats their OUTPUT as untrusted: it
 *  caps its size, parses and validates it, and maps unknown codes to UNKNOWN.
 */
#ifndef CASEBRIDGE_PLUGIN_ABI_H_
#define CASEBRIDGE_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CBP_ABI_VERSION_MAJOR 1
#define CBP_ABI_VERSION_MINOR 0

/* True when `ptr` is non-NULL and `ptr->struct_size` covers `field` of
 * struct `type`. Use before reading any field added after version 1.0, and
 * for every field of a struct received from the other side. */
#define CBP_HAS_FIELD(ptr, type, field) \
  ((ptr) != NULL &&                     \
   (size_t)(ptr)->struct_size >=        \
       offsetof(type, field) + sizeof(((const type*)0)->field))

#if defined(_WIN32)
#define CBP_EXPORT __declspec(dllexport)
#else
#define CBP_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------ */
/* Status codes: equal to the gRPC canonical codes.                         */
/* ------------------------------------------------------------------------ */

typedef int32_t cbp_status;

#define CBP_STATUS_OK 0
#define CBP_STATUS_CANCELLED 1
#define CBP_STATUS_UNKNOWN 2
#define CBP_STATUS_INVALID_ARGUMENT 3
#define CBP_STATUS_DEADLINE_EXCEEDED 4
#define CBP_STATUS_NOT_FOUND 5
#define CBP_STATUS_ALREADY_EXISTS 6
#define CBP_STATUS_PERMISSION_DENIED 7
#define CBP_STATUS_RESOURCE_EXHAUSTED 8
#define CBP_STATUS_FAILED_PRECONDITION 9
#define CBP_STATUS_ABORTED 10
#define CBP_STATUS_OUT_OF_RANGE 11
#define CBP_STATUS_UNIMPLEMENTED 12
#define CBP_STATUS_INTERNAL 13
#define CBP_STATUS_UNAVAILABLE 14
#define CBP_STATUS_DATA_LOSS 15
#define CBP_STATUS_UNAUTHENTICATED 16

/* Retry class reported with an error (see ERRORS above). */
#define CBP_RETRY_DEFAULT (-1)
#define CBP_RETRY_NO 0
#define CBP_RETRY_YES 1

/* Log levels for cbp_host_api.log. */
#define CBP_LOG_DEBUG 0
#define CBP_LOG_INFO 1
#define CBP_LOG_WARN 2
#define CBP_LOG_ERROR 3

/* ------------------------------------------------------------------------ */
/* Frozen value types.                                                      */
/* ------------------------------------------------------------------------ */

/* A borrowed byte range; not NUL-terminated. data may be NULL iff size 0. */
typedef struct cbp_str {
  const char* data;
  size_t size;
} cbp_str;

/* One HTTP header: borrowed name and value. */
typedef struct cbp_header {
  cbp_str name;
  cbp_str value;
} cbp_header;

/* An output sink, owned by the side that receives the bytes.
 * write(ctx, data, size) appends bytes; the owner copies them before
 * returning. Returns 0 on success; non-zero means the owner refuses more
 * (for example a size cap was hit): the writer must stop writing and fail
 * its call (RESOURCE_EXHAUSTED is the natural code). A sink is valid only
 * for the duration of the call it was passed to. Not thread-safe: one writer
 * at a time. */
typedef struct cbp_sink {
  void* ctx;
  int (*write)(void* ctx, const char* data, size_t size);
} cbp_sink;

/* ------------------------------------------------------------------------ */
/* Error sink.                                                              */
/* ------------------------------------------------------------------------ */

/* Receives one error report, owned by the side that receives the error.
 * report() copies everything before returning; call it at most once per
 * call (later reports replace earlier ones).
 *   code           the status (same as the failing function returns).
 *   message        human-readable, for operators and end users; must not
 *                  contain secrets.
 *   details_json   optional machine-readable JSON object (size 0 = none),
 *                  e.g. the external system's error body.
 *   retryable      CBP_RETRY_DEFAULT, CBP_RETRY_NO or CBP_RETRY_YES.
 *   retry_after_ms >0: earliest sensible retry delay (e.g. from an HTTP
 *                  Retry-After header); <=0: none given.
 * Not thread-safe: one reporter at a time. */
typedef struct cbp_error_sink {
  uint32_t struct_size;
  void* ctx;
  void (*report)(void* ctx, cbp_status code, const char* message,
                 size_t message_size, const char* details_json,
                 size_t details_size, int32_t retryable,
                 int64_t retry_after_ms);
} cbp_error_sink;

/* ------------------------------------------------------------------------ */
/* Call context.                                                            */
/* ------------------------------------------------------------------------ */

/* Host-owned, read-only description of one host->plugin call
 * (instance_create or execute). Valid only during that call.
 * OWNERSHIP: host. THREADING: may be read from any thread during the call. */
typedef struct cbp_call_ctx {
  uint32_t struct_size;
  /* Absolute deadline in Unix milliseconds; 0 = none. The host enforces it on
   * every host service (HTTP timeouts are clamped to it); long-running plugin
   * code polls is_cancelled(). */
  int64_t deadline_unix_ms;
  /* Correlation id of the server request, for logs. May be empty. */
  cbp_str request_id;
  /* Id of the connector (configured instance) this call is for. */
  cbp_str connector_id;
  /* Opaque to the plugin; host services use it to find the call's state. */
  void* host_handle;
} cbp_call_ctx;

/* ------------------------------------------------------------------------ */
/* HTTP (performed by the host).                                            */
/* ------------------------------------------------------------------------ */

/* OWNERSHIP: plugin; borrowed by the host for the duration of http_request. */
typedef struct cbp_http_request {
  uint32_t struct_size;
  cbp_str method; /* "GET", "POST", "PATCH", "PUT", "DELETE", ... */
  cbp_str url;    /* absolute http:// or https:// URL */
  const cbp_header* headers;
  size_t header_count;
  cbp_str body; /* sent as is; size 0 = no body */
  /* Per-request timeout in ms; 0 = the host's configured default. The host
   * clamps it to the call deadline and its own maximum. */
  uint32_t timeout_ms;
} cbp_http_request;

/* Receives an HTTP response. OWNERSHIP: plugin; the host calls it only
 * during http_request, on the calling thread, in this order: on_status once,
 * on_header once per header (names as received; compare case-insensitively),
 * on_body zero or more times. Any callback returning non-zero aborts the
 * request: http_request then returns CBP_STATUS_ABORTED. */
typedef struct cbp_http_response_sink {
  uint32_t struct_size;
  void* ctx;
  int (*on_status)(void* ctx, int32_t http_status);
  int (*on_header)(void* ctx, const char* name, size_t name_size,
                   const char* value, size_t value_size);
  int (*on_body)(void* ctx, const char* data, size_t size);
} cbp_http_response_sink;

/* ------------------------------------------------------------------------ */
/* Host services table.                                                     */
/* ------------------------------------------------------------------------ */

/* Passed to the entry function. OWNERSHIP: host; valid while the module is
 * loaded. Every function takes host->host_ctx as its first argument.
 * THREADING: every function is thread-safe. Functions taking a call context
 * may be called only during the host call that supplied it. */
typedef struct cbp_host_api {
  uint32_t struct_size;
  uint32_t abi_major; /* the host's CBP_ABI_VERSION_MAJOR */
  uint32_t abi_minor; /* the host's CBP_ABI_VERSION_MINOR */
  void* host_ctx;     /* opaque; pass back to every function below */

  /* Writes one log line attributed to this plugin. Callable at any time,
   * including from the entry function. Must not contain secrets. */
  void (*log)(void* host_ctx, int32_t level, const char* message,
              size_t message_size);
  /* Non-zero when messages at `level` are written (skip costly formatting). */
  int32_t (*log_enabled)(void* host_ctx, int32_t level);

  /* Wall clock, Unix milliseconds. Callable at any time. */
  int64_t (*now_unix_ms)(void* host_ctx);
  /* Monotonic clock in nanoseconds from an unspecified origin. */
  int64_t (*monotonic_ns)(void* host_ctx);

  /* Non-zero when the call should stop: its deadline has passed or the
   * caller went away. Cheap; poll it in long loops. */
  int32_t (*is_cancelled)(void* host_ctx, const cbp_call_ctx* call);

  /* Performs one HTTP request. The host applies its egress policy, proxy,
   * TLS settings, redirects, timeouts (clamped to the call deadline) and a
   * response-size cap. Returns CBP_STATUS_OK when a response was received,
   * whatever its HTTP status (4xx/5xx included); the response is delivered
   * through `response`. Otherwise returns the transport failure, e.g.
   * PERMISSION_DENIED (egress policy), DEADLINE_EXCEEDED (timeout),
   * UNAVAILABLE (connect/TLS/DNS), RESOURCE_EXHAUSTED (response too large),
   * ABORTED (a response callback returned non-zero), and reports it through
   * `err` (which may be NULL) with an explicit retry class. Blocks the
   * calling thread. */
  cbp_status (*http_request)(void* host_ctx, const cbp_call_ctx* call,
                             const cbp_http_request* request,
                             const cbp_http_response_sink* response,
                             const cbp_error_sink* err);

  /* Token cache, namespaced by the call's connector (one namespace per
   * configured connector); persisted and sealed by the host.
   * token_get writes the value to `out` and returns OK, or returns NOT_FOUND
   * when absent or expired. token_put stores `value` for ttl_ms (>0)
   * milliseconds, replacing any previous value. token_delete removes the key
   * (OK if absent). `err` may be NULL. */
  cbp_status (*token_get)(void* host_ctx, const cbp_call_ctx* call,
                          const char* key, size_t key_size, const cbp_sink* out,
                          const cbp_error_sink* err);
  cbp_status (*token_put)(void* host_ctx, const cbp_call_ctx* call,
                          const char* key, size_t key_size, const char* value,
                          size_t value_size, int64_t ttl_ms,
                          const cbp_error_sink* err);
  cbp_status (*token_delete)(void* host_ctx, const cbp_call_ctx* call,
                             const char* key, size_t key_size,
                             const cbp_error_sink* err);

  /* Signs a JWT with RS256 and writes the compact serialisation
   * (header.claims.signature, base64url) to `out`.
   *   header_json  a JSON object of extra header fields (e.g. {"kid":"k1"});
   *                size 0 = none. The host sets "alg":"RS256" and, when
   *                absent, "typ":"JWT".
   *   claims_json  the claims JSON object, signed as given.
   *   private_key_pem  PEM RSA private key (PKCS#1 or PKCS#8, optionally
   *                encrypted).
   *   passphrase   for an encrypted key; size 0 = none.
   * Returns INVALID_ARGUMENT for bad JSON, an unreadable key or a wrong
   * passphrase, with the reason in `err` (which may be NULL). `call` may be
   * NULL. Never logs key material. */
  cbp_status (*jwt_sign_rs256)(void* host_ctx, const cbp_call_ctx* call,
                               const char* header_json, size_t header_size,
                               const char* claims_json, size_t claims_size,
                               const char* private_key_pem, size_t key_size,
                               const char* passphrase, size_t passphrase_size,
                               const cbp_sink* out, const cbp_error_sink* err);
} cbp_host_api;

/* ------------------------------------------------------------------------ */
/* Descriptor (static metadata).                                            */
/* ------------------------------------------------------------------------ */

/* A sub-action (operation) of a connector type, e.g. "pushToService". */
typedef struct cbp_sub_action {
  uint32_t struct_size;
  const char* name;               /* non-empty, unique within the type */
  const char* params_schema_json; /* JSON Schema of the params object */
} cbp_sub_action;

/* A default case-field mapping, e.g. {"title", "short_description",
 * "overwrite"}. action is "overwrite", "append" or "nothing". */
typedef struct cbp_field_mapping {
  uint32_t struct_size;
  const char* source;
  const char* target;
  const char* action;
} cbp_field_mapping;

/* One connector type served by the plugin. */
typedef struct cbp_connector_type {
  uint32_t struct_size;
  const char* id;   /* e.g. ".servicenow"; unique across all plugins */
  const char* name; /* display name, e.g. "ServiceNow ITSM" */
  /* Feature ids this type supports, e.g. "cases". */
  const char* const* supported_features;
  size_t supported_feature_count;
  const char* config_schema_json;  /* JSON Schema of the public config */
  const char* secrets_schema_json; /* JSON Schema of the secrets */
  const cbp_sub_action* const* sub_actions;
  size_t sub_action_count;
  const cbp_field_mapping* const* default_mappings;
  size_t default_mapping_count;
} cbp_connector_type;

/* The plugin as a whole. OWNERSHIP: plugin, static storage (see rule 4). */
typedef struct cbp_plugin_descriptor {
  uint32_t struct_size;
  const char* id;      /* e.g. "servicenow"; non-empty */
  const char* name;    /* display name */
  const char* version; /* the plugin's own version, semver "1.2.3" */
  const cbp_connector_type* const* connector_types;
  size_t connector_type_count; /* >= 1 */
} cbp_plugin_descriptor;

/* ------------------------------------------------------------------------ */
/* Plugin API table.                                                        */
/* ------------------------------------------------------------------------ */

/* A configured connector, created by the plugin. OWNERSHIP: plugin; released
 * only by instance_destroy. */
typedef struct cbp_instance cbp_instance;

/* Plugin flag: execute may run concurrently on one instance. */
#define CBP_PLUGIN_FLAG_CONCURRENT_EXECUTE 0x1u

/* Returned by the entry function. OWNERSHIP: plugin, static storage. */
typedef struct cbp_plugin_api {
  uint32_t struct_size;
  uint32_t abi_major; /* CBP_ABI_VERSION_MAJOR the plugin was built with */
  uint32_t abi_minor; /* CBP_ABI_VERSION_MINOR the plugin was built with */
  uint32_t flags;     /* CBP_PLUGIN_FLAG_* */
  const cbp_plugin_descriptor* descriptor;

  /* Creates an instance of connector type `type_id` from its (already
   * schema-validated) config and secrets JSON. `call` carries the connector
   * id and a deadline; host services may be used during the call. On success
   * stores the instance in *out_instance and returns OK; otherwise returns an
   * error (reported through `err`) and leaves *out_instance NULL.
   * THREADING: any thread; may run concurrently with other calls on other
   * instances. */
  cbp_status (*instance_create)(const char* type_id, size_t type_id_size,
                                const char* config_json, size_t config_size,
                                const char* secrets_json, size_t secrets_size,
                                const cbp_call_ctx* call,
                                cbp_instance** out_instance,
                                const cbp_error_sink* err);

  /* Releases an instance. Never called while an execute on it is running.
   * Must not fail. THREADING: any thread. */
  void (*instance_destroy)(cbp_instance* instance);

  /* Runs sub-action `sub_action` (one the descriptor declares) with its
   * (already schema-validated) params JSON object. On OK writes one JSON value
   * (the result data; nothing written means null) to `out`. On failure
   * returns the code and reports through `err`. Must return once
   * is_cancelled() turns true. THREADING: any thread; concurrent calls on
   * one instance only with CBP_PLUGIN_FLAG_CONCURRENT_EXECUTE. */
  cbp_status (*execute)(cbp_instance* instance, const cbp_call_ctx* call,
                        const char* sub_action, size_t sub_action_size,
                        const char* params_json, size_t params_size,
                        const cbp_sink* out, const cbp_error_sink* err);

  /* Optional (may be NULL): checks config and secrets beyond their JSON
   * Schemas without creating an instance. THREADING: any thread. */
  cbp_status (*validate_config)(const char* type_id, size_t type_id_size,
                                const char* config_json, size_t config_size,
                                const char* secrets_json, size_t secrets_size,
                                const cbp_error_sink* err);
} cbp_plugin_api;

/* ------------------------------------------------------------------------ */
/* Entry point.                                                             */
/* ------------------------------------------------------------------------ */

/* The only symbol a plugin exports. Called once per load, on the loader
 * thread, before anything else and never concurrently with anything else.
 * `host` (valid while loaded) offers the host services; store it.
 * Returns the plugin's static API table, or NULL when the plugin cannot
 * serve this host (host_abi_major differs from the plugin's, host->struct_size
 * lacks a function it needs, or initialisation failed; log why first).
 * The host rejects a table whose abi_major differs from its own and uses
 * fields beyond its own knowledge only after checking struct_size. */
typedef const cbp_plugin_api* (*cbp_entry_fn)(uint32_t host_abi_major,
                                              uint32_t host_abi_minor,
                                              const cbp_host_api* host);

#define CBP_ENTRY_SYMBOL "casebridge_plugin_entry_v1"

CBP_EXPORT const cbp_plugin_api* casebridge_plugin_entry_v1(
    uint32_t host_abi_major, uint32_t host_abi_minor, const cbp_host_api* host);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CASEBRIDGE_PLUGIN_ABI_H_ */

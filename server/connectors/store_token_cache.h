// StoreTokenCache: the plugin host's token cache (plugin_host::TokenCache)
// persisted in the Store's cached_tokens table. Values are sealed with the
// SecretBox under associated data "<connector id>\n<key>", so a sealed token
// cannot be replayed under another connector or key.
//
// Thread-safe. Borrows the store and the box, which must outlive it.
#ifndef CASEBRIDGE_SERVER_CONNECTORS_STORE_TOKEN_CACHE_H_
#define CASEBRIDGE_SERVER_CONNECTORS_STORE_TOKEN_CACHE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/connectors/secret_box.h"
#include "server/plugin_host/token_cache.h"
#include "server/store/store.h"

namespace casebridge::connectors {

class StoreTokenCache final : public plugin_host::TokenCache {
 public:
  StoreTokenCache(store::Store* store, const SecretBox* box)
      : store_(store), box_(box) {}

  // An entry that no longer opens (key rotated away, tampering) reads as
  // absent, so the plugin fetches a fresh token.
  absl::StatusOr<std::optional<std::string>> Get(std::string_view connector_id,
                                                 std::string_view key,
                                                 absl::Time now) override;
  absl::Status Put(std::string_view connector_id, std::string_view key,
                   std::string_view value, absl::Time expires_at) override;
  // The store has no single-key delete: the entry is overwritten with an
  // empty, already expired value.
  absl::Status Delete(std::string_view connector_id,
                      std::string_view key) override;

  // Removes every token of the connector (on update and delete).
  absl::Status Purge(std::string_view connector_id);

 private:
  store::Store* store_;
  const SecretBox* box_;
};

}  // namespace casebridge::connectors

#endif  // CASEBRIDGE_SERVER_CONNECTORS_STORE_TOKEN_CACHE_H_

// TokenCache: per-connector storage of short-lived credentials (OAuth access
// tokens) for plugins (cbp_host_api.token_*). The server provides a persisted,
// sealed implementation over the store; InMemoryTokenCache serves tests and
// runs without a store.
//
// Implementations must be thread-safe. Values are secrets: never log them.
#ifndef CASEBRIDGE_SERVER_PLUGIN_HOST_TOKEN_CACHE_H_
#define CASEBRIDGE_SERVER_PLUGIN_HOST_TOKEN_CACHE_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace casebridge::plugin_host {

class TokenCache {
 public:
  virtual ~TokenCache() = default;
  // The value stored under (connector_id, key), or nullopt when absent or
  // expired at `now`.
  virtual absl::StatusOr<std::optional<std::string>> Get(
      std::string_view connector_id, std::string_view key, absl::Time now) = 0;
  // Stores `value`, replacing any previous one, until `expires_at`.
  virtual absl::Status Put(std::string_view connector_id, std::string_view key,
                           std::string_view value, absl::Time expires_at) = 0;
  // Removes the key; OK when absent.
  virtual absl::Status Delete(std::string_view connector_id,
                              std::string_view key) = 0;
};

// A process-local TokenCache. Thread-safe.
class InMemoryTokenCache final : public TokenCache {
 public:
  absl::StatusOr<std::optional<std::string>> Get(std::string_view connector_id,
                                                 std::string_view key,
                                                 absl::Time now) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find({std::string(connector_id), std::string(key)});
    if (it == entries_.end()) return std::optional<std::string>();
    if (it->second.second <= now) {
      entries_.erase(it);
      return std::optional<std::string>();
    }
    return std::optional<std::string>(it->second.first);
  }
  absl::Status Put(std::string_view connector_id, std::string_view key,
                   std::string_view value, absl::Time expires_at) override {
    std::lock_guard<std::mutex> lock(mu_);
    entries_[{std::string(connector_id), std::string(key)}] = {
        std::string(value), expires_at};
    return absl::OkStatus();
  }
  absl::Status Delete(std::string_view connector_id,
                      std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.erase({std::string(connector_id), std::string(key)});
    return absl::OkStatus();
  }

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>,
           std::pair<std::string, absl::Time>>
      entries_;
};

}  // namespace casebridge::plugin_host

#endif  // CASEBRIDGE_SERVER_PLUGIN_HOST_TOKEN_CACHE_H_

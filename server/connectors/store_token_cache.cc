#include "server/connectors/store_token_cache.h"

#include <utility>

#include "server/util/status.h"

namespace casebridge::connectors {
namespace {

std::string AssociatedData(std::string_view connector_id,
                           std::string_view key) {
  std::string ad(connector_id);
  ad += '\n';
  ad += key;
  return ad;
}

}  // namespace

absl::StatusOr<std::optional<std::string>> StoreTokenCache::Get(
    std::string_view connector_id, std::string_view key, absl::Time now) {
  ASSIGN_OR_RETURN(auto txn, store_->BeginRead());
  ASSIGN_OR_RETURN(std::optional<store::CachedToken> token,
                   txn->GetCachedToken(connector_id, key));
  if (!token || token->expires_at <= now || token->sealed_token.empty()) {
    return std::optional<std::string>();
  }
  absl::StatusOr<std::string> value =
      box_->Open(token->sealed_token, AssociatedData(connector_id, key));
  if (!value.ok()) return std::optional<std::string>();
  return std::optional<std::string>(*std::move(value));
}

absl::Status StoreTokenCache::Put(std::string_view connector_id,
                                  std::string_view key, std::string_view value,
                                  absl::Time expires_at) {
  store::CachedToken token;
  token.connector_id = std::string(connector_id);
  token.key = std::string(key);
  ASSIGN_OR_RETURN(token.sealed_token,
                   box_->Seal(value, AssociatedData(connector_id, key)));
  token.expires_at = expires_at;
  ASSIGN_OR_RETURN(auto txn, store_->BeginWrite());
  RETURN_IF_ERROR(txn->PutCachedToken(token));
  return txn->Commit();
}

absl::Status StoreTokenCache::Delete(std::string_view connector_id,
                                     std::string_view key) {
  store::CachedToken token;
  token.connector_id = std::string(connector_id);
  token.key = std::string(key);
  token.expires_at = absl::UnixEpoch();
  ASSIGN_OR_RETURN(auto txn, store_->BeginWrite());
  RETURN_IF_ERROR(txn->PutCachedToken(token));
  return txn->Commit();
}

absl::Status StoreTokenCache::Purge(std::string_view connector_id) {
  ASSIGN_OR_RETURN(auto txn, store_->BeginWrite());
  RETURN_IF_ERROR(txn->DeleteCachedTokens(connector_id));
  return txn->Commit();
}

}  // namespace casebridge::connectors

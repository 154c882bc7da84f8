// API keys on PostgreSQL: the same rows as the SQLite store (hash only).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/store/postgres/pg_transaction.h"
#include "server/store/sqlite/sqlite_codec.h"

namespace casebridge::store::pg {
namespace {

namespace codec = ::casebridge::store::sqlite;

constexpr char kApiKeyColumns[] =
    "id, name, key_hash, user_json, roles_json, created_at, created_by, "
    "revoked_at";

absl::StatusOr<ApiKey> ReadApiKey(const Result& r, int row) {
  ApiKey k;
  k.id = r.Str(row, 0);
  k.name = r.Str(row, 1);
  k.key_hash = r.Str(row, 2);
  PG_ASSIGN_OR_RETURN(Json user,
                      codec::ParseJson(r.Str(row, 3), "api key user"));
  k.user = codec::UserFromJson(user);
  PG_ASSIGN_OR_RETURN(Json roles,
                      codec::ParseJson(r.Str(row, 4), "api key roles"));
  if (roles.is_array()) {
    for (const auto& role : roles) {
      if (role.is_string()) k.roles.push_back(role.get<std::string>());
    }
  }
  k.created_at = r.Time(row, 5);
  k.created_by = r.Str(row, 6);
  k.revoked_at = r.OptTime(row, 7);
  return k;
}

}  // namespace

absl::StatusOr<std::optional<ApiKey>> PgTransaction::GetApiKey(
    std::string_view id) {
  Params p;
  p.Text(id);
  PG_ASSIGN_OR_RETURN(Result r, Q(absl::StrCat("SELECT ", kApiKeyColumns,
                                               " FROM api_keys WHERE id = $1"),
                                  p, "get api key"));
  if (r.rows() == 0) return std::optional<ApiKey>();
  PG_ASSIGN_OR_RETURN(ApiKey k, ReadApiKey(r, 0));
  return std::optional<ApiKey>(std::move(k));
}

absl::StatusOr<std::vector<ApiKey>> PgTransaction::ListApiKeys() {
  PG_ASSIGN_OR_RETURN(Result r,
                      Q(absl::StrCat("SELECT ", kApiKeyColumns,
                                     " FROM api_keys ORDER BY created_at, id"),
                        Params(), "list api keys"));
  std::vector<ApiKey> out;
  out.reserve(r.rows());
  for (int row = 0; row < r.rows(); ++row) {
    PG_ASSIGN_OR_RETURN(ApiKey k, ReadApiKey(r, row));
    out.push_back(std::move(k));
  }
  return out;
}

absl::Status PgTransaction::InsertApiKey(const ApiKey& key) {
  Params p;
  p.Text(key.id)
      .Text(key.name)
      .Text(key.key_hash)
      .Text(codec::UserToJson(key.user).dump())
      .Text(Json(key.roles).dump())
      .Time(key.created_at)
      .Text(key.created_by)
      .OptTime(key.revoked_at);
  // ON CONFLICT keeps the transaction usable after a duplicate (a failed
  // statement would abort the whole PostgreSQL transaction).
  PG_ASSIGN_OR_RETURN(
      Result r, Q(absl::StrCat("INSERT INTO api_keys(", kApiKeyColumns,
                               ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                               "ON CONFLICT (id) DO NOTHING RETURNING id"),
                  p, "insert api key"));
  if (r.rows() == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("api key ", key.id, " already exists"));
  }
  return absl::OkStatus();
}

absl::Status PgTransaction::RevokeApiKey(std::string_view id,
                                         absl::Time revoked_at) {
  Params p;
  p.Time(revoked_at).Text(id);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) "
                  "WHERE id = $2 RETURNING id",
                  p, "revoke api key"));
  if (r.rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("api key ", std::string(id), " not found"));
  }
  return absl::OkStatus();
}

}  // namespace casebridge::store::pg

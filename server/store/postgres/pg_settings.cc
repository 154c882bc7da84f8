// Configurations, connectors and the token cache of the PostgreSQL store
// (see pg_transaction.h).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/store/postgres/pg_transaction.h"
#include "server/store/sqlite/sqlite_codec.h"

namespace casebridge::store::pg {
namespace {

namespace codec = ::casebridge::store::sqlite;

constexpr const char* kConfigurationColumns =
    "id, version, owner, created_at, updated_at, doc";

std::string ConfigurationDoc(const Configuration& c) {
  Json doc = Json::object();
  doc["connector"] = codec::ConnectorToJson(c.connector);
  doc["closure_type"] = c.closure_type;
  doc["custom_fields"] = codec::FieldDefinitionsToJson(c.custom_fields);
  doc["templates"] = c.templates;
  doc["created_by"] = codec::UserToJson(c.created_by);
  if (c.updated_by) doc["updated_by"] = codec::UserToJson(*c.updated_by);
  return codec::DumpJson(doc);
}

absl::StatusOr<Configuration> ReadConfiguration(const Result& r, int row) {
  Configuration c;
  c.id = r.Str(row, 0);
  c.version = r.Int(row, 1);
  c.owner = r.Str(row, 2);
  c.created_at = r.Time(row, 3);
  c.updated_at = r.OptTime(row, 4);
  PG_ASSIGN_OR_RETURN(Json doc,
                      codec::ParseJson(r.View(row, 5), "configuration"));
  if (auto it = doc.find("connector"); it != doc.end()) {
    c.connector = codec::ConnectorFromJson(*it);
  }
  c.closure_type = codec::JsonString(doc, "closure_type");
  if (auto it = doc.find("custom_fields"); it != doc.end()) {
    c.custom_fields = codec::FieldDefinitionsFromJson(*it);
  }
  if (auto it = doc.find("templates"); it != doc.end()) c.templates = *it;
  if (auto it = doc.find("created_by"); it != doc.end()) {
    c.created_by = codec::UserFromJson(*it);
  }
  if (auto it = doc.find("updated_by"); it != doc.end()) {
    c.updated_by = codec::UserFromJson(*it);
  }
  return c;
}

constexpr const char* kConnectorColumns =
    "id, connector_type_id, name, config, sealed_secrets, is_missing_secrets, "
    "created_at, updated_at";

absl::StatusOr<Connector> ReadConnector(const Result& r, int row) {
  Connector c;
  c.id = r.Str(row, 0);
  c.connector_type_id = r.Str(row, 1);
  c.name = r.Str(row, 2);
  PG_ASSIGN_OR_RETURN(c.config,
                      codec::ParseJson(r.View(row, 3), "connector config"));
  c.sealed_secrets = r.Bytes(row, 4);
  c.is_missing_secrets = r.Bool(row, 5);
  c.created_at = r.Time(row, 6);
  c.updated_at = r.Time(row, 7);
  return c;
}

}  // namespace

// --- Configurations.

absl::StatusOr<Configuration> PgTransaction::GetConfiguration(
    std::string_view id) {
  Params p;
  p.Text(id);
  PG_ASSIGN_OR_RETURN(
      Result r, Q(absl::StrCat("SELECT ", kConfigurationColumns,
                               " FROM configurations WHERE id = $1", Lock()),
                  p, "get configuration"));
  if (r.rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("configuration ", AV(id), " not found"));
  }
  return ReadConfiguration(r, 0);
}

absl::StatusOr<Configuration> PgTransaction::GetConfigurationByOwner(
    std::string_view owner) {
  Params p;
  p.Text(owner);
  PG_ASSIGN_OR_RETURN(
      Result r, Q(absl::StrCat("SELECT ", kConfigurationColumns,
                               " FROM configurations WHERE owner = $1", Lock()),
                  p, "get configuration by owner"));
  if (r.rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("no configuration for owner ", AV(owner)));
  }
  return ReadConfiguration(r, 0);
}

absl::StatusOr<std::vector<Configuration>> PgTransaction::ListConfigurations(
    absl::Span<const std::string> owners) {
  std::string sql =
      absl::StrCat("SELECT ", kConfigurationColumns, " FROM configurations");
  Params p;
  if (!owners.empty()) {
    sql += " WHERE owner = ANY($1::text[])";
    p.TextArray(std::vector<std::string>(owners.begin(), owners.end()));
  }
  sql += " ORDER BY owner COLLATE \"C\"";
  PG_ASSIGN_OR_RETURN(Result r, Q(sql, p, "list configurations"));
  std::vector<Configuration> out;
  for (int i = 0; i < r.rows(); ++i) {
    PG_ASSIGN_OR_RETURN(Configuration c, ReadConfiguration(r, i));
    out.push_back(std::move(c));
  }
  return out;
}

absl::Status PgTransaction::InsertConfiguration(Configuration& c) {
  Params p;
  p.Text(c.id)
      .Text(c.owner)
      .Text(c.connector.id)
      .Time(c.created_at)
      .OptTime(c.updated_at)
      .Text(ConfigurationDoc(c));
  PG_ASSIGN_OR_RETURN(
      Result r, Q("INSERT INTO configurations(id, owner, version, "
                  "connector_id, created_at, updated_at, doc) "
                  "VALUES ($1, $2, 1, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                  p, "insert configuration"));
  if (r.Affected() == 0) {
    return absl::AlreadyExistsError(absl::StrCat("configuration ", c.id,
                                                 " or one for owner ", c.owner,
                                                 " already exists"));
  }
  c.version = 1;
  return absl::OkStatus();
}

absl::Status PgTransaction::UpdateConfiguration(Configuration& c) {
  Params p;
  p.Text(c.owner)
      .Text(c.connector.id)
      .Time(c.created_at)
      .OptTime(c.updated_at)
      .Text(ConfigurationDoc(c))
      .Text(c.id)
      .Int(c.version);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("UPDATE configurations SET version = version + 1, "
                  "owner = $1, connector_id = $2, created_at = $3, "
                  "updated_at = $4, doc = $5 WHERE id = $6 AND version = $7 "
                  "RETURNING version",
                  p, "update configuration"));
  if (r.rows() == 0) {
    return VersionFailure("configurations", c.id, "configuration");
  }
  c.version = r.Int(0, 0);
  return absl::OkStatus();
}

absl::Status PgTransaction::DeleteConfiguration(std::string_view id) {
  Params p;
  p.Text(id);
  PG_ASSIGN_OR_RETURN(Result r, Q("DELETE FROM configurations WHERE id = $1", p,
                                  "delete configuration"));
  if (r.Affected() == 0) {
    return absl::NotFoundError(
        absl::StrCat("configuration ", AV(id), " not found"));
  }
  return absl::OkStatus();
}

// --- Connectors.

absl::StatusOr<Connector> PgTransaction::GetConnector(std::string_view id) {
  Params p;
  p.Text(id);
  PG_ASSIGN_OR_RETURN(Result r,
                      Q(absl::StrCat("SELECT ", kConnectorColumns,
                                     " FROM connectors WHERE id = $1"),
                        p, "get connector"));
  if (r.rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("connector ", AV(id), " not found"));
  }
  return ReadConnector(r, 0);
}

absl::StatusOr<std::vector<Connector>> PgTransaction::ListConnectors() {
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q(absl::StrCat("SELECT ", kConnectorColumns,
                     " FROM connectors ORDER BY name COLLATE \"C\", id "
                     "COLLATE \"C\""),
        Params(), "list connectors"));
  std::vector<Connector> out;
  for (int i = 0; i < r.rows(); ++i) {
    PG_ASSIGN_OR_RETURN(Connector c, ReadConnector(r, i));
    out.push_back(std::move(c));
  }
  return out;
}

absl::Status PgTransaction::InsertConnector(const Connector& c) {
  Params p;
  p.Text(c.id)
      .Text(c.connector_type_id)
      .Text(c.name)
      .Text(codec::DumpJson(c.config))
      .Bytes(c.sealed_secrets)
      .Bool(c.is_missing_secrets)
      .Time(c.created_at)
      .Time(c.updated_at);
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q("INSERT INTO connectors(id, connector_type_id, name, config, "
        "sealed_secrets, is_missing_secrets, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        p, "insert connector"));
  if (r.Affected() == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("connector ", c.id, " already exists"));
  }
  return absl::OkStatus();
}

absl::Status PgTransaction::UpdateConnector(const Connector& c) {
  Params p;
  p.Text(c.connector_type_id)
      .Text(c.name)
      .Text(codec::DumpJson(c.config))
      .Bytes(c.sealed_secrets)
      .Bool(c.is_missing_secrets)
      .Time(c.created_at)
      .Time(c.updated_at)
      .Text(c.id);
  PG_ASSIGN_OR_RETURN(
      Result r, Q("UPDATE connectors SET connector_type_id = $1, name = $2, "
                  "config = $3, sealed_secrets = $4, is_missing_secrets = $5, "
                  "created_at = $6, updated_at = $7 WHERE id = $8",
                  p, "update connector"));
  if (r.Affected() == 0) {
    return absl::NotFoundError(absl::StrCat("connector ", c.id, " not found"));
  }
  return absl::OkStatus();
}

absl::Status PgTransaction::DeleteConnector(std::string_view id) {
  Params p;
  p.Text(id);
  PG_ASSIGN_OR_RETURN(Result r, Q("DELETE FROM connectors WHERE id = $1", p,
                                  "delete connector"));
  if (r.Affected() == 0) {
    return absl::NotFoundError(
        absl::StrCat("connector ", AV(id), " not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PgTransaction::CountConnectorReferences(
    std::string_view connector_id) {
  Params p;
  p.Text(connector_id);
  PG_ASSIGN_OR_RETURN(
      Result r,
      Q("SELECT (SELECT count(*) FROM cases WHERE connector_id = $1) + "
        "(SELECT count(*) FROM configurations WHERE connector_id = $1)",
        p, "count connector references"));
  return r.Int(0, 0);
}

// --- Token cache.

absl::StatusOr<std::optional<CachedToken>> PgTransaction::GetCachedToken(
    std::string_view connector_id, std::string_view key) {
  Params p;
  p.Text(connector_id).Text(key);
  PG_ASSIGN_OR_RETURN(Result r,
                      Q("SELECT sealed_token, expires_at FROM cached_tokens "
                        "WHERE connector_id = $1 AND key = $2",
                        p, "get cached token"));
  if (r.rows() == 0) return std::optional<CachedToken>();
  return std::optional<CachedToken>(CachedToken{std::string(connector_id),
                                                std::string(key), r.Bytes(0, 0),
                                                r.Time(0, 1)});
}

absl::Status PgTransaction::PutCachedToken(const CachedToken& token) {
  Params p;
  p.Text(token.connector_id)
      .Text(token.key)
      .Bytes(token.sealed_token)
      .Time(token.expires_at);
  return Q("INSERT INTO cached_tokens(connector_id, key, sealed_token, "
           "expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (connector_id, "
           "key) DO UPDATE SET sealed_token = excluded.sealed_token, "
           "expires_at = excluded.expires_at",
           p, "put cached token")
      .status();
}

absl::Status PgTransaction::DeleteCachedTokens(std::string_view connector_id) {
  Params p;
  p.Text(connector_id);
  return Q("DELETE FROM cached_tokens WHERE connector_id = $1", p,
           "delete cached tokens")
      .status();
}

}  // namespace casebridge::store::pg

#include "tests/fakes/fake_servicenow.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <set>
#include <utility>

namespace casebridge::testing {
namespace {

using nlohmann::json;

constexpr char kItsmTable[] = "incident";
constexpr char kSirTable[] = "sn_si_incident";

struct ProductInfo {
  const char* table;
  const char* staging;
  const char* scope;
  const char* prefix;  // incident number prefix
};
constexpr ProductInfo kProducts[] = {
    {kItsmTable, "x_elas2_inc_int_elastic_incident", "x_elas2_inc_int", "INC"},
    {kSirTable, "x_elas2_sir_int_elastic_si_incident", "x_elas2_sir_int",
     "SIR"},
};

const ProductInfo* ByTable(const std::string& table) {
  for (const auto& p : kProducts) {
    if (table == p.table) return &p;
  }
  return nullptr;
}
const ProductInfo* ByStaging(const std::string& staging) {
  for (const auto& p : kProducts) {
    if (staging == p.staging) return &p;
  }
  return nullptr;
}
const ProductInfo* ByScope(const std::string& scope) {
  for (const auto& p : kProducts) {
    if (scope == p.scope) return &p;
  }
  return nullptr;
}

// Columns a connector may write on each table (staging tables mirror them
// with a u_ prefix).
const std::set<std::string>& Columns(const std::string& table) {
  static const std::set<std::string> kItsm = {"short_description",
                                              "description",
                                              "category",
                                              "subcategory",
                                              "correlation_id",
                                              "correlation_display",
                                              "severity",
                                              "urgency",
                                              "impact",
                                              "caller_id",
                                              "opened_by",
                                              "work_notes",
                                              "state",
                                              "close_code",
                                              "close_notes"};
  static const std::set<std::string> kSir = {
      "short_description", "description",         "category", "subcategory",
      "correlation_id",    "correlation_display", "dest_ip",  "source_ip",
      "malware_hash",      "malware_url",         "priority", "caller_id",
      "opened_by",         "work_notes",          "state",    "close_code",
      "close_notes"};
  return table == kSirTable ? kSir : kItsm;
}

// Target-table columns the Elastic app accepts unprefixed (additional fields).
bool IsExtraColumn(const std::string& key) {
  static const std::set<std::string> kExtra = {
      "assignment_group", "assigned_to",  "business_service", "cmdb_ci",
      "company",          "contact_type", "location",         "u_custom_text"};
  return kExtra.count(key) > 0;
}

FakeResponse SnError(int status, const std::string& message,
                     const json& detail = nullptr) {
  json body = {{"error", {{"message", message}, {"detail", detail}}},
               {"status", "failure"}};
  return FakeResponse::Json(status, body.dump());
}

FakeResponse NoResource() {
  return SnError(400, "Requested URI does not represent any resource");
}

FakeResponse Ok(int status, const json& body) {
  return FakeResponse::Json(status, body.dump());
}

std::string PercentDecode(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size()) {
      out.push_back(
          static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string::npos) amp = body.size();
    std::string pair = body.substr(pos, amp - pos);
    size_t eq = pair.find('=');
    if (!pair.empty()) {
      out[PercentDecode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1));
    }
    pos = amp + 1;
  }
  return out;
}

std::string Base64Decode(const std::string& in, bool url) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == (url ? '-' : '+')) {
      v = 62;
    } else if (c == (url ? '_' : '/')) {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      return "\x01invalid";
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

bool VerifyRs256(const std::string& public_pem, const std::string& signed_part,
                 const std::string& signature) {
  BIO* bio =
      BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return false;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(
          md, reinterpret_cast<const unsigned char*>(signature.data()),
          signature.size(),
          reinterpret_cast<const unsigned char*>(signed_part.data()),
          signed_part.size()) == 1;
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  return ok;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
             static_cast<int>(bytes));
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : raw) {
    out.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xF]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 0xF]);
  }
  return out;
}

FakeResponse OAuthError(int status, const std::string& error,
                        const std::string& description) {
  return Ok(status, {{"error", error}, {"error_description", description}});
}

// Splits a ServiceNow encoded query on '^'.
std::vector<std::string> SplitQuery(const std::string& query) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t caret = query.find('^', pos);
    if (caret == std::string::npos) caret = query.size();
    out.push_back(query.substr(pos, caret - pos));
    pos = caret + 1;
  }
  return out;
}

}  // namespace

FakeServiceNow::FakeServiceNow(FakeServiceNowOptions options)
    : options_(std::move(options)), clock_seconds_(1767225600) {  // 2026-01-01
  auto route = [this](
                   const char* method, const char* pattern,
                   FakeResponse (FakeServiceNow::*handler)(const FakeRequest&),
                   bool needs_auth) {
    http_.Handle(method, pattern,
                 [this, handler, needs_auth](const FakeRequest& r) {
                   {
                     std::lock_guard<std::mutex> lock(mu_);
                     if (sleeping_) return FakeResponse::Html(200);
                   }
                   if (needs_auth && !Authorized(r)) {
                     return SnError(401, "User Not Authenticated",
                                    "Required to provide Auth information");
                   }
                   return (this->*handler)(r);
                 });
  };
  route("POST", "/oauth_token.do", &FakeServiceNow::Token, false);
  route("GET", "/api/{scope}/elastic_api/health", &FakeServiceNow::Health,
        true);
  route("POST", "/api/now/import/{staging}", &FakeServiceNow::ImportSet, true);
  route("POST", "/api/now/v2/table/{table}", &FakeServiceNow::TableCreate,
        true);
  route("PATCH", "/api/now/v2/table/{table}/{id}", &FakeServiceNow::TableUpdate,
        true);
  route("GET", "/api/now/v2/table/{table}/{id}", &FakeServiceNow::TableGet,
        true);
  route("GET", "/api/now/v2/table/{table}", &FakeServiceNow::TableQuery, true);
  route("GET", "/api/now/table/sys_dictionary", &FakeServiceNow::Dictionary,
        true);
  route("GET", "/api/now/table/sys_choice", &FakeServiceNow::Choices, true);
  route("POST", "/api/{scope}/elastic_api/incident/{id}/observables/bulk",
        &FakeServiceNow::Observe, true);
  http_.HandleAny([this](const FakeRequest&) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (sleeping_) return FakeResponse::Html(200);
    }
    return NoResource();
  });
}

FakeServiceNow::~FakeServiceNow() { http_.Stop(); }

bool FakeServiceNow::Authorized(const FakeRequest& request) {
  std::optional<std::string> header = request.Header("Authorization");
  if (!header) return false;
  if (header->rfind("Basic ", 0) == 0) {
    return Base64Decode(header->substr(6), false) ==
           options_.username + ":" + options_.password;
  }
  if (header->rfind("Bearer ", 0) == 0) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tokens_.find(header->substr(7));
    return it != tokens_.end() && std::chrono::steady_clock::now() < it->second;
  }
  return false;
}

FakeResponse FakeServiceNow::Token(const FakeRequest& request) {
  std::optional<std::string> type = request.Header("Content-Type");
  if (!type || type->rfind("application/x-www-form-urlencoded", 0) != 0) {
    return OAuthError(400, "invalid_request", "form body expected");
  }
  std::map<std::string, std::string> form = ParseForm(request.body);
  if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    return OAuthError(400, "unsupported_grant_type", "jwt-bearer expected");
  }
  if (form["client_id"] != options_.client_id ||
      form["client_secret"] != options_.client_secret) {
    return OAuthError(401, "access_denied", "Invalid client credentials");
  }
  if (options_.jwt_public_key_pem.empty()) {
    return OAuthError(401, "invalid_grant", "No JWT verifier configured");
  }
  const std::string& assertion = form["assertion"];
  size_t dot1 = assertion.find('.');
  size_t dot2 = assertion.find('.', dot1 == std::string::npos ? 0 : dot1 + 1);
  if (dot1 == std::string::npos || dot2 == std::string::npos) {
    return OAuthError(400, "invalid_request", "malformed assertion");
  }
  json header = json::parse(Base64Decode(assertion.substr(0, dot1), true),
                            nullptr, false);
  json claims = json::parse(
      Base64Decode(assertion.substr(dot1 + 1, dot2 - dot1 - 1), true), nullptr,
      false);
  std::string signature = Base64Decode(assertion.substr(dot2 + 1), true);
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_jwt_header_ = header.is_discarded() ? json() : header;
    last_jwt_claims_ = claims.is_discarded() ? json() : claims;
  }
  if (header.is_discarded() || claims.is_discarded() || !header.is_object() ||
      !claims.is_object()) {
    return OAuthError(400, "invalid_request", "assertion is not a JWT");
  }
  if (header.value("alg", "") != "RS256" ||
      header.value("kid", "") != options_.jwt_key_id) {
    return OAuthError(401, "invalid_grant", "Unknown JWT verifier (kid/alg)");
  }
  if (!VerifyRs256(options_.jwt_public_key_pem, assertion.substr(0, dot2),
                   signature)) {
    return OAuthError(401, "invalid_grant",
                      "JWT signature verification failed");
  }
  const int64_t now = std::time(nullptr);
  if (claims.value("iss", "") != options_.client_id ||
      claims.value("aud", "") != options_.client_id) {
    return OAuthError(401, "invalid_grant", "iss/aud mismatch");
  }
  if (claims.value("sub", "") != options_.user_identifier) {
    return OAuthError(401, "invalid_grant", "User not found");
  }
  if (!claims.contains("iat") || !claims["iat"].is_number_integer() ||
      !claims.contains("exp") || !claims["exp"].is_number_integer()) {
    return OAuthError(401, "invalid_grant", "iat and exp are required");
  }
  int64_t iat = claims["iat"].get<int64_t>();
  int64_t exp = claims["exp"].get<int64_t>();
  if (iat > now + 60 || exp <= now || exp - iat > 3600) {
    return OAuthError(401, "invalid_grant", "JWT expired or not yet valid");
  }
  std::string token = RandomHex(24);
  {
    std::lock_guard<std::mutex> lock(mu_);
    tokens_[token] = std::chrono::steady_clock::now() +
                     std::chrono::seconds(options_.token_expires_in_seconds);
    ++tokens_issued_;
  }
  return Ok(200, {{"access_token", token},
                  {"refresh_token", ""},
                  {"scope", "useraccount"},
                  {"token_type", "Bearer"},
                  {"expires_in", options_.token_expires_in_seconds}});
}

FakeResponse FakeServiceNow::Health(const FakeRequest& request) {
  const ProductInfo* product = ByScope(request.path_params.at("scope"));
  std::lock_guard<std::mutex> lock(mu_);
  if (product == nullptr || !options_.elastic_app_installed)
    return NoResource();
  return Ok(200, {{"result",
                   {{"name", "Elastic"},
                    {"scope", product->scope},
                    {"version", "1.0.3"}}}});
}

std::string FakeServiceNow::NextTimestampLocked() {
  std::time_t t = static_cast<std::time_t>(++clock_seconds_);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02d %02d:%02d:%02d",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buffer;
}

json& FakeServiceNow::WriteLocked(const std::string& table,
                                  const std::string& id, const json& fields) {
  std::vector<json>& records = tables_[table];
  json* record = nullptr;
  if (id.empty()) {
    const ProductInfo* product = ByTable(table);
    char number[32];
    std::snprintf(number, sizeof(number), "%s%07d", product->prefix,
                  next_number_++);
    std::string stamp = NextTimestampLocked();
    records.push_back(
        {{"sys_id", "sn" + std::to_string(next_id_++) + "x" + RandomHex(4)},
         {"number", number},
         {"state", "1"},
         {"sys_created_on", stamp},
         {"sys_updated_on", stamp}});
    record = &records.back();
  } else {
    for (json& r : records) {
      if (r["sys_id"] == id) record = &r;
    }
    (*record)["sys_updated_on"] = NextTimestampLocked();
  }
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (it.value().is_null()) continue;
    if (it.key() == "work_notes") {
      if (it.value().is_string() && !it.value().get<std::string>().empty()) {
        work_notes_[(*record)["sys_id"]].push_back(
            it.value().get<std::string>());
      }
      continue;
    }
    (*record)[it.key()] = it.value();
  }
  return *record;
}

FakeResponse FakeServiceNow::ImportSet(const FakeRequest& request) {
  const ProductInfo* product = ByStaging(request.path_params.at("staging"));
  json body = json::parse(request.body, nullptr, false);
  std::lock_guard<std::mutex> lock(mu_);
  if (product == nullptr || !options_.elastic_app_installed)
    return NoResource();
  if (body.is_discarded() || !body.is_object()) {
    return SnError(400, "Invalid request body", "a JSON object is expected");
  }
  const std::set<std::string>& columns = Columns(product->table);
  json fields = json::object();
  std::string target_id;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& key = it.key();
    if (key == "elastic_incident_id") {
      if (!it.value().is_string()) {
        return SnError(400, "Invalid field value", "elastic_incident_id");
      }
      target_id = it.value().get<std::string>();
    } else if (key.rfind("u_", 0) == 0 && columns.count(key.substr(2))) {
      fields[key.substr(2)] = it.value();
    } else if (IsExtraColumn(key)) {
      fields[key] = it.value();
    } else {
      return SnError(
          400, "Invalid staging table column " + key,
          std::string("Fields of ") + product->staging + " are prefixed u_");
    }
  }
  auto row_error = [&](const std::string& message) {
    return Ok(201, {{"import_set", "ISET0010001"},
                    {"staging_table", product->staging},
                    {"result",
                     {{{"transform_map", "Elastic Incident"},
                       {"status", "error"},
                       {"error_message", message},
                       {"status_message", "failure"}}}}});
  };
  bool update = !target_id.empty();
  if (update) {
    bool found = false;
    for (const json& r : tables_[product->table]) {
      found = found || r["sys_id"] == target_id;
    }
    if (!found) return row_error("Incident " + target_id + " not found");
  } else if (!fields.contains("short_description") ||
             !fields["short_description"].is_string() ||
             fields["short_description"].get<std::string>().empty()) {
    return row_error("Short description is mandatory");
  }
  json& record = WriteLocked(product->table, target_id, fields);
  return Ok(
      201, {{"import_set", "ISET0010001"},
            {"staging_table", product->staging},
            {"result",
             {{{"transform_map", "Elastic Incident"},
               {"table", product->table},
               {"display_name", "number"},
               {"display_value", record["number"]},
               {"record_link", "/api/now/table/" + std::string(product->table) +
                                   "/" + record["sys_id"].get<std::string>()},
               {"status", update ? "updated" : "inserted"},
               {"sys_id", record["sys_id"]}}}}});
}

namespace {

// Checks a Table API body: known, unprefixed columns only.
std::optional<FakeResponse> CheckTableBody(const std::string& table,
                                           const json& body) {
  if (body.is_discarded() || !body.is_object()) {
    return SnError(400, "Invalid request body", "a JSON object is expected");
  }
  const std::set<std::string>& columns = Columns(table);
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (!columns.count(it.key()) && !IsExtraColumn(it.key())) {
      return SnError(400, "Invalid field " + it.key(),
                     "Unknown column of table " + table);
    }
  }
  return std::nullopt;
}

}  // namespace

FakeResponse FakeServiceNow::TableCreate(const FakeRequest& request) {
  const std::string table = request.path_params.at("table");
  if (ByTable(table) == nullptr) return SnError(400, "Invalid table " + table);
  json body = json::parse(request.body, nullptr, false);
  if (auto bad = CheckTableBody(table, body)) return *bad;
  if (!body.contains("short_description") ||
      !body["short_description"].is_string() ||
      body["short_description"].get<std::string>().empty()) {
    return SnError(400, "Mandatory field missing", "short_description");
  }
  std::lock_guard<std::mutex> lock(mu_);
  return Ok(201, {{"result", WriteLocked(table, "", body)}});
}

FakeResponse FakeServiceNow::TableUpdate(const FakeRequest& request) {
  const std::string table = request.path_params.at("table");
  const std::string id = request.path_params.at("id");
  if (ByTable(table) == nullptr) return SnError(400, "Invalid table " + table);
  json body = json::parse(request.body, nullptr, false);
  if (auto bad = CheckTableBody(table, body)) return *bad;
  std::lock_guard<std::mutex> lock(mu_);
  for (const json& r : tables_[table]) {
    if (r["sys_id"] == id) {
      return Ok(200, {{"result", WriteLocked(table, id, body)}});
    }
  }
  return SnError(404, "No Record found",
                 "Record doesn't exist or ACL restricts the record retrieval");
}

FakeResponse FakeServiceNow::TableGet(const FakeRequest& request) {
  const std::string table = request.path_params.at("table");
  const std::string id = request.path_params.at("id");
  if (ByTable(table) == nullptr) return SnError(400, "Invalid table " + table);
  std::lock_guard<std::mutex> lock(mu_);
  for (const json& r : tables_[table]) {
    if (r["sys_id"] == id) return Ok(200, {{"result", r}});
  }
  return SnError(404, "No Record found",
                 "Record doesn't exist or ACL restricts the record retrieval");
}

FakeResponse FakeServiceNow::TableQuery(const FakeRequest& request) {
  const std::string table = request.path_params.at("table");
  if (ByTable(table) == nullptr) return SnError(400, "Invalid table " + table);
  std::string order_desc;
  std::vector<std::pair<std::string, std::string>> equals;
  if (std::optional<std::string> query = request.Param("sysparm_query")) {
    for (const std::string& term : SplitQuery(*query)) {
      if (term.rfind("ORDERBYDESC", 0) == 0) {
        order_desc = term.substr(11);
      } else if (size_t eq = term.find('='); eq != std::string::npos) {
        equals.emplace_back(term.substr(0, eq), term.substr(eq + 1));
      } else {
        return SnError(400, "Invalid query", term);
      }
    }
  }
  size_t limit = SIZE_MAX;
  if (std::optional<std::string> l = request.Param("sysparm_limit")) {
    limit = std::stoul(*l);
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<json> matches;
  for (const json& r : tables_[table]) {
    bool ok = true;
    for (const auto& [field, value] : equals) {
      ok = ok && r.contains(field) && r[field].is_string() &&
           r[field].get<std::string>() == value;
    }
    if (ok) matches.push_back(r);
  }
  if (!order_desc.empty()) {
    // Stable: among equal timestamps the later insert comes first.
    std::vector<json> sorted(matches.rbegin(), matches.rend());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [&](const json& a, const json& b) {
                       return a.value(order_desc, "") > b.value(order_desc, "");
                     });
    matches = std::move(sorted);
  }
  if (matches.size() > limit) matches.resize(limit);
  json result = json::array();
  for (json& m : matches) {
    if (std::optional<std::string> fields = request.Param("sysparm_fields")) {
      json picked = json::object();
      size_t pos = 0;
      while (pos <= fields->size()) {
        size_t comma = fields->find(',', pos);
        if (comma == std::string::npos) comma = fields->size();
        std::string f = fields->substr(pos, comma - pos);
        if (m.contains(f)) picked[f] = m[f];
        pos = comma + 1;
      }
      result.push_back(picked);
    } else {
      result.push_back(m);
    }
  }
  return Ok(200, {{"result", result}});
}

FakeResponse FakeServiceNow::Dictionary(const FakeRequest& request) {
  std::optional<std::string> query = request.Param("sysparm_query");
  std::string table;
  if (query && query->rfind("name=task^ORname=", 0) == 0) {
    std::vector<std::string> terms = SplitQuery(*query);
    if (terms.size() == 3 && terms[2] == "internal_type=string") {
      table = terms[1].substr(std::string("ORname=").size());
    }
  }
  if (ByTable(table) == nullptr || request.Param("active") != "true" ||
      request.Param("read_only") != "false" ||
      request.Param("sysparm_fields") !=
          "max_length,element,column_label,mandatory") {
    return SnError(400, "Invalid query", query.value_or(""));
  }
  json result = json::array();
  result.push_back({{"column_label", "Short description"},
                    {"mandatory", "false"},
                    {"max_length", "160"},
                    {"element", "short_description"}});
  result.push_back({{"column_label", "Description"},
                    {"mandatory", "false"},
                    {"max_length", "4000"},
                    {"element", "description"}});
  result.push_back({{"column_label", "Correlation ID"},
                    {"mandatory", "false"},
                    {"max_length", "100"},
                    {"element", "correlation_id"}});
  if (table == kSirTable) {
    result.push_back({{"column_label", "Malware URL"},
                      {"mandatory", "false"},
                      {"max_length", "1024"},
                      {"element", "malware_url"}});
  }
  return Ok(200, {{"result", result}});
}

FakeResponse FakeServiceNow::Choices(const FakeRequest& request) {
  std::optional<std::string> query = request.Param("sysparm_query");
  if (!query || request.Param("sysparm_fields") !=
                    "label,value,dependent_value,element") {
    return SnError(400, "Invalid query", query.value_or(""));
  }
  std::vector<std::string> terms = SplitQuery(*query);
  if (terms.size() < 4 || terms[0] != "name=task" ||
      ByTable(terms[1].substr(std::min(terms[1].size(), size_t{7}))) ==
          nullptr ||
      terms[1].rfind("ORname=", 0) != 0 || terms.back() != "language=en") {
    return SnError(400, "Invalid query", *query);
  }
  std::set<std::string> elements;
  for (size_t i = 2; i + 1 < terms.size(); ++i) {
    const std::string& t = terms[i];
    if (i == 2 && t.rfind("element=", 0) == 0) {
      elements.insert(t.substr(8));
    } else if (i > 2 && t.rfind("ORelement=", 0) == 0) {
      elements.insert(t.substr(10));
    } else {
      return SnError(400, "Invalid query", *query);
    }
  }
  static const json kChoices = json::array({
      {{"label", "1 - High"},
       {"value", "1"},
       {"dependent_value", ""},
       {"element", "urgency"}},
      {{"label", "2 - Medium"},
       {"value", "2"},
       {"dependent_value", ""},
       {"element", "urgency"}},
      {{"label", "3 - Low"},
       {"value", "3"},
       {"dependent_value", ""},
       {"element", "urgency"}},
      {{"label", "1 - High"},
       {"value", "1"},
       {"dependent_value", ""},
       {"element", "impact"}},
      {{"label", "3 - Low"},
       {"value", "3"},
       {"dependent_value", ""},
       {"element", "impact"}},
      {{"label", "Network"},
       {"value", "network"},
       {"dependent_value", ""},
       {"element", "category"}},
      {{"label", "DNS"},
       {"value", "dns"},
       {"dependent_value", "network"},
       {"element", "subcategory"}},
  });
  json result = json::array();
  for (const json& c : kChoices) {
    if (elements.count(c["element"].get<std::string>())) result.push_back(c);
  }
  return Ok(200, {{"result", result}});
}

FakeResponse FakeServiceNow::Observe(const FakeRequest& request) {
  if (request.path_params.at("scope") != "x_elas2_sir_int") return NoResource();
  const std::string id = request.path_params.at("id");
  json body = json::parse(request.body, nullptr, false);
  std::lock_guard<std::mutex> lock(mu_);
  if (!options_.elastic_app_installed) return NoResource();
  bool found = false;
  for (const json& r : tables_[kSirTable]) found = found || r["sys_id"] == id;
  if (!found) {
    return SnError(404, "No Record found", "Security incident " + id);
  }
  if (body.is_discarded() || !body.is_array() || body.empty()) {
    return SnError(400, "Invalid observables",
                   "a non-empty JSON array is expected");
  }
  static const std::set<std::string> kTypes = {"ipv4-addr", "SHA256", "URL"};
  json result = json::array();
  for (const json& o : body) {
    if (!o.is_object() || !o.contains("value") || !o["value"].is_string() ||
        o["value"].get<std::string>().empty() || !o.contains("type") ||
        !o["type"].is_string() || !kTypes.count(o["type"].get<std::string>())) {
      return SnError(400, "Invalid observable", o.dump());
    }
    observables_[id].push_back(o);
    result.push_back(
        {{"value", o["value"]}, {"observable_sys_id", RandomHex(8)}});
  }
  return Ok(200, {{"result", result}});
}

std::vector<json> FakeServiceNow::Incidents(const std::string& table) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tables_.find(table);
  return it == tables_.end() ? std::vector<json>() : it->second;
}

std::optional<json> FakeServiceNow::Incident(const std::string& table,
                                             const std::string& sys_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tables_.find(table);
  if (it == tables_.end()) return std::nullopt;
  for (const json& r : it->second) {
    if (r["sys_id"] == sys_id) return r;
  }
  return std::nullopt;
}

std::vector<std::string> FakeServiceNow::WorkNotes(
    const std::string& sys_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = work_notes_.find(sys_id);
  return it == work_notes_.end() ? std::vector<std::string>() : it->second;
}

json FakeServiceNow::Observables(const std::string& sys_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = observables_.find(sys_id);
  return it == observables_.end() ? json::array() : it->second;
}

json FakeServiceNow::AddIncident(const std::string& table, json fields) {
  std::lock_guard<std::mutex> lock(mu_);
  return WriteLocked(table, "", fields);
}

int FakeServiceNow::tokens_issued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_issued_;
}

json FakeServiceNow::last_jwt_header() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_jwt_header_;
}

json FakeServiceNow::last_jwt_claims() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_jwt_claims_;
}

void FakeServiceNow::RevokeAllTokens() {
  std::lock_guard<std::mutex> lock(mu_);
  tokens_.clear();
}

void FakeServiceNow::set_elastic_app_installed(bool installed) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.elastic_app_installed = installed;
}

void FakeServiceNow::SetSleeping(bool sleeping) {
  std::lock_guard<std::mutex> lock(mu_);
  sleeping_ = sleeping;
}

void FakeServiceNow::InjectRateLimit(int count, int retry_after_seconds,
                                     const std::string& path_prefix) {
  json body = {{"error",
                {{"message", "Rate limit exceeded"},
                 {"detail", "Too many requests for this user"}}},
               {"status", "failure"}};
  http_.InjectFaults(count,
                     FakeResponse::Json(429, body.dump())
                         .WithRetryAfter(std::to_string(retry_after_seconds)),
                     path_prefix);
}

void FakeServiceNow::InjectError(int count, int status,
                                 const std::string& message,
                                 const std::string& path_prefix) {
  json body = {{"error", {{"message", message}, {"detail", nullptr}}},
               {"status", "failure"}};
  http_.InjectFaults(count, FakeResponse::Json(status, body.dump()),
                     path_prefix);
}

void FakeServiceNow::InjectHang(int count, const std::string& path_prefix) {
  http_.InjectFaults(count, FakeResponse::Hang(), path_prefix);
}

}  // namespace casebridge::testing

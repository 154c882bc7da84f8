// Pure helpers of the ServiceNow plugin: encodings, ServiceNow timestamps,
// observable splitting and the connector's config/secrets rules. No I/O and
// no host services; every function is stateless and thread-safe.
#ifndef CASEBRIDGE_PLUGINS_SERVICENOW_SERVICENOW_UTIL_H_
#define CASEBRIDGE_PLUGINS_SERVICENOW_SERVICENOW_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace casebridge::servicenow {

// Standard base64 with padding (RFC 4648 §4), for Basic auth.
std::string Base64Encode(std::string_view data);

// Percent-encodes everything but RFC 3986 unreserved characters (form and
// query values).
std::string UrlEncode(std::string_view value);

// Percent-encodes a ServiceNow encoded query (sysparm_query) or field list
// for a URL: like UrlEncode, but keeps ',' readable. '^' and '=' are encoded
// (%5E, %3D); ServiceNow decodes them before parsing the query.
std::string EncodeQueryValue(std::string_view value);

// "YYYY-MM-DD HH:MM:SS" (ServiceNow, UTC) -> "YYYY-MM-DDTHH:MM:SS.000Z";
// nullopt when `value` does not have that form.
std::optional<std::string> ServiceNowTimeToIso(std::string_view value);

// Unix milliseconds -> "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string UnixMsToIso(int64_t unix_ms);

// The apiUrl with exactly one trailing '/' removed.
std::string StripOneTrailingSlash(std::string url);

// Host name of an http(s) URL ("" when there is none).
std::string UrlHost(std::string_view url);

// Collects SIR observable values from a param that is null, a string or an
// array of strings: strings are split on spaces, commas, '|', CR, LF and
// tabs; empty values dropped. Order of first appearance is kept.
std::vector<std::string> SplitObservableValues(const nlohmann::json& value);

// Builds the bulk observables body [{value, type}] for the SIR fields
// dest_ip/source_ip (ipv4-addr), malware_hash (SHA256) and malware_url (URL)
// of `incident`, without duplicate (value, type) pairs.
nlohmann::json BuildObservables(const nlohmann::json& incident);

// One rule violation of a connector's config or secrets.
struct Violation {
  std::string field;  // e.g. "config.clientId", "secrets.password"
  std::string description;
};

// Checks config and secrets of a ServiceNow connector against every
// cross-field rule (Kibana's §2.3 rules plus "no empty strings"). Returns
// all violations; empty means valid.
std::vector<Violation> CheckConnectorConfig(const nlohmann::json& config,
                                            const nlohmann::json& secrets);

// The string at `key` of `object`, or "" when absent/null/not a string.
std::string GetString(const nlohmann::json& object, std::string_view key);

}  // namespace casebridge::servicenow

#endif  // CASEBRIDGE_PLUGINS_SERVICENOW_SERVICENOW_UTIL_H_

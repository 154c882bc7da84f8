// Pure rules of the connector API that do not depend on plugins or storage:
// which types the config enables, which connectors are deprecated, and the
// Kibana-compatible checks on names, ids and config values. Thread-safe.
#ifndef CASEBRIDGE_SERVER_CONNECTORS_CONNECTOR_RULES_H_
#define CASEBRIDGE_SERVER_CONNECTORS_CONNECTOR_RULES_H_

#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "server/util/status.h"

namespace casebridge::connectors {

// True when `enabled` (connectors.enabled_connector_types) lists "*" or
// `type_id` exactly.
bool IsTypeEnabledInConfig(const std::vector<std::string>& enabled,
                           std::string_view type_id);

// Kibana's rule, kept for its type ids since the plugin ABI has no
// deprecation flag: a ".servicenow" or ".servicenow-sir" connector is
// deprecated when it uses the legacy Table API, i.e. its config has
// "usesTableApi": true or lacks the key (or has no config object at all).
// Every other connector is not deprecated.
bool IsDeprecatedConnector(std::string_view connector_type_id,
                           const nlohmann::json& config);

// Kibana's validateEmptyStrings: every string value in `value` (recursively)
// must contain a non-space character. Violations are added under
// `field_prefix`.
void CheckNoEmptyStrings(const nlohmann::json& value,
                         std::string_view field_prefix,
                         ValidationErrors* errors);

// True for an id a connector may have: 1-255 characters, not "__proto__" or
// "constructor" (ids Kibana refuses), no control characters.
bool IsValidConnectorId(std::string_view id);

}  // namespace casebridge::connectors

#endif  // CASEBRIDGE_SERVER_CONNECTORS_CONNECTOR_RULES_H_

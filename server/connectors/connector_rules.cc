#include "server/connectors/connector_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace casebridge::connectors {

bool IsTypeEnabledInConfig(const std::vector<std::string>& enabled,
                           std::string_view type_id) {
  return std::any_of(enabled.begin(), enabled.end(), [&](const std::string& e) {
    return e == "*" || e == type_id;
  });
}

bool IsDeprecatedConnector(std::string_view connector_type_id,
                           const nlohmann::json& config) {
  if (connector_type_id != ".servicenow" &&
      connector_type_id != ".servicenow-sir") {
    return false;
  }
  if (!config.is_object()) return true;
  auto it = config.find("usesTableApi");
  if (it == config.end() || it->is_null()) return true;
  return !(it->is_boolean() && !it->get<bool>());
}

void CheckNoEmptyStrings(const nlohmann::json& value,
                         std::string_view field_prefix,
                         ValidationErrors* errors) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.find_first_not_of(" \t\r\n") == std::string::npos) {
      errors->Add(std::string(field_prefix),
                  "must not be empty or only whitespace");
    }
  } else if (value.is_object()) {
    const std::string prefix(field_prefix);
    for (const auto& [key, item] : value.items()) {
      CheckNoEmptyStrings(
          item,
          prefix.empty() ? key : absl::StrCat(prefix, ".", key),
          errors);
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      CheckNoEmptyStrings(value[i],
                          absl::StrCat(std::string(field_prefix), "[", i, "]"),
                          errors);
    }
  }
}

bool IsValidConnectorId(std::string_view id) {
  if (id.empty() || id.size() > 255) return false;
  if (id == "__proto__" || id == "constructor") return false;
  return std::none_of(id.begin(), id.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

}  // namespace casebridge::connectors

// JsonSchema: a compiled JSON Schema (draft 4/7 subset that valijson
// supports) used to check connector config, secrets and sub-action params
// before a plugin sees them.
//
// Immutable after Compile; Validate may be called from many threads at once.
#ifndef CASEBRIDGE_SERVER_CONNECTORS_JSON_SCHEMA_H_
#define CASEBRIDGE_SERVER_CONNECTORS_JSON_SCHEMA_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "server/util/status.h"

namespace valijson {
class Schema;
}

namespace casebridge::connectors {

class JsonSchema {
 public:
  // InvalidArgument when `schema` is not a schema valijson can compile. A
  // null or empty schema accepts everything.
  static absl::StatusOr<std::shared_ptr<const JsonSchema>> Compile(
      const nlohmann::json& schema);
  ~JsonSchema();

  // Adds one violation per failing value to `errors`, each named by its path
  // under `field_prefix` ("config.apiUrl", "secrets.password",
  // "sub_action_params.incident.tags[1]"). Descriptions come from the
  // validator and never include the value itself.
  void Validate(const nlohmann::json& value, std::string_view field_prefix,
                ValidationErrors* errors) const;

  // True when the schema lists required top-level properties.
  bool HasRequiredProperties() const { return has_required_; }

 private:
  JsonSchema() = default;

  std::unique_ptr<valijson::Schema> schema_;  // null = accept everything
  bool has_required_ = false;
};

}  // namespace casebridge::connectors

#endif  // CASEBRIDGE_SERVER_CONNECTORS_JSON_SCHEMA_H_

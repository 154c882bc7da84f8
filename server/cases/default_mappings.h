// Default case-field mappings per connector type (Kibana's defaults), shown
// in a configuration's `mappings`. A static table until plugin descriptors
// provide them. Thread-safe.
#ifndef CASEBRIDGE_SERVER_CASES_DEFAULT_MAPPINGS_H_
#define CASEBRIDGE_SERVER_CASES_DEFAULT_MAPPINGS_H_

#include <string>
#include <string_view>
#include <vector>

namespace casebridge::cases {

struct FieldMapping {
  std::string source;       // title | description | comments | tags
  std::string target;       // external field name
  std::string action_type;  // overwrite | append | nothing
};

// The mappings of connector type `type` (e.g. ".jira"); empty for ".none",
// ".cases-webhook" and unknown types.
std::vector<FieldMapping> DefaultMappings(std::string_view type);

}  // namespace casebridge::cases

#endif  // CASEBRIDGE_SERVER_CASES_DEFAULT_MAPPINGS_H_

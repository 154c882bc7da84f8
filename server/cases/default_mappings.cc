#include "server/cases/default_mappings.h"

namespace casebridge::cases {

std::vector<FieldMapping> DefaultMappings(std::string_view type) {
  if (type == ".servicenow" || type == ".servicenow-sir") {
    return {{"title", "short_description", "overwrite"},
            {"description", "description", "overwrite"},
            {"comments", "work_notes", "append"}};
  }
  if (type == ".jira") {
    return {{"title", "summary", "overwrite"},
            {"description", "description", "overwrite"},
            {"comments", "comments", "append"},
            {"tags", "labels", "overwrite"}};
  }
  if (type == ".resilient") {
    return {{"title", "name", "overwrite"},
            {"description", "description", "overwrite"},
            {"comments", "comments", "append"}};
  }
  if (type == ".swimlane") {
    return {{"title", "caseName", "overwrite"},
            {"description", "description", "overwrite"},
            {"comments", "comments", "append"}};
  }
  if (type == ".thehive") {
    return {{"title", "title", "overwrite"},
            {"description", "description", "overwrite"},
            {"comments", "comments", "append"},
            {"tags", "tags", "overwrite"}};
  }
  return {};
}

}  // namespace casebridge::cases

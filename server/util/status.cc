#include "server/util/status.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace casebridge {

absl::Status InvalidField(std::string field, std::string description) {
  ValidationErrors errors;
  errors.Add(std::move(field), std::move(description));
  return errors.ToStatus();
}

void ValidationErrors::Add(std::string field, std::string description) {
  violations_.push_back({std::move(field), std::move(description)});
}

absl::Status ValidationErrors::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  nlohmann::json payload = nlohmann::json::array();
  for (const auto& v : violations_) {
    parts.push_back(absl::StrCat(v.field, ": ", v.description));
    payload.push_back({{"field", v.field}, {"description", v.description}});
  }
  absl::Status status = absl::InvalidArgumentError(absl::StrJoin(parts, "; "));
  status.SetPayload(kFieldViolationsPayload, absl::Cord(payload.dump()));
  return status;
}

std::vector<FieldViolation> GetFieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kFieldViolationsPayload);
  if (!payload.has_value()) return out;
  auto parsed = nlohmann::json::parse(std::string(*payload), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return out;
  for (const auto& item : parsed) {
    out.push_back({item.value("field", ""), item.value("description", "")});
  }
  return out;
}

}  // namespace casebridge

// valijson aborts the process on a bad schema unless built to throw.
#define VALIJSON_USE_EXCEPTIONS 1

#include "server/connectors/json_schema.h"

#include <exception>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "valijson/adapters/nlohmann_json_adapter.hpp"
#include "valijson/schema.hpp"
#include "valijson/schema_parser.hpp"
#include "valijson/validation_results.hpp"
#include "valijson/validator.hpp"

namespace casebridge::connectors {
namespace {

// valijson context elements: "<root>", then "[name]" for properties and
// "[3]" for array items.
std::string FieldPath(std::string_view prefix,
                      const std::vector<std::string>& context) {
  std::string path(prefix);
  for (const std::string& element : context) {
    if (element == "<root>") continue;
    std::string inner = element;
    if (inner.size() >= 2 && inner.front() == '[' && inner.back() == ']') {
      inner = inner.substr(1, inner.size() - 2);
    }
    const bool index = !inner.empty() && inner.find_first_not_of(
                                             "0123456789") == std::string::npos;
    if (index) {
      absl::StrAppend(&path, "[", inner, "]");
    } else {
      absl::StrAppend(&path, path.empty() ? "" : ".", inner);
    }
  }
  return path;
}

// The property named in quotes at the end of a description such as
// "Missing required property 'password'.", or empty.
std::string TrailingQuotedName(const std::string& description) {
  const size_t end = description.rfind('\'');
  if (end == std::string::npos || end == 0) return "";
  const size_t begin = description.rfind('\'', end - 1);
  if (begin == std::string::npos) return "";
  return description.substr(begin + 1, end - begin - 1);
}

bool IsWrapperError(const std::string& description) {
  return absl::StartsWith(description,
                          "Failed to validate against schema associated") ||
         absl::StartsWith(description, "Failed to validate item #") ||
         absl::StartsWith(description, "Failed to validate against child");
}

// Keywords whose values are data, not subschemas: not searched.
bool IsDataKeyword(const std::string& key) {
  return key == "enum" || key == "const" || key == "default" ||
         key == "examples";
}

// A "$ref" must be local ("#" or "#/..." naming an existing node), and a
// chain of refs must reach a schema: valijson recurses without end on a ref
// that resolves to itself (found by the fuzzer: a root "$ref" naming the
// schema's own document) and plugin schemas are never fetched from afar.
absl::Status CheckRef(const nlohmann::json& root, const nlohmann::json& ref,
                      const std::string& path) {
  std::set<std::string> seen;
  const nlohmann::json* target = &ref;
  while (true) {
    if (!target->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("JSON Schema ", path, "/$ref must be a string"));
    }
    const std::string pointer = target->get<std::string>();
    if (pointer != "#" && !absl::StartsWith(pointer, "#/")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JSON Schema ", path,
          "/$ref must point into the same schema (\"#\" or \"#/...\")"));
    }
    if (!seen.insert(pointer).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JSON Schema ", path, "/$ref leads to a cycle of references"));
    }
    const nlohmann::json* node = nullptr;
    try {
      const nlohmann::json::json_pointer json_pointer(pointer.substr(1));
      if (root.contains(json_pointer)) node = &root.at(json_pointer);
    } catch (const std::exception&) {
      node = nullptr;
    }
    if (node == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JSON Schema ", path, "/$ref names nothing in the schema"));
    }
    if (!node->is_object() || !node->contains("$ref")) return absl::OkStatus();
    target = &(*node)["$ref"];
  }
}

// Rejects what valijson accepts but cannot evaluate safely: a multipleOf
// that is not greater than 0 (the spec requires > 0; valijson divides by
// it, and an integer 0 is a division by zero) and refs CheckRef refuses.
// `depth` bounds the walk.
absl::Status CheckKeywords(const nlohmann::json& root,
                           const nlohmann::json& node, const std::string& path,
                           int depth) {
  constexpr int kMaxSchemaDepth = 200;
  if (depth > kMaxSchemaDepth) {
    return absl::InvalidArgumentError(absl::StrCat(
        "JSON Schema nested deeper than ", kMaxSchemaDepth, " levels"));
  }
  if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      absl::Status s =
          CheckKeywords(root, node[i], absl::StrCat(path, "/", i), depth + 1);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (!node.is_object()) return absl::OkStatus();
  for (const auto& [key, value] : node.items()) {
    if (key == "multipleOf" && value.is_number() &&
        !(value.get<double>() > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JSON Schema keyword ", path, "/multipleOf must be greater than 0"));
    }
    if (key == "$ref") {
      if (absl::Status s = CheckRef(root, value, path); !s.ok()) return s;
      continue;
    }
    if (IsDataKeyword(key)) continue;
    absl::Status s = CheckKeywords(root, value, absl::StrCat(path, "/", key),
                                   depth + 1);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

JsonSchema::~JsonSchema() = default;

absl::StatusOr<std::shared_ptr<const JsonSchema>> JsonSchema::Compile(
    const nlohmann::json& schema) {
  std::shared_ptr<JsonSchema> out(new JsonSchema());
  if (schema.is_null() || (schema.is_object() && schema.empty())) return out;
  if (!schema.is_object()) {
    return absl::InvalidArgumentError("a JSON Schema must be an object");
  }
  if (absl::Status s = CheckKeywords(schema, schema, "#", 0); !s.ok()) {
    return s;
  }
  try {
    auto compiled = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, *compiled);
    out->schema_ = std::move(compiled);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON Schema cannot be compiled: ", e.what()));
  }
  auto required = schema.find("required");
  out->has_required_ =
      required != schema.end() && required->is_array() && !required->empty();
  return std::shared_ptr<const JsonSchema>(std::move(out));
}

void JsonSchema::Validate(const nlohmann::json& value,
                          std::string_view field_prefix,
                          ValidationErrors* errors) const {
  if (schema_ == nullptr) return;
  valijson::ValidationResults results;
  try {
    valijson::Validator validator;
    valijson::adapters::NlohmannJsonAdapter adapter(value);
    if (validator.validate(*schema_, adapter, &results)) return;
  } catch (const std::exception& e) {
    errors->Add(std::string(field_prefix),
                absl::StrCat("cannot be validated: ", e.what()));
    return;
  }
  std::vector<std::pair<std::string, std::string>> leaf, wrappers;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    std::string path = FieldPath(field_prefix, error.context);
    if (absl::StartsWith(error.description, "Missing required property") ||
        absl::StartsWith(error.description, "Object contains a property")) {
      std::string name = TrailingQuotedName(error.description);
      if (!name.empty()) absl::StrAppend(&path, path.empty() ? "" : ".", name);
    }
    (IsWrapperError(error.description) ? wrappers : leaf)
        .emplace_back(std::move(path), error.description);
  }
  if (leaf.empty()) leaf = std::move(wrappers);
  std::set<std::pair<std::string, std::string>> seen;
  for (auto& [path, description] : leaf) {
    if (!seen.insert({path, description}).second) continue;
    errors->Add(path, description);
  }
}

}  // namespace casebridge::connectors

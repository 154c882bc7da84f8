// Pure connector rules: JSON Schema validation errors and their field paths,
// the deprecation rule, enabled types, empty strings and connector ids.
#include "server/connectors/connector_rules.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/connectors/json_schema.h"
#include "server/util/status.h"

namespace casebridge::connectors {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Fields(const ValidationErrors& errors) {
  std::vector<std::string> out;
  for (const auto& v : GetFieldViolations(errors.ToStatus()))
    out.push_back(v.field);
  return out;
}

std::vector<std::string> Validate(const json& schema, const json& value,
                                  const std::string& prefix) {
  auto compiled = JsonSchema::Compile(schema);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  ValidationErrors errors;
  (*compiled)->Validate(value, prefix, &errors);
  return Fields(errors);
}

const json kConfigSchema = json::parse(R"({
  "type": "object",
  "properties": {
    "apiUrl": {"type": "string"},
    "retries": {"type": "integer", "minimum": 0},
    "tags": {"type": "array", "items": {"type": "string"}},
    "auth": {"type": "object", "properties": {"user": {"type": "string"}},
             "required": ["user"]}
  },
  "required": ["apiUrl"],
  "additionalProperties": false
})");

TEST(JsonSchemaTest, ValidValueHasNoViolations) {
  EXPECT_THAT(Validate(kConfigSchema,
                       json{{"apiUrl", "https://x"}, {"retries", 2}}, "config"),
              IsEmpty());
}

TEST(JsonSchemaTest, ViolationsNameTheFieldUnderThePrefix) {
  json value = {{"apiUrl", 5},
                {"retries", -1},
                {"tags", {"a", 3}},
                {"auth", json::object()},
                {"extra", true}};
  EXPECT_THAT(
      Validate(kConfigSchema, value, "config"),
      UnorderedElementsAre("config.apiUrl", "config.retries", "config.tags[1]",
                           "config.auth.user", "config.extra"));
}

TEST(JsonSchemaTest, MissingRequiredPropertyIsNamed) {
  json schema = {{"type", "object"},
                 {"properties", {{"password", {{"type", "string"}}}}},
                 {"required", {"password"}}};
  EXPECT_THAT(Validate(schema, json::object(), "secrets"),
              ElementsAre("secrets.password"));
  auto compiled = JsonSchema::Compile(schema);
  ASSERT_TRUE(compiled.ok());
  EXPECT_TRUE((*compiled)->HasRequiredProperties());
}

TEST(JsonSchemaTest, DescriptionsDoNotEchoTheValue) {
  auto compiled = JsonSchema::Compile(json{
      {"type", "object"}, {"properties", {{"token", {{"type", "integer"}}}}}});
  ASSERT_TRUE(compiled.ok());
  ValidationErrors errors;
  (*compiled)->Validate(json{{"token", "hunter2-secret"}}, "secrets", &errors);
  absl::Status status = errors.ToStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              ::testing::Not(::testing::HasSubstr("hunter2")));
}

// The fuzzer found it: valijson divides by an integer multipleOf, so a
// plugin schema with multipleOf 0 crashed the server on the first value.
TEST(JsonSchemaTest, MultipleOfMustBeGreaterThanZero) {
  for (const char* text :
       {R"({"type": "integer", "multipleOf": 0})",
        R"({"properties": {"n": {"anyOf": [{"multipleOf": -2}]}}})",
        R"({"properties": {"n": {"multipleOf": 0.0}}})"}) {
    auto compiled = JsonSchema::Compile(nlohmann::json::parse(text));
    ASSERT_FALSE(compiled.ok()) << text;
    EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(compiled.status().message().find("multipleOf"),
              std::string::npos);
  }
  // A positive multipleOf works; data keywords are not schemas.
  auto ok = JsonSchema::Compile(nlohmann::json::parse(
      R"({"multipleOf": 3, "default": {"multipleOf": 0},
          "properties": {"multipleOf": {"type": "number"}}})"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  ValidationErrors errors;
  (*ok)->Validate(nlohmann::json(7), "n", &errors);
  EXPECT_FALSE(errors.empty());
}

// Also from the fuzzer: valijson recursed without end on a root "$ref"
// naming the schema's own document. Refs must be local and reach a schema.
TEST(JsonSchemaTest, RefsMustBeLocalAndAcyclic) {
  for (const char* text :
       {R"({"$ref": "on-schema.org/draft-07/schema#"})",
        R"({"$ref": "#"})",
        R"({"definitions": {"a": {"$ref": "#/definitions/b"},
                            "b": {"$ref": "#/definitions/a"}},
            "properties": {"x": {"$ref": "#/definitions/a"}}})",
        R"({"properties": {"x": {"$ref": "#/definitions/missing"}}})",
        R"({"properties": {"x": {"$ref": 3}}})"}) {
    auto compiled = JsonSchema::Compile(nlohmann::json::parse(text));
    ASSERT_FALSE(compiled.ok()) << text;
    EXPECT_NE(compiled.status().message().find("$ref"), std::string::npos)
        << compiled.status();
  }
  // Recursion through a subschema (a tree) and shared definitions are fine.
  auto tree = JsonSchema::Compile(nlohmann::json::parse(
      R"({"definitions": {"name": {"type": "string"}},
          "properties": {"name": {"$ref": "#/definitions/name"},
                         "children": {"type": "array", "items": {"$ref": "#"}}}})"));
  ASSERT_TRUE(tree.ok()) << tree.status();
  ValidationErrors errors;
  (*tree)->Validate(
      nlohmann::json::parse(R"({"name": "a", "children": [{"name": 1}]})"), "c",
      &errors);
  EXPECT_FALSE(errors.empty());
}

TEST(JsonSchemaTest, EmptyOrNullSchemaAcceptsEverything) {
  EXPECT_THAT(Validate(json::object(), json{{"anything", 1}}, "config"),
              IsEmpty());
  EXPECT_THAT(Validate(nullptr, json{{"anything", 1}}, "config"), IsEmpty());
  auto compiled = JsonSchema::Compile(json::object());
  ASSERT_TRUE(compiled.ok());
  EXPECT_FALSE((*compiled)->HasRequiredProperties());
}

TEST(JsonSchemaTest, NonObjectSchemaIsRefused) {
  EXPECT_EQ(JsonSchema::Compile(json::array()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JsonSchema::Compile(json{{"type", 5}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ConnectorRulesTest, ServiceNowTableApiConnectorsAreDeprecated) {
  EXPECT_TRUE(IsDeprecatedConnector(".servicenow", json{{"apiUrl", "x"}}));
  EXPECT_TRUE(
      IsDeprecatedConnector(".servicenow", json{{"usesTableApi", true}}));
  EXPECT_TRUE(IsDeprecatedConnector(".servicenow-sir",
                                    json{{"usesTableApi", nullptr}}));
  EXPECT_TRUE(IsDeprecatedConnector(".servicenow", nullptr));
  EXPECT_FALSE(
      IsDeprecatedConnector(".servicenow", json{{"usesTableApi", false}}));
  EXPECT_FALSE(
      IsDeprecatedConnector(".servicenow-sir", json{{"usesTableApi", false}}));
  EXPECT_FALSE(IsDeprecatedConnector(".servicenow-itom", json::object()));
  EXPECT_FALSE(IsDeprecatedConnector(".jira", json{{"usesTableApi", true}}));
}

TEST(ConnectorRulesTest, EnabledTypes) {
  EXPECT_TRUE(IsTypeEnabledInConfig({"*"}, ".jira"));
  EXPECT_TRUE(IsTypeEnabledInConfig({".jira", ".servicenow"}, ".jira"));
  EXPECT_FALSE(IsTypeEnabledInConfig({".servicenow"}, ".jira"));
  EXPECT_FALSE(IsTypeEnabledInConfig({}, ".jira"));
}

TEST(ConnectorRulesTest, EmptyStringsAreNamed) {
  ValidationErrors errors;
  CheckNoEmptyStrings(
      json{{"a", "ok"}, {"b", "  "}, {"c", {{"d", ""}}}, {"e", {"x", "\t"}}},
      "config", &errors);
  EXPECT_THAT(Fields(errors),
              UnorderedElementsAre("config.b", "config.c.d", "config.e[1]"));
}

TEST(ConnectorRulesTest, ConnectorIds) {
  EXPECT_TRUE(IsValidConnectorId("my-connector"));
  EXPECT_FALSE(IsValidConnectorId(""));
  EXPECT_FALSE(IsValidConnectorId("__proto__"));
  EXPECT_FALSE(IsValidConnectorId("constructor"));
  EXPECT_FALSE(IsValidConnectorId("a\nb"));
  EXPECT_FALSE(IsValidConnectorId(std::string(256, 'x')));
}

}  // namespace
}  // namespace casebridge::connectors

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/cases/validation.h"
#include "server/util/status.h"

namespace casebridge::cases {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Fields(const ValidationErrors& errors) {
  std::vector<std::string> out;
  for (const auto& v : GetFieldViolations(errors.ToStatus())) {
    out.push_back(v.field);
  }
  return out;
}

NewCase ValidCase() {
  NewCase c;
  c.title = "Suspicious login";
  c.description = "Seen from an unusual country";
  c.owner = "securitySolution";
  return c;
}

TEST(CaseValidationTest, TrimsStoredStringsAndChecksMinOnTrimmed) {
  NewCase c = ValidCase();
  c.title = "  Phishing  ";
  c.tags = {" a ", "b"};
  c.category = " cat ";
  ValidationErrors errors;
  CheckNewCase(c, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(c.title, "Phishing");
  EXPECT_THAT(c.tags, ElementsAre("a", "b"));
  EXPECT_EQ(*c.category, "cat");

  NewCase blank = ValidCase();
  blank.title = "   ";
  blank.description = "";
  ValidationErrors blank_errors;
  CheckNewCase(blank, blank_errors);
  EXPECT_THAT(Fields(blank_errors), ElementsAre("title", "description"));
}

TEST(CaseValidationTest, MaxIsCheckedOnTheRawString) {
  NewCase c = ValidCase();
  c.title = std::string(159, 'x') + "  ";  // 161 raw, 159 trimmed
  ValidationErrors errors;
  CheckNewCase(c, errors);
  EXPECT_THAT(Fields(errors), ElementsAre("title"));

  NewCase ok = ValidCase();
  ok.title = std::string(160, 'x');
  ValidationErrors ok_errors;
  CheckNewCase(ok, ok_errors);
  EXPECT_TRUE(ok_errors.empty());
}

TEST(CaseValidationTest, CountsCharactersNotBytes) {
  NewCase c = ValidCase();
  std::string title;
  for (int i = 0; i < 160; ++i) title += "\xc3\xa9";  // é
  c.title = title;
  ValidationErrors errors;
  CheckNewCase(c, errors);
  EXPECT_TRUE(errors.empty());
}

TEST(CaseValidationTest, ReportsEveryViolationWithItsPath) {
  NewCase c = ValidCase();
  c.title = "";
  c.owner = "bad owner!";
  c.tags = {"ok", "", std::string(257, 't')};
  c.category = std::string(51, 'c');
  c.assignees = {"u1", ""};
  ValidationErrors errors;
  CheckNewCase(c, errors);
  EXPECT_THAT(Fields(errors),
              UnorderedElementsAre("title", "owner", "tags[1]", "tags[2]",
                                   "category", "assignees[1].uid"));
}

TEST(CaseValidationTest, TagCountLimit) {
  NewCase c = ValidCase();
  c.tags.assign(201, "t");
  ValidationErrors errors;
  CheckNewCase(c, errors);
  EXPECT_THAT(Fields(errors), ElementsAre("tags"));
}

TEST(CaseValidationTest, AssigneesAreDeduplicatedThenCounted) {
  NewCase c = ValidCase();
  for (int i = 0; i < 12; ++i) c.assignees.push_back(i % 2 ? "a" : "b");
  ValidationErrors errors;
  CheckNewCase(c, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_THAT(c.assignees, ElementsAre("b", "a"));

  NewCase many = ValidCase();
  for (int i = 0; i < 11; ++i)
    many.assignees.push_back("u" + std::to_string(i));
  ValidationErrors many_errors;
  CheckNewCase(many, many_errors);
  EXPECT_THAT(Fields(many_errors), ElementsAre("assignees"));
}

TEST(CaseValidationTest, OwnerRules) {
  for (const char* good : {"cases", "securitySolution", "a.b-c_d"}) {
    ValidationErrors errors;
    CheckOwner(good, "owner", errors);
    EXPECT_TRUE(errors.empty()) << good;
  }
  for (const std::string& bad : {std::string(), std::string("a b"),
                                 std::string(101, 'o'), std::string("é")}) {
    ValidationErrors errors;
    CheckOwner(bad, "owner", errors);
    EXPECT_THAT(Fields(errors), ElementsAre("owner")) << bad;
  }
}

TEST(CaseValidationTest, ConnectorShapes) {
  store::CaseConnector jira{
      "c1", "Jira", ".jira", {{"issueType", "10001"}, {"priority", nullptr}}};
  ValidationErrors errors;
  CheckConnector(jira, "connector", errors);
  EXPECT_TRUE(errors.empty());
  // Missing keys are filled with null.
  EXPECT_TRUE(jira.fields.contains("parent"));
  EXPECT_TRUE(jira.fields["parent"].is_null());

  store::CaseConnector wrong{
      "c1", "Jira", ".jira", {{"issueType", 3}, {"bogus", "x"}}};
  ValidationErrors wrong_errors;
  CheckConnector(wrong, "connector", wrong_errors);
  EXPECT_THAT(Fields(wrong_errors),
              UnorderedElementsAre("connector.fields.issueType",
                                   "connector.fields.bogus"));

  store::CaseConnector sir{
      "c2", "SIR", ".servicenow-sir", {{"destIp", true}, {"priority", "1"}}};
  ValidationErrors sir_errors;
  CheckConnector(sir, "connector", sir_errors);
  EXPECT_TRUE(sir_errors.empty());

  store::CaseConnector resilient{
      "c3", "R", ".resilient", {{"incidentTypes", {"a", 1}}}};
  ValidationErrors resilient_errors;
  CheckConnector(resilient, "c", resilient_errors);
  EXPECT_THAT(Fields(resilient_errors), ElementsAre("c.fields.incidentTypes"));
}

TEST(CaseValidationTest, NoneConnectorRules) {
  store::CaseConnector none;
  ValidationErrors errors;
  CheckConnector(none, "connector", errors);
  EXPECT_TRUE(errors.empty());

  store::CaseConnector bad_id{"x", "none", ".none", nullptr};
  ValidationErrors id_errors;
  CheckConnector(bad_id, "connector", id_errors);
  EXPECT_THAT(Fields(id_errors), ElementsAre("connector.id"));

  store::CaseConnector fields{"none", "none", ".none", {{"a", 1}}};
  ValidationErrors field_errors;
  CheckConnector(fields, "connector", field_errors);
  EXPECT_THAT(Fields(field_errors), ElementsAre("connector.fields"));

  store::CaseConnector unknown{"x", "x", ".email", nullptr};
  ValidationErrors type_errors;
  CheckConnector(unknown, "connector", type_errors);
  EXPECT_THAT(Fields(type_errors), ElementsAre("connector.type"));

  store::CaseConnector webhook{"w", "w", ".cases-webhook",
                               store::Json::object()};
  ValidationErrors webhook_errors;
  CheckConnector(webhook, "connector", webhook_errors);
  EXPECT_TRUE(webhook_errors.empty());
  EXPECT_TRUE(webhook.fields.is_null());
}

std::vector<store::CustomFieldDefinition> Definitions() {
  return {
      {"summary", "Summary", store::CustomFieldType::kText, true, {}},
      {"flag", "Flag", store::CustomFieldType::kToggle, true, true},
      {"score", "Score", store::CustomFieldType::kNumber, false, {}},
  };
}

TEST(CaseValidationTest, CustomFieldsAreCheckedAndFilled) {
  std::vector<store::CustomFieldValue> values = {
      {"summary", store::CustomFieldType::kText, std::string("s")}};
  ValidationErrors errors;
  ApplyCustomFieldDefinitions(values, Definitions(), "custom_fields", errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[1].key, "flag");
  EXPECT_EQ(std::get<bool>(values[1].value), true);  // default
  EXPECT_EQ(values[2].key, "score");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(values[2].value));
}

TEST(CaseValidationTest, CustomFieldViolations) {
  std::vector<store::CustomFieldValue> values = {
      {"nope", store::CustomFieldType::kText, std::string("x")},
      {"flag", store::CustomFieldType::kText, std::string("x")},
      {"score", store::CustomFieldType::kNumber, int64_t{3}},
      {"score", store::CustomFieldType::kNumber, int64_t{4}},
  };
  ValidationErrors errors;
  ApplyCustomFieldDefinitions(values, Definitions(), "custom_fields", errors);
  // summary is required without default and missing.
  EXPECT_THAT(
      Fields(errors),
      UnorderedElementsAre("custom_fields[0].key", "custom_fields[1].type",
                           "custom_fields[3].key", "custom_fields"));

  std::vector<store::CustomFieldValue> null_required = {
      {"summary", store::CustomFieldType::kText, std::monostate{}}};
  ValidationErrors null_errors;
  ApplyCustomFieldDefinitions(null_required, Definitions(), "cf", null_errors);
  EXPECT_THAT(Fields(null_errors), ElementsAre("cf[0].value"));
}

TEST(CaseValidationTest, CustomFieldValueShapes) {
  std::vector<store::CustomFieldValue> values = {
      {"a", store::CustomFieldType::kText, std::string(161, 'x')},
      {"b", store::CustomFieldType::kToggle, std::string("yes")},
      {"c", store::CustomFieldType::kNumber, int64_t{9007199254740992}},
      {"d", store::CustomFieldType::kNumber, int64_t{-9007199254740991}},
      {"e", store::CustomFieldType::kText, std::string(" t ")},
  };
  ValidationErrors errors;
  CheckCustomFieldValues(values, "custom_fields", errors);
  EXPECT_THAT(Fields(errors),
              ElementsAre("custom_fields[0].value", "custom_fields[1].value",
                          "custom_fields[2].value"));
  EXPECT_EQ(std::get<std::string>(values[4].value), "t");
}

TEST(CaseValidationTest, DefinitionRules) {
  std::vector<store::CustomFieldDefinition> defs = {
      {"Bad Key", "L", store::CustomFieldType::kText, false, {}},
      {"ok", "", store::CustomFieldType::kText, false, {}},
      {"ok", "dup", store::CustomFieldType::kText, false, {}},
      {"t", "toggle", store::CustomFieldType::kToggle, false, std::string("x")},
      {std::string(37, 'k'), "long", store::CustomFieldType::kText, false, {}},
  };
  ValidationErrors errors;
  CheckCustomFieldDefinitions(defs, nullptr, "custom_fields", errors);
  EXPECT_THAT(Fields(errors),
              UnorderedElementsAre(
                  "custom_fields[0].key", "custom_fields[1].label",
                  "custom_fields[2].key", "custom_fields[3].default_value",
                  "custom_fields[4].key"));

  std::vector<store::CustomFieldDefinition> existing = Definitions();
  std::vector<store::CustomFieldDefinition> changed = {
      {"flag", "Flag", store::CustomFieldType::kText, false, {}}};
  ValidationErrors type_errors;
  CheckCustomFieldDefinitions(changed, &existing, "custom_fields", type_errors);
  EXPECT_THAT(Fields(type_errors), ElementsAre("custom_fields[0].type"));
}

TEST(CaseValidationTest, TemplateRules) {
  Template good;
  good.key = "phishing";
  good.name = "Phishing";
  good.tags = {"t"};
  TemplateCaseFields f;
  f.title = " T ";
  f.custom_fields = {{"score", store::CustomFieldType::kNumber, int64_t{1}}};
  good.case_fields = f;
  Template bad = good;
  bad.name = "";
  bad.case_fields->custom_fields = {
      {"flag", store::CustomFieldType::kNumber, int64_t{1}},
      {"ghost", store::CustomFieldType::kText, std::monostate{}}};
  bad.tags.assign(11, "t");
  std::vector<Template> templates = {good, bad};
  ValidationErrors errors;
  CheckTemplates(templates, Definitions(), "templates", errors);
  EXPECT_THAT(Fields(errors),
              UnorderedElementsAre(
                  "templates[1].key", "templates[1].name", "templates[1].tags",
                  "templates[1].case_fields.custom_fields[0].type",
                  "templates[1].case_fields.custom_fields[1].key"));
  EXPECT_EQ(*templates[0].case_fields->title, "T");
}

TEST(CaseValidationTest, AttachmentRules) {
  AttachmentInput empty_comment{store::AttachmentType::kUser,
                                {{"comment", "  "}}};
  ValidationErrors errors;
  CheckAttachment(empty_comment, "attachment", errors);
  EXPECT_THAT(Fields(errors), ElementsAre("attachment.user.comment"));

  AttachmentInput alerts{store::AttachmentType::kAlert,
                         {{"alertId", {"a", "b"}}, {"index", {"i"}}}};
  ValidationErrors alert_errors;
  CheckAttachment(alerts, "attachment", alert_errors);
  EXPECT_THAT(Fields(alert_errors), ElementsAre("attachment.alert.indices"));

  AttachmentInput ref{
      store::AttachmentType::kExternalReference,
      {{"externalReferenceAttachmentTypeId", ".files"},
       {"externalReferenceId", "f1"},
       {"externalReferenceStorage", {{"type", "savedObject"}}}}};
  ValidationErrors ref_errors;
  CheckAttachment(ref, "attachment", ref_errors);
  EXPECT_THAT(Fields(ref_errors),
              ElementsAre("attachment.external_reference.storage.so_type"));

  AttachmentInput actions{
      store::AttachmentType::kActions,
      {{"comment", "isolated"},
       {"actions",
        {{"targets", {{{"hostname", "h"}, {"endpointId", "e"}}}},
         {"type", "isolate"}}}}};
  ValidationErrors action_errors;
  CheckAttachment(actions, "attachment", action_errors);
  EXPECT_TRUE(action_errors.empty());
}

TEST(CaseValidationTest, Paging) {
  int page = 0, per_page = 0;
  ValidationErrors errors;
  CheckPaging(page, per_page, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(page, 1);
  EXPECT_EQ(per_page, 20);

  page = 101;
  per_page = 100;
  ValidationErrors too_deep;
  CheckPaging(page, per_page, too_deep);
  EXPECT_THAT(Fields(too_deep), ElementsAre("page"));

  page = 1;
  per_page = 101;
  ValidationErrors too_big;
  CheckPaging(page, per_page, too_big);
  EXPECT_THAT(Fields(too_big), ElementsAre("per_page"));

  page = -1;
  per_page = 10;
  ValidationErrors negative;
  CheckPaging(page, per_page, negative);
  EXPECT_THAT(Fields(negative), ElementsAre("page"));
}

}  // namespace
}  // namespace casebridge::cases

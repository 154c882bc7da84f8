#include "server/cases/case_diff.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace casebridge::cases {
namespace {

using store::Json;

store::Case BaseCase() {
  store::Case c;
  c.id = "case-1";
  c.owner = "cases";
  c.title = "Title";
  c.description = "Desc";
  c.tags = {"a", "b"};
  c.assignees = {"u1", "u2"};
  return c;
}

const store::User kUser{"alice", "Alice", "a@example.com", "uid-a"};
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

std::vector<std::string> TypesAndActions(
    const std::vector<store::UserAction>& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions) out.push_back(a.type + "/" + a.action);
  return out;
}

TEST(CaseDiffTest, NoChangeNoActions) {
  store::Case a = BaseCase();
  store::Case b = a;
  b.version = 7;  // bookkeeping
  b.updated_at = kNow;
  b.closed_at = kNow;
  b.duration_seconds = 3;
  EXPECT_TRUE(DiffCase(a, b, kUser, kNow).empty());
  EXPECT_FALSE(CaseFieldsDiffer(a, b));
}

TEST(CaseDiffTest, OneActionPerChangedFieldWithKibanaPayloads) {
  store::Case a = BaseCase();
  store::Case b = a;
  b.title = "New";
  b.status = store::CaseStatus::kInProgress;
  b.severity = store::CaseSeverity::kCritical;
  b.sync_alerts = false;
  b.category = "malware";
  b.connector = {
      "j1",
      "Jira",
      ".jira",
      {{"issueType", "1"}, {"priority", nullptr}, {"parent", nullptr}}};
  auto actions = DiffCase(a, b, kUser, kNow);
  EXPECT_THAT(TypesAndActions(actions),
              ::testing::ElementsAre("title/update", "status/update",
                                     "severity/update", "connector/update",
                                     "settings/update", "category/update"));
  EXPECT_EQ(actions[0].payload, (Json{{"title", "New"}}));
  EXPECT_EQ(actions[1].payload, (Json{{"status", "in-progress"}}));
  EXPECT_EQ(actions[2].payload, (Json{{"severity", "critical"}}));
  EXPECT_EQ(actions[3].payload["connector"]["type"], ".jira");
  EXPECT_EQ(actions[3].payload["connector"]["fields"]["issueType"], "1");
  EXPECT_EQ(actions[4].payload, (Json{{"settings", {{"syncAlerts", false}}}}));
  EXPECT_EQ(actions[5].payload, (Json{{"category", "malware"}}));
  for (const auto& action : actions) {
    EXPECT_EQ(action.case_id, "case-1");
    EXPECT_EQ(action.owner, "cases");
    EXPECT_EQ(action.created_by, kUser);
    EXPECT_EQ(action.created_at, kNow);
    EXPECT_FALSE(action.comment_id.has_value());
    EXPECT_FALSE(action.id.empty());
  }
  EXPECT_NE(actions[0].id, actions[1].id);
}

TEST(CaseDiffTest, TagsAndAssigneesSplitIntoAddAndDelete) {
  store::Case a = BaseCase();
  store::Case b = a;
  b.tags = {"b", "c", "d"};
  b.assignees = {"u2", "u3"};
  auto actions = DiffCase(a, b, kUser, kNow);
  ASSERT_THAT(TypesAndActions(actions),
              ::testing::ElementsAre("tags/add", "tags/delete", "assignees/add",
                                     "assignees/delete"));
  EXPECT_EQ(actions[0].payload, (Json{{"tags", {"c", "d"}}}));
  EXPECT_EQ(actions[1].payload, (Json{{"tags", {"a"}}}));
  EXPECT_EQ(actions[2].payload, (Json{{"assignees", {{{"uid", "u3"}}}}}));
  EXPECT_EQ(actions[3].payload, (Json{{"assignees", {{{"uid", "u1"}}}}}));
}

TEST(CaseDiffTest, OnlyAdditionsGiveOnlyAnAddAction) {
  store::Case a = BaseCase();
  store::Case b = a;
  b.tags.push_back("z");
  auto actions = DiffCase(a, b, kUser, kNow);
  EXPECT_THAT(TypesAndActions(actions), ::testing::ElementsAre("tags/add"));
}

TEST(CaseDiffTest, CategoryClearedIsNull) {
  store::Case a = BaseCase();
  a.category = "x";
  store::Case b = a;
  b.category.reset();
  auto actions = DiffCase(a, b, kUser, kNow);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_TRUE(actions[0].payload["category"].is_null());
}

TEST(CaseDiffTest, CustomFieldsCarryOnlyChangedFields) {
  store::Case a = BaseCase();
  a.custom_fields = {{"f1", store::CustomFieldType::kText, std::string("x")},
                     {"f2", store::CustomFieldType::kToggle, false}};
  store::Case b = a;
  b.custom_fields[1].value = true;
  auto actions = DiffCase(a, b, kUser, kNow);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].type, "customFields");
  EXPECT_EQ(actions[0].payload,
            (Json{{"customFields",
                   {{{"key", "f2"}, {"type", "toggle"}, {"value", true}}}}}));
}

TEST(CaseDiffTest, CreateCaseSnapshot) {
  store::Case c = BaseCase();
  c.custom_fields = {{"n", store::CustomFieldType::kNumber, int64_t{5}}};
  auto action = CreateCaseAction(c, kUser, kNow);
  EXPECT_EQ(action.type, "create_case");
  EXPECT_EQ(action.action, "create");
  EXPECT_EQ(action.payload["title"], "Title");
  EXPECT_EQ(action.payload["status"], "open");
  EXPECT_EQ(action.payload["severity"], "low");
  EXPECT_EQ(action.payload["owner"], "cases");
  EXPECT_EQ(action.payload["tags"], (Json{"a", "b"}));
  EXPECT_EQ(action.payload["assignees"],
            (Json{{{"uid", "u1"}}, {{"uid", "u2"}}}));
  EXPECT_EQ(action.payload["settings"], (Json{{"syncAlerts", true}}));
  EXPECT_EQ(action.payload["connector"], (Json{{"id", "none"},
                                               {"name", "none"},
                                               {"type", ".none"},
                                               {"fields", nullptr}}));
  EXPECT_TRUE(action.payload["category"].is_null());
  EXPECT_EQ(action.payload["customFields"][0]["value"], 5);
}

TEST(CaseDiffTest, CommentActionPayload) {
  store::Attachment a;
  a.id = "att-1";
  a.case_id = "case-1";
  a.owner = "cases";
  a.type = store::AttachmentType::kAlert;
  a.content = {{"alertId", {"x"}},
               {"index", {"i"}},
               {"rule", {{"id", nullptr}, {"name", nullptr}}}};
  auto action = CommentAction("create", a, kUser, kNow);
  EXPECT_EQ(action.type, "comment");
  EXPECT_EQ(action.action, "create");
  EXPECT_EQ(action.comment_id, "att-1");
  EXPECT_EQ(action.payload["comment"]["type"], "alert");
  EXPECT_EQ(action.payload["comment"]["owner"], "cases");
  EXPECT_EQ(action.payload["comment"]["alertId"], (Json{"x"}));
}

}  // namespace
}  // namespace casebridge::cases

// The push builder (mappings, footers, comments since the last push to the
// connector, alerts summary, type fields) and the retry backoff.
#include "server/cases/push_builder.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/jobs/backoff.h"

namespace casebridge::cases {
namespace {

using store::Json;

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);

store::Case MakeCase() {
  store::Case c;
  c.id = "case-1";
  c.title = "Phishing";
  c.description = "Mail to many";
  c.tags = {"phishing mail", "t2"};
  c.created_at = kT0;
  c.created_by = store::User{"alice", "Alice A", "", ""};
  c.total_alerts = 2;
  return c;
}

store::Attachment Comment(const std::string& id, const std::string& text,
                          int64_t at_s) {
  store::Attachment a;
  a.id = id;
  a.case_id = "case-1";
  a.type = store::AttachmentType::kUser;
  a.content = Json{{"comment", text}};
  a.created_at = kT0 + absl::Seconds(at_s);
  a.created_by = store::User{"bob", "", "", ""};
  return a;
}

store::Attachment Alert(const std::string& id, int64_t at_s) {
  store::Attachment a = Comment(id, "", at_s);
  a.type = store::AttachmentType::kAlert;
  a.content = Json{{"alertId", {"a1"}}, {"index", {"i"}}};
  return a;
}

TEST(PushBuilderTest, JiraCreateMapsFieldsFootersCommentsAndAlerts) {
  store::Case c = MakeCase();
  c.connector.type = ".jira";
  c.connector.fields =
      Json{{"issueType", "10001"}, {"priority", nullptr}, {"parent", "CK-9"}};
  std::vector<store::Attachment> atts = {Comment("k1", "hello", 1),
                                         Alert("al1", 2)};
  PushBuildInput in;
  in.c = &c;
  in.attachments = &atts;
  in.connector_type = ".jira";
  BuiltPush out = BuildPushParams(in);
  const Json& inc = out.params["incident"];
  EXPECT_EQ(inc["summary"], "Phishing");
  EXPECT_EQ(inc["description"], "Mail to many\n\nAdded by Alice A.");
  EXPECT_EQ(inc["labels"], (Json{"phishing-mail", "t2"}));
  EXPECT_TRUE(inc["externalId"].is_null());
  EXPECT_EQ(inc["caseId"], "case-1");
  EXPECT_EQ(inc["issueType"], "10001");
  EXPECT_EQ(inc["parent"], "CK-9");
  EXPECT_FALSE(inc.contains("priority"));  // null fields are not sent
  const Json& comments = out.params["comments"];
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_EQ(comments[0]["comment"], "hello\n\nAdded by bob.");
  EXPECT_EQ(comments[0]["commentId"], "k1");
  EXPECT_EQ(comments[1]["comment"], "Elastic Alerts attached to the case: 2");
  EXPECT_EQ(comments[1]["commentId"], "case-1-total-alerts");
  EXPECT_EQ(out.covered.size(), 2u);
  EXPECT_EQ(out.comment_ids_sent, (std::vector<std::string>{"k1"}));
}

TEST(PushBuilderTest, UpdateSendsOnlyNewAndEditedComments) {
  store::Case c = MakeCase();
  c.updated_at = kT0 + absl::Seconds(50);
  c.updated_by = store::User{"carol", "", "", ""};
  store::Attachment old = Comment("k1", "old", 1);
  store::Attachment edited = Comment("k2", "edited", 2);
  edited.updated_at = kT0 + absl::Seconds(40);
  store::Attachment fresh = Comment("k3", "new", 30);
  store::Attachment alert = Alert("al1", 3);
  std::vector<store::Attachment> atts = {old, edited, fresh, alert};
  store::PushRecord record;
  record.pushed_attachments = {{"k1", AttachmentStamp(old)},
                               {"k2", absl::ToUnixMicros(edited.created_at)},
                               {"al1", AttachmentStamp(alert)}};
  PushBuildInput in;
  in.c = &c;
  in.attachments = &atts;
  in.record = &record;
  in.connector_type = ".servicenow";
  in.external_id = "sys-1";
  BuiltPush out = BuildPushParams(in);
  const Json& inc = out.params["incident"];
  EXPECT_EQ(inc["externalId"], "sys-1");
  EXPECT_EQ(inc["short_description"], "Phishing");
  EXPECT_EQ(inc["correlation_id"], "case-1");
  EXPECT_EQ(inc["correlation_display"], "Elastic Case");
  EXPECT_TRUE(
      absl::StrContains(inc["description"].get<std::string>(),
                        "(updated at 2027-01-15T08:00:50.000Z by carol)"))
      << inc["description"];
  const Json& comments = out.params["comments"];
  ASSERT_EQ(comments.size(), 2u);  // no alerts summary: nothing new
  EXPECT_EQ(comments[0]["commentId"], "k2");
  EXPECT_TRUE(absl::StrContains(comments[0]["comment"].get<std::string>(),
                                "(updated at"));
  EXPECT_EQ(comments[1]["commentId"], "k3");
}

TEST(PushBuilderTest, NothingNewSendsNullComments) {
  store::Case c = MakeCase();
  std::vector<store::Attachment> atts = {Comment("k1", "x", 1)};
  store::PushRecord record;
  record.pushed_attachments = {{"k1", AttachmentStamp(atts[0])}};
  PushBuildInput in;
  in.c = &c;
  in.attachments = &atts;
  in.record = &record;
  in.connector_type = ".resilient";
  in.external_id = "7";
  BuiltPush out = BuildPushParams(in);
  EXPECT_TRUE(out.params["comments"].is_null());
  EXPECT_EQ(out.params["incident"]["name"], "Phishing");
  EXPECT_EQ(out.params["incident"]["caseId"], "case-1");
}

TEST(PushBuilderTest, AppendMappingConcatenatesTheCurrentValue) {
  store::Case c = MakeCase();
  std::vector<store::Attachment> atts;
  PushBuildInput in;
  in.c = &c;
  in.attachments = &atts;
  in.connector_type = ".jira";
  in.external_id = "10000";
  in.mappings = {{"title", "summary", "append"},
                 {"description", "description", "nothing"},
                 {"comments", "comments", "nothing"}};
  in.current_incident = Json{{"summary", "Old title"}};
  EXPECT_TRUE(NeedsCurrentIncident(in.mappings));
  BuiltPush out = BuildPushParams(in);
  EXPECT_EQ(out.params["incident"]["summary"], "Old title\r\nPhishing");
  EXPECT_FALSE(out.params["incident"].contains("description"));
  EXPECT_FALSE(NeedsCurrentIncident(DefaultMappings(".jira")));
}

TEST(PushBuilderTest, LookupPerType) {
  store::Case c = MakeCase();
  EXPECT_EQ(LookupSubAction(".servicenow"), "findIncidentByCorrelationId");
  EXPECT_EQ(LookupParams(".servicenow", c),
            (Json{{"correlation_id", "case-1"}}));
  EXPECT_EQ(LookupSubAction(".jira"), "findByCaseId");
  EXPECT_EQ(LookupSubAction(".cases-webhook"), "");
  c.connector.type = ".swimlane";
  c.connector.fields = Json{{"caseId", "SW-77"}};
  EXPECT_EQ(LookupParams(".swimlane", c), (Json{{"caseId", "SW-77"}}));
}

TEST(BackoffTest, DoublesUpToTheCapWithJitterInTheUpperHalf) {
  jobs::BackoffPolicy p{absl::Seconds(1), absl::Seconds(10)};
  EXPECT_EQ(jobs::BackoffDelay(p, 1, 0.0), absl::Milliseconds(500));
  EXPECT_EQ(jobs::BackoffDelay(p, 1, 0.5), absl::Milliseconds(750));
  EXPECT_EQ(jobs::BackoffDelay(p, 2, 0.0), absl::Seconds(1));
  EXPECT_EQ(jobs::BackoffDelay(p, 3, 0.0), absl::Seconds(2));
  EXPECT_EQ(jobs::BackoffDelay(p, 5, 0.0), absl::Seconds(5));  // capped 10
  EXPECT_EQ(jobs::BackoffDelay(p, 60, 0.999), absl::Seconds(10) * 0.9995);
  EXPECT_LT(jobs::BackoffDelay(p, 60, 0.999), absl::Seconds(10));
}

TEST(BackoffTest, RetryAfterWinsWhenLongerAndIsClamped) {
  jobs::BackoffPolicy p{absl::Milliseconds(100), absl::Seconds(1)};
  EXPECT_EQ(jobs::RetryDelay(p, 1, absl::Seconds(3), 0.0), absl::Seconds(3));
  EXPECT_EQ(jobs::RetryDelay(p, 1, absl::Milliseconds(10), 0.0),
            absl::Milliseconds(50));
  EXPECT_EQ(jobs::RetryDelay(p, 1, std::nullopt, 0.0), absl::Milliseconds(50));
  EXPECT_EQ(jobs::RetryDelay(p, 1, absl::Hours(9), 0.0), jobs::kMaxRetryAfter);
}

}  // namespace
}  // namespace casebridge::cases

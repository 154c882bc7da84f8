// CaseService over real gRPC: CreateCase, GetCase, UpdateCases, DeleteCases,
// every case-level limit (with the BadRequest field named), optimistic
// concurrency, all-or-nothing bulk updates, cascade delete, status side
// effects, and the RPCs that must still answer UNIMPLEMENTED.
#include <string>
#include <vector>

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/integration/test_util.h"

namespace casebridge::testing {
namespace {

using google::protobuf::util::TimeUtil;

class CaseServiceTest : public CaseApiTest {};

// ---------------------------------------------------------------- CreateCase

TEST_F(CaseServiceTest, CreateReturnsCaseWithDefaults) {
  v1::Case c = CreateTitled("Suspicious login", {"login", "vpn"});
  EXPECT_FALSE(c.id().empty());
  EXPECT_FALSE(c.version().empty());
  EXPECT_EQ(c.title(), "Suspicious login");
  EXPECT_EQ(c.description(), "Description of Suspicious login");
  EXPECT_EQ(std::vector<std::string>(c.tags().begin(), c.tags().end()),
            (std::vector<std::string>{"login", "vpn"}));
  EXPECT_EQ(c.status(), v1::CASE_STATUS_OPEN);
  EXPECT_EQ(c.severity(), v1::CASE_SEVERITY_LOW)
      << "UNSPECIFIED severity defaults to LOW";
  EXPECT_EQ(c.owner(), owner_);
  EXPECT_FALSE(c.has_category());
  EXPECT_EQ(c.connector().id(), "none");
  EXPECT_EQ(c.connector().type(), ".none");
  EXPECT_FALSE(c.has_duration_seconds());
  EXPECT_FALSE(c.has_closed_at());
  EXPECT_FALSE(c.has_updated_at())
      << "updated_at stays null until the first update";
  EXPECT_FALSE(c.has_external_service());
  EXPECT_TRUE(c.has_created_at());
  EXPECT_EQ(c.total_comment(), 0);
  EXPECT_EQ(c.total_alerts(), 0);
  EXPECT_TRUE(c.comments().empty());
  const int64_t age_s =
      TimeUtil::DurationToSeconds(TimeUtil::GetCurrentTime() - c.created_at());
  EXPECT_LE(std::abs(age_s), 60)
      << "created_at is now: " << c.created_at().DebugString();
}

TEST_F(CaseServiceTest, ActingUserComesFromConfiguredDefaultPrincipal) {
  v1::Case c = CreateTitled("Principal");
  EXPECT_EQ(c.created_by().username(), kTestUsername);
  EXPECT_EQ(c.created_by().full_name(), kTestFullName);
  EXPECT_EQ(c.created_by().email(), "itest@example.com");
  v1::CasePatch p = PatchOf(c);
  p.set_title("Principal 2");
  v1::Case u = Update(p);
  EXPECT_EQ(u.updated_by().username(), kTestUsername);
}

TEST_F(CaseServiceTest, CreateStoresEveryField) {
  v1::CreateCaseRequest r = NewCase("All fields", {"a"});
  r.set_severity(v1::CASE_SEVERITY_CRITICAL);
  r.add_assignees()->set_uid("u_1");
  r.add_assignees()->set_uid("u_2");
  r.set_category("Malware");
  r.mutable_settings()->set_sync_alerts(true);
  auto* conn = r.mutable_connector();
  conn->set_id("jira-1");
  conn->set_name("My Jira");
  conn->set_type(".jira");
  auto* fields = conn->mutable_fields()->mutable_fields();
  (*fields)["issueType"].set_string_value("10001");
  (*fields)["priority"].set_string_value("High");
  (*fields)["parent"].set_null_value(google::protobuf::NULL_VALUE);
  v1::Case c = Create(r);
  v1::Case g = Get(c.id());
  for (const v1::Case* x : {&c, &g}) {
    EXPECT_EQ(x->severity(), v1::CASE_SEVERITY_CRITICAL);
    ASSERT_EQ(x->assignees_size(), 2);
    EXPECT_EQ(x->assignees(0).uid(), "u_1");
    EXPECT_EQ(x->assignees(1).uid(), "u_2");
    EXPECT_EQ(x->category(), "Malware");
    EXPECT_TRUE(x->settings().sync_alerts());
    EXPECT_EQ(x->connector().id(), "jira-1");
    EXPECT_EQ(x->connector().name(), "My Jira");
    EXPECT_EQ(x->connector().type(), ".jira");
    EXPECT_EQ(StringAt(x->connector().fields(), "issueType"), "10001");
    EXPECT_EQ(StringAt(x->connector().fields(), "priority"), "High");
    EXPECT_EQ(StringAt(x->connector().fields(), "parent"), "<null>");
  }
  EXPECT_EQ(c.version(), g.version());
}

TEST_F(CaseServiceTest, CreateTrimsStrings) {
  v1::CreateCaseRequest r = NewCase("  Padded title \t");
  r.set_description("\n  padded description  ");
  r.add_tags("  spaced tag ");
  r.set_category("  cat  ");
  v1::Case c = Create(r);
  EXPECT_EQ(c.title(), "Padded title");
  EXPECT_EQ(c.description(), "padded description");
  ASSERT_EQ(c.tags_size(), 1);
  EXPECT_EQ(c.tags(0), "spaced tag");
  EXPECT_EQ(c.category(), "cat");
}

TEST_F(CaseServiceTest, CreateDeduplicatesAssigneesByUid) {
  v1::CreateCaseRequest r = NewCase();
  r.add_assignees()->set_uid("u_1");
  r.add_assignees()->set_uid("u_2");
  r.add_assignees()->set_uid("u_1");
  v1::Case c = Create(r);
  ASSERT_EQ(c.assignees_size(), 2);
  EXPECT_EQ(c.assignees(0).uid(), "u_1");
  EXPECT_EQ(c.assignees(1).uid(), "u_2");
}

TEST_F(CaseServiceTest, TitleLimits) {
  EXPECT_TRUE(TryCreate(NewCase(std::string(160, 't'))).ok());
  EXPECT_TRUE(
      IsInvalidField(TryCreate(NewCase(std::string(161, 't'))), "title"));
  EXPECT_TRUE(IsInvalidField(TryCreate(NewCase("")), "title"));
  EXPECT_TRUE(IsInvalidField(TryCreate(NewCase("   ")), "title"))
      << "min length is on the trim";
  // Max is on the raw string: 158 chars + 3 spaces = 161 raw.
  EXPECT_TRUE(IsInvalidField(TryCreate(NewCase(std::string(158, 't') + "   ")),
                             "title"));
}

TEST_F(CaseServiceTest, DescriptionLimits) {
  v1::CreateCaseRequest r = NewCase();
  r.set_description(std::string(30000, 'd'));
  EXPECT_TRUE(TryCreate(r).ok());
  r.set_description(std::string(30001, 'd'));
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "description"));
  r.set_description("");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "description"));
  r.set_description(" \n ");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "description"));
}

TEST_F(CaseServiceTest, TagCountLimit) {
  v1::CreateCaseRequest r = NewCase();
  for (int i = 0; i < 200; ++i) r.add_tags("tag" + std::to_string(i));
  v1::Case c;
  ASSERT_TRUE(TryCreate(r, &c).ok());
  EXPECT_EQ(c.tags_size(), 200);
  r.add_tags("one-too-many");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "tags"));
}

TEST_F(CaseServiceTest, TagLengthLimits) {
  v1::CreateCaseRequest r = NewCase();
  r.add_tags("ok");
  r.add_tags(std::string(256, 'x'));
  EXPECT_TRUE(TryCreate(r).ok());
  r.set_tags(1, std::string(257, 'x'));
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "tags[1]"));
  r.set_tags(1, "");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "tags[1]"));
  r.set_tags(1, "   ");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "tags[1]"));
}

TEST_F(CaseServiceTest, CategoryLimits) {
  v1::CreateCaseRequest r = NewCase();
  r.set_category(std::string(50, 'c'));
  EXPECT_TRUE(TryCreate(r).ok());
  r.set_category(std::string(51, 'c'));
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "category"));
  r.set_category("");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "category"));
  r.set_category("  ");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "category"));
}

TEST_F(CaseServiceTest, AssigneeLimits) {
  v1::CreateCaseRequest r = NewCase();
  for (int i = 0; i < 10; ++i)
    r.add_assignees()->set_uid("u" + std::to_string(i));
  EXPECT_TRUE(TryCreate(r).ok());
  r.add_assignees()->set_uid("u10");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "assignees"));
  v1::CreateCaseRequest blank = NewCase();
  blank.add_assignees()->set_uid("");
  EXPECT_TRUE(IsInvalidField(TryCreate(blank), "assignees[0]"));
}

TEST_F(CaseServiceTest, CustomFieldCountLimit) {
  v1::CreateCaseRequest r = NewCase();
  for (int i = 0; i < 11; ++i) {
    auto* f = r.add_custom_fields();
    f->set_key("k" + std::to_string(i));
    f->set_type(v1::CUSTOM_FIELD_TYPE_TOGGLE);
    f->set_toggle_value(true);
  }
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "custom_fields"));
}

TEST_F(CaseServiceTest, OwnerIsRequiredAndValidated) {
  v1::CreateCaseRequest r = NewCase();
  r.set_owner("");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "owner"));
  r.set_owner("bad owner!");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "owner"));
  r.set_owner(std::string(101, 'o'));
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "owner"));
  r.set_owner(std::string(100, 'o'));
  EXPECT_TRUE(TryCreate(r).ok());
  r.set_owner("Sec.Solution_1-x");
  EXPECT_TRUE(TryCreate(r).ok());
}

TEST_F(CaseServiceTest, EnumOutsideRangeIsInvalid) {
  v1::CreateCaseRequest r = NewCase();
  r.set_severity(static_cast<v1::CaseSeverity>(99));
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "severity"));
}

TEST_F(CaseServiceTest, ConnectorValidation) {
  v1::CreateCaseRequest r = NewCase();
  r.mutable_connector()->set_id("x");
  r.mutable_connector()->set_name("x");
  r.mutable_connector()->set_type(".bogus");
  EXPECT_TRUE(IsInvalidField(TryCreate(r), "connector"));

  v1::CreateCaseRequest none_with_id = NewCase();
  none_with_id.mutable_connector()->set_id("not-none");
  none_with_id.mutable_connector()->set_name("none");
  none_with_id.mutable_connector()->set_type(".none");
  EXPECT_TRUE(IsInvalidField(TryCreate(none_with_id), "connector"));

  v1::CreateCaseRequest jira_bad_key = NewCase();
  auto* conn = jira_bad_key.mutable_connector();
  conn->set_id("jira-1");
  conn->set_name("Jira");
  conn->set_type(".jira");
  auto* fields = conn->mutable_fields()->mutable_fields();
  (*fields)["issueType"].set_string_value("1");
  (*fields)["priority"].set_string_value("High");
  (*fields)["parent"].set_null_value(google::protobuf::NULL_VALUE);
  (*fields)["notAJiraField"].set_string_value("x");
  EXPECT_TRUE(IsInvalidField(TryCreate(jira_bad_key), "connector"));

  v1::CreateCaseRequest webhook_with_fields = NewCase();
  conn = webhook_with_fields.mutable_connector();
  conn->set_id("wh");
  conn->set_name("Webhook");
  conn->set_type(".cases-webhook");
  (*conn->mutable_fields()->mutable_fields())["x"].set_string_value("y");
  EXPECT_TRUE(IsInvalidField(TryCreate(webhook_with_fields), "connector"));
}

TEST_F(CaseServiceTest, EveryConnectorTypeWithItsFieldsIsAccepted) {
  struct Kind {
    const char* type;
    std::vector<std::string> string_keys;
  };
  std::vector<Kind> kinds = {
      {".servicenow",
       {"impact", "severity", "urgency", "category", "subcategory"}},
      {".servicenow-sir", {"category", "subcategory", "priority"}},
      {".resilient", {"severityCode"}},
      {".swimlane", {"caseId"}},
  };
  for (const auto& kind : kinds) {
    v1::CreateCaseRequest r = NewCase(std::string("conn ") + kind.type);
    auto* conn = r.mutable_connector();
    conn->set_id(std::string("id") + kind.type);
    conn->set_name("name");
    conn->set_type(kind.type);
    auto* fields = conn->mutable_fields()->mutable_fields();
    for (const auto& k : kind.string_keys)
      (*fields)[k].set_null_value(google::protobuf::NULL_VALUE);
    if (std::string(kind.type) == ".servicenow-sir") {
      for (const char* k :
           {"destIp", "sourceIp", "malwareHash", "malwareUrl"}) {
        (*fields)[k].set_bool_value(true);
      }
    }
    if (std::string(kind.type) == ".resilient") {
      (*fields)["incidentTypes"]
          .mutable_list_value()
          ->add_values()
          ->set_string_value("17");
    }
    v1::Case c;
    grpc::Status s = TryCreate(r, &c);
    EXPECT_TRUE(s.ok()) << kind.type << ": " << Describe(s);
    EXPECT_EQ(c.connector().type(), kind.type);
  }
  v1::CreateCaseRequest webhook = NewCase("webhook");
  webhook.mutable_connector()->set_id("wh");
  webhook.mutable_connector()->set_name("Webhook");
  webhook.mutable_connector()->set_type(".cases-webhook");
  grpc::Status s = TryCreate(webhook);
  EXPECT_TRUE(s.ok()) << Describe(s);
}

TEST_F(CaseServiceTest, AllViolationsOfARequestAreReportedAtOnce) {
  v1::CreateCaseRequest r = NewCase("");
  r.set_description("");
  r.add_tags(std::string(300, 'x'));
  grpc::Status s = TryCreate(r);
  EXPECT_TRUE(IsInvalidField(s, "title"));
  EXPECT_TRUE(IsInvalidField(s, "description"));
  EXPECT_TRUE(IsInvalidField(s, "tags[0]"));
}

TEST_F(CaseServiceTest, RejectedCreateStoresNothing) {
  v1::CreateCaseRequest r = NewCase(std::string(161, 't'));
  ASSERT_FALSE(TryCreate(r).ok());
  EXPECT_EQ(Find({}).total(), 0);
}

// ---------------------------------------------------------------- GetCase

TEST_F(CaseServiceTest, GetMissingCaseIsNotFoundNamingTheId) {
  v1::Case c;
  grpc::Status s = TryGet("no-such-case-id", &c);
  ASSERT_TRUE(StatusIs(s, grpc::StatusCode::NOT_FOUND));
  EXPECT_NE(s.error_message().find("no-such-case-id"), std::string::npos)
      << s.error_message();
}

TEST_F(CaseServiceTest, GetReturnsCommentsOnlyWhenAsked) {
  v1::Case c = CreateTitled("With comments");
  AddUserComment(c.id(), "first");
  AddUserComment(c.id(), "second");
  v1::Case without = Get(c.id(), false);
  EXPECT_TRUE(without.comments().empty());
  EXPECT_EQ(without.total_comment(), 2);
  v1::Case with = Get(c.id(), true);
  ASSERT_EQ(with.comments_size(), 2);
  EXPECT_EQ(with.comments(0).content().user().comment(), "first");
  EXPECT_EQ(with.comments(1).content().user().comment(), "second");
  EXPECT_EQ(with.comments(0).case_id(), c.id());
}

// ---------------------------------------------------------------- UpdateCases

TEST_F(CaseServiceTest, UpdateChangesFieldsAndVersion) {
  v1::Case c = CreateTitled("Before", {"a"});
  v1::CasePatch p = PatchOf(c);
  p.set_title("  After ");
  p.set_description("New description");
  p.mutable_tags()->add_values("b");
  p.set_severity(v1::CASE_SEVERITY_HIGH);
  p.mutable_category()->set_value("Phishing");
  p.mutable_settings()->set_sync_alerts(true);
  v1::Case u = Update(p);
  EXPECT_EQ(u.title(), "After");
  EXPECT_EQ(u.description(), "New description");
  ASSERT_EQ(u.tags_size(), 1);
  EXPECT_EQ(u.tags(0), "b");
  EXPECT_EQ(u.severity(), v1::CASE_SEVERITY_HIGH);
  EXPECT_EQ(u.category(), "Phishing");
  EXPECT_TRUE(u.settings().sync_alerts());
  EXPECT_NE(u.version(), c.version());
  EXPECT_TRUE(u.has_updated_at());
  EXPECT_EQ(u.updated_by().username(), kTestUsername);
  EXPECT_TRUE(u.comments().empty())
      << "UpdateCases returns cases without comments";
  v1::Case g = Get(c.id());
  EXPECT_EQ(g.title(), "After");
  EXPECT_EQ(g.version(), u.version());
  EXPECT_EQ(g.created_at().seconds(), c.created_at().seconds());
}

TEST_F(CaseServiceTest, UpdateCategoryToNull) {
  v1::CreateCaseRequest r = NewCase();
  r.set_category("Malware");
  v1::Case c = Create(r);
  v1::CasePatch p = PatchOf(c);
  p.mutable_category();  // present without a value = null
  v1::Case u = Update(p);
  EXPECT_FALSE(u.has_category());
  EXPECT_FALSE(Get(c.id()).has_category());
}

TEST_F(CaseServiceTest, UpdateAssigneesAreDeduplicated) {
  v1::Case c = CreateTitled("Assign");
  v1::CasePatch p = PatchOf(c);
  p.mutable_assignees()->add_values()->set_uid("u_1");
  p.mutable_assignees()->add_values()->set_uid("u_1");
  p.mutable_assignees()->add_values()->set_uid("u_2");
  v1::Case u = Update(p);
  ASSERT_EQ(u.assignees_size(), 2);
  EXPECT_EQ(u.assignees(0).uid(), "u_1");
  EXPECT_EQ(u.assignees(1).uid(), "u_2");
}

TEST_F(CaseServiceTest, StaleVersionIsAbortedAndNothingApplied) {
  v1::Case c = CreateTitled("Original");
  v1::CasePatch first = PatchOf(c);
  first.set_title("First writer");
  v1::Case u = Update(first);
  v1::CasePatch stale = PatchOf(c);  // the old version
  stale.set_title("Second writer");
  stale.set_severity(v1::CASE_SEVERITY_CRITICAL);
  EXPECT_TRUE(StatusIs(TryUpdate({stale}), grpc::StatusCode::ABORTED));
  v1::Case g = Get(c.id());
  EXPECT_EQ(g.title(), "First writer");
  EXPECT_EQ(g.severity(), v1::CASE_SEVERITY_LOW);
  EXPECT_EQ(g.version(), u.version());
}

TEST_F(CaseServiceTest, StaleVersionInBatchFailsTheWholeBatch) {
  v1::Case a = CreateTitled("A");
  v1::Case b = CreateTitled("B");
  v1::CasePatch bump = PatchOf(b);
  bump.set_description("bumped");
  v1::Case b2 = Update(bump);
  v1::CasePatch pa = PatchOf(a);
  pa.set_title("A changed");
  v1::CasePatch pb = PatchOf(b);  // stale
  pb.set_title("B changed");
  EXPECT_TRUE(StatusIs(TryUpdate({pa, pb}), grpc::StatusCode::ABORTED));
  EXPECT_EQ(Get(a.id()).title(), "A");
  EXPECT_EQ(Get(a.id()).version(), a.version());
  EXPECT_EQ(Get(b.id()).title(), "B");
}

TEST_F(CaseServiceTest, MissingCaseInBatchIsNotFoundAndNothingApplied) {
  v1::Case a = CreateTitled("A");
  v1::CasePatch pa = PatchOf(a);
  pa.set_title("A changed");
  v1::CasePatch missing;
  missing.set_id("missing-case-id");
  missing.set_version(a.version());
  missing.set_title("x");
  grpc::Status s = TryUpdate({pa, missing});
  ASSERT_TRUE(StatusIs(s, grpc::StatusCode::NOT_FOUND));
  EXPECT_NE(s.error_message().find("missing-case-id"), std::string::npos)
      << s.error_message();
  EXPECT_EQ(Get(a.id()).title(), "A");
}

TEST_F(CaseServiceTest, NoOpUpdateIsFailedPrecondition) {
  v1::Case c = CreateTitled("Same", {"t"});
  v1::CasePatch p = PatchOf(c);
  p.set_title("Same");
  p.mutable_tags()->add_values("t");
  p.set_status(v1::CASE_STATUS_OPEN);
  grpc::Status s = TryUpdate({p});
  ASSERT_TRUE(StatusIs(s, grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_NE(s.error_message().find("identical"), std::string::npos)
      << s.error_message();
  EXPECT_EQ(Get(c.id()).version(), c.version());
  v1::CasePatch only_id = PatchOf(c);
  EXPECT_TRUE(
      StatusIs(TryUpdate({only_id}), grpc::StatusCode::FAILED_PRECONDITION));
}

TEST_F(CaseServiceTest, TrimmedEqualTitleIsANoOp) {
  v1::Case c = CreateTitled("Same");
  v1::CasePatch p = PatchOf(c);
  p.set_title("  Same  ");
  EXPECT_TRUE(StatusIs(TryUpdate({p}), grpc::StatusCode::FAILED_PRECONDITION));
}

TEST_F(CaseServiceTest, BatchWithOneNoOpAndOneChangeSucceeds) {
  v1::Case a = CreateTitled("A");
  v1::Case b = CreateTitled("B");
  v1::CasePatch pa = PatchOf(a);
  pa.set_title("A");  // no change
  v1::CasePatch pb = PatchOf(b);
  pb.set_title("B2");
  std::vector<v1::Case> out;
  grpc::Status s = TryUpdate({pa, pb}, &out);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(Get(b.id()).title(), "B2");
  EXPECT_EQ(Get(a.id()).version(), a.version());
}

TEST_F(CaseServiceTest, BulkUpdateIsAllOrNothingOnValidation) {
  v1::Case a = CreateTitled("A");
  v1::Case b = CreateTitled("B");
  v1::CasePatch pa = PatchOf(a);
  pa.set_title("A changed");
  v1::CasePatch pb = PatchOf(b);
  pb.set_title(std::string(161, 'x'));
  grpc::Status s = TryUpdate({pa, pb});
  EXPECT_TRUE(IsInvalidField(s, "cases[1].title"));
  EXPECT_EQ(Get(a.id()).title(), "A");
  EXPECT_EQ(Get(a.id()).version(), a.version());
}

TEST_F(CaseServiceTest, BulkUpdateAppliesEveryPatch) {
  std::vector<v1::CasePatch> patches;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    v1::Case c = CreateTitled("Bulk " + std::to_string(i));
    ids.push_back(c.id());
    v1::CasePatch p = PatchOf(c);
    p.set_status(v1::CASE_STATUS_IN_PROGRESS);
    patches.push_back(p);
  }
  std::vector<v1::Case> out;
  ASSERT_TRUE(TryUpdate(patches, &out).ok());
  EXPECT_EQ(out.size(), 5u);
  for (const auto& id : ids)
    EXPECT_EQ(Get(id).status(), v1::CASE_STATUS_IN_PROGRESS);
}

TEST_F(CaseServiceTest, UpdateBatchSizeLimits) {
  EXPECT_TRUE(IsInvalidField(TryUpdate({}), "cases"));
  v1::Case c = CreateTitled("Batch");
  std::vector<v1::CasePatch> patches(101, PatchOf(c));
  for (auto& p : patches) p.set_title("x");
  EXPECT_TRUE(IsInvalidField(TryUpdate(patches), "cases"));
}

TEST_F(CaseServiceTest, UpdateFieldLimitsAreNamedPerPatch) {
  v1::Case c = CreateTitled("Limits");
  auto expect_invalid = [&](v1::CasePatch p, const std::string& field) {
    EXPECT_TRUE(IsInvalidField(TryUpdate({p}), field)) << field;
  };
  v1::CasePatch p = PatchOf(c);
  p.set_title("  ");
  expect_invalid(p, "cases[0].title");
  p = PatchOf(c);
  p.set_description(std::string(30001, 'd'));
  expect_invalid(p, "cases[0].description");
  p = PatchOf(c);
  for (int i = 0; i < 201; ++i)
    p.mutable_tags()->add_values("t" + std::to_string(i));
  expect_invalid(p, "cases[0].tags");
  p = PatchOf(c);
  p.mutable_tags()->add_values(std::string(257, 't'));
  expect_invalid(p, "cases[0].tags");
  p = PatchOf(c);
  p.mutable_category()->set_value(std::string(51, 'c'));
  expect_invalid(p, "cases[0].category");
  p = PatchOf(c);
  for (int i = 0; i < 11; ++i)
    p.mutable_assignees()->add_values()->set_uid("u" + std::to_string(i));
  expect_invalid(p, "cases[0].assignees");
  p = PatchOf(c);
  p.set_status(v1::CASE_STATUS_UNSPECIFIED);
  expect_invalid(p, "cases[0].status");
  p = PatchOf(c);
  p.set_severity(v1::CASE_SEVERITY_UNSPECIFIED);
  expect_invalid(p, "cases[0].severity");
  p = PatchOf(c);
  p.set_status(static_cast<v1::CaseStatus>(42));
  expect_invalid(p, "cases[0].status");
  EXPECT_EQ(Get(c.id()).version(), c.version());
}

TEST_F(CaseServiceTest, CloseSetsClosedFieldsAndReopenClearsThem) {
  v1::Case c = CreateTitled("Lifecycle");
  v1::CasePatch close = PatchOf(c);
  close.set_status(v1::CASE_STATUS_CLOSED);
  v1::Case closed = Update(close);
  EXPECT_EQ(closed.status(), v1::CASE_STATUS_CLOSED);
  ASSERT_TRUE(closed.has_closed_at());
  EXPECT_EQ(closed.closed_by().username(), kTestUsername);
  ASSERT_TRUE(closed.has_duration_seconds());
  const int64_t expected =
      TimeUtil::DurationToSeconds(closed.closed_at() - closed.created_at());
  EXPECT_EQ(closed.duration_seconds(), expected);
  EXPECT_GE(closed.duration_seconds(), 0);
  v1::Case g = Get(c.id());
  EXPECT_TRUE(g.has_closed_at());
  EXPECT_TRUE(g.has_duration_seconds());

  v1::CasePatch progress = PatchOf(closed);
  progress.set_status(v1::CASE_STATUS_IN_PROGRESS);
  v1::Case reopened = Update(progress);
  EXPECT_EQ(reopened.status(), v1::CASE_STATUS_IN_PROGRESS);
  EXPECT_FALSE(reopened.has_closed_at());
  EXPECT_FALSE(reopened.has_closed_by());
  EXPECT_FALSE(reopened.has_duration_seconds());
  g = Get(c.id());
  EXPECT_FALSE(g.has_closed_at());
  EXPECT_FALSE(g.has_closed_by());
  EXPECT_FALSE(g.has_duration_seconds());

  v1::CasePatch close_again = PatchOf(reopened);
  close_again.set_status(v1::CASE_STATUS_CLOSED);
  v1::Case closed2 = Update(close_again);
  v1::CasePatch open = PatchOf(closed2);
  open.set_status(v1::CASE_STATUS_OPEN);
  v1::Case opened = Update(open);
  EXPECT_FALSE(opened.has_closed_at());
  EXPECT_FALSE(opened.has_duration_seconds());
}

TEST_F(CaseServiceTest, ChangingOtherFieldsOfAClosedCaseKeepsClosedAt) {
  v1::Case c = CreateTitled("Closed edit");
  v1::CasePatch close = PatchOf(c);
  close.set_status(v1::CASE_STATUS_CLOSED);
  v1::Case closed = Update(close);
  v1::CasePatch edit = PatchOf(closed);
  edit.set_title("Closed edit 2");
  edit.set_status(v1::CASE_STATUS_CLOSED);  // unchanged: no side effect
  v1::Case edited = Update(edit);
  EXPECT_EQ(edited.closed_at().seconds(), closed.closed_at().seconds());
  EXPECT_EQ(edited.closed_at().nanos(), closed.closed_at().nanos());
  EXPECT_EQ(edited.duration_seconds(), closed.duration_seconds());
}

TEST_F(CaseServiceTest, OwnerIsImmutableBecausePatchHasNoOwner) {
  // CasePatch carries no owner; an update keeps the owner.
  v1::Case c = CreateTitled("Owner");
  v1::CasePatch p = PatchOf(c);
  p.set_title("Owner 2");
  EXPECT_EQ(Update(p).owner(), owner_);
}

// ---------------------------------------------------------------- DeleteCases

TEST_F(CaseServiceTest, DeleteCascadesCommentsActivityAndAlerts) {
  v1::Case c = CreateTitled("Doomed");
  v1::Case other = CreateTitled("Survivor");
  const std::string alert_id = "alert-" + owner_;
  v1::Case with = AddUserComment(c.id(), "a comment");
  ASSERT_EQ(with.comments_size(), 1);
  const std::string comment_id = with.comments(0).id();
  AddAlerts(c.id(), {alert_id});
  AddAlerts(other.id(), {alert_id});

  v1::DeleteCasesRequest del;
  del.add_ids(c.id());
  v1::DeleteCasesResponse del_resp;
  ASSERT_TRUE(CB_CALL(DeleteCases, del, &del_resp).ok());

  EXPECT_TRUE(StatusIs(TryGet(c.id()), grpc::StatusCode::NOT_FOUND));
  v1::GetCommentRequest gc;
  gc.set_case_id(c.id());
  gc.set_comment_id(comment_id);
  v1::GetCommentResponse gc_resp;
  EXPECT_TRUE(
      StatusIs(CB_CALL(GetComment, gc, &gc_resp), grpc::StatusCode::NOT_FOUND));

  v1::FindCaseActivityRequest fa;
  fa.set_case_id(c.id());
  v1::FindCaseActivityResponse fa_resp;
  grpc::Status fs = CB_CALL(FindCaseActivity, fa, &fa_resp);
  EXPECT_TRUE(
      fs.error_code() == grpc::StatusCode::NOT_FOUND ||
      (fs.ok() && fa_resp.total() == 0 && fa_resp.user_actions().empty()))
      << "activity of a deleted case must be gone: " << Describe(fs)
      << " total " << fa_resp.total();

  v1::GetCasesByAlertRequest by_alert;
  by_alert.set_alert_id(alert_id);
  v1::GetCasesByAlertResponse by_alert_resp;
  ASSERT_TRUE(CB_CALL(GetCasesByAlert, by_alert, &by_alert_resp).ok());
  ASSERT_EQ(by_alert_resp.cases_size(), 1);
  EXPECT_EQ(by_alert_resp.cases(0).id(), other.id());

  EXPECT_EQ(Get(other.id()).total_alerts(), 1);
  EXPECT_EQ(Find({}).total(), 1);
}

TEST_F(CaseServiceTest, DeleteSeveralAndDuplicateIds) {
  v1::Case a = CreateTitled("A");
  v1::Case b = CreateTitled("B");
  v1::Case keep = CreateTitled("Keep");
  v1::DeleteCasesRequest del;
  del.add_ids(a.id());
  del.add_ids(b.id());
  del.add_ids(a.id());
  v1::DeleteCasesResponse resp;
  grpc::Status s = CB_CALL(DeleteCases, del, &resp);
  ASSERT_TRUE(s.ok()) << "duplicates are deduplicated: " << Describe(s);
  EXPECT_TRUE(StatusIs(TryGet(a.id()), grpc::StatusCode::NOT_FOUND));
  EXPECT_TRUE(StatusIs(TryGet(b.id()), grpc::StatusCode::NOT_FOUND));
  EXPECT_TRUE(TryGet(keep.id()).ok());
}

TEST_F(CaseServiceTest, DeleteMissingIsNotFoundAndDeletesNothing) {
  v1::Case a = CreateTitled("A");
  v1::DeleteCasesRequest del;
  del.add_ids(a.id());
  del.add_ids("missing-case-id");
  v1::DeleteCasesResponse resp;
  grpc::Status s = CB_CALL(DeleteCases, del, &resp);
  ASSERT_TRUE(StatusIs(s, grpc::StatusCode::NOT_FOUND));
  EXPECT_NE(s.error_message().find("missing-case-id"), std::string::npos)
      << s.error_message();
  EXPECT_TRUE(TryGet(a.id()).ok())
      << "nothing is deleted when one id is missing";
}

TEST_F(CaseServiceTest, DeleteIdLimits) {
  v1::DeleteCasesRequest del;
  v1::DeleteCasesResponse resp;
  EXPECT_TRUE(IsInvalidField(CB_CALL(DeleteCases, del, &resp), "ids"));
  for (int i = 0; i < 101; ++i) del.add_ids("id-" + std::to_string(i));
  EXPECT_TRUE(IsInvalidField(CB_CALL(DeleteCases, del, &resp), "ids"));
  v1::DeleteCasesRequest blank;
  blank.add_ids("  ");
  EXPECT_TRUE(IsInvalidField(CB_CALL(DeleteCases, blank, &resp), "ids"));
}

// ---------------------------------------------------------------- not yet

TEST_F(CaseServiceTest, PushCaseToAnUnknownConnectorIsNotFound) {
  // Pushing is served; the end-to-end tests are in push_test.cc.
  v1::Case c = CreateTitled("Push me");
  v1::PushCaseRequest r;
  r.set_case_id(c.id());
  r.set_connector_id("jira-1");
  v1::PushCaseResponse resp;
  grpc::Status s = CB_CALL(PushCase, r, &resp);
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::NOT_FOUND)) << s.error_message();
  EXPECT_FALSE(s.error_message().empty());
}

TEST_F(CaseServiceTest, FindConnectorsWithoutPluginsIsEmpty) {
  // The shared server loads no plugins, so no connector type supports cases.
  v1::FindConnectorsRequest r;
  v1::FindConnectorsResponse resp;
  grpc::Status s = CB_CALL(FindConnectors, r, &resp);
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::OK));
  EXPECT_EQ(resp.connectors_size(), 0);
}

TEST_F(CaseServiceTest, ConnectorServiceServesWithoutPlugins) {
  auto stub = server()->NewConnectorStub();
  grpc::ClientContext ctx;
  v1::ListConnectorTypesRequest r;
  v1::ListConnectorTypesResponse resp;
  grpc::Status s = stub->ListConnectorTypes(&ctx, r, &resp);
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::OK));
  EXPECT_EQ(resp.connector_types_size(), 0);
}

}  // namespace
}  // namespace casebridge::testing

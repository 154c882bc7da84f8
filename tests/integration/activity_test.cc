// Case activity (user actions) over real gRPC: create_case on create,
// exactly one action per changed field (tags and assignees diffed into
// add/delete), Kibana payload shapes, comment create/update/delete actions,
// nothing written by failed mutations, and FindCaseActivity's type filters,
// pseudo-types, order and pagination.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/test_util.h"

namespace casebridge::testing {
namespace {

class ActivityTest : public CaseApiTest {
 protected:
  // Activity added after `before` entries.
  std::vector<v1::UserAction> Since(const std::string& case_id, size_t before) {
    auto all = Activity(case_id);
    if (all.size() < before) return {};
    return std::vector<v1::UserAction>(all.begin() + before, all.end());
  }

  static std::vector<v1::UserActionType> Types(
      const std::vector<v1::UserAction>& actions) {
    std::vector<v1::UserActionType> out;
    for (const auto& a : actions) out.push_back(a.type());
    std::sort(out.begin(), out.end());
    return out;
  }

  static std::string Dump(const std::vector<v1::UserAction>& actions) {
    std::string out;
    for (const auto& a : actions) out += a.ShortDebugString() + "\n";
    return out;
  }

  static v1::AttachmentContent PersistableState() {
    v1::AttachmentContent content;
    content.mutable_persistable_state()->set_type_id(".lens");
    (*content.mutable_persistable_state()
          ->mutable_state()
          ->mutable_fields())["k"]
        .set_string_value("v");
    return content;
  }
};

TEST_F(ActivityTest, CreateWritesOneCreateCaseActionWithASnapshot) {
  v1::CreateCaseRequest r = NewCase("Created", {"t1", "t2"});
  r.set_severity(v1::CASE_SEVERITY_MEDIUM);
  r.add_assignees()->set_uid("u_1");
  r.set_category("Cat");
  r.mutable_settings()->set_sync_alerts(true);
  v1::Case c = Create(r);
  auto actions = Activity(c.id());
  ASSERT_EQ(actions.size(), 1u) << Dump(actions);
  const v1::UserAction& a = actions[0];
  EXPECT_FALSE(a.id().empty());
  EXPECT_EQ(a.case_id(), c.id());
  EXPECT_FALSE(a.has_comment_id());
  EXPECT_EQ(a.type(), v1::USER_ACTION_TYPE_CREATE_CASE);
  EXPECT_EQ(a.action(), v1::USER_ACTION_ACTION_CREATE);
  EXPECT_EQ(a.owner(), owner_);
  EXPECT_EQ(a.created_by().username(), kTestUsername);
  EXPECT_TRUE(a.has_created_at());
  const auto& p = a.payload();
  EXPECT_EQ(StringAt(p, "title"), "Created");
  EXPECT_EQ(StringAt(p, "description"), c.description());
  EXPECT_EQ(StringListAt(p, "tags"), (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(StringAt(p, "status"), "open");
  EXPECT_EQ(StringAt(p, "severity"), "medium");
  EXPECT_EQ(StringAt(p, "owner"), owner_);
  EXPECT_EQ(StringAt(p, "category"), "Cat");
  EXPECT_EQ(StringListAt(p, "assignees"), (std::vector<std::string>{"u_1"}));
  EXPECT_EQ(StringAt(StructAt(p, "settings"), "syncAlerts"), "true");
  EXPECT_EQ(StringAt(StructAt(p, "connector"), "id"), "none");
  EXPECT_EQ(StringAt(StructAt(p, "connector"), "type"), ".none");
}

TEST_F(ActivityTest, TitleChangeWritesExactlyOneTitleAction) {
  v1::Case c = CreateTitled("Old title");
  v1::CasePatch p = PatchOf(c);
  p.set_title("New title");
  Update(p);
  auto added = Since(c.id(), 1);
  ASSERT_EQ(added.size(), 1u) << Dump(added);
  EXPECT_EQ(added[0].type(), v1::USER_ACTION_TYPE_TITLE);
  EXPECT_EQ(added[0].action(), v1::USER_ACTION_ACTION_UPDATE);
  EXPECT_EQ(StringAt(added[0].payload(), "title"), "New title");
  EXPECT_EQ(added[0].payload().fields_size(), 1)
      << added[0].payload().ShortDebugString();
}

TEST_F(ActivityTest, OnlyChangedFieldsProduceActions) {
  v1::Case c = CreateTitled("Same title", {"keep"});
  v1::CasePatch p = PatchOf(c);
  p.set_title("Same title");             // unchanged
  p.mutable_tags()->add_values("keep");  // unchanged
  p.set_description("changed description");
  p.set_severity(v1::CASE_SEVERITY_HIGH);
  p.set_status(v1::CASE_STATUS_IN_PROGRESS);
  Update(p);
  auto added = Since(c.id(), 1);
  EXPECT_EQ(Types(added),
            (std::vector<v1::UserActionType>{v1::USER_ACTION_TYPE_DESCRIPTION,
                                             v1::USER_ACTION_TYPE_STATUS,
                                             v1::USER_ACTION_TYPE_SEVERITY}))
      << Dump(added);
  for (const auto& a : added) {
    EXPECT_EQ(a.action(), v1::USER_ACTION_ACTION_UPDATE);
    EXPECT_EQ(a.created_by().username(), kTestUsername);
    if (a.type() == v1::USER_ACTION_TYPE_STATUS) {
      EXPECT_EQ(StringAt(a.payload(), "status"), "in-progress");
    }
    if (a.type() == v1::USER_ACTION_TYPE_SEVERITY) {
      EXPECT_EQ(StringAt(a.payload(), "severity"), "high");
    }
    if (a.type() == v1::USER_ACTION_TYPE_DESCRIPTION) {
      EXPECT_EQ(StringAt(a.payload(), "description"), "changed description");
    }
  }
}

TEST_F(ActivityTest, TagsAreDiffedIntoAddAndDelete) {
  v1::Case c = CreateTitled("Tags", {"a", "b"});
  v1::CasePatch p = PatchOf(c);
  for (const char* t : {"b", "c", "d"}) p.mutable_tags()->add_values(t);
  Update(p);
  auto added = Since(c.id(), 1);
  ASSERT_EQ(added.size(), 2u) << Dump(added);
  std::map<v1::UserActionAction, std::vector<std::string>> by_action;
  for (const auto& a : added) {
    EXPECT_EQ(a.type(), v1::USER_ACTION_TYPE_TAGS);
    auto tags = StringListAt(a.payload(), "tags");
    std::sort(tags.begin(), tags.end());
    by_action[a.action()] = tags;
  }
  EXPECT_EQ(by_action[v1::USER_ACTION_ACTION_ADD],
            (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(by_action[v1::USER_ACTION_ACTION_DELETE],
            (std::vector<std::string>{"a"}));
}

TEST_F(ActivityTest, AddingTagsOnlyWritesOnlyAnAddAction) {
  v1::Case c = CreateTitled("Tags", {"a"});
  v1::CasePatch p = PatchOf(c);
  p.mutable_tags()->add_values("a");
  p.mutable_tags()->add_values("z");
  Update(p);
  auto added = Since(c.id(), 1);
  ASSERT_EQ(added.size(), 1u) << Dump(added);
  EXPECT_EQ(added[0].action(), v1::USER_ACTION_ACTION_ADD);
  EXPECT_EQ(StringListAt(added[0].payload(), "tags"),
            (std::vector<std::string>{"z"}));
}

TEST_F(ActivityTest, AssigneesAreDiffedIntoAddAndDelete) {
  v1::CreateCaseRequest r = NewCase("Assignees");
  r.add_assignees()->set_uid("u_old");
  r.add_assignees()->set_uid("u_keep");
  v1::Case c = Create(r);
  v1::CasePatch p = PatchOf(c);
  p.mutable_assignees()->add_values()->set_uid("u_keep");
  p.mutable_assignees()->add_values()->set_uid("u_new");
  Update(p);
  auto added = Since(c.id(), 1);
  ASSERT_EQ(added.size(), 2u) << Dump(added);
  std::map<v1::UserActionAction, std::vector<std::string>> by_action;
  for (const auto& a : added) {
    EXPECT_EQ(a.type(), v1::USER_ACTION_TYPE_ASSIGNEES);
    by_action[a.action()] = StringListAt(a.payload(), "assignees");
  }
  EXPECT_EQ(by_action[v1::USER_ACTION_ACTION_ADD],
            (std::vector<std::string>{"u_new"}));
  EXPECT_EQ(by_action[v1::USER_ACTION_ACTION_DELETE],
            (std::vector<std::string>{"u_old"}));
}

TEST_F(ActivityTest, CategorySettingsAndConnectorPayloads) {
  v1::Case c = CreateTitled("Misc");
  v1::CasePatch p = PatchOf(c);
  p.mutable_category()->set_value("Intrusion");
  p.mutable_settings()->set_sync_alerts(true);
  auto* conn = p.mutable_connector();
  conn->set_id("sn-1");
  conn->set_name("ServiceNow");
  conn->set_type(".servicenow");
  auto* fields = conn->mutable_fields()->mutable_fields();
  for (const char* k :
       {"impact", "severity", "urgency", "category", "subcategory"}) {
    (*fields)[k].set_null_value(google::protobuf::NULL_VALUE);
  }
  v1::Case u = Update(p);
  auto added = Since(c.id(), 1);
  EXPECT_EQ(Types(added),
            (std::vector<v1::UserActionType>{v1::USER_ACTION_TYPE_CONNECTOR,
                                             v1::USER_ACTION_TYPE_SETTINGS,
                                             v1::USER_ACTION_TYPE_CATEGORY}))
      << Dump(added);
  for (const auto& a : added) {
    if (a.type() == v1::USER_ACTION_TYPE_CATEGORY) {
      EXPECT_EQ(StringAt(a.payload(), "category"), "Intrusion");
    }
    if (a.type() == v1::USER_ACTION_TYPE_SETTINGS) {
      EXPECT_EQ(StringAt(StructAt(a.payload(), "settings"), "syncAlerts"),
                "true");
    }
    if (a.type() == v1::USER_ACTION_TYPE_CONNECTOR) {
      EXPECT_EQ(StringAt(StructAt(a.payload(), "connector"), "id"), "sn-1");
      EXPECT_EQ(StringAt(StructAt(a.payload(), "connector"), "type"),
                ".servicenow");
    }
  }
  v1::CasePatch clear = PatchOf(u);
  clear.mutable_category();  // null
  Update(clear);
  auto last = Since(c.id(), 1 + added.size());
  ASSERT_EQ(last.size(), 1u) << Dump(last);
  EXPECT_EQ(last[0].type(), v1::USER_ACTION_TYPE_CATEGORY);
  EXPECT_EQ(StringAt(last[0].payload(), "category"), "<null>");
}

TEST_F(ActivityTest, ClosingWritesOnlyAStatusAction) {
  v1::Case c = CreateTitled("Close me");
  v1::CasePatch p = PatchOf(c);
  p.set_status(v1::CASE_STATUS_CLOSED);
  Update(p);
  auto added = Since(c.id(), 1);
  ASSERT_EQ(added.size(), 1u)
      << "closed_at/by and duration are bookkeeping: " << Dump(added);
  EXPECT_EQ(added[0].type(), v1::USER_ACTION_TYPE_STATUS);
  EXPECT_EQ(StringAt(added[0].payload(), "status"), "closed");
}

TEST_F(ActivityTest, FailedMutationsWriteNothing) {
  v1::Case c = CreateTitled("Stable");
  v1::CasePatch changed = PatchOf(c);
  changed.set_title("Changed");
  v1::Case u = Update(changed);
  const size_t before = Activity(c.id()).size();
  v1::CasePatch stale = PatchOf(c);
  stale.set_description("stale write");
  EXPECT_TRUE(StatusIs(TryUpdate({stale}), grpc::StatusCode::ABORTED));
  v1::CasePatch noop = PatchOf(u);
  noop.set_title("Changed");
  EXPECT_TRUE(
      StatusIs(TryUpdate({noop}), grpc::StatusCode::FAILED_PRECONDITION));
  v1::CasePatch invalid = PatchOf(u);
  invalid.set_description("valid");
  invalid.set_title("");
  EXPECT_TRUE(
      StatusIs(TryUpdate({invalid}), grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_TRUE(StatusIs(TryAddComment(c.id(), UserContent("")),
                       grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Activity(c.id()).size(), before);
}

TEST_F(ActivityTest, CommentLifecycleActions) {
  v1::Case c = CreateTitled("Comments");
  v1::Case added = AddUserComment(c.id(), "first words");
  const v1::Attachment comment = added.comments(0);
  v1::UpdateCommentRequest ur;
  ur.set_case_id(c.id());
  ur.set_comment_id(comment.id());
  ur.set_version(comment.version());
  *ur.mutable_attachment() = UserContent("second words");
  v1::UpdateCommentResponse uresp;
  ASSERT_TRUE(CB_CALL(UpdateComment, ur, &uresp).ok());
  v1::DeleteCommentRequest dr;
  dr.set_case_id(c.id());
  dr.set_comment_id(comment.id());
  v1::DeleteCommentResponse dresp;
  ASSERT_TRUE(CB_CALL(DeleteComment, dr, &dresp).ok());

  auto actions = Since(c.id(), 1);
  ASSERT_EQ(actions.size(), 3u) << Dump(actions);
  const v1::UserActionAction expected[] = {v1::USER_ACTION_ACTION_CREATE,
                                           v1::USER_ACTION_ACTION_UPDATE,
                                           v1::USER_ACTION_ACTION_DELETE};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(actions[i].type(), v1::USER_ACTION_TYPE_COMMENT);
    EXPECT_EQ(actions[i].action(), expected[i]);
    EXPECT_EQ(actions[i].comment_id(), comment.id());
    auto payload_comment = StructAt(actions[i].payload(), "comment");
    EXPECT_EQ(StringAt(payload_comment, "type"), "user")
        << actions[i].ShortDebugString();
    EXPECT_EQ(StringAt(payload_comment, "owner"), owner_);
  }
  EXPECT_EQ(StringAt(StructAt(actions[0].payload(), "comment"), "comment"),
            "first words");
  EXPECT_EQ(StringAt(StructAt(actions[1].payload(), "comment"), "comment"),
            "second words");
}

TEST_F(ActivityTest, AlertCommentPayloadUsesKibanaKeys) {
  v1::Case c = CreateTitled("Alert payload");
  AddAlerts(c.id(), {"al-1"}, ".alerts-x");
  auto actions = Since(c.id(), 1);
  ASSERT_EQ(actions.size(), 1u) << Dump(actions);
  auto comment = StructAt(actions[0].payload(), "comment");
  EXPECT_EQ(StringAt(comment, "type"), "alert")
      << actions[0].ShortDebugString();
  const auto& fields = comment.fields();
  EXPECT_TRUE(fields.count("alertId")) << comment.ShortDebugString();
  EXPECT_TRUE(fields.count("index")) << comment.ShortDebugString();
  EXPECT_TRUE(fields.count("rule")) << comment.ShortDebugString();
}

TEST_F(ActivityTest, DeleteCommentsWritesOneDeletePerAttachment) {
  v1::Case c = CreateTitled("Bulk delete");
  AddUserComment(c.id(), "one");
  AddUserComment(c.id(), "two");
  AddAlerts(c.id(), {"al"});
  const size_t before = Activity(c.id()).size();
  v1::DeleteCommentsRequest r;
  r.set_case_id(c.id());
  v1::DeleteCommentsResponse resp;
  ASSERT_TRUE(CB_CALL(DeleteComments, r, &resp).ok());
  auto added = Since(c.id(), before);
  ASSERT_EQ(added.size(), 3u) << Dump(added);
  std::set<std::string> ids;
  for (const auto& a : added) {
    EXPECT_EQ(a.type(), v1::USER_ACTION_TYPE_COMMENT);
    EXPECT_EQ(a.action(), v1::USER_ACTION_ACTION_DELETE);
    ids.insert(a.comment_id());
  }
  EXPECT_EQ(ids.size(), 3u);
}

class ActivityFilterTest : public ActivityTest {
 protected:
  void SetUp() override {
    ActivityTest::SetUp();
    case_ = CreateTitled("Filters", {"a"});  // create_case
    v1::CasePatch p = PatchOf(case_);
    p.set_title("Filters 2");           // title
    p.mutable_tags()->add_values("b");  // tags add + delete
    case_ = Update(p);
    AddUserComment(case_.id(), "user comment");  // comment (user)
    AddAlerts(case_.id(), {"fa-1"});             // comment (alert)
    AddComment(case_.id(), PersistableState());  // comment (attachment)
    v1::AttachmentContent actions;
    actions.mutable_actions()->set_comment("isolate");
    actions.mutable_actions()->set_type("isolate");
    auto* t = actions.mutable_actions()->add_targets();
    t->set_hostname("h");
    t->set_endpoint_id("e");
    AddComment(case_.id(), actions);  // comment (attachment)
  }
  v1::Case case_;
};

TEST_F(ActivityFilterTest, EveryActionIsListedWithoutAFilter) {
  auto all = Activity(case_.id());
  EXPECT_EQ(all.size(), 8u) << Dump(all);
}

TEST_F(ActivityFilterTest, FilterByType) {
  auto title = Activity(case_.id(), {v1::CASE_ACTIVITY_FILTER_TITLE});
  ASSERT_EQ(title.size(), 1u) << Dump(title);
  EXPECT_EQ(title[0].type(), v1::USER_ACTION_TYPE_TITLE);
  auto tags = Activity(case_.id(), {v1::CASE_ACTIVITY_FILTER_TAGS});
  EXPECT_EQ(tags.size(), 2u) << Dump(tags);
  auto create = Activity(case_.id(), {v1::CASE_ACTIVITY_FILTER_CREATE_CASE});
  EXPECT_EQ(create.size(), 1u) << Dump(create);
  auto comments = Activity(case_.id(), {v1::CASE_ACTIVITY_FILTER_COMMENT});
  EXPECT_EQ(comments.size(), 4u) << Dump(comments);
  auto status = Activity(case_.id(), {v1::CASE_ACTIVITY_FILTER_STATUS});
  EXPECT_EQ(status.size(), 0u) << Dump(status);
}

TEST_F(ActivityFilterTest, PseudoTypeActionIsEverythingButComments) {
  auto actions = Activity(case_.id(), {v1::CASE_ACTIVITY_FILTER_ACTION});
  EXPECT_EQ(Types(actions),
            (std::vector<v1::UserActionType>{
                v1::USER_ACTION_TYPE_CREATE_CASE, v1::USER_ACTION_TYPE_TITLE,
                v1::USER_ACTION_TYPE_TAGS, v1::USER_ACTION_TYPE_TAGS}))
      << Dump(actions);
}

TEST_F(ActivityFilterTest, PseudoTypeUserIsUserCommentActions) {
  auto user = Activity(case_.id(), {v1::CASE_ACTIVITY_FILTER_USER});
  ASSERT_EQ(user.size(), 1u) << Dump(user);
  EXPECT_EQ(StringAt(StructAt(user[0].payload(), "comment"), "type"), "user");
}

TEST_F(ActivityFilterTest, PseudoTypeAlertIsAlertCommentActions) {
  auto alert = Activity(case_.id(), {v1::CASE_ACTIVITY_FILTER_ALERT});
  ASSERT_EQ(alert.size(), 1u) << Dump(alert);
  EXPECT_EQ(StringAt(StructAt(alert[0].payload(), "comment"), "type"), "alert");
}

TEST_F(ActivityFilterTest, PseudoTypeAttachmentIsOtherAttachmentActions) {
  auto attachment = Activity(case_.id(), {v1::CASE_ACTIVITY_FILTER_ATTACHMENT});
  ASSERT_EQ(attachment.size(), 2u) << Dump(attachment);
  std::set<std::string> kinds;
  for (const auto& a : attachment)
    kinds.insert(StringAt(StructAt(a.payload(), "comment"), "type"));
  EXPECT_EQ(kinds, (std::set<std::string>{"persistableState", "actions"}));
}

TEST_F(ActivityFilterTest, SeveralTypesAreOred) {
  auto mixed = Activity(case_.id(), {v1::CASE_ACTIVITY_FILTER_TITLE,
                                     v1::CASE_ACTIVITY_FILTER_ALERT,
                                     v1::CASE_ACTIVITY_FILTER_USER});
  EXPECT_EQ(mixed.size(), 3u) << Dump(mixed);
}

TEST_F(ActivityFilterTest, DefaultOrderIsNewestFirstAndPaginates) {
  v1::FindCaseActivityRequest r;
  r.set_case_id(case_.id());
  r.set_per_page(3);
  v1::FindCaseActivityResponse page1;
  ASSERT_TRUE(CB_CALL(FindCaseActivity, r, &page1).ok());
  EXPECT_EQ(page1.total(), 8);
  EXPECT_EQ(page1.page(), 1);
  EXPECT_EQ(page1.per_page(), 3);
  ASSERT_EQ(page1.user_actions_size(), 3);
  EXPECT_EQ(page1.user_actions(0).type(), v1::USER_ACTION_TYPE_COMMENT)
      << "newest first";
  r.set_page(3);
  v1::FindCaseActivityResponse page3;
  ASSERT_TRUE(CB_CALL(FindCaseActivity, r, &page3).ok());
  ASSERT_EQ(page3.user_actions_size(), 2);
  EXPECT_EQ(page3.user_actions(1).type(), v1::USER_ACTION_TYPE_CREATE_CASE)
      << "oldest last";
  std::set<std::string> ids;
  for (int page = 1; page <= 3; ++page) {
    r.set_page(page);
    v1::FindCaseActivityResponse resp;
    ASSERT_TRUE(CB_CALL(FindCaseActivity, r, &resp).ok());
    for (const auto& a : resp.user_actions()) ids.insert(a.id());
  }
  EXPECT_EQ(ids.size(), 8u);
}

// 10 000 user actions per case at most: every update here writes exactly 11
// actions, so after 909 updates the case has 1 + 909 * 11 = 10 000 actions
// and any further change must be refused with nothing applied.
TEST_F(ActivityTest, AtMostTenThousandUserActionsPerCase) {
  v1::Case c = CreateTitled("Busy case");
  auto patch_for = [](const v1::Case& cur, int n) {
    const bool odd = n % 2 == 1;
    v1::CasePatch p = PatchOf(cur);
    p.set_title("Busy case " + std::to_string(n));
    p.set_description("description " + std::to_string(n));
    p.mutable_tags()->add_values("tag-" + std::to_string(n));  // add + delete
    p.set_status(odd ? v1::CASE_STATUS_IN_PROGRESS : v1::CASE_STATUS_OPEN);
    p.set_severity(odd ? v1::CASE_SEVERITY_HIGH : v1::CASE_SEVERITY_LOW);
    p.mutable_assignees()->add_values()->set_uid("u-" + std::to_string(n));
    p.mutable_category()->set_value("cat-" + std::to_string(n));
    p.mutable_settings()->set_sync_alerts(odd);
    auto* conn = p.mutable_connector();
    if (odd) {
      conn->set_id("wh-" + std::to_string(n));
      conn->set_name("Webhook");
      conn->set_type(".cases-webhook");
    } else {
      conn->set_id("none");
      conn->set_name("none");
      conn->set_type(".none");
    }
    return p;
  };
  // The first update has no assignee/tag to delete: 9 actions, then 11 each.
  v1::Case cur = c;
  int64_t expected = 1;
  int n = 1;
  for (; n < 2000; ++n) {
    const int64_t adds = n == 1 ? 9 : 11;
    if (expected + adds > 10000) break;
    std::vector<v1::Case> out;
    grpc::Status s = TryUpdate({patch_for(cur, n)}, &out);
    ASSERT_TRUE(s.ok()) << "update " << n << " at " << expected
                        << " actions: " << Describe(s);
    cur = out.at(0);
    expected += adds;
  }
  v1::FindCaseActivityRequest count;
  count.set_case_id(c.id());
  count.set_per_page(1);
  v1::FindCaseActivityResponse resp;
  ASSERT_TRUE(CB_CALL(FindCaseActivity, count, &resp).ok());
  ASSERT_EQ(resp.total(), expected) << "each update writes one action per "
                                       "changed field";
  // One more full update would pass 10 000.
  grpc::Status over = TryUpdate({patch_for(cur, n)});
  EXPECT_TRUE(StatusIs(over, grpc::StatusCode::INVALID_ARGUMENT));
  // Fill up to exactly 10 000 with single-field updates, then refuse.
  for (int i = 0; expected < 10000; ++i) {
    v1::CasePatch p = PatchOf(cur);
    p.set_title("filler " + std::to_string(i));
    std::vector<v1::Case> out;
    grpc::Status s = TryUpdate({p}, &out);
    ASSERT_TRUE(s.ok()) << "at " << expected << " actions: " << Describe(s);
    cur = out.at(0);
    ++expected;
  }
  v1::CasePatch last = PatchOf(cur);
  last.set_title("one too many");
  EXPECT_TRUE(StatusIs(TryUpdate({last}), grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Get(c.id()).version(), cur.version()) << "nothing applied";
  ASSERT_TRUE(CB_CALL(FindCaseActivity, count, &resp).ok());
  EXPECT_EQ(resp.total(), 10000);
  EXPECT_TRUE(StatusIs(TryAddComment(c.id(), UserContent("no room")),
                       grpc::StatusCode::INVALID_ARGUMENT))
      << "a comment would be action 10 001";
}

TEST_F(ActivityTest, FindCaseActivityErrors) {
  v1::FindCaseActivityRequest r;
  r.set_case_id("missing-case-id");
  v1::FindCaseActivityResponse resp;
  EXPECT_TRUE(StatusIs(CB_CALL(FindCaseActivity, r, &resp),
                       grpc::StatusCode::NOT_FOUND));
  v1::Case c = CreateTitled("Errors");
  r.set_case_id(c.id());
  r.set_per_page(101);
  EXPECT_TRUE(IsInvalidField(CB_CALL(FindCaseActivity, r, &resp), "per_page"));
  r.set_per_page(100);
  r.set_page(101);
  EXPECT_TRUE(IsInvalidAnyField(CB_CALL(FindCaseActivity, r, &resp),
                                {"page", "per_page"}));
  v1::FindCaseActivityRequest bad_type;
  bad_type.set_case_id(c.id());
  bad_type.add_types(static_cast<v1::CaseActivityFilter>(99));
  EXPECT_TRUE(
      IsInvalidField(CB_CALL(FindCaseActivity, bad_type, &resp), "types"));
}

}  // namespace
}  // namespace casebridge::testing

// Attachments ("comments") over real gRPC: the five kinds round-trip,
// AddComment/UpdateComment/GetComment/FindComments/DeleteComment(s), alert
// rules (dedup, closed case, 1000 ids), the 100 external-reference +
// persistable-state cap, totals, GetCaseAlerts and GetCasesByAlert.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/integration/test_util.h"

namespace casebridge::testing {
namespace {

using google::protobuf::util::MessageDifferencer;

class CommentsTest : public CaseApiTest {
 protected:
  static v1::AttachmentContent ActionsContent() {
    v1::AttachmentContent content;
    auto* a = content.mutable_actions();
    a->set_comment("Isolating the host");
    auto* t = a->add_targets();
    t->set_hostname("host-1");
    t->set_endpoint_id("ep-1");
    a->set_type("isolate");
    return content;
  }
  static v1::AttachmentContent ExternalReferenceContent(
      const std::string& id = "file-1") {
    v1::AttachmentContent content;
    auto* e = content.mutable_external_reference();
    e->set_type_id(".files");
    e->set_id(id);
    e->mutable_storage()->set_type(
        v1::EXTERNAL_REFERENCE_STORAGE_TYPE_SAVED_OBJECT);
    e->mutable_storage()->set_so_type("cases-files");
    auto* m = e->mutable_metadata()->mutable_fields();
    (*m)["name"].set_string_value("evidence.pcap");
    (*m)["size"].set_number_value(1234);
    return content;
  }
  static v1::AttachmentContent PersistableStateContent() {
    v1::AttachmentContent content;
    auto* p = content.mutable_persistable_state();
    p->set_type_id(".lens");
    auto* s = p->mutable_state()->mutable_fields();
    (*s)["title"].set_string_value("Events over time");
    (*(*s)["attributes"]
          .mutable_struct_value()
          ->mutable_fields())["visualizationType"]
        .set_string_value("lnsXY");
    return content;
  }

  grpc::Status TryGetComment(const std::string& case_id,
                             const std::string& comment_id,
                             v1::Attachment* out = nullptr) {
    v1::GetCommentRequest r;
    r.set_case_id(case_id);
    r.set_comment_id(comment_id);
    v1::GetCommentResponse resp;
    grpc::Status s = CB_CALL(GetComment, r, &resp);
    if (out != nullptr) *out = resp.comment();
    return s;
  }

  grpc::Status TryUpdateComment(const std::string& case_id,
                                const v1::Attachment& comment,
                                const v1::AttachmentContent& content,
                                v1::Case* out = nullptr) {
    v1::UpdateCommentRequest r;
    r.set_case_id(case_id);
    r.set_comment_id(comment.id());
    r.set_version(comment.version());
    r.set_owner(owner_);
    *r.mutable_attachment() = content;
    v1::UpdateCommentResponse resp;
    grpc::Status s = CB_CALL(UpdateComment, r, &resp);
    if (out != nullptr) *out = resp.case_();
    return s;
  }

  v1::FindCommentsResponse FindComments(
      const std::string& case_id, int page = 0, int per_page = 0,
      v1::SortOrder order = v1::SORT_ORDER_UNSPECIFIED) {
    v1::FindCommentsRequest r;
    r.set_case_id(case_id);
    r.set_page(page);
    r.set_per_page(per_page);
    r.set_sort_order(order);
    v1::FindCommentsResponse resp;
    grpc::Status s = CB_CALL(FindComments, r, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp;
  }

  v1::Case Close(const std::string& id) {
    v1::CasePatch p = PatchOf(Get(id));
    p.set_status(v1::CASE_STATUS_CLOSED);
    return Update(p);
  }
};

TEST_F(CommentsTest, AddUserCommentReturnsCaseWithCommentsAndBumpsVersion) {
  v1::Case c = CreateTitled("Commented");
  v1::Case after = AddUserComment(c.id(), "first look");
  EXPECT_EQ(after.id(), c.id());
  ASSERT_EQ(after.comments_size(), 1);
  const v1::Attachment& a = after.comments(0);
  EXPECT_FALSE(a.id().empty());
  EXPECT_FALSE(a.version().empty());
  EXPECT_EQ(a.case_id(), c.id());
  EXPECT_EQ(a.owner(), owner_);
  EXPECT_EQ(a.created_by().username(), kTestUsername);
  EXPECT_TRUE(a.has_created_at());
  EXPECT_FALSE(a.has_updated_at());
  EXPECT_FALSE(a.has_pushed_at());
  EXPECT_EQ(a.content().user().comment(), "first look");
  EXPECT_EQ(after.total_comment(), 1);
  EXPECT_NE(after.version(), c.version())
      << "an attachment bumps the case version";
  EXPECT_TRUE(after.has_updated_at());
  EXPECT_EQ(after.updated_by().username(), kTestUsername);
  v1::Case g = Get(c.id());
  EXPECT_EQ(g.version(), after.version());
  EXPECT_EQ(g.total_comment(), 1);
}

// The conventions: "min length on the trimmed string, max on the raw string;
// stored values are trimmed" for every limited string, user comments included.
TEST_F(CommentsTest, CommentTextIsStoredTrimmed) {
  v1::Case c = CreateTitled("Trim");
  v1::Case after = AddUserComment(c.id(), "  padded  ");
  ASSERT_EQ(after.comments_size(), 1);
  EXPECT_EQ(after.comments(0).content().user().comment(), "padded");
}

TEST_F(CommentsTest, CommentsComeBackOldestFirst) {
  v1::Case c = CreateTitled("Order");
  AddUserComment(c.id(), "one");
  AddAlerts(c.id(), {"al-1"});
  v1::Case after = AddUserComment(c.id(), "three");
  ASSERT_EQ(after.comments_size(), 3);
  EXPECT_EQ(after.comments(0).content().user().comment(), "one");
  EXPECT_TRUE(after.comments(1).content().has_alert());
  EXPECT_EQ(after.comments(2).content().user().comment(), "three");
}

TEST_F(CommentsTest, AllFiveKindsRoundTrip) {
  v1::Case c = CreateTitled("Five kinds");
  std::vector<v1::AttachmentContent> contents = {
      UserContent("a user comment"), AlertContent({"alert-a", "alert-b"}),
      ActionsContent(), ExternalReferenceContent(), PersistableStateContent()};
  v1::Case last;
  for (const auto& content : contents) last = AddComment(c.id(), content);
  ASSERT_EQ(last.comments_size(), 5);
  for (int i = 0; i < 5; ++i) {
    const v1::Attachment& a = last.comments(i);
    EXPECT_TRUE(MessageDifferencer::Equals(a.content(), contents[i]))
        << "kind " << i << " returned " << a.content().DebugString()
        << " expected " << contents[i].DebugString();
    v1::Attachment got;
    ASSERT_TRUE(TryGetComment(c.id(), a.id(), &got).ok());
    EXPECT_TRUE(MessageDifferencer::Equals(got.content(), contents[i]))
        << "GetComment kind " << i << ": " << got.content().DebugString();
    EXPECT_EQ(got.id(), a.id());
    EXPECT_EQ(got.version(), a.version());
  }
  v1::Case g = Get(c.id(), true);
  EXPECT_EQ(g.comments_size(), 5);
  EXPECT_EQ(g.total_comment(), 1) << "only user comments count";
  EXPECT_EQ(g.total_alerts(), 2) << "every alert id counts";
}

TEST_F(CommentsTest,
       ExternalReferenceWithElasticSearchDocStorageAndNullMetadata) {
  v1::Case c = CreateTitled("ES doc");
  v1::AttachmentContent content;
  auto* e = content.mutable_external_reference();
  e->set_type_id(".osquery");
  e->set_id("doc-1");
  e->mutable_storage()->set_type(
      v1::EXTERNAL_REFERENCE_STORAGE_TYPE_ELASTIC_SEARCH_DOC);
  v1::Case after = AddComment(c.id(), content);
  ASSERT_EQ(after.comments_size(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(after.comments(0).content(), content))
      << after.comments(0).content().DebugString();
  EXPECT_FALSE(after.comments(0).content().external_reference().has_metadata());
}

TEST_F(CommentsTest, AttachmentValidation) {
  v1::Case c = CreateTitled("Validation");
  EXPECT_TRUE(TryAddComment(c.id(), UserContent(std::string(30000, 'c'))).ok());
  EXPECT_TRUE(IsInvalidField(
      TryAddComment(c.id(), UserContent(std::string(30001, 'c'))),
      "attachment.user.comment"));
  EXPECT_TRUE(IsInvalidField(TryAddComment(c.id(), UserContent("")),
                             "attachment.user.comment"));
  EXPECT_TRUE(IsInvalidField(TryAddComment(c.id(), UserContent("  \n ")),
                             "attachment.user.comment"));
  v1::AttachmentContent actions = ActionsContent();
  actions.mutable_actions()->set_comment("");
  EXPECT_TRUE(IsInvalidField(TryAddComment(c.id(), actions),
                             "attachment.actions.comment"));
  actions.mutable_actions()->set_comment(std::string(30001, 'x'));
  EXPECT_TRUE(IsInvalidField(TryAddComment(c.id(), actions),
                             "attachment.actions.comment"));
  EXPECT_TRUE(IsInvalidField(TryAddComment(c.id(), v1::AttachmentContent()),
                             "attachment"))
      << "an attachment with no kind";
  v1::AttachmentContent no_alerts;
  no_alerts.mutable_alert();
  EXPECT_TRUE(
      IsInvalidField(TryAddComment(c.id(), no_alerts), "attachment.alert"));
  v1::AttachmentContent saved_object_without_type = ExternalReferenceContent();
  saved_object_without_type.mutable_external_reference()
      ->mutable_storage()
      ->clear_so_type();
  EXPECT_TRUE(IsInvalidField(TryAddComment(c.id(), saved_object_without_type),
                             "attachment.external_reference"));
  EXPECT_EQ(Get(c.id()).total_comment(), 1)
      << "only the valid comment was stored";
}

TEST_F(CommentsTest, EnumsOutsideTheirRangeAreInvalid) {
  v1::Case c = CreateTitled("Enums");
  v1::AttachmentContent storage = ExternalReferenceContent();
  storage.mutable_external_reference()->mutable_storage()->set_type(
      static_cast<v1::ExternalReferenceStorageType>(99));
  EXPECT_TRUE(IsInvalidField(TryAddComment(c.id(), storage),
                             "attachment.external_reference"));
  v1::FindCommentsRequest r;
  r.set_case_id(c.id());
  r.set_sort_order(static_cast<v1::SortOrder>(99));
  v1::FindCommentsResponse resp;
  EXPECT_TRUE(IsInvalidField(CB_CALL(FindComments, r, &resp), "sort_order"));
  v1::FindCaseActivityRequest a;
  a.set_case_id(c.id());
  a.set_sort_order(static_cast<v1::SortOrder>(99));
  v1::FindCaseActivityResponse aresp;
  EXPECT_TRUE(
      IsInvalidField(CB_CALL(FindCaseActivity, a, &aresp), "sort_order"));
}

TEST_F(CommentsTest, OwnerMustMatchTheCase) {
  v1::Case c = CreateTitled("Owner");
  v1::AddCommentRequest r;
  r.set_case_id(c.id());
  r.set_owner(owner_ + "-other");
  *r.mutable_attachment() = UserContent("hi");
  v1::AddCommentResponse resp;
  EXPECT_TRUE(IsInvalidField(CB_CALL(AddComment, r, &resp), "owner"));
  r.clear_owner();  // empty = the case's owner
  ASSERT_TRUE(CB_CALL(AddComment, r, &resp).ok());
  ASSERT_EQ(resp.case_().comments_size(), 1);
  EXPECT_EQ(resp.case_().comments(0).owner(), owner_);
}

TEST_F(CommentsTest, AddToMissingCaseIsNotFound) {
  grpc::Status s = TryAddComment("missing-case-id", UserContent("hi"));
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::NOT_FOUND));
  EXPECT_NE(s.error_message().find("missing-case-id"), std::string::npos)
      << s.error_message();
}

TEST_F(CommentsTest, AlertIdsAreDeduplicated) {
  v1::Case c = CreateTitled("Alerts");
  v1::Case a = AddAlerts(c.id(), {"a1", "a2"});
  EXPECT_EQ(a.total_alerts(), 2);
  v1::Case b = AddAlerts(c.id(), {"a2", "a3", "a3"});
  EXPECT_EQ(b.total_alerts(), 3)
      << "already attached and repeated ids are dropped";
  ASSERT_EQ(b.comments_size(), 2);
  EXPECT_EQ(b.comments(1).content().alert().alert_ids_size(), 1);
  EXPECT_EQ(b.comments(1).content().alert().alert_ids(0), "a3");
  v1::Case nothing_new;
  ASSERT_TRUE(
      TryAddComment(c.id(), AlertContent({"a1", "a3"}), &nothing_new).ok());
  EXPECT_EQ(nothing_new.comments_size(), 2)
      << "no attachment when every id is already there";
  EXPECT_EQ(nothing_new.total_alerts(), 3);
  EXPECT_EQ(Get(c.id(), true).comments_size(), 2);
}

TEST_F(CommentsTest, AlertsCannotBeAttachedToAClosedCase) {
  v1::Case c = CreateTitled("Closed");
  Close(c.id());
  grpc::Status s = TryAddComment(c.id(), AlertContent({"late-alert"}));
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_FALSE(s.error_message().empty());
  EXPECT_EQ(Get(c.id()).total_alerts(), 0);
  EXPECT_TRUE(TryAddComment(c.id(), UserContent("comments are fine")).ok());
}

TEST_F(CommentsTest, AtMostOneThousandAlertIdsPerCase) {
  v1::Case c = CreateTitled("Many alerts");
  std::vector<std::string> ids;
  for (int i = 0; i < 1001; ++i) ids.push_back("alert-" + std::to_string(i));
  EXPECT_TRUE(IsInvalidField(TryAddComment(c.id(), AlertContent(ids)),
                             "attachment.alert.alert_ids"));
  ids.pop_back();
  v1::Case full;
  ASSERT_TRUE(TryAddComment(c.id(), AlertContent(ids), &full).ok());
  EXPECT_EQ(full.total_alerts(), 1000);
  EXPECT_TRUE(
      IsInvalidField(TryAddComment(c.id(), AlertContent({"alert-1000"})),
                     "attachment.alert.alert_ids"));
  // Ids that are already attached do not count twice.
  v1::Case same;
  EXPECT_TRUE(
      TryAddComment(c.id(), AlertContent({"alert-0", "alert-999"}), &same)
          .ok());
  EXPECT_EQ(Get(c.id()).total_alerts(), 1000);
}

TEST_F(CommentsTest,
       AtMostOneHundredExternalReferenceAndPersistableStatePerCase) {
  v1::Case c = CreateTitled("Many refs");
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        TryAddComment(c.id(), ExternalReferenceContent("f" + std::to_string(i)))
            .ok());
    ASSERT_TRUE(TryAddComment(c.id(), PersistableStateContent()).ok());
  }
  grpc::Status s =
      TryAddComment(c.id(), ExternalReferenceContent("one-too-many"));
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::INVALID_ARGUMENT)) << Describe(s);
  EXPECT_FALSE(FieldViolations(s).empty()) << Describe(s);
  EXPECT_TRUE(StatusIs(TryAddComment(c.id(), PersistableStateContent()),
                       grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_TRUE(
      TryAddComment(c.id(), UserContent("user comments are not capped")).ok());
}

TEST_F(CommentsTest, UpdateCommentReplacesContentAndChecksVersion) {
  v1::Case c = CreateTitled("Edit");
  v1::Case added = AddUserComment(c.id(), "draft");
  const v1::Attachment original = added.comments(0);
  v1::Case updated;
  ASSERT_TRUE(
      TryUpdateComment(c.id(), original, UserContent("final"), &updated).ok());
  ASSERT_EQ(updated.comments_size(), 1);
  const v1::Attachment& now = updated.comments(0);
  EXPECT_EQ(now.id(), original.id());
  EXPECT_EQ(now.content().user().comment(), "final");
  EXPECT_NE(now.version(), original.version());
  EXPECT_TRUE(now.has_updated_at());
  EXPECT_EQ(now.updated_by().username(), kTestUsername);
  EXPECT_NE(updated.version(), added.version())
      << "updating an attachment bumps the case";

  // The old version is stale now: ABORTED and nothing changes.
  grpc::Status stale =
      TryUpdateComment(c.id(), original, UserContent("lost update"));
  EXPECT_TRUE(StatusIs(stale, grpc::StatusCode::ABORTED));
  v1::Attachment got;
  ASSERT_TRUE(TryGetComment(c.id(), original.id(), &got).ok());
  EXPECT_EQ(got.content().user().comment(), "final");
  EXPECT_EQ(got.version(), now.version());
}

TEST_F(CommentsTest, UpdateCommentCannotChangeTheKind) {
  v1::Case c = CreateTitled("Kind");
  v1::Attachment a = AddUserComment(c.id(), "text").comments(0);
  grpc::Status s = TryUpdateComment(c.id(), a, AlertContent({"x"}));
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::INVALID_ARGUMENT)) << Describe(s);
  EXPECT_FALSE(FieldViolations(s).empty()) << Describe(s);
  v1::Attachment got;
  ASSERT_TRUE(TryGetComment(c.id(), a.id(), &got).ok());
  EXPECT_EQ(got.content().user().comment(), "text");
}

TEST_F(CommentsTest, UpdateCommentCannotChangeExternalReferenceStorageType) {
  v1::Case c = CreateTitled("Storage");
  v1::Attachment a = AddComment(c.id(), ExternalReferenceContent()).comments(0);
  v1::AttachmentContent changed = ExternalReferenceContent();
  changed.mutable_external_reference()->mutable_storage()->set_type(
      v1::EXTERNAL_REFERENCE_STORAGE_TYPE_ELASTIC_SEARCH_DOC);
  changed.mutable_external_reference()->mutable_storage()->clear_so_type();
  EXPECT_TRUE(StatusIs(TryUpdateComment(c.id(), a, changed),
                       grpc::StatusCode::INVALID_ARGUMENT));
}

TEST_F(CommentsTest, UpdateCommentValidatesAndFindsTheComment) {
  v1::Case c = CreateTitled("Edit errors");
  v1::Case other = CreateTitled("Other");
  v1::Attachment a = AddUserComment(c.id(), "text").comments(0);
  EXPECT_TRUE(IsInvalidField(TryUpdateComment(c.id(), a, UserContent("")),
                             "attachment.user.comment"));
  EXPECT_TRUE(StatusIs(TryUpdateComment(other.id(), a, UserContent("x")),
                       grpc::StatusCode::NOT_FOUND))
      << "a comment of another case is not found";
  v1::Attachment missing = a;
  missing.set_id("missing-comment-id");
  grpc::Status s = TryUpdateComment(c.id(), missing, UserContent("x"));
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::NOT_FOUND));
  EXPECT_NE(s.error_message().find("missing-comment-id"), std::string::npos)
      << s.error_message();
}

TEST_F(CommentsTest, GetCommentOfAnotherCaseIsNotFound) {
  v1::Case c = CreateTitled("Mine");
  v1::Case other = CreateTitled("Other");
  v1::Attachment a = AddUserComment(c.id(), "text").comments(0);
  EXPECT_TRUE(TryGetComment(c.id(), a.id()).ok());
  EXPECT_TRUE(
      StatusIs(TryGetComment(other.id(), a.id()), grpc::StatusCode::NOT_FOUND));
  EXPECT_TRUE(
      StatusIs(TryGetComment(c.id(), "nope"), grpc::StatusCode::NOT_FOUND));
}

TEST_F(CommentsTest, FindCommentsReturnsUserCommentsOnly) {
  v1::Case c = CreateTitled("Find comments");
  AddUserComment(c.id(), "u1");
  AddAlerts(c.id(), {"al"});
  AddComment(c.id(), ActionsContent());
  AddUserComment(c.id(), "u2");
  AddComment(c.id(), PersistableStateContent());
  AddUserComment(c.id(), "u3");
  v1::FindCommentsResponse r = FindComments(c.id(), 0, 0, v1::SORT_ORDER_ASC);
  EXPECT_EQ(r.total(), 3);
  EXPECT_EQ(r.page(), 1);
  EXPECT_EQ(r.per_page(), 20);
  ASSERT_EQ(r.comments_size(), 3);
  EXPECT_EQ(r.comments(0).content().user().comment(), "u1");
  EXPECT_EQ(r.comments(2).content().user().comment(), "u3");
  v1::FindCommentsResponse desc =
      FindComments(c.id(), 1, 2, v1::SORT_ORDER_DESC);
  ASSERT_EQ(desc.comments_size(), 2);
  EXPECT_EQ(desc.total(), 3);
  EXPECT_EQ(desc.comments(0).content().user().comment(), "u3");
  EXPECT_EQ(desc.comments(1).content().user().comment(), "u2");
  v1::FindCommentsResponse page2 =
      FindComments(c.id(), 2, 2, v1::SORT_ORDER_DESC);
  ASSERT_EQ(page2.comments_size(), 1);
  EXPECT_EQ(page2.comments(0).content().user().comment(), "u1");
  v1::FindCommentsResponse default_order = FindComments(c.id());
  ASSERT_EQ(default_order.comments_size(), 3);
  EXPECT_EQ(default_order.comments(0).content().user().comment(), "u3")
      << "default is desc";
}

TEST_F(CommentsTest, FindCommentsLimitsAndMissingCase) {
  v1::Case c = CreateTitled("Limits");
  v1::FindCommentsRequest r;
  r.set_case_id(c.id());
  r.set_per_page(101);
  v1::FindCommentsResponse resp;
  EXPECT_TRUE(IsInvalidField(CB_CALL(FindComments, r, &resp), "per_page"));
  r.set_per_page(100);
  r.set_page(101);
  EXPECT_TRUE(
      IsInvalidAnyField(CB_CALL(FindComments, r, &resp), {"page", "per_page"}));
  v1::FindCommentsRequest missing;
  missing.set_case_id("missing-case-id");
  EXPECT_TRUE(StatusIs(CB_CALL(FindComments, missing, &resp),
                       grpc::StatusCode::NOT_FOUND));
}

TEST_F(CommentsTest, DeleteCommentRemovesItAndRecomputesTotals) {
  v1::Case c = CreateTitled("Delete one");
  AddUserComment(c.id(), "keep");
  v1::Case after = AddUserComment(c.id(), "drop");
  AddAlerts(c.id(), {"x1", "x2"});
  const std::string drop_id = after.comments(1).id();
  v1::DeleteCommentRequest r;
  r.set_case_id(c.id());
  r.set_comment_id(drop_id);
  v1::DeleteCommentResponse resp;
  ASSERT_TRUE(CB_CALL(DeleteComment, r, &resp).ok());
  EXPECT_TRUE(
      StatusIs(TryGetComment(c.id(), drop_id), grpc::StatusCode::NOT_FOUND));
  v1::Case g = Get(c.id(), true);
  EXPECT_EQ(g.total_comment(), 1);
  EXPECT_EQ(g.total_alerts(), 2);
  ASSERT_EQ(g.comments_size(), 2);
  EXPECT_EQ(g.comments(0).content().user().comment(), "keep");
  EXPECT_TRUE(
      StatusIs(CB_CALL(DeleteComment, r, &resp), grpc::StatusCode::NOT_FOUND))
      << "deleting twice";
}

TEST_F(CommentsTest, DeleteCommentOfAnotherCaseIsNotFound) {
  v1::Case c = CreateTitled("Mine");
  v1::Case other = CreateTitled("Other");
  v1::Attachment a = AddUserComment(c.id(), "text").comments(0);
  v1::DeleteCommentRequest r;
  r.set_case_id(other.id());
  r.set_comment_id(a.id());
  v1::DeleteCommentResponse resp;
  EXPECT_TRUE(
      StatusIs(CB_CALL(DeleteComment, r, &resp), grpc::StatusCode::NOT_FOUND));
  EXPECT_TRUE(TryGetComment(c.id(), a.id()).ok());
}

TEST_F(CommentsTest, DeletedAlertsAreNoLongerAttached) {
  v1::Case c = CreateTitled("Alert delete");
  v1::Case after = AddAlerts(c.id(), {"gone-" + owner_});
  v1::DeleteCommentRequest r;
  r.set_case_id(c.id());
  r.set_comment_id(after.comments(0).id());
  v1::DeleteCommentResponse resp;
  ASSERT_TRUE(CB_CALL(DeleteComment, r, &resp).ok());
  v1::GetCasesByAlertRequest by_alert;
  by_alert.set_alert_id("gone-" + owner_);
  v1::GetCasesByAlertResponse by_alert_resp;
  ASSERT_TRUE(CB_CALL(GetCasesByAlert, by_alert, &by_alert_resp).ok());
  EXPECT_EQ(by_alert_resp.cases_size(), 0);
  // Re-attaching the same id works again.
  EXPECT_EQ(AddAlerts(c.id(), {"gone-" + owner_}).total_alerts(), 1);
}

TEST_F(CommentsTest, DeleteCommentsRemovesEveryAttachment) {
  v1::Case c = CreateTitled("Delete all");
  AddUserComment(c.id(), "a");
  AddAlerts(c.id(), {"b"});
  AddComment(c.id(), ActionsContent());
  v1::DeleteCommentsRequest r;
  r.set_case_id(c.id());
  v1::DeleteCommentsResponse resp;
  ASSERT_TRUE(CB_CALL(DeleteComments, r, &resp).ok());
  v1::Case g = Get(c.id(), true);
  EXPECT_EQ(g.comments_size(), 0);
  EXPECT_EQ(g.total_comment(), 0);
  EXPECT_EQ(g.total_alerts(), 0);
  EXPECT_TRUE(
      StatusIs(CB_CALL(DeleteComments, r, &resp), grpc::StatusCode::NOT_FOUND))
      << "a case with no attachments";
}

TEST_F(CommentsTest, DeleteCommentsOnEmptyOrMissingCaseIsNotFound) {
  v1::Case c = CreateTitled("Empty");
  v1::DeleteCommentsRequest r;
  r.set_case_id(c.id());
  v1::DeleteCommentsResponse resp;
  EXPECT_TRUE(
      StatusIs(CB_CALL(DeleteComments, r, &resp), grpc::StatusCode::NOT_FOUND));
  r.set_case_id("missing-case-id");
  EXPECT_TRUE(
      StatusIs(CB_CALL(DeleteComments, r, &resp), grpc::StatusCode::NOT_FOUND));
}

TEST_F(CommentsTest, GetCaseAlertsIsFlatOnePerAlertId) {
  v1::Case c = CreateTitled("Alerts list");
  AddAlerts(c.id(), {"a1", "a2"}, ".alerts-one");
  AddAlerts(c.id(), {"a3"}, ".alerts-two");
  AddUserComment(c.id(), "not an alert");
  v1::GetCaseAlertsRequest r;
  r.set_case_id(c.id());
  v1::GetCaseAlertsResponse resp;
  ASSERT_TRUE(CB_CALL(GetCaseAlerts, r, &resp).ok());
  ASSERT_EQ(resp.alerts_size(), 3);
  std::map<std::string, std::string> index_of;
  for (const auto& a : resp.alerts()) {
    index_of[a.id()] = a.index();
    EXPECT_TRUE(a.has_attached_at());
  }
  EXPECT_EQ(index_of["a1"], ".alerts-one");
  EXPECT_EQ(index_of["a2"], ".alerts-one");
  EXPECT_EQ(index_of["a3"], ".alerts-two");
  r.set_case_id("missing-case-id");
  EXPECT_TRUE(
      StatusIs(CB_CALL(GetCaseAlerts, r, &resp), grpc::StatusCode::NOT_FOUND));
}

TEST_F(CommentsTest, GetCasesByAlertReturnsRelatedCasesWithTotals) {
  const std::string alert = "shared-" + owner_;
  v1::Case a = CreateTitled("First holder");
  v1::Case b = CreateTitled("Second holder");
  CreateTitled("No alert");
  AddAlerts(a.id(), {alert, "other-alert"});
  AddUserComment(a.id(), "note");
  AddAlerts(b.id(), {alert});
  v1::GetCasesByAlertRequest r;
  r.set_alert_id(alert);
  v1::GetCasesByAlertResponse resp;
  ASSERT_TRUE(CB_CALL(GetCasesByAlert, r, &resp).ok());
  ASSERT_EQ(resp.cases_size(), 2);
  std::map<std::string, v1::RelatedCase> by_id;
  for (const auto& rc : resp.cases()) by_id[rc.id()] = rc;
  ASSERT_EQ(by_id.count(a.id()), 1u);
  const v1::RelatedCase& ra = by_id[a.id()];
  EXPECT_EQ(ra.title(), "First holder");
  EXPECT_EQ(ra.description(), a.description());
  EXPECT_EQ(ra.status(), v1::CASE_STATUS_OPEN);
  EXPECT_TRUE(ra.has_created_at());
  EXPECT_EQ(ra.totals().alerts(), 2);
  EXPECT_EQ(ra.totals().user_comments(), 1);
  EXPECT_EQ(by_id[b.id()].totals().alerts(), 1);

  v1::GetCasesByAlertRequest narrowed = r;
  narrowed.add_owners(owner_ + "-other");
  ASSERT_TRUE(CB_CALL(GetCasesByAlert, narrowed, &resp).ok());
  EXPECT_EQ(resp.cases_size(), 0) << "owners filter narrows";

  v1::GetCasesByAlertRequest empty;
  EXPECT_TRUE(
      IsInvalidField(CB_CALL(GetCasesByAlert, empty, &resp), "alert_id"));
  v1::GetCasesByAlertRequest unknown;
  unknown.set_alert_id("never-attached-" + owner_);
  ASSERT_TRUE(CB_CALL(GetCasesByAlert, unknown, &resp).ok());
  EXPECT_EQ(resp.cases_size(), 0);
}

}  // namespace
}  // namespace casebridge::testing

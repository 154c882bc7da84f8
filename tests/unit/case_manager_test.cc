// CaseManager against the real SQLite store in a temporary directory.
#include "server/cases/case_manager.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/sqlite/sqlite_store.h"
#include "server/util/status.h"

namespace casebridge::cases {
namespace {

using store::Json;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

const store::User kAlice{"alice", "Alice", "alice@example.com", "uid-alice"};
const store::User kBob{"bob", "Bob", "", ""};

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> out;
  for (const auto& v : GetFieldViolations(status)) out.push_back(v.field);
  return out;
}

class CaseManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "casebridge-cases-XXXXXX")
            .string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store::SqliteStoreOptions options;
    options.path = dir_ + "/casebridge.db";
    options.read_connections = 2;
    auto store = store::OpenSqliteStore(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    manager_ = std::make_unique<CaseManager>(store_.get(), [this] {
      now_ += absl::Seconds(1);
      return now_;
    });
  }
  void TearDown() override {
    manager_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  NewCase Request(const std::string& title = "Suspicious login") {
    NewCase c;
    c.title = title;
    c.description = "Seen from an unusual country";
    c.owner = "securitySolution";
    c.tags = {"phishing", "login"};
    return c;
  }

  store::Case Create(NewCase request) {
    auto c = manager_->CreateCase(std::move(request), kAlice);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : store::Case{};
  }

  std::vector<store::UserAction> Activity(
      const std::string& case_id, std::vector<std::string> types = {},
      std::vector<std::string> pseudo = {}) {
    store::UserActionQuery q;
    q.case_id = case_id;
    q.types = std::move(types);
    q.pseudo_types = std::move(pseudo);
    q.ascending = true;
    q.per_page = 100;
    auto found = manager_->FindCaseActivity(q);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? found->result.user_actions
                      : std::vector<store::UserAction>{};
  }

  AttachmentInput Alerts(std::vector<std::string> ids) {
    Json indices = Json::array();
    for (size_t i = 0; i < ids.size(); ++i) indices.push_back("idx");
    return {store::AttachmentType::kAlert,
            {{"alertId", ids},
             {"index", indices},
             {"rule", {{"id", nullptr}, {"name", nullptr}}}}};
  }

  AttachmentInput Comment(const std::string& text) {
    return {store::AttachmentType::kUser, {{"comment", text}}};
  }

  CasePatch Patch(const store::Case& c) {
    CasePatch p;
    p.id = c.id;
    p.version = c.version;
    return p;
  }

  std::string dir_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<CaseManager> manager_;
};

TEST_F(CaseManagerTest, CreateThenGetRoundTrips) {
  NewCase request = Request("  Phishing wave  ");
  request.severity = store::CaseSeverity::kHigh;
  request.assignees = {"u1", "u1", "u2"};
  store::Case created = Create(request);
  EXPECT_FALSE(created.id.empty());
  EXPECT_EQ(created.version, 1);
  EXPECT_EQ(created.title, "Phishing wave");
  EXPECT_EQ(created.status, store::CaseStatus::kOpen);
  EXPECT_THAT(created.assignees, ElementsAre("u1", "u2"));
  EXPECT_EQ(created.created_by, kAlice);
  EXPECT_FALSE(created.updated_at.has_value());

  auto got = manager_->GetCase(created.id, /*include_comments=*/true);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->c.title, "Phishing wave");
  EXPECT_EQ(got->c.severity, store::CaseSeverity::kHigh);
  EXPECT_EQ(got->c.version, created.version);
  EXPECT_EQ(got->c.created_at, created.created_at);
  EXPECT_TRUE(got->comments.empty());

  auto actions = Activity(created.id);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].type, "create_case");
  EXPECT_EQ(actions[0].payload["title"], "Phishing wave");
  EXPECT_EQ(actions[0].created_by, kAlice);
}

TEST_F(CaseManagerTest, CreateRejectsBadInputWithFieldPaths) {
  NewCase request = Request("");
  request.tags = {""};
  auto c = manager_->CreateCase(request, kAlice);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(c.status()), UnorderedElementsAre("title", "tags[0]"));
}

TEST_F(CaseManagerTest, GetMissingCaseIsNotFound) {
  auto got = manager_->GetCase("nope", false);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(got.status().message()),
              ::testing::HasSubstr("nope"));
}

TEST_F(CaseManagerTest, CustomFieldsAreEnforcedFromTheConfiguration) {
  NewConfiguration config;
  config.owner = "securitySolution";
  config.custom_fields = {
      {"summary", "Summary", store::CustomFieldType::kText, true,
       std::string("n/a")},
      {"score", "Score", store::CustomFieldType::kNumber, false, {}}};
  ASSERT_TRUE(manager_->SetConfiguration(config, kAlice).ok());

  NewCase unknown = Request();
  unknown.custom_fields = {
      {"ghost", store::CustomFieldType::kText, std::string("x")}};
  auto rejected = manager_->CreateCase(unknown, kAlice);
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(rejected.status()), ElementsAre("custom_fields[0].key"));

  store::Case c = Create(Request());
  ASSERT_EQ(c.custom_fields.size(), 2u);
  EXPECT_EQ(std::get<std::string>(c.custom_fields[0].value), "n/a");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(c.custom_fields[1].value));
}

TEST_F(CaseManagerTest, UpdateWritesOneActionPerChangeAndBumpsVersion) {
  store::Case c = Create(Request());
  CasePatch p = Patch(c);
  p.title = "New title";
  p.tags = std::vector<std::string>{"login", "malware"};
  p.severity = store::CaseSeverity::kCritical;
  auto updated = manager_->UpdateCases({p}, kBob);
  ASSERT_TRUE(updated.ok()) << updated.status();
  ASSERT_EQ(updated->size(), 1u);
  const store::Case& u = (*updated)[0];
  EXPECT_EQ(u.title, "New title");
  EXPECT_GT(u.version, c.version);
  EXPECT_EQ(u.updated_by, kBob);
  ASSERT_TRUE(u.updated_at.has_value());

  auto got = manager_->GetCase(c.id, false);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->c.version, u.version);
  EXPECT_THAT(got->c.tags, ElementsAre("login", "malware"));

  auto actions = Activity(c.id, {"title", "tags", "severity"});
  std::vector<std::string> kinds;
  for (const auto& a : actions) kinds.push_back(a.type + "/" + a.action);
  EXPECT_THAT(kinds, ElementsAre("title/update", "tags/add", "tags/delete",
                                 "severity/update"));
  EXPECT_EQ(actions[1].payload, (Json{{"tags", {"malware"}}}));
  EXPECT_EQ(actions[2].payload, (Json{{"tags", {"phishing"}}}));
  EXPECT_EQ(actions[0].created_by, kBob);
}

TEST_F(CaseManagerTest, StaleVersionAbortsTheWholeBatch) {
  store::Case a = Create(Request("a"));
  store::Case b = Create(Request("b"));
  CasePatch pa = Patch(a);
  pa.title = "a2";
  CasePatch pb = Patch(b);
  pb.title = "b2";
  pb.version = b.version + 5;
  auto result = manager_->UpdateCases({pa, pb}, kAlice);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(manager_->GetCase(a.id, false)->c.title, "a");

  CasePatch unknown = Patch(a);
  unknown.version = kUnknownVersion;
  unknown.title = "x";
  EXPECT_EQ(manager_->UpdateCases({unknown}, kAlice).status().code(),
            absl::StatusCode::kAborted);
}

TEST_F(CaseManagerTest, UpdateMissingCaseIsNotFound) {
  store::Case a = Create(Request());
  CasePatch pa = Patch(a);
  pa.title = "x";
  CasePatch missing;
  missing.id = "does-not-exist";
  missing.version = 1;
  missing.title = "y";
  auto result = manager_->UpdateCases({pa, missing}, kAlice);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(result.status().message()),
              ::testing::HasSubstr("does-not-exist"));
  EXPECT_EQ(manager_->GetCase(a.id, false)->c.title, "Suspicious login");
}

TEST_F(CaseManagerTest, UpdateThatChangesNothingFails) {
  store::Case a = Create(Request());
  CasePatch p = Patch(a);
  p.title = "  Suspicious login ";  // equal once trimmed
  p.tags = std::vector<std::string>{"phishing", "login"};
  auto result = manager_->UpdateCases({p}, kAlice);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(),
            "All update fields are identical to current version.");
}

TEST_F(CaseManagerTest, UpdateValidatesEveryPatch) {
  std::vector<CasePatch> none;
  EXPECT_THAT(Fields(manager_->UpdateCases(none, kAlice).status()),
              ElementsAre("cases"));
  store::Case a = Create(Request());
  CasePatch p = Patch(a);
  p.title = "";
  CasePatch q = Patch(a);
  q.id = "";
  q.category = std::optional<std::string>(std::string(51, 'c'));
  EXPECT_THAT(Fields(manager_->UpdateCases({p, q}, kAlice).status()),
              UnorderedElementsAre("cases[0].title", "cases[1].id",
                                   "cases[1].category"));
}

TEST_F(CaseManagerTest, ClosingSetsAndReopeningClearsClosedFields) {
  store::Case c = Create(Request());
  CasePatch close = Patch(c);
  close.status = store::CaseStatus::kClosed;
  auto closed = manager_->UpdateCases({close}, kBob);
  ASSERT_TRUE(closed.ok()) << closed.status();
  const store::Case& cc = (*closed)[0];
  ASSERT_TRUE(cc.closed_at.has_value());
  EXPECT_EQ(cc.closed_by, kBob);
  ASSERT_TRUE(cc.duration_seconds.has_value());
  EXPECT_EQ(*cc.duration_seconds,
            absl::ToInt64Seconds(*cc.closed_at - c.created_at));
  EXPECT_GT(*cc.duration_seconds, 0);

  auto stored = manager_->GetCase(c.id, false);
  ASSERT_TRUE(stored->c.closed_at.has_value());

  CasePatch reopen = Patch(cc);
  reopen.status = store::CaseStatus::kInProgress;
  auto reopened = manager_->UpdateCases({reopen}, kAlice);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_FALSE((*reopened)[0].closed_at.has_value());
  EXPECT_FALSE((*reopened)[0].closed_by.has_value());
  EXPECT_FALSE((*reopened)[0].duration_seconds.has_value());
  auto again = manager_->GetCase(c.id, false);
  EXPECT_FALSE(again->c.closed_at.has_value());
  EXPECT_FALSE(again->c.duration_seconds.has_value());
}

TEST_F(CaseManagerTest, AlertsAreDeduplicatedAndCounted) {
  store::Case c = Create(Request());
  auto first = manager_->AddComment(c.id, "", Alerts({"a1", "a2", "a1"}), kBob);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->c.total_alerts, 2);
  ASSERT_EQ(first->comments.size(), 1u);
  EXPECT_EQ(first->comments[0].content["alertId"], (Json{"a1", "a2"}));
  EXPECT_GT(first->c.version, c.version);
  EXPECT_EQ(first->c.updated_by, kBob);

  auto second = manager_->AddComment(c.id, "", Alerts({"a2", "a3"}), kBob);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->c.total_alerts, 3);
  ASSERT_EQ(second->comments.size(), 2u);
  EXPECT_EQ(second->comments[1].content["alertId"], (Json{"a3"}));

  // Nothing new: no attachment, case unchanged.
  auto third = manager_->AddComment(c.id, "", Alerts({"a1", "a3"}), kBob);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->comments.size(), 2u);
  EXPECT_EQ(third->c.version, second->c.version);

  auto got = manager_->GetCase(c.id, false);
  EXPECT_EQ(got->c.total_alerts, 3);
  EXPECT_EQ(got->c.version, second->c.version);

  auto alerts = manager_->GetCaseAlerts(c.id);
  ASSERT_TRUE(alerts.ok());
  EXPECT_EQ(alerts->size(), 3u);

  auto related = manager_->GetCasesByAlert("a3", {});
  ASSERT_TRUE(related.ok());
  ASSERT_EQ(related->size(), 1u);
  EXPECT_EQ((*related)[0].id, c.id);
}

TEST_F(CaseManagerTest, AlertLimitCountsExistingAlerts) {
  store::Case c = Create(Request());
  std::vector<std::string> ids;
  for (int i = 0; i < 999; ++i) ids.push_back("alert-" + std::to_string(i));
  ASSERT_TRUE(manager_->AddComment(c.id, "", Alerts(ids), kAlice).ok());
  auto over = manager_->AddComment(c.id, "", Alerts({"x", "y"}), kAlice);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(over.status()), ElementsAre("attachment.alert.alert_ids"));
  // A duplicate plus one new alert fits.
  EXPECT_TRUE(
      manager_->AddComment(c.id, "", Alerts({"alert-1", "x"}), kAlice).ok());
}

TEST_F(CaseManagerTest, NoAlertsOnAClosedCase) {
  store::Case c = Create(Request());
  CasePatch close = Patch(c);
  close.status = store::CaseStatus::kClosed;
  ASSERT_TRUE(manager_->UpdateCases({close}, kAlice).ok());
  auto result = manager_->AddComment(c.id, "", Alerts({"a"}), kAlice);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  // User comments are still fine.
  EXPECT_TRUE(manager_->AddComment(c.id, "", Comment("note"), kAlice).ok());
}

TEST_F(CaseManagerTest, CommentOwnerMustMatchTheCase) {
  store::Case c = Create(Request());
  auto result =
      manager_->AddComment(c.id, "observability", Comment("x"), kAlice);
  EXPECT_THAT(Fields(result.status()), ElementsAre("owner"));
  auto missing = manager_->AddComment("nope", "", Comment("x"), kAlice);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CaseManagerTest, UpdateCommentIsVersionCheckedAndKeepsItsKind) {
  store::Case c = Create(Request());
  auto added = manager_->AddComment(c.id, "", Comment("  first "), kAlice);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->c.total_comment, 1);
  EXPECT_EQ(added->comments[0].content["comment"], "first");  // trimmed
  const store::Attachment& a = added->comments[0];

  auto stale = manager_->UpdateComment(c.id, a.id, a.version + 1, "",
                                       Comment("x"), kBob);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);

  auto kind =
      manager_->UpdateComment(c.id, a.id, a.version, "", Alerts({"z"}), kBob);
  EXPECT_EQ(kind.status().code(), absl::StatusCode::kInvalidArgument);

  auto missing =
      manager_->UpdateComment(c.id, "nope", 1, "", Comment("x"), kBob);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);

  auto updated = manager_->UpdateComment(c.id, a.id, a.version, "",
                                         Comment("second"), kBob);
  ASSERT_TRUE(updated.ok()) << updated.status();
  ASSERT_EQ(updated->comments.size(), 1u);
  EXPECT_EQ(updated->comments[0].content["comment"], "second");
  EXPECT_GT(updated->comments[0].version, a.version);
  EXPECT_EQ(updated->comments[0].updated_by, kBob);
  EXPECT_GT(updated->c.version, added->c.version);
  EXPECT_EQ(updated->c.total_comment, 1);

  auto got = manager_->GetComment(c.id, a.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->content["comment"], "second");
  EXPECT_EQ(got->version, updated->comments[0].version);

  auto actions = Activity(c.id, {"comment"});
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[1].action, "update");
  EXPECT_EQ(actions[1].comment_id, a.id);
  EXPECT_EQ(actions[1].payload["comment"]["comment"], "second");
  EXPECT_EQ(actions[1].payload["comment"]["type"], "user");
}

TEST_F(CaseManagerTest, FindCommentsReturnsUserCommentsOnly) {
  store::Case c = Create(Request());
  ASSERT_TRUE(manager_->AddComment(c.id, "", Comment("one"), kAlice).ok());
  ASSERT_TRUE(manager_->AddComment(c.id, "", Alerts({"a"}), kAlice).ok());
  ASSERT_TRUE(manager_->AddComment(c.id, "", Comment("two"), kAlice).ok());
  auto found = manager_->FindComments(c.id, /*ascending=*/true, 0, 0);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->result.total, 2);
  EXPECT_EQ(found->page, 1);
  EXPECT_EQ(found->per_page, 20);
  ASSERT_EQ(found->result.attachments.size(), 2u);
  EXPECT_EQ(found->result.attachments[0].content["comment"], "one");
  EXPECT_THAT(Fields(manager_->FindComments(c.id, true, 1, 101).status()),
              ElementsAre("per_page"));
}

TEST_F(CaseManagerTest, DeleteCommentsWritesOneActionEach) {
  store::Case c = Create(Request());
  EXPECT_EQ(manager_->DeleteComments(c.id, kAlice).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(manager_->AddComment(c.id, "", Comment("one"), kAlice).ok());
  auto added = manager_->AddComment(c.id, "", Alerts({"a"}), kAlice);
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE(manager_->DeleteComments(c.id, kBob).ok());
  auto got = manager_->GetCase(c.id, true);
  EXPECT_TRUE(got->comments.empty());
  EXPECT_EQ(got->c.total_alerts, 0);
  EXPECT_EQ(got->c.total_comment, 0);
  auto deletes = Activity(c.id, {"comment"});
  int n = 0;
  for (const auto& a : deletes) n += a.action == "delete";
  EXPECT_EQ(n, 2);
  // Pseudo-type "alert" sees the alert's create and delete.
  EXPECT_EQ(Activity(c.id, {}, {"alert"}).size(), 2u);
  EXPECT_EQ(Activity(c.id, {}, {"user"}).size(), 2u);
  EXPECT_EQ(Activity(c.id, {}, {"action"}).size(), 1u);  // create_case
}

TEST_F(CaseManagerTest, DeleteCommentNeedsTheRightCase) {
  store::Case a = Create(Request("a"));
  store::Case b = Create(Request("b"));
  auto added = manager_->AddComment(a.id, "", Comment("x"), kAlice);
  ASSERT_TRUE(added.ok());
  const std::string comment_id = added->comments[0].id;
  EXPECT_EQ(manager_->DeleteComment(b.id, comment_id, kAlice).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(manager_->DeleteComment(a.id, comment_id, kAlice).ok());
  EXPECT_EQ(manager_->GetComment(a.id, comment_id).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CaseManagerTest, DeleteCasesCascadesAndIsAllOrNothing) {
  store::Case a = Create(Request("a"));
  store::Case b = Create(Request("b"));
  ASSERT_TRUE(manager_->AddComment(a.id, "", Alerts({"al"}), kAlice).ok());
  EXPECT_EQ(manager_->DeleteCases({a.id, "missing"}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(manager_->GetCase(a.id, false).ok());
  EXPECT_THAT(Fields(manager_->DeleteCases({}).code() ==
                             absl::StatusCode::kInvalidArgument
                         ? manager_->DeleteCases({})
                         : absl::OkStatus()),
              ElementsAre("ids"));
  EXPECT_THAT(Fields(manager_->DeleteCases({a.id, " "})),
              ElementsAre("ids[1]"));

  ASSERT_TRUE(manager_->DeleteCases({a.id, a.id}).ok());
  EXPECT_EQ(manager_->GetCase(a.id, false).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(manager_->GetCasesByAlert("al", {})->empty());
  EXPECT_TRUE(manager_->GetCase(b.id, false).ok());
}

TEST_F(CaseManagerTest, FindCasesFiltersAndCountsWithoutStatus) {
  store::Case a = Create(Request("alpha"));
  store::Case b = Create(Request("beta"));
  NewCase other = Request("gamma");
  other.owner = "observability";
  other.tags = {"infra"};
  Create(other);
  CasePatch close = Patch(b);
  close.status = store::CaseStatus::kClosed;
  ASSERT_TRUE(manager_->UpdateCases({close}, kAlice).ok());

  store::CaseQuery q;
  q.filter.owners = {"securitySolution"};
  q.filter.statuses = {store::CaseStatus::kOpen};
  auto found = manager_->FindCases(q);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->result.total, 1);
  ASSERT_EQ(found->result.cases.size(), 1u);
  EXPECT_EQ(found->result.cases[0].id, a.id);
  EXPECT_EQ(found->result.counts.open, 1);
  EXPECT_EQ(found->result.counts.closed, 1);
  EXPECT_EQ(found->page, 1);
  EXPECT_EQ(found->per_page, 20);

  store::CaseQuery bad;
  bad.per_page = 1000;
  bad.filter.tags.assign(101, "t");
  EXPECT_THAT(Fields(manager_->FindCases(bad).status()),
              UnorderedElementsAre("per_page", "tags"));

  auto tags = manager_->ListTags({"observability"});
  ASSERT_TRUE(tags.ok());
  EXPECT_THAT(*tags, ElementsAre("infra"));
  auto reporters = manager_->ListReporters({});
  ASSERT_TRUE(reporters.ok());
  ASSERT_EQ(reporters->size(), 1u);
  EXPECT_EQ((*reporters)[0].username, "alice");
  auto counts = manager_->GetCaseStatusCounts({});
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->open, 2);
  EXPECT_EQ(counts->closed, 1);
}

TEST_F(CaseManagerTest, ConfigurationSetReplacesAndUpdateIsVersionChecked) {
  NewConfiguration config;
  config.owner = "cases";
  config.connector = {"j1", "Jira", ".jira", nullptr};
  config.custom_fields = {
      {"flag", "Flag", store::CustomFieldType::kToggle, false, {}}};
  auto first = manager_->SetConfiguration(config, kAlice);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->version, 1);
  auto second = manager_->SetConfiguration(config, kAlice);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->id, first->id);
  auto all = manager_->GetConfigurations({"cases"});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, second->id);

  ConfigurationPatch stale;
  stale.id = second->id;
  stale.version = second->version + 1;
  stale.closure_type = "close-by-pushing";
  EXPECT_EQ(manager_->UpdateConfiguration(stale, kBob).status().code(),
            absl::StatusCode::kAborted);

  ConfigurationPatch missing;
  missing.id = first->id;  // replaced, so gone
  missing.version = 1;
  EXPECT_EQ(manager_->UpdateConfiguration(missing, kBob).status().code(),
            absl::StatusCode::kNotFound);

  ConfigurationPatch retype;
  retype.id = second->id;
  retype.version = second->version;
  retype.custom_fields = std::vector<store::CustomFieldDefinition>{
      {"flag", "Flag", store::CustomFieldType::kText, false, {}}};
  EXPECT_THAT(Fields(manager_->UpdateConfiguration(retype, kBob).status()),
              ElementsAre("custom_fields[0].type"));

  ConfigurationPatch ok;
  ok.id = second->id;
  ok.version = second->version;
  ok.closure_type = "close-by-pushing";
  Template t;
  t.key = "tpl";
  t.name = "Template";
  t.case_fields = TemplateCaseFields{};
  t.case_fields->custom_fields = {
      {"flag", store::CustomFieldType::kToggle, true}};
  ok.templates = std::vector<Template>{t};
  auto updated = manager_->UpdateConfiguration(ok, kBob);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_GT(updated->version, second->version);
  EXPECT_EQ(updated->closure_type, "close-by-pushing");
  EXPECT_EQ(updated->updated_by, kBob);
  EXPECT_EQ(updated->templates[0]["key"], "tpl");
  auto reread = manager_->GetConfigurations({});
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ((*reread)[0].templates, updated->templates);
  EXPECT_EQ((*reread)[0].version, updated->version);
}

TEST_F(CaseManagerTest, ActivityOfAMissingCaseIsNotFound) {
  store::UserActionQuery q;
  q.case_id = "missing";
  EXPECT_EQ(manager_->FindCaseActivity(q).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace casebridge::cases

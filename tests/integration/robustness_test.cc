// Edge cases an implementation easily gets wrong, driven over real gRPC:
// concurrent writers against optimistic concurrency and alert dedup, search
// strings that are full-text-query syntax, LIKE wildcards in filters, limits
// counted in characters, stable pagination over equal sort keys, persistence
// of every kind of record across a restart, and oversized requests.
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/test_util.h"

namespace casebridge::testing {
namespace {

class RobustnessTest : public CaseApiTest {};

TEST_F(RobustnessTest, ConcurrentUpdatesWithOneVersionHaveExactlyOneWinner) {
  v1::Case c = CreateTitled("Contended");
  constexpr int kWriters = 8;
  std::atomic<int> ok{0};
  std::atomic<int> aborted{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      auto stub = server()->NewCaseStub();
      v1::UpdateCasesRequest r;
      v1::CasePatch* p = r.add_cases();
      p->set_id(c.id());
      p->set_version(c.version());
      p->set_title("writer " + std::to_string(i));
      v1::UpdateCasesResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
      grpc::Status s = stub->UpdateCases(&ctx, r, &resp);
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::ABORTED) {
        ++aborted;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 1) << "exactly one writer of a version may win";
  EXPECT_EQ(aborted, kWriters - 1);
  EXPECT_EQ(other, 0);
  auto title_actions = Activity(c.id(), {v1::CASE_ACTIVITY_FILTER_TITLE});
  EXPECT_EQ(title_actions.size(), 1u) << "losers write no activity";
}

TEST_F(RobustnessTest, ConcurrentAttachOfOneAlertCountsItOnce) {
  v1::Case c = CreateTitled("Racing alerts");
  const std::string alert = "race-" + owner_;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto stub = server()->NewCaseStub();
      v1::AddCommentRequest r;
      r.set_case_id(c.id());
      r.set_owner(owner_);
      *r.mutable_attachment() = AlertContent({alert});
      v1::AddCommentResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
      if (!stub->AddComment(&ctx, r, &resp).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  v1::Case g = Get(c.id(), true);
  EXPECT_EQ(g.total_alerts(), 1);
  EXPECT_EQ(g.comments_size(), 1);
}

TEST_F(RobustnessTest, ConcurrentCreatesAllLand) {
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = server()->NewCaseStub();
      for (int i = 0; i < kEach; ++i) {
        v1::CreateCaseRequest r =
            NewCase("parallel " + std::to_string(t) + "-" + std::to_string(i));
        v1::CreateCaseResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
        if (!stub->CreateCase(&ctx, r, &resp).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Find({}).total(), kThreads * kEach);
}

TEST_F(RobustnessTest, SearchTreatsQuerySyntaxAsText) {
  CreateTitled("Quoted \"phrase\" and (parens) with a-dash and star*");
  for (const std::string search : {"\"unbalanced",
                                   "star*",
                                   "title:phrase",
                                   "phrase AND",
                                   "OR",
                                   "(",
                                   ")",
                                   "NEAR(a b)",
                                   "-dash",
                                   "^",
                                   "'",
                                   "a-dash",
                                   "\"phrase\"",
                                   "%",
                                   "_",
                                   "*",
                                   ":",
                                   "+",
                                   "\\",
                                   "{}",
                                   "[x]",
                                   "phrase NOT parens"}) {
    v1::FindCasesRequest r;
    r.add_owners(owner_);
    r.set_search(search);
    v1::FindCasesResponse resp;
    grpc::Status s = CB_CALL(FindCases, r, &resp);
    EXPECT_TRUE(s.ok()) << "search '" << search << "': " << Describe(s);
  }
  v1::FindCasesRequest r;
  r.add_owners(owner_);
  r.set_search("parens");
  v1::FindCasesResponse resp;
  ASSERT_TRUE(CB_CALL(FindCases, r, &resp).ok());
  EXPECT_EQ(resp.total(), 1);
}

TEST_F(RobustnessTest, SearchFoldsCaseBeyondAscii) {
  CreateTitled("Café incident in Zürich");
  for (const std::string search : {"café", "CAFÉ", "zürich", "ZÜRICH"}) {
    v1::FindCasesRequest r;
    r.set_search(search);
    EXPECT_EQ(Find(r).total(), 1) << "search '" << search << "'";
  }
}

TEST_F(RobustnessTest, FiltersMatchLiterallyNotAsPatterns) {
  CreateTitled("underscore", {"a_c"});
  CreateTitled("plain", {"abc"});
  CreateTitled("percent", {"100%"});
  CreateTitled("other", {"1000"});
  v1::FindCasesRequest r;
  r.add_tags("a_c");
  v1::FindCasesResponse resp = Find(r);
  ASSERT_EQ(resp.cases_size(), 1);
  EXPECT_EQ(resp.cases(0).title(), "underscore");
  v1::FindCasesRequest p;
  p.add_tags("100%");
  resp = Find(p);
  ASSERT_EQ(resp.cases_size(), 1);
  EXPECT_EQ(resp.cases(0).title(), "percent");
  v1::FindCasesRequest prefix;
  prefix.add_tags("ab");
  EXPECT_EQ(Find(prefix).total(), 0) << "tags match whole values";
  v1::FindCasesRequest cat;
  cat.add_categories("%");
  EXPECT_EQ(Find(cat).total(), 0);
  v1::FindCasesRequest rep;
  rep.add_reporters("%");
  EXPECT_EQ(Find(rep).total(), 0);
}

TEST_F(RobustnessTest, TagFilterIsCaseSensitiveExactMatch) {
  CreateTitled("upper", {"Phishing"});
  CreateTitled("lower", {"phishing"});
  v1::FindCasesRequest r;
  r.add_tags("Phishing");
  v1::FindCasesResponse resp = Find(r);
  ASSERT_EQ(resp.cases_size(), 1) << "Kibana tags are keywords: exact match";
  EXPECT_EQ(resp.cases(0).title(), "upper");
}

TEST_F(RobustnessTest, LimitsCountCharactersNotBytes) {
  std::string title;
  for (int i = 0; i < 160; ++i)
    title += "\xC3\xA9";  // U+00E9, 2 bytes in UTF-8
  v1::Case c;
  grpc::Status s = TryCreate(NewCase(title), &c);
  EXPECT_TRUE(s.ok()) << "160 characters (320 bytes) is a valid title: "
                      << Describe(s);
  EXPECT_EQ(c.title(), title);
  EXPECT_TRUE(IsInvalidField(TryCreate(NewCase(title + "\xC3\xA9")), "title"));
  v1::CreateCaseRequest tagged = NewCase();
  std::string tag;
  for (int i = 0; i < 256; ++i) tag += "\xE2\x82\xAC";  // U+20AC, 3 bytes
  tagged.add_tags(tag);
  s = TryCreate(tagged);
  EXPECT_TRUE(s.ok()) << "256-character tag: " << Describe(s);
}

TEST_F(RobustnessTest, PaginationIsStableOverEqualSortKeys) {
  for (int i = 0; i < 30; ++i) CreateTitled("same title");
  for (auto field :
       {v1::CASE_SORT_FIELD_TITLE, v1::CASE_SORT_FIELD_STATUS,
        v1::CASE_SORT_FIELD_SEVERITY, v1::CASE_SORT_FIELD_CATEGORY,
        v1::CASE_SORT_FIELD_CLOSED_AT, v1::CASE_SORT_FIELD_UPDATED_AT}) {
    std::set<std::string> ids;
    for (int page = 1; page <= 5; ++page) {
      v1::FindCasesRequest r;
      r.set_sort_field(field);
      r.set_page(page);
      r.set_per_page(7);
      v1::FindCasesResponse resp = Find(r);
      for (const auto& c : resp.cases()) ids.insert(c.id());
    }
    EXPECT_EQ(ids.size(), 30u)
        << "sort field " << field
        << ": pages overlap or skip cases with equal keys";
  }
}

TEST_F(RobustnessTest, OversizedRequestIsRejected) {
  v1::CreateCaseRequest r = NewCase();
  r.set_description(std::string(5 * 1024 * 1024, 'x'));
  grpc::Status s = TryCreate(r);
  EXPECT_TRUE(StatusIs(s, grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_TRUE(TryCreate(NewCase("still serving")).ok());
}

TEST_F(RobustnessTest, UpdateCommentOwnerMustMatch) {
  v1::Case c = CreateTitled("Owner check");
  v1::Attachment a = AddUserComment(c.id(), "text").comments(0);
  v1::UpdateCommentRequest r;
  r.set_case_id(c.id());
  r.set_comment_id(a.id());
  r.set_version(a.version());
  r.set_owner(owner_ + "-other");
  *r.mutable_attachment() = UserContent("changed");
  v1::UpdateCommentResponse resp;
  EXPECT_TRUE(IsInvalidField(CB_CALL(UpdateComment, r, &resp), "owner"));
}

// total_comment / total_alerts are right in every response that carries a
// case, not just GetCase.
TEST_F(RobustnessTest, TotalsAreRightInEveryResponse) {
  v1::Case c = CreateTitled("Totals", {"totals"});
  v1::Case after_comment = AddUserComment(c.id(), "one");
  v1::Case after_alerts = AddAlerts(c.id(), {"t1", "t2"});
  v1::Case after_more = AddUserComment(c.id(), "two");
  EXPECT_EQ(after_comment.total_comment(), 1) << "AddComment response";
  EXPECT_EQ(after_comment.total_alerts(), 0) << "AddComment response";
  EXPECT_EQ(after_alerts.total_comment(), 1) << "AddComment response";
  EXPECT_EQ(after_alerts.total_alerts(), 2) << "AddComment response";
  EXPECT_EQ(after_more.total_comment(), 2) << "AddComment response";
  EXPECT_EQ(after_more.total_alerts(), 2) << "AddComment response";

  v1::Case g = Get(c.id());
  EXPECT_EQ(g.total_comment(), 2) << "GetCase";
  EXPECT_EQ(g.total_alerts(), 2) << "GetCase";

  v1::CasePatch p = PatchOf(g);
  p.set_title("Totals 2");
  v1::Case u = Update(p);
  EXPECT_EQ(u.total_comment(), 2) << "UpdateCases response";
  EXPECT_EQ(u.total_alerts(), 2) << "UpdateCases response";

  v1::FindCasesRequest find;
  find.add_tags("totals");
  v1::FindCasesResponse found = Find(find);
  ASSERT_EQ(found.cases_size(), 1);
  EXPECT_EQ(found.cases(0).total_comment(), 2) << "FindCases";
  EXPECT_EQ(found.cases(0).total_alerts(), 2) << "FindCases";

  const v1::Attachment first = after_more.comments(0);
  v1::UpdateCommentRequest ur;
  ur.set_case_id(c.id());
  ur.set_comment_id(first.id());
  ur.set_version(first.version());
  *ur.mutable_attachment() = UserContent("one, edited");
  v1::UpdateCommentResponse uresp;
  ASSERT_TRUE(CB_CALL(UpdateComment, ur, &uresp).ok());
  EXPECT_EQ(uresp.case_().total_comment(), 2) << "UpdateComment response";
  EXPECT_EQ(uresp.case_().total_alerts(), 2) << "UpdateComment response";
  EXPECT_EQ(uresp.case_().comments_size(), 3);
}

TEST_F(RobustnessTest, PatchConnectorAndSettingsAreValidated) {
  v1::Case c = CreateTitled("Patch connector");
  v1::CasePatch p = PatchOf(c);
  p.mutable_connector()->set_id("x");
  p.mutable_connector()->set_name("x");
  p.mutable_connector()->set_type(".bogus");
  EXPECT_TRUE(IsInvalidField(TryUpdate({p}), "cases[0].connector"));
  EXPECT_EQ(Get(c.id()).version(), c.version());
}

// Every kind of record survives a graceful restart and a SIGKILL.
TEST(PersistenceTest, EverythingSurvivesRestart) {
  ServerOptions options;
  options.config_yaml = DefaultTestConfigYaml();
  ServerProcess server(options);
  ASSERT_TRUE(server.Start().ok());
  auto stub = server.NewCaseStub();
  auto call_ctx = [] {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(30));
    return ctx;
  };

  v1::SetConfigurationRequest config;
  config.set_owner("persist");
  config.set_closure_type(v1::CLOSURE_TYPE_CLOSE_BY_PUSHING);
  auto* def = config.add_custom_fields();
  def->set_key("team");
  def->set_label("Team");
  def->set_type(v1::CUSTOM_FIELD_TYPE_TEXT);
  def->set_required(false);
  v1::SetConfigurationResponse config_resp;
  ASSERT_TRUE(
      stub->SetConfiguration(call_ctx().get(), config, &config_resp).ok());

  v1::CreateCaseRequest create;
  create.set_title("Persistent");
  create.set_description("survives restarts");
  create.add_tags("keep");
  create.set_owner("persist");
  v1::CreateCaseResponse created;
  ASSERT_TRUE(stub->CreateCase(call_ctx().get(), create, &created).ok());
  const std::string id = created.case_().id();
  v1::AddCommentRequest comment;
  comment.set_case_id(id);
  comment.mutable_attachment()->mutable_user()->set_comment("remember me");
  v1::AddCommentResponse commented;
  ASSERT_TRUE(stub->AddComment(call_ctx().get(), comment, &commented).ok());
  v1::AddCommentRequest alert;
  alert.set_case_id(id);
  alert.mutable_attachment()->mutable_alert()->add_alert_ids("persist-alert");
  alert.mutable_attachment()->mutable_alert()->add_indices(".alerts");
  ASSERT_TRUE(stub->AddComment(call_ctx().get(), alert, &commented).ok());
  const std::string version = commented.case_().version();

  for (bool hard : {false, true}) {
    stub.reset();
    ASSERT_TRUE(server.Restart(hard).ok()) << (hard ? "SIGKILL" : "SIGTERM");
    stub = server.NewCaseStub();
    v1::GetCaseRequest get;
    get.set_id(id);
    get.set_include_comments(true);
    v1::GetCaseResponse got;
    grpc::Status s = stub->GetCase(call_ctx().get(), get, &got);
    ASSERT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(got.case_().title(), "Persistent");
    EXPECT_EQ(got.case_().version(), version);
    EXPECT_EQ(got.case_().comments_size(), 2);
    EXPECT_EQ(got.case_().total_comment(), 1);
    EXPECT_EQ(got.case_().total_alerts(), 1);
    ASSERT_EQ(got.case_().custom_fields_size(), 1)
        << "filled from the configuration";

    v1::FindCaseActivityRequest activity;
    activity.set_case_id(id);
    v1::FindCaseActivityResponse actions;
    ASSERT_TRUE(
        stub->FindCaseActivity(call_ctx().get(), activity, &actions).ok());
    EXPECT_EQ(actions.total(), 3);

    v1::GetConfigurationRequest get_config;
    get_config.add_owners("persist");
    v1::GetConfigurationResponse configs;
    ASSERT_TRUE(
        stub->GetConfiguration(call_ctx().get(), get_config, &configs).ok());
    ASSERT_EQ(configs.configurations_size(), 1);
    EXPECT_EQ(configs.configurations(0).closure_type(),
              v1::CLOSURE_TYPE_CLOSE_BY_PUSHING);

    v1::FindCasesRequest find;
    find.set_search("survives");
    find.add_tags("keep");
    v1::FindCasesResponse found;
    ASSERT_TRUE(stub->FindCases(call_ctx().get(), find, &found).ok());
    EXPECT_EQ(found.total(), 1) << "the search index survives too";

    v1::GetCasesByAlertRequest by_alert;
    by_alert.set_alert_id("persist-alert");
    v1::GetCasesByAlertResponse related;
    ASSERT_TRUE(
        stub->GetCasesByAlert(call_ctx().get(), by_alert, &related).ok());
    EXPECT_EQ(related.cases_size(), 1);
  }
}

}  // namespace
}  // namespace casebridge::testing

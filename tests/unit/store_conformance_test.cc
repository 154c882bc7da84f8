// The Store conformance suite (see store_conformance.h).
#include "tests/unit/store_conformance.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace casebridge::store::testing {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

void StoreConformanceTest::SetUp() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "casebridge-store-XXXXXX")
          .string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  CB_ASSERT_OK_AND_ASSIGN(store_, GetParam().open(dir_));
}

void StoreConformanceTest::TearDown() {
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void StoreConformanceTest::Reopen() {
  store_.reset();
  CB_ASSERT_OK_AND_ASSIGN(store_, GetParam().open(dir_));
}

namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

absl::Time At(int64_t seconds) { return kT0 + absl::Seconds(seconds); }

User MakeUser(const std::string& name) {
  return User{name, absl::StrCat(name, " Full"),
              absl::StrCat(name, "@example.com"), absl::StrCat("uid-", name)};
}

Case MakeCase(const std::string& id, int64_t created_s = 0) {
  Case c;
  c.id = id;
  c.title = absl::StrCat("Case ", id);
  c.description = absl::StrCat("Description of ", id);
  c.owner = "securitySolution";
  c.created_at = At(created_s);
  c.created_by = MakeUser("alice");
  return c;
}

Attachment UserComment(const std::string& case_id, const std::string& id,
                       int64_t at_s, const std::string& text = "hello") {
  Attachment a;
  a.id = id;
  a.case_id = case_id;
  a.owner = "securitySolution";
  a.type = AttachmentType::kUser;
  a.content = Json{{"comment", text}};
  a.created_at = At(at_s);
  a.created_by = MakeUser("bob");
  return a;
}

Attachment AlertAttachment(const std::string& case_id, const std::string& id,
                           int64_t at_s, std::vector<std::string> alert_ids,
                           std::vector<std::string> indices) {
  Attachment a;
  a.id = id;
  a.case_id = case_id;
  a.owner = "securitySolution";
  a.type = AttachmentType::kAlert;
  a.content = Json{{"alertId", alert_ids},
                   {"index", indices},
                   {"rule", Json{{"id", "rule-1"}, {"name", "Rule one"}}}};
  a.created_at = At(at_s);
  a.created_by = MakeUser("bob");
  return a;
}

UserAction MakeAction(const std::string& case_id, const std::string& id,
                      const std::string& type, int64_t at_s,
                      Json payload = Json::object()) {
  UserAction u;
  u.id = id;
  u.case_id = case_id;
  u.type = type;
  u.action = type == "create_case" ? "create" : "update";
  u.payload = std::move(payload);
  u.created_at = At(at_s);
  u.created_by = MakeUser("alice");
  u.owner = "securitySolution";
  return u;
}

UserAction CommentAction(const std::string& case_id, const std::string& id,
                         const std::string& attachment_type, int64_t at_s) {
  UserAction u = MakeAction(
      case_id, id, "comment", at_s,
      Json{{"comment", Json{{"type", attachment_type}, {"comment", "x"}}}});
  u.action = "create";
  u.comment_id = absl::StrCat("att-", id);
  return u;
}

void ExpectUserEq(const User& a, const User& b) {
  EXPECT_EQ(a.username, b.username);
  EXPECT_EQ(a.full_name, b.full_name);
  EXPECT_EQ(a.email, b.email);
  EXPECT_EQ(a.profile_uid, b.profile_uid);
}

void ExpectCaseEq(const Case& got, const Case& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.title, want.title);
  EXPECT_EQ(got.description, want.description);
  EXPECT_EQ(got.tags, want.tags);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.severity, want.severity);
  EXPECT_EQ(got.owner, want.owner);
  EXPECT_EQ(got.assignees, want.assignees);
  EXPECT_EQ(got.category, want.category);
  EXPECT_EQ(got.custom_fields, want.custom_fields);
  EXPECT_EQ(got.connector, want.connector);
  EXPECT_EQ(got.sync_alerts, want.sync_alerts);
  EXPECT_EQ(got.duration_seconds, want.duration_seconds);
  EXPECT_EQ(got.created_at, want.created_at);
  ExpectUserEq(got.created_by, want.created_by);
  EXPECT_EQ(got.updated_at, want.updated_at);
  EXPECT_EQ(got.updated_by, want.updated_by);
  EXPECT_EQ(got.closed_at, want.closed_at);
  EXPECT_EQ(got.closed_by, want.closed_by);
  ASSERT_EQ(got.external_service.has_value(),
            want.external_service.has_value());
  if (want.external_service) {
    const ExternalService& g = *got.external_service;
    const ExternalService& w = *want.external_service;
    EXPECT_EQ(g.connector_id, w.connector_id);
    EXPECT_EQ(g.connector_name, w.connector_name);
    EXPECT_EQ(g.external_id, w.external_id);
    EXPECT_EQ(g.external_title, w.external_title);
    EXPECT_EQ(g.external_url, w.external_url);
    EXPECT_EQ(g.pushed_at, w.pushed_at);
    ExpectUserEq(g.pushed_by, w.pushed_by);
  }
  EXPECT_EQ(got.total_comment, want.total_comment);
  EXPECT_EQ(got.total_alerts, want.total_alerts);
}

std::vector<std::string> Ids(const std::vector<Case>& cases) {
  std::vector<std::string> out;
  for (const Case& c : cases) out.push_back(c.id);
  return out;
}

std::vector<std::string> ActionIds(const std::vector<UserAction>& actions) {
  std::vector<std::string> out;
  for (const UserAction& u : actions) out.push_back(u.id);
  return out;
}

}  // namespace

void StoreConformanceTest::Insert(Case c) {
  auto tx = store_->BeginWrite();
  ASSERT_TRUE(tx.ok()) << tx.status();
  CB_ASSERT_OK((*tx)->InsertCase(c));
  CB_ASSERT_OK((*tx)->Commit());
}

void StoreConformanceTest::Write(const std::function<void(Transaction&)>& fn) {
  auto tx = store_->BeginWrite();
  ASSERT_TRUE(tx.ok()) << tx.status();
  fn(**tx);
  CB_ASSERT_OK((*tx)->Commit());
}

CasePage StoreConformanceTest::Find(const CaseQuery& q) {
  auto tx = store_->BeginRead();
  EXPECT_TRUE(tx.ok()) << tx.status();
  if (!tx.ok()) return {};
  absl::StatusOr<CasePage> page = (*tx)->FindCases(q);
  EXPECT_TRUE(page.ok()) << page.status();
  return page.ok() ? *page : CasePage{};
}

std::vector<std::string> StoreConformanceTest::FindIds(const CaseFilter& f) {
  CaseQuery q;
  q.filter = f;
  q.ascending = true;
  q.per_page = 100;
  return Ids(Find(q).cases);
}

Case StoreConformanceTest::Get(const std::string& id) {
  auto tx = store_->BeginRead();
  EXPECT_TRUE(tx.ok()) << tx.status();
  if (!tx.ok()) return {};
  absl::StatusOr<Case> c = (*tx)->GetCase(id);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : Case{};
}

#define STORE_TEST(name) TEST_P(StoreConformanceTest, name)

// --- Cases: round trips, versions, errors.

STORE_TEST(CaseRoundTripsEveryField) {
  Case c = MakeCase("c1", 5);
  c.tags = {"phishing", "malware"};
  c.status = CaseStatus::kClosed;
  c.severity = CaseSeverity::kCritical;
  c.assignees = {"uid-1", "uid-2"};
  c.category = "Incident";
  c.custom_fields = {
      {"text_key", CustomFieldType::kText, std::string("some text")},
      {"toggle_key", CustomFieldType::kToggle, true},
      {"number_key", CustomFieldType::kNumber, int64_t{-9007199254740991}},
      {"null_key", CustomFieldType::kText, std::monostate{}}};
  c.connector = CaseConnector{
      "conn-1", "Jira", ".jira",
      Json{{"issueType", "10001"}, {"priority", nullptr}, {"parent", "P-1"}}};
  c.sync_alerts = false;
  c.duration_seconds = 3600;
  c.updated_at = At(60) + absl::Microseconds(123);
  c.updated_by = MakeUser("carol");
  c.closed_at = At(3605);
  c.closed_by = MakeUser("dave");
  c.external_service = ExternalService{"conn-1",
                                       "Jira",
                                       "10042",
                                       "SEC-42",
                                       "https://jira.example.com/browse/SEC-42",
                                       At(100),
                                       MakeUser("erin")};
  Case inserted = c;
  Write([&](Transaction& tx) { CB_ASSERT_OK(tx.InsertCase(inserted)); });
  EXPECT_EQ(inserted.version, 1);
  c.version = 1;
  ExpectCaseEq(Get("c1"), c);
}

STORE_TEST(CaseRoundTripsAbsentOptionals) {
  Case c = MakeCase("c1");
  c.created_by = User{"", "", "", ""};
  Insert(c);
  Case got = Get("c1");
  c.version = 1;
  ExpectCaseEq(got, c);
  EXPECT_FALSE(got.category.has_value());
  EXPECT_FALSE(got.updated_at.has_value());
  EXPECT_FALSE(got.updated_by.has_value());
  EXPECT_FALSE(got.closed_at.has_value());
  EXPECT_FALSE(got.closed_by.has_value());
  EXPECT_FALSE(got.external_service.has_value());
  EXPECT_FALSE(got.duration_seconds.has_value());
  EXPECT_EQ(got.connector, CaseConnector{});
  EXPECT_TRUE(got.connector.fields.is_null());
  EXPECT_TRUE(got.sync_alerts);
}

STORE_TEST(CaseKeepsUnicodeAndQuotes) {
  Case c = MakeCase("c1");
  c.title = "Évènement \"quoted\" 'single' \\ back; DROP TABLE cases; --";
  c.description = "многоязычный 日本語 emoji 🚨";
  c.tags = {"tag with space", "ünïcödé"};
  Insert(c);
  c.version = 1;
  ExpectCaseEq(Get("c1"), c);
}

STORE_TEST(GetMissingCaseIsNotFound) {
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  EXPECT_TRUE(absl::IsNotFound(tx->GetCase("nope").status()));
}

STORE_TEST(DuplicateCaseIdIsAlreadyExists) {
  Insert(MakeCase("c1"));
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginWrite());
  Case again = MakeCase("c1");
  EXPECT_TRUE(absl::IsAlreadyExists(tx->InsertCase(again)));
}

STORE_TEST(GetCasesKeepsRequestOrderAndSkipsMissing) {
  Insert(MakeCase("a"));
  Insert(MakeCase("b"));
  Insert(MakeCase("c"));
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  std::vector<std::string> ids = {"c", "missing", "a"};
  CB_ASSERT_OK_AND_ASSIGN(std::vector<Case> cases, tx->GetCases(ids));
  EXPECT_THAT(Ids(cases), ElementsAre("c", "a"));
}

STORE_TEST(UpdateCaseBumpsVersionAndChecksIt) {
  Insert(MakeCase("c1"));
  Case c = Get("c1");
  c.title = "Renamed";
  c.tags = {"new"};
  c.assignees = {"u9"};
  c.updated_at = At(10);
  c.updated_by = MakeUser("bob");
  Write([&](Transaction& tx) { CB_ASSERT_OK(tx.UpdateCase(c)); });
  EXPECT_EQ(c.version, 2);
  ExpectCaseEq(Get("c1"), c);

  Case stale = c;
  stale.version = 1;
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginWrite());
  EXPECT_TRUE(absl::IsAborted(tx->UpdateCase(stale)));
  Case missing = MakeCase("missing");
  missing.version = 1;
  EXPECT_TRUE(absl::IsNotFound(tx->UpdateCase(missing)));
  tx.reset();
  EXPECT_EQ(Get("c1").title, "Renamed");
  // The tag and assignee indexes follow the update.
  CaseFilter f;
  f.tags = {"new"};
  EXPECT_THAT(FindIds(f), ElementsAre("c1"));
  f.tags = {};
  f.assignees = {"u9"};
  EXPECT_THAT(FindIds(f), ElementsAre("c1"));
}

STORE_TEST(UpdateCaseKeepsStoreMaintainedTotals) {
  Insert(MakeCase("c1"));
  Write([&](Transaction& tx) {
    Attachment a = UserComment("c1", "a1", 1);
    CB_ASSERT_OK(tx.InsertAttachment(a));
  });
  Case c = Get("c1");
  c.total_comment = 99;  // ignored on write
  c.title = "x";
  Write([&](Transaction& tx) { CB_ASSERT_OK(tx.UpdateCase(c)); });
  EXPECT_EQ(c.total_comment, 1);
  EXPECT_EQ(Get("c1").total_comment, 1);
}

STORE_TEST(DeleteCaseCascades) {
  Insert(MakeCase("c1"));
  Case other = MakeCase("c2");
  other.tags = {"keep"};
  Insert(other);
  Write([&](Transaction& tx) {
    Attachment a = UserComment("c1", "a1", 1);
    CB_ASSERT_OK(tx.InsertAttachment(a));
    Attachment al = AlertAttachment("c1", "a2", 2, {"alert-1"}, {"idx"});
    CB_ASSERT_OK(tx.InsertAttachment(al));
    CB_ASSERT_OK(
        tx.InsertUserAction(MakeAction("c1", "ua1", "create_case", 0)));
    CB_ASSERT_OK(
        tx.InsertUserAction(MakeAction("c2", "ua2", "create_case", 0)));
  });
  Case c = Get("c1");
  c.tags = {"gone"};
  Write([&](Transaction& tx) { CB_ASSERT_OK(tx.UpdateCase(c)); });
  Write([&](Transaction& tx) { CB_ASSERT_OK(tx.DeleteCase("c1")); });

  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  EXPECT_TRUE(absl::IsNotFound(tx->GetCase("c1").status()));
  EXPECT_TRUE(absl::IsNotFound(tx->GetAttachment("c1", "a1").status()));
  CB_ASSERT_OK_AND_ASSIGN(auto atts, tx->ListAttachments("c1"));
  EXPECT_THAT(atts, IsEmpty());
  CB_ASSERT_OK_AND_ASSIGN(auto alerts, tx->ListCaseAlerts("c1"));
  EXPECT_THAT(alerts, IsEmpty());
  CB_ASSERT_OK_AND_ASSIGN(auto by_alert, tx->FindCasesByAlert("alert-1", {}));
  EXPECT_THAT(by_alert, IsEmpty());
  CB_ASSERT_OK_AND_ASSIGN(int64_t n1, tx->CountUserActions("c1"));
  EXPECT_EQ(n1, 0);
  CB_ASSERT_OK_AND_ASSIGN(int64_t n2, tx->CountUserActions("c2"));
  EXPECT_EQ(n2, 1);
  CB_ASSERT_OK_AND_ASSIGN(auto tags, tx->ListTags({}));
  EXPECT_THAT(tags, ElementsAre("keep"));
  tx.reset();

  CB_ASSERT_OK_AND_ASSIGN(auto wtx, store_->BeginWrite());
  EXPECT_TRUE(absl::IsNotFound(wtx->DeleteCase("c1")));
  // The id can be used again after deletion.
  Case reborn = MakeCase("c1");
  CB_EXPECT_OK(wtx->InsertCase(reborn));
  CB_EXPECT_OK(wtx->Commit());
  CaseFilter f;
  f.search = "c1";
  EXPECT_THAT(FindIds(f), ElementsAre("c1"));
}

// --- Transactions.

STORE_TEST(UncommittedWriteRollsBack) {
  {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginWrite());
    Case c = MakeCase("c1");
    CB_ASSERT_OK(tx->InsertCase(c));
    CB_ASSERT_OK_AND_ASSIGN(Case seen, tx->GetCase("c1"));  // visible inside
    EXPECT_EQ(seen.id, "c1");
  }
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  EXPECT_TRUE(absl::IsNotFound(tx->GetCase("c1").status()));
  CaseFilter f;
  f.search = "c1";
  CaseQuery q;
  q.filter = f;
  CB_ASSERT_OK_AND_ASSIGN(CasePage page, tx->FindCases(q));
  EXPECT_EQ(page.total, 0);
}

STORE_TEST(FinishedTransactionRejectsCalls) {
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginWrite());
  CB_ASSERT_OK(tx->Commit());
  Case c = MakeCase("c1");
  EXPECT_FALSE(tx->InsertCase(c).ok());
  EXPECT_FALSE(tx->GetCase("c1").ok());
  tx.reset();
  // The writer is free again.
  Insert(MakeCase("c2"));
}

STORE_TEST(ReadTransactionIsASnapshot) {
  Insert(MakeCase("c1"));
  CB_ASSERT_OK_AND_ASSIGN(auto reader, store_->BeginRead());
  CB_ASSERT_OK(reader->GetCase("c1").status());  // snapshot established
  Insert(MakeCase("c2"));
  EXPECT_TRUE(absl::IsNotFound(reader->GetCase("c2").status()));
  CB_ASSERT_OK(reader->Commit());
  EXPECT_EQ(Get("c2").id, "c2");
}

STORE_TEST(ReadTransactionCannotWrite) {
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  Case c = MakeCase("c1");
  EXPECT_FALSE(tx->InsertCase(c).ok());
}

STORE_TEST(ReopenKeepsData) {
  Case c = MakeCase("c1");
  c.tags = {"t"};
  Insert(c);
  Reopen();
  c.version = 1;
  ExpectCaseEq(Get("c1"), c);
  CaseFilter f;
  f.tags = {"t"};
  f.search = "description";
  EXPECT_THAT(FindIds(f), ElementsAre("c1"));
  Insert(MakeCase("c2"));  // still writable
}

STORE_TEST(ConcurrentWritersAndReaders) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 50;
  std::atomic<int> errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        auto tx = store_->BeginWrite();
        if (!tx.ok()) {
          ++errors;
          continue;
        }
        std::string id = absl::StrCat("w", w, "-", i);
        Case c = MakeCase(id, i);
        c.tags = {absl::StrCat("writer", w)};
        if (!(*tx)->InsertCase(c).ok()) ++errors;
        if (!(*tx)
                 ->InsertUserAction(
                     MakeAction(id, absl::StrCat("ua-", id), "create_case", i))
                 .ok()) {
          ++errors;
        }
        if (!(*tx)->Commit().ok()) ++errors;
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        auto tx = store_->BeginRead();
        if (!tx.ok()) {
          ++errors;
          continue;
        }
        CaseQuery q;
        q.filter.tags = {"writer1"};
        auto page = (*tx)->FindCases(q);
        if (!page.ok() || page->total > kPerWriter) ++errors;
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  stop = true;
  for (size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
  EXPECT_EQ(errors.load(), 0);
  CaseQuery q;
  CasePage page = Find(q);
  EXPECT_EQ(page.total, kWriters * kPerWriter);
  EXPECT_EQ(page.counts.open, kWriters * kPerWriter);
  q.filter.tags = {"writer2"};
  EXPECT_EQ(Find(q).total, kPerWriter);
}

// --- FindCases.

// Five cases with distinct values in every filterable field.
class FindCasesData {
 public:
  static std::vector<Case> Make() {
    std::vector<Case> out;
    Case a = MakeCase("a", 10);
    a.owner = "securitySolution";
    a.status = CaseStatus::kOpen;
    a.severity = CaseSeverity::kLow;
    a.tags = {"phishing", "email"};
    a.assignees = {"u1"};
    a.category = "Malware";
    a.created_by = MakeUser("alice");
    a.title = "Suspicious phishing email";
    a.description = "User reported a message with a link";
    a.updated_at = At(500);
    out.push_back(a);

    Case b = MakeCase("b", 20);
    b.owner = "observability";
    b.status = CaseStatus::kInProgress;
    b.severity = CaseSeverity::kHigh;
    b.tags = {"network"};
    b.assignees = {"u2", "u3"};
    b.category = "Availability";
    b.created_by = MakeUser("bob");
    b.title = "Network outage";
    b.description = "Routers dropped phishing-unrelated traffic";
    b.updated_at = At(100);
    out.push_back(b);

    Case c = MakeCase("c", 30);
    c.owner = "securitySolution";
    c.status = CaseStatus::kClosed;
    c.severity = CaseSeverity::kCritical;
    c.tags = {"email"};
    c.created_by = MakeUser("carol");
    c.title = "Ransomware on host";
    c.description = "Encrypted files after a phishing attachment";
    c.closed_at = At(900);
    out.push_back(c);

    Case d = MakeCase("d", 40);
    d.owner = "cases";
    d.status = CaseStatus::kOpen;
    d.severity = CaseSeverity::kMedium;
    d.assignees = {"u1"};
    d.category = "Malware";
    d.created_by = MakeUser("alice");
    d.title = "Zeta malware beacon";
    d.description = "Outbound beacons every minute";
    d.closed_at = At(800);
    out.push_back(d);

    Case e = MakeCase("e", 50);
    e.owner = "securitySolution";
    e.status = CaseStatus::kOpen;
    e.severity = CaseSeverity::kHigh;
    e.tags = {"network", "phishing"};
    e.created_by = User{"dave", "Dave", "", "profile-dave"};
    e.title = "alpha phish test";
    e.description = "Training exercise";
    out.push_back(e);
    return out;
  }
};

STORE_TEST(FindCasesEachFilter) {
  for (Case c : FindCasesData::Make()) Insert(c);
  CaseFilter f;
  EXPECT_THAT(FindIds(f), ElementsAre("a", "b", "c", "d", "e"));

  f = {};
  f.owners = {"securitySolution", "cases"};
  EXPECT_THAT(FindIds(f), ElementsAre("a", "c", "d", "e"));
  f = {};
  f.statuses = {CaseStatus::kOpen, CaseStatus::kClosed};
  EXPECT_THAT(FindIds(f), ElementsAre("a", "c", "d", "e"));
  f = {};
  f.severities = {CaseSeverity::kHigh};
  EXPECT_THAT(FindIds(f), ElementsAre("b", "e"));
  f = {};
  f.tags = {"email", "network"};
  EXPECT_THAT(FindIds(f), ElementsAre("a", "b", "c", "e"));
  f = {};
  f.tags = {"phishing"};
  EXPECT_THAT(FindIds(f), ElementsAre("a", "e"));
  f = {};
  f.reporters = {"alice"};
  EXPECT_THAT(FindIds(f), ElementsAre("a", "d"));
  f = {};
  f.reporters = {"profile-dave", "bob"};  // profile uid or username
  EXPECT_THAT(FindIds(f), ElementsAre("b", "e"));
  f = {};
  f.assignees = {"u1"};
  EXPECT_THAT(FindIds(f), ElementsAre("a", "d"));
  f = {};
  f.assignees = {"none"};
  EXPECT_THAT(FindIds(f), ElementsAre("c", "e"));
  f = {};
  f.assignees = {"none", "u3"};
  EXPECT_THAT(FindIds(f), ElementsAre("b", "c", "e"));
  f = {};
  f.categories = {"Malware"};
  EXPECT_THAT(FindIds(f), ElementsAre("a", "d"));
  f = {};
  f.created_from = At(20);
  EXPECT_THAT(FindIds(f), ElementsAre("b", "c", "d", "e"));
  f = {};
  f.created_to = At(30);
  EXPECT_THAT(FindIds(f), ElementsAre("a", "b", "c"));
  f = {};
  f.created_from = At(20);
  f.created_to = At(40);
  EXPECT_THAT(FindIds(f), ElementsAre("b", "c", "d"));
  f = {};
  f.tags = {"missing-tag"};
  EXPECT_THAT(FindIds(f), IsEmpty());

  // Different fields are ANDed.
  f = {};
  f.owners = {"securitySolution"};
  f.tags = {"phishing", "email"};
  f.statuses = {CaseStatus::kOpen};
  f.severities = {CaseSeverity::kLow, CaseSeverity::kHigh};
  EXPECT_THAT(FindIds(f), ElementsAre("a", "e"));
  f.assignees = {"none"};
  EXPECT_THAT(FindIds(f), ElementsAre("e"));
}

STORE_TEST(FindCasesCountsIgnoreStatuses) {
  for (Case c : FindCasesData::Make()) Insert(c);
  CaseQuery q;
  q.filter.owners = {"securitySolution"};
  q.filter.statuses = {CaseStatus::kOpen};
  CasePage page = Find(q);
  EXPECT_EQ(page.total, 2);
  EXPECT_THAT(Ids(page.cases), UnorderedElementsAre("a", "e"));
  EXPECT_EQ(page.counts.open, 2);
  EXPECT_EQ(page.counts.in_progress, 0);
  EXPECT_EQ(page.counts.closed, 1);

  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  CaseFilter f;
  f.statuses = {CaseStatus::kClosed};  // ignored
  CB_ASSERT_OK_AND_ASSIGN(StatusCounts all, tx->CountCasesByStatus(f));
  EXPECT_EQ(all.open, 3);
  EXPECT_EQ(all.in_progress, 1);
  EXPECT_EQ(all.closed, 1);
  f.tags = {"network"};
  CB_ASSERT_OK_AND_ASSIGN(StatusCounts net, tx->CountCasesByStatus(f));
  EXPECT_EQ(net.open, 1);
  EXPECT_EQ(net.in_progress, 1);
  EXPECT_EQ(net.closed, 0);
}

STORE_TEST(CountsStayRightThroughUpdatesAndDeletes) {
  for (int i = 0; i < 6; ++i) {
    Case c = MakeCase(absl::StrCat("k", i), i);
    c.owner = i < 4 ? "securitySolution" : "observability";
    c.tags = {"t1"};
    if (i % 2 == 0) c.tags.push_back("t2");
    Insert(c);
  }
  // k0..k3 sec, k4..k5 obs; t1 on all, t2 on k0 k2 k4.
  Case c = Get("k0");
  c.status = CaseStatus::kClosed;  // status change
  Write([&](Transaction& tx) { CB_ASSERT_OK(tx.UpdateCase(c)); });
  c = Get("k1");
  c.tags = {"t2"};  // tag change
  c.status = CaseStatus::kInProgress;
  Write([&](Transaction& tx) { CB_ASSERT_OK(tx.UpdateCase(c)); });
  c = Get("k4");
  c.owner = "securitySolution";  // owner change
  Write([&](Transaction& tx) { CB_ASSERT_OK(tx.UpdateCase(c)); });
  Write([&](Transaction& tx) { CB_ASSERT_OK(tx.DeleteCase("k2")); });
  {
    // A rolled back change leaves the counts alone.
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginWrite());
    CB_ASSERT_OK(tx->DeleteCase("k3"));
  }
  // Now: sec = k0(closed; t1,t2) k1(in-progress; t2) k3(open; t1)
  //            k4(open; t1,t2); obs = k5(open; t1).
  struct Expect {
    std::vector<std::string> owners;
    std::vector<std::string> tags;
    int64_t open, in_progress, closed;
  };
  std::vector<Expect> expectations = {
      {{}, {}, 3, 1, 1},
      {{"securitySolution"}, {}, 2, 1, 1},
      {{"observability"}, {}, 1, 0, 0},
      {{}, {"t1"}, 3, 0, 1},
      {{}, {"t2"}, 1, 1, 1},
      {{"securitySolution"}, {"t1"}, 2, 0, 1},
      {{"observability"}, {"t2"}, 0, 0, 0},
      {{}, {"t1", "t2"}, 3, 1, 1},
      {{"nobody"}, {}, 0, 0, 0},
  };
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  for (const Expect& e : expectations) {
    CaseFilter f;
    f.owners = e.owners;
    f.tags = e.tags;
    // The same filter with a no-op date bound, which implementations may
    // answer by another path.
    CaseFilter g = f;
    g.created_from = absl::UnixEpoch();
    for (const CaseFilter* filter : {&f, &g}) {
      CB_ASSERT_OK_AND_ASSIGN(StatusCounts n, tx->CountCasesByStatus(*filter));
      EXPECT_EQ(n.open, e.open) << ::testing::PrintToString(e.owners)
                                << ::testing::PrintToString(e.tags);
      EXPECT_EQ(n.in_progress, e.in_progress)
          << ::testing::PrintToString(e.tags);
      EXPECT_EQ(n.closed, e.closed) << ::testing::PrintToString(e.tags);
    }
  }
}

STORE_TEST(FindCasesSortsByEveryField) {
  for (Case c : FindCasesData::Make()) Insert(c);
  struct Expectation {
    CaseSortField field;
    std::vector<std::string> ascending;
    std::vector<std::string> descending;
  };
  // Cases without a value for the sort field come last in both directions;
  // ties fall back to insertion order in the sort direction.
  std::vector<Expectation> expectations = {
      {CaseSortField::kCreatedAt,
       {"a", "b", "c", "d", "e"},
       {"e", "d", "c", "b", "a"}},
      {CaseSortField::kUpdatedAt,
       {"b", "a", "c", "d", "e"},
       {"a", "b", "e", "d", "c"}},
      {CaseSortField::kClosedAt,
       {"d", "c", "a", "b", "e"},
       {"c", "d", "e", "b", "a"}},
      {CaseSortField::kTitle,
       {"b", "c", "a", "d", "e"},
       {"e", "d", "a", "c", "b"}},
      {CaseSortField::kCategory,
       {"b", "a", "d", "c", "e"},
       {"d", "a", "b", "e", "c"}},
      {CaseSortField::kStatus,
       {"a", "d", "e", "b", "c"},
       {"c", "b", "e", "d", "a"}},
      {CaseSortField::kSeverity,
       {"a", "d", "b", "e", "c"},
       {"c", "e", "b", "d", "a"}},
  };
  for (const Expectation& e : expectations) {
    CaseQuery q;
    q.sort_field = e.field;
    q.ascending = true;
    EXPECT_EQ(Ids(Find(q).cases), e.ascending)
        << "field " << static_cast<int>(e.field);
    q.ascending = false;
    EXPECT_EQ(Ids(Find(q).cases), e.descending)
        << "field " << static_cast<int>(e.field);
  }
}

STORE_TEST(FindCasesPaginates) {
  for (int i = 0; i < 25; ++i) {
    Case c = MakeCase(absl::StrCat("case-", 100 + i),
                      i % 7);  // many equal created_at
    c.tags = {"p"};
    Insert(c);
  }
  std::vector<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    CaseQuery q;
    q.filter.tags = {"p"};
    q.page = page;
    q.per_page = 10;
    CasePage p = Find(q);
    EXPECT_EQ(p.total, 25);
    EXPECT_EQ(p.counts.open, 25);
    EXPECT_EQ(p.cases.size(), page < 3 ? 10u : 5u);
    for (const Case& c : p.cases) seen.push_back(c.id);
  }
  std::vector<std::string> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end())
      << "a case appeared twice";
  EXPECT_EQ(seen.size(), 25u);
  // Pages follow the sort: created_at descending.
  CaseQuery all;
  all.per_page = 100;
  EXPECT_EQ(Ids(Find(all).cases), seen);

  CaseQuery beyond;
  beyond.page = 4;
  beyond.per_page = 10;
  CasePage empty = Find(beyond);
  EXPECT_THAT(empty.cases, IsEmpty());
  EXPECT_EQ(empty.total, 25);
}

STORE_TEST(FindCasesSearch) {
  for (Case c : FindCasesData::Make()) Insert(c);
  CaseFilter f;
  f.search = "phishing";
  EXPECT_THAT(FindIds(f), ElementsAre("a", "b", "c"));
  f.search_description = false;  // title only
  EXPECT_THAT(FindIds(f), ElementsAre("a"));
  f.search_description = true;
  f.search_title = false;  // description only
  EXPECT_THAT(FindIds(f), ElementsAre("b", "c"));

  f = {};
  f.search = "PHISH";  // case-insensitive prefix
  EXPECT_THAT(FindIds(f), ElementsAre("a", "b", "c", "e"));
  f.search = "phish email";  // OR by default
  EXPECT_THAT(FindIds(f), ElementsAre("a", "b", "c", "e"));
  f.search = "phish ransom";
  f.search_all_words = true;
  EXPECT_THAT(FindIds(f), ElementsAre("c"));
  f.search = "beacon minute";
  EXPECT_THAT(FindIds(f),
              ElementsAre("d"));  // words across title and description
  f.search_all_words = false;
  f.search = "nothingmatches";
  EXPECT_THAT(FindIds(f), IsEmpty());

  // Combined with other filters.
  f = {};
  f.search = "phishing";
  f.owners = {"observability"};
  EXPECT_THAT(FindIds(f), ElementsAre("b"));
}

STORE_TEST(FindCasesSearchIsSafeAgainstQuerySyntax) {
  for (Case c : FindCasesData::Make()) Insert(c);
  const char* inputs[] = {"\"a\" OR *",
                          "*",
                          "\"",
                          "title:phishing",
                          "NEAR(a b)",
                          "phish AND",
                          "(unclosed",
                          "-phishing",
                          "^phish",
                          "phish\"ing",
                          "OR OR OR",
                          "{title} : x",
                          "'; DROP TABLE cases; --",
                          "\\",
                          "a:b:c",
                          "NOT"};
  for (const char* input : inputs) {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
    CaseQuery q;
    q.filter.search = input;
    auto page = tx->FindCases(q);
    EXPECT_TRUE(page.ok()) << input << ": " << page.status();
  }
  CaseFilter f;
  f.search = "title:phishing";  // the words "title" and "phishing", not a
                                // column filter
  EXPECT_THAT(FindIds(f), ElementsAre("a", "b", "c"));
  f.search = "phish AND";  // AND is a word here, not an operator
  f.search_all_words = true;
  EXPECT_THAT(FindIds(f), IsEmpty());
  EXPECT_EQ(Get("a").id, "a");  // the table survived
}

STORE_TEST(ListReportersTagsCategories) {
  for (Case c : FindCasesData::Make()) Insert(c);
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  CB_ASSERT_OK_AND_ASSIGN(std::vector<User> reporters, tx->ListReporters({}));
  std::vector<std::string> names;
  for (const User& u : reporters) names.push_back(u.username);
  EXPECT_THAT(names, ElementsAre("alice", "bob", "carol", "dave"));
  ExpectUserEq(reporters[3], User{"dave", "Dave", "", "profile-dave"});
  std::vector<std::string> owners = {"securitySolution"};
  CB_ASSERT_OK_AND_ASSIGN(reporters, tx->ListReporters(owners));
  names.clear();
  for (const User& u : reporters) names.push_back(u.username);
  EXPECT_THAT(names, ElementsAre("alice", "carol", "dave"));

  CB_ASSERT_OK_AND_ASSIGN(auto tags, tx->ListTags({}));
  EXPECT_THAT(tags, ElementsAre("email", "network", "phishing"));
  owners = {"observability", "cases"};
  CB_ASSERT_OK_AND_ASSIGN(tags, tx->ListTags(owners));
  EXPECT_THAT(tags, ElementsAre("network"));

  CB_ASSERT_OK_AND_ASSIGN(auto categories, tx->ListCategories({}));
  EXPECT_THAT(categories, ElementsAre("Availability", "Malware"));
  owners = {"cases"};
  CB_ASSERT_OK_AND_ASSIGN(categories, tx->ListCategories(owners));
  EXPECT_THAT(categories, ElementsAre("Malware"));
}

// --- Attachments and alerts.

STORE_TEST(AttachmentsRoundTripEveryType) {
  Insert(MakeCase("c1"));
  std::vector<Attachment> atts;
  Attachment user = UserComment("c1", "a-user", 1, "first comment");
  user.updated_at = At(2);
  user.updated_by = MakeUser("carol");
  user.pushed_at = At(3);
  user.pushed_by = MakeUser("dave");
  atts.push_back(user);
  atts.push_back(AlertAttachment("c1", "a-alert", 2, {"al-1", "al-2"},
                                 {"idx-1", "idx-2"}));
  Attachment actions = UserComment("c1", "a-actions", 3);
  actions.type = AttachmentType::kActions;
  actions.content = Json{
      {"comment", "isolated"},
      {"actions", Json{{"targets", Json::array({Json{{"hostname", "h1"},
                                                     {"endpointId", "e1"}}})},
                       {"type", "isolate"}}}};
  atts.push_back(actions);
  Attachment ext = UserComment("c1", "a-ext", 4);
  ext.type = AttachmentType::kExternalReference;
  ext.content = Json{{"externalReferenceAttachmentTypeId", ".files"},
                     {"externalReferenceId", "file-1"},
                     {"externalReferenceStorage",
                      Json{{"type", "savedObject"}, {"soType", "file"}}},
                     {"externalReferenceMetadata", nullptr}};
  atts.push_back(ext);
  Attachment ps = UserComment("c1", "a-ps", 5);
  ps.type = AttachmentType::kPersistableState;
  ps.content = Json{{"persistableStateAttachmentTypeId", ".lens"},
                    {"persistableStateAttachmentState",
                     Json{{"attributes", Json::object()}}}};
  atts.push_back(ps);
  Write([&](Transaction& tx) {
    for (Attachment& a : atts) {
      CB_ASSERT_OK(tx.InsertAttachment(a));
      EXPECT_EQ(a.version, 1);
    }
  });
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  CB_ASSERT_OK_AND_ASSIGN(std::vector<Attachment> listed,
                          tx->ListAttachments("c1"));
  ASSERT_EQ(listed.size(), atts.size());
  for (size_t i = 0; i < atts.size(); ++i) {
    const Attachment& want = atts[i];
    CB_ASSERT_OK_AND_ASSIGN(Attachment got, tx->GetAttachment("c1", want.id));
    for (const Attachment* g : {&got, &listed[i]}) {
      EXPECT_EQ(g->id, want.id);
      EXPECT_EQ(g->version, 1);
      EXPECT_EQ(g->case_id, "c1");
      EXPECT_EQ(g->owner, want.owner);
      EXPECT_EQ(g->type, want.type);
      EXPECT_EQ(g->content, want.content);
      EXPECT_EQ(g->created_at, want.created_at);
      ExpectUserEq(g->created_by, want.created_by);
      EXPECT_EQ(g->updated_at, want.updated_at);
      EXPECT_EQ(g->updated_by, want.updated_by);
      EXPECT_EQ(g->pushed_at, want.pushed_at);
      EXPECT_EQ(g->pushed_by, want.pushed_by);
    }
  }
  EXPECT_TRUE(absl::IsNotFound(tx->GetAttachment("c1", "missing").status()));
  EXPECT_TRUE(
      absl::IsNotFound(tx->GetAttachment("other-case", "a-user").status()));
}

STORE_TEST(AttachmentErrors) {
  Insert(MakeCase("c1"));
  Write([&](Transaction& tx) {
    Attachment a = UserComment("c1", "a1", 1);
    CB_ASSERT_OK(tx.InsertAttachment(a));
  });
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginWrite());
  Attachment orphan = UserComment("no-such-case", "a2", 1);
  EXPECT_TRUE(absl::IsNotFound(tx->InsertAttachment(orphan)));
  Attachment dup = UserComment("c1", "a1", 1);
  EXPECT_TRUE(absl::IsAlreadyExists(tx->InsertAttachment(dup)));

  CB_ASSERT_OK_AND_ASSIGN(Attachment a, tx->GetAttachment("c1", "a1"));
  a.content = Json{{"comment", "edited"}};
  a.updated_at = At(9);
  CB_ASSERT_OK(tx->UpdateAttachment(a));
  EXPECT_EQ(a.version, 2);
  Attachment stale = a;
  stale.version = 1;
  EXPECT_TRUE(absl::IsAborted(tx->UpdateAttachment(stale)));
  Attachment missing = UserComment("c1", "nope", 1);
  missing.version = 1;
  EXPECT_TRUE(absl::IsNotFound(tx->UpdateAttachment(missing)));
  EXPECT_TRUE(absl::IsNotFound(tx->DeleteAttachment("c1", "nope")));
  EXPECT_TRUE(absl::IsNotFound(tx->DeleteAttachment("other", "a1")));
  CB_ASSERT_OK(tx->Commit());
  tx.reset();
  CB_ASSERT_OK_AND_ASSIGN(auto rtx, store_->BeginRead());
  CB_ASSERT_OK_AND_ASSIGN(Attachment got, rtx->GetAttachment("c1", "a1"));
  EXPECT_EQ(got.content, (Json{{"comment", "edited"}}));
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(got.updated_at, At(9));
}

STORE_TEST(CaseTotalsFollowAttachments) {
  Insert(MakeCase("c1"));
  Insert(MakeCase("c2"));
  Write([&](Transaction& tx) {
    Attachment u1 = UserComment("c1", "u1", 1);
    Attachment u2 = UserComment("c1", "u2", 2);
    Attachment al =
        AlertAttachment("c1", "al", 3, {"x1", "x2", "x3"}, {"i1", "i2", "i3"});
    Attachment act = UserComment("c1", "act", 4);
    act.type = AttachmentType::kActions;
    Attachment other = UserComment("c2", "o1", 1);
    for (Attachment* a : {&u1, &u2, &al, &act, &other})
      CB_ASSERT_OK(tx.InsertAttachment(*a));
  });
  Case c = Get("c1");
  EXPECT_EQ(c.total_comment, 2);
  EXPECT_EQ(c.total_alerts, 3);
  EXPECT_EQ(Get("c2").total_comment, 1);

  Write([&](Transaction& tx) {
    CB_ASSERT_OK_AND_ASSIGN(Attachment al, tx.GetAttachment("c1", "al"));
    al.content["alertId"] = Json::array({"x9"});
    al.content["index"] = Json::array({"i9"});
    CB_ASSERT_OK(tx.UpdateAttachment(al));
    CB_ASSERT_OK(tx.DeleteAttachment("c1", "u1"));
  });
  c = Get("c1");
  EXPECT_EQ(c.total_comment, 1);
  EXPECT_EQ(c.total_alerts, 1);

  // Visible through FindCases, GetCases and FindCasesByAlert too.
  CaseQuery q;
  q.filter.search = "c1";
  CasePage page = Find(q);
  ASSERT_EQ(page.cases.size(), 1u);
  EXPECT_EQ(page.cases[0].total_comment, 1);
  EXPECT_EQ(page.cases[0].total_alerts, 1);
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  CB_ASSERT_OK_AND_ASSIGN(auto by_alert, tx->FindCasesByAlert("x9", {}));
  ASSERT_EQ(by_alert.size(), 1u);
  EXPECT_EQ(by_alert[0].total_alerts, 1);
  CB_ASSERT_OK_AND_ASSIGN(auto old, tx->FindCasesByAlert("x1", {}));
  EXPECT_THAT(old, IsEmpty());
  tx.reset();

  Write([&](Transaction& tx) {
    CB_ASSERT_OK(tx.DeleteAttachment("c1", "al"));
    CB_ASSERT_OK(tx.DeleteAttachment("c1", "u2"));
  });
  c = Get("c1");
  EXPECT_EQ(c.total_comment, 0);
  EXPECT_EQ(c.total_alerts, 0);
}

STORE_TEST(AlertIndex) {
  Case c1 = MakeCase("c1", 1);
  Case c2 = MakeCase("c2", 2);
  c2.owner = "observability";
  Insert(c1);
  Insert(c2);
  Write([&](Transaction& tx) {
    Attachment a1 = AlertAttachment("c1", "a1", 10, {"alert-a", "alert-b"},
                                    {"idx-a", "idx-b"});
    Attachment a2 = AlertAttachment("c1", "a2", 20, {"alert-c"}, {"idx-c"});
    Attachment a3 = AlertAttachment("c2", "a3", 5, {"alert-a"}, {"idx-a"});
    // Single strings stand for one-element lists.
    Attachment a4 = AlertAttachment("c2", "a4", 6, {}, {});
    a4.content["alertId"] = "alert-d";
    a4.content["index"] = "idx-d";
    for (Attachment* a : {&a1, &a2, &a3, &a4})
      CB_ASSERT_OK(tx.InsertAttachment(*a));
  });
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  CB_ASSERT_OK_AND_ASSIGN(std::vector<CaseAlert> alerts,
                          tx->ListCaseAlerts("c1"));
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[0].alert_id, "alert-a");
  EXPECT_EQ(alerts[0].index, "idx-a");
  EXPECT_EQ(alerts[0].attachment_id, "a1");
  EXPECT_EQ(alerts[0].attached_at, At(10));
  EXPECT_EQ(alerts[1].alert_id, "alert-b");
  EXPECT_EQ(alerts[1].index, "idx-b");
  EXPECT_EQ(alerts[2].alert_id, "alert-c");
  EXPECT_EQ(alerts[2].attachment_id, "a2");
  EXPECT_EQ(alerts[2].attached_at, At(20));
  CB_ASSERT_OK_AND_ASSIGN(alerts, tx->ListCaseAlerts("c2"));
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[1].alert_id, "alert-d");
  EXPECT_EQ(alerts[1].index, "idx-d");
  EXPECT_EQ(Get("c2").total_alerts, 2);

  CB_ASSERT_OK_AND_ASSIGN(auto cases, tx->FindCasesByAlert("alert-a", {}));
  EXPECT_THAT(Ids(cases), ElementsAre("c1", "c2"));
  std::vector<std::string> owners = {"observability"};
  CB_ASSERT_OK_AND_ASSIGN(cases, tx->FindCasesByAlert("alert-a", owners));
  EXPECT_THAT(Ids(cases), ElementsAre("c2"));
  CB_ASSERT_OK_AND_ASSIGN(cases, tx->FindCasesByAlert("alert-c", owners));
  EXPECT_THAT(cases, IsEmpty());
  CB_ASSERT_OK_AND_ASSIGN(cases, tx->FindCasesByAlert("unknown", {}));
  EXPECT_THAT(cases, IsEmpty());
}

STORE_TEST(FindUserCommentsOnlyUserComments) {
  Insert(MakeCase("c1"));
  Write([&](Transaction& tx) {
    for (int i = 0; i < 5; ++i) {
      Attachment a =
          UserComment("c1", absl::StrCat("u", i), 10 - i);  // u4 oldest
      CB_ASSERT_OK(tx.InsertAttachment(a));
    }
    Attachment al = AlertAttachment("c1", "al", 0, {"x"}, {"i"});
    CB_ASSERT_OK(tx.InsertAttachment(al));
  });
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  auto ids = [](const AttachmentPage& p) {
    std::vector<std::string> out;
    for (const Attachment& a : p.attachments) out.push_back(a.id);
    return out;
  };
  CB_ASSERT_OK_AND_ASSIGN(AttachmentPage p,
                          tx->FindUserComments("c1", true, 1, 3));
  EXPECT_EQ(p.total, 5);
  EXPECT_THAT(ids(p), ElementsAre("u4", "u3", "u2"));
  CB_ASSERT_OK_AND_ASSIGN(p, tx->FindUserComments("c1", true, 2, 3));
  EXPECT_THAT(ids(p), ElementsAre("u1", "u0"));
  CB_ASSERT_OK_AND_ASSIGN(p, tx->FindUserComments("c1", false, 1, 2));
  EXPECT_THAT(ids(p), ElementsAre("u0", "u1"));
  CB_ASSERT_OK_AND_ASSIGN(p, tx->FindUserComments("c1", false, 9, 2));
  EXPECT_THAT(p.attachments, IsEmpty());
  EXPECT_EQ(p.total, 5);
  CB_ASSERT_OK_AND_ASSIGN(p, tx->FindUserComments("unknown", false, 1, 2));
  EXPECT_EQ(p.total, 0);
  // ListAttachments has every attachment, oldest first.
  CB_ASSERT_OK_AND_ASSIGN(auto all, tx->ListAttachments("c1"));
  std::vector<std::string> all_ids;
  for (const Attachment& a : all) all_ids.push_back(a.id);
  EXPECT_THAT(all_ids, ElementsAre("al", "u4", "u3", "u2", "u1", "u0"));
}

// --- Activity.

STORE_TEST(UserActionsRoundTripAndFilters) {
  Insert(MakeCase("c1"));
  Insert(MakeCase("c2"));
  Write([&](Transaction& tx) {
    UserAction create =
        MakeAction("c1", "ua-create", "create_case", 0,
                   Json{{"title", "t"}, {"tags", Json::array({"a"})}});
    CB_ASSERT_OK(tx.InsertUserAction(create));
    CB_ASSERT_OK(tx.InsertUserAction(
        MakeAction("c1", "ua-title", "title", 1, Json{{"title", "new"}})));
    CB_ASSERT_OK(
        tx.InsertUserAction(CommentAction("c1", "ua-user", "user", 2)));
    CB_ASSERT_OK(tx.InsertUserAction(
        CommentAction("c1", "ua-alert", "alert", 2)));  // same time
    CB_ASSERT_OK(tx.InsertUserAction(
        CommentAction("c1", "ua-lens", "persistableState", 2)));
    CB_ASSERT_OK(tx.InsertUserAction(
        CommentAction("c1", "ua-ext", "externalReference", 3)));
    CB_ASSERT_OK(
        tx.InsertUserAction(CommentAction("c1", "ua-act", "actions", 3)));
    CB_ASSERT_OK(tx.InsertUserAction(MakeAction("c1", "ua-status", "status", 4,
                                                Json{{"status", "closed"}})));
    CB_ASSERT_OK(
        tx.InsertUserAction(MakeAction("c2", "ua-other", "create_case", 0)));
  });
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  UserActionQuery q;
  q.case_id = "c1";
  q.ascending = true;
  q.per_page = 100;
  CB_ASSERT_OK_AND_ASSIGN(UserActionPage p, tx->FindUserActions(q));
  EXPECT_EQ(p.total, 8);
  EXPECT_THAT(ActionIds(p.user_actions),
              ElementsAre("ua-create", "ua-title", "ua-user", "ua-alert",
                          "ua-lens", "ua-ext", "ua-act", "ua-status"));
  // Round trip of every field.
  const UserAction& first = p.user_actions[0];
  EXPECT_EQ(first.case_id, "c1");
  EXPECT_FALSE(first.comment_id.has_value());
  EXPECT_EQ(first.type, "create_case");
  EXPECT_EQ(first.action, "create");
  EXPECT_EQ(first.payload,
            (Json{{"title", "t"}, {"tags", Json::array({"a"})}}));
  EXPECT_EQ(first.created_at, At(0));
  ExpectUserEq(first.created_by, MakeUser("alice"));
  EXPECT_EQ(first.owner, "securitySolution");
  EXPECT_EQ(p.user_actions[2].comment_id,
            std::optional<std::string>("att-ua-user"));

  q.ascending = false;
  CB_ASSERT_OK_AND_ASSIGN(p, tx->FindUserActions(q));
  EXPECT_THAT(ActionIds(p.user_actions),
              ElementsAre("ua-status", "ua-act", "ua-ext", "ua-lens",
                          "ua-alert", "ua-user", "ua-title", "ua-create"));

  auto run = [&](std::vector<std::string> types,
                 std::vector<std::string> pseudo) {
    UserActionQuery f;
    f.case_id = "c1";
    f.ascending = true;
    f.per_page = 100;
    f.types = std::move(types);
    f.pseudo_types = std::move(pseudo);
    auto page = tx->FindUserActions(f);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? ActionIds(page->user_actions)
                     : std::vector<std::string>{};
  };
  EXPECT_THAT(run({"title", "status"}, {}),
              ElementsAre("ua-title", "ua-status"));
  EXPECT_THAT(run({}, {"action"}),
              ElementsAre("ua-create", "ua-title", "ua-status"));
  EXPECT_THAT(run({}, {"user"}), ElementsAre("ua-user"));
  EXPECT_THAT(run({}, {"alert"}), ElementsAre("ua-alert"));
  EXPECT_THAT(run({}, {"attachment"}),
              ElementsAre("ua-lens", "ua-ext", "ua-act"));
  EXPECT_THAT(run({"create_case"}, {"user", "alert"}),
              ElementsAre("ua-create", "ua-user", "ua-alert"));
  EXPECT_THAT(run({"comment"}, {}), ElementsAre("ua-user", "ua-alert",
                                                "ua-lens", "ua-ext", "ua-act"));
  EXPECT_THAT(run({"pushed"}, {}), IsEmpty());

  UserActionQuery bad;
  bad.case_id = "c1";
  bad.pseudo_types = {"bogus"};
  EXPECT_FALSE(tx->FindUserActions(bad).ok());

  // Pagination.
  UserActionQuery pq;
  pq.case_id = "c1";
  pq.ascending = true;
  pq.page = 2;
  pq.per_page = 3;
  CB_ASSERT_OK_AND_ASSIGN(p, tx->FindUserActions(pq));
  EXPECT_EQ(p.total, 8);
  EXPECT_THAT(ActionIds(p.user_actions),
              ElementsAre("ua-alert", "ua-lens", "ua-ext"));
  pq.page = 3;
  CB_ASSERT_OK_AND_ASSIGN(p, tx->FindUserActions(pq));
  EXPECT_THAT(ActionIds(p.user_actions), ElementsAre("ua-act", "ua-status"));

  CB_ASSERT_OK_AND_ASSIGN(int64_t n, tx->CountUserActions("c1"));
  EXPECT_EQ(n, 8);
  CB_ASSERT_OK_AND_ASSIGN(n, tx->CountUserActions("c2"));
  EXPECT_EQ(n, 1);
}

STORE_TEST(UserActionErrors) {
  Insert(MakeCase("c1"));
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginWrite());
  CB_ASSERT_OK(tx->InsertUserAction(MakeAction("c1", "ua1", "title", 0)));
  EXPECT_TRUE(absl::IsAlreadyExists(
      tx->InsertUserAction(MakeAction("c1", "ua1", "title", 0))));
  EXPECT_TRUE(absl::IsNotFound(
      tx->InsertUserAction(MakeAction("nope", "ua2", "title", 0))));
}

// --- Configurations.

STORE_TEST(ConfigurationsByOwner) {
  Configuration sec;
  sec.id = "cfg-sec";
  sec.owner = "securitySolution";
  sec.connector = CaseConnector{"conn-1", "Jira", ".jira", nullptr};
  sec.closure_type = "close-by-pushing";
  sec.custom_fields = {
      {"f_text", "Text", CustomFieldType::kText, true, std::string("default")},
      {"f_toggle", "Toggle", CustomFieldType::kToggle, false, false},
      {"f_number", "Number", CustomFieldType::kNumber, false, int64_t{42}},
      {"f_none", "None", CustomFieldType::kText, false, std::monostate{}}};
  sec.templates = Json::array(
      {Json{{"key", "tpl"}, {"name", "Template"}, {"caseFields", nullptr}}});
  sec.created_at = At(1);
  sec.created_by = MakeUser("alice");
  Configuration obs;
  obs.id = "cfg-obs";
  obs.owner = "observability";
  obs.created_at = At(2);
  obs.created_by = MakeUser("bob");
  Write([&](Transaction& tx) {
    CB_ASSERT_OK(tx.InsertConfiguration(sec));
    CB_ASSERT_OK(tx.InsertConfiguration(obs));
  });
  EXPECT_EQ(sec.version, 1);

  auto expect_eq = [](const Configuration& got, const Configuration& want) {
    EXPECT_EQ(got.id, want.id);
    EXPECT_EQ(got.version, want.version);
    EXPECT_EQ(got.owner, want.owner);
    EXPECT_EQ(got.connector, want.connector);
    EXPECT_EQ(got.closure_type, want.closure_type);
    ASSERT_EQ(got.custom_fields.size(), want.custom_fields.size());
    for (size_t i = 0; i < want.custom_fields.size(); ++i) {
      EXPECT_EQ(got.custom_fields[i].key, want.custom_fields[i].key);
      EXPECT_EQ(got.custom_fields[i].label, want.custom_fields[i].label);
      EXPECT_EQ(got.custom_fields[i].type, want.custom_fields[i].type);
      EXPECT_EQ(got.custom_fields[i].required, want.custom_fields[i].required);
      EXPECT_EQ(got.custom_fields[i].default_value,
                want.custom_fields[i].default_value);
    }
    EXPECT_EQ(got.templates, want.templates);
    EXPECT_EQ(got.created_at, want.created_at);
    EXPECT_EQ(got.created_by, want.created_by);
    EXPECT_EQ(got.updated_at, want.updated_at);
    EXPECT_EQ(got.updated_by, want.updated_by);
  };
  {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
    CB_ASSERT_OK_AND_ASSIGN(Configuration got, tx->GetConfiguration("cfg-sec"));
    expect_eq(got, sec);
    CB_ASSERT_OK_AND_ASSIGN(got, tx->GetConfigurationByOwner("observability"));
    expect_eq(got, obs);
    EXPECT_TRUE(
        absl::IsNotFound(tx->GetConfigurationByOwner("cases").status()));
    EXPECT_TRUE(absl::IsNotFound(tx->GetConfiguration("nope").status()));
    CB_ASSERT_OK_AND_ASSIGN(auto all, tx->ListConfigurations({}));
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].owner, "observability");
    EXPECT_EQ(all[1].owner, "securitySolution");
    std::vector<std::string> owners = {"securitySolution", "cases"};
    CB_ASSERT_OK_AND_ASSIGN(all, tx->ListConfigurations(owners));
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].id, "cfg-sec");
  }

  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginWrite());
  Configuration dup = obs;
  dup.id = "cfg-obs-2";
  EXPECT_TRUE(absl::IsAlreadyExists(tx->InsertConfiguration(dup)));
  sec.closure_type = "close-by-user";
  sec.updated_at = At(5);
  sec.updated_by = MakeUser("carol");
  CB_ASSERT_OK(tx->UpdateConfiguration(sec));
  EXPECT_EQ(sec.version, 2);
  Configuration stale = sec;
  stale.version = 1;
  EXPECT_TRUE(absl::IsAborted(tx->UpdateConfiguration(stale)));
  Configuration missing = sec;
  missing.id = "nope";
  EXPECT_TRUE(absl::IsNotFound(tx->UpdateConfiguration(missing)));
  CB_ASSERT_OK(tx->DeleteConfiguration("cfg-obs"));
  EXPECT_TRUE(absl::IsNotFound(tx->DeleteConfiguration("cfg-obs")));
  CB_ASSERT_OK(tx->Commit());
  tx.reset();

  CB_ASSERT_OK_AND_ASSIGN(auto rtx, store_->BeginRead());
  CB_ASSERT_OK_AND_ASSIGN(Configuration got,
                          rtx->GetConfigurationByOwner("securitySolution"));
  expect_eq(got, sec);
  EXPECT_TRUE(
      absl::IsNotFound(rtx->GetConfigurationByOwner("observability").status()));
}

// --- Connectors and tokens.

STORE_TEST(ConnectorsAndReferences) {
  Connector jira;
  jira.id = "conn-jira";
  jira.connector_type_id = ".jira";
  jira.name = "Zebra Jira";
  jira.config =
      Json{{"apiUrl", "https://jira.example.com"}, {"projectKey", "SEC"}};
  jira.sealed_secrets = std::string("\x00\x01\xff sealed", 10);
  jira.created_at = At(1);
  jira.updated_at = At(2);
  Connector hook;
  hook.id = "conn-hook";
  hook.connector_type_id = ".cases-webhook";
  hook.name = "Alpha hook";
  hook.is_missing_secrets = true;
  hook.created_at = At(3);
  hook.updated_at = At(3);
  Write([&](Transaction& tx) {
    CB_ASSERT_OK(tx.InsertConnector(jira));
    CB_ASSERT_OK(tx.InsertConnector(hook));
    EXPECT_TRUE(absl::IsAlreadyExists(tx.InsertConnector(hook)));
  });
  {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
    CB_ASSERT_OK_AND_ASSIGN(Connector got, tx->GetConnector("conn-jira"));
    EXPECT_EQ(got.id, jira.id);
    EXPECT_EQ(got.connector_type_id, ".jira");
    EXPECT_EQ(got.name, "Zebra Jira");
    EXPECT_EQ(got.config, jira.config);
    EXPECT_EQ(got.sealed_secrets, jira.sealed_secrets);
    EXPECT_FALSE(got.is_missing_secrets);
    EXPECT_EQ(got.created_at, At(1));
    EXPECT_EQ(got.updated_at, At(2));
    CB_ASSERT_OK_AND_ASSIGN(got, tx->GetConnector("conn-hook"));
    EXPECT_TRUE(got.is_missing_secrets);
    EXPECT_EQ(got.sealed_secrets, "");
    CB_ASSERT_OK_AND_ASSIGN(auto all, tx->ListConnectors());
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].name, "Alpha hook");
    EXPECT_EQ(all[1].name, "Zebra Jira");
    EXPECT_TRUE(absl::IsNotFound(tx->GetConnector("nope").status()));
  }

  Case c1 = MakeCase("c1");
  c1.connector = CaseConnector{"conn-jira", "Zebra Jira", ".jira", nullptr};
  Case c2 = MakeCase("c2");
  c2.connector = c1.connector;
  Insert(c1);
  Insert(c2);
  Insert(MakeCase("c3"));
  Write([&](Transaction& tx) {
    Configuration cfg;
    cfg.id = "cfg";
    cfg.owner = "securitySolution";
    cfg.connector = c1.connector;
    CB_ASSERT_OK(tx.InsertConfiguration(cfg));
    CB_ASSERT_OK_AND_ASSIGN(int64_t refs,
                            tx.CountConnectorReferences("conn-jira"));
    EXPECT_EQ(refs, 3);
    CB_ASSERT_OK_AND_ASSIGN(refs, tx.CountConnectorReferences("conn-hook"));
    EXPECT_EQ(refs, 0);

    jira.name = "Renamed";
    jira.sealed_secrets = "new";
    CB_ASSERT_OK(tx.UpdateConnector(jira));
    Connector missing = jira;
    missing.id = "nope";
    EXPECT_TRUE(absl::IsNotFound(tx.UpdateConnector(missing)));
    CB_ASSERT_OK(tx.DeleteConnector("conn-hook"));
    EXPECT_TRUE(absl::IsNotFound(tx.DeleteConnector("conn-hook")));
  });
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  CB_ASSERT_OK_AND_ASSIGN(auto all, tx->ListConnectors());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "Renamed");
  EXPECT_EQ(all[0].sealed_secrets, "new");
}

STORE_TEST(ApiKeys) {
  ApiKey a;
  a.id = "k1";
  a.name = "CI";
  a.key_hash = std::string(64, 'a');
  a.user = User{"ci-bot", "CI bot", "ci@example.test", "uid-1"};
  a.roles = {"cases:read", "connectors:all"};
  a.created_at = At(10);
  a.created_by = "admin";
  ApiKey b = a;
  b.id = "k0";
  b.name = "Other";
  b.roles = {};
  b.created_at = At(20);
  Write([&](Transaction& tx) {
    CB_ASSERT_OK(tx.InsertApiKey(a));
    CB_ASSERT_OK(tx.InsertApiKey(b));
    EXPECT_TRUE(absl::IsAlreadyExists(tx.InsertApiKey(a)));
  });
  {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
    CB_ASSERT_OK_AND_ASSIGN(std::optional<ApiKey> got, tx->GetApiKey("k1"));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->name, "CI");
    EXPECT_EQ(got->key_hash, a.key_hash);
    EXPECT_EQ(got->user, a.user);
    EXPECT_EQ(got->roles, a.roles);
    EXPECT_EQ(got->created_at, At(10));
    EXPECT_EQ(got->created_by, "admin");
    EXPECT_FALSE(got->revoked_at.has_value());
    CB_ASSERT_OK_AND_ASSIGN(got, tx->GetApiKey("missing"));
    EXPECT_FALSE(got.has_value());
    CB_ASSERT_OK_AND_ASSIGN(auto all, tx->ListApiKeys());
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].id, "k1");  // created first
    EXPECT_EQ(all[1].id, "k0");
    EXPECT_TRUE(all[1].roles.empty());
  }
  Write([&](Transaction& tx) {
    CB_ASSERT_OK(tx.RevokeApiKey("k1", At(30)));
    CB_ASSERT_OK(tx.RevokeApiKey("k1", At(40)));  // first revocation kept
    EXPECT_TRUE(absl::IsNotFound(tx.RevokeApiKey("missing", At(30))));
  });
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  CB_ASSERT_OK_AND_ASSIGN(std::optional<ApiKey> got, tx->GetApiKey("k1"));
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->revoked_at.has_value());
  EXPECT_EQ(*got->revoked_at, At(30));
}

STORE_TEST(TokenCache) {
  CachedToken t{"conn-1", "oauth", std::string("tok\0en", 6), At(100)};
  Write([&](Transaction& tx) {
    CB_ASSERT_OK(tx.PutCachedToken(t));
    CB_ASSERT_OK(tx.PutCachedToken(CachedToken{"conn-1", "other", "x", At(5)}));
    CB_ASSERT_OK(tx.PutCachedToken(CachedToken{"conn-2", "oauth", "y", At(6)}));
  });
  {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
    CB_ASSERT_OK_AND_ASSIGN(std::optional<CachedToken> got,
                            tx->GetCachedToken("conn-1", "oauth"));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->connector_id, "conn-1");
    EXPECT_EQ(got->key, "oauth");
    EXPECT_EQ(got->sealed_token, t.sealed_token);
    EXPECT_EQ(got->expires_at, At(100));
    CB_ASSERT_OK_AND_ASSIGN(got, tx->GetCachedToken("conn-1", "missing"));
    EXPECT_FALSE(got.has_value());
  }
  Write([&](Transaction& tx) {
    CB_ASSERT_OK(
        tx.PutCachedToken(CachedToken{"conn-1", "oauth", "replaced", At(200)}));
  });
  {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
    CB_ASSERT_OK_AND_ASSIGN(std::optional<CachedToken> got,
                            tx->GetCachedToken("conn-1", "oauth"));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->sealed_token, "replaced");
    EXPECT_EQ(got->expires_at, At(200));
  }
  Write(
      [&](Transaction& tx) { CB_ASSERT_OK(tx.DeleteCachedTokens("conn-1")); });
  CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
  CB_ASSERT_OK_AND_ASSIGN(auto got, tx->GetCachedToken("conn-1", "oauth"));
  EXPECT_FALSE(got.has_value());
  CB_ASSERT_OK_AND_ASSIGN(got, tx->GetCachedToken("conn-1", "other"));
  EXPECT_FALSE(got.has_value());
  CB_ASSERT_OK_AND_ASSIGN(got, tx->GetCachedToken("conn-2", "oauth"));
  EXPECT_TRUE(got.has_value());
}

// --- Write batches.

STORE_TEST(WriteBatchKeepsOkOpsAndUndoesFailedOnes) {
  Insert(MakeCase("existing"));
  std::vector<Store::WriteOp> ops;
  ops.push_back([](Transaction& tx) {
    Case c = MakeCase("b1", 1);
    return tx.InsertCase(c);
  });
  // Writes a case, then fails: its case must not survive.
  ops.push_back([](Transaction& tx) {
    Case c = MakeCase("b2", 2);
    absl::Status status = tx.InsertCase(c);
    if (!status.ok()) return status;
    return absl::InvalidArgumentError("rejected after writing");
  });
  // A duplicate id fails in the store.
  ops.push_back([](Transaction& tx) {
    Case c = MakeCase("existing", 3);
    return tx.InsertCase(c);
  });
  // Sees the earlier kept op's write.
  ops.push_back([](Transaction& tx) -> absl::Status {
    absl::StatusOr<Case> b1 = tx.GetCase("b1");
    if (!b1.ok()) return b1.status();
    Case c = MakeCase("b4", 4);
    return tx.InsertCase(c);
  });
  std::vector<absl::Status> results = store_->ApplyWriteBatch(ops);
  ASSERT_EQ(results.size(), 4u);
  CB_EXPECT_OK(results[0]);
  EXPECT_EQ(results[1].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(results[2].code(), absl::StatusCode::kAlreadyExists);
  CB_EXPECT_OK(results[3]);

  Reopen();
  CaseFilter all;
  EXPECT_THAT(FindIds(all), ElementsAre("existing", "b1", "b4"));
  EXPECT_EQ(Get("existing").title, "Case existing");
}

STORE_TEST(WriteBatchOfNothingAndWritesAfterIt) {
  EXPECT_THAT(store_->ApplyWriteBatch({}), IsEmpty());
  std::vector<Store::WriteOp> ops;
  ops.push_back(
      [](Transaction&) { return absl::FailedPreconditionError("no"); });
  std::vector<absl::Status> results = store_->ApplyWriteBatch(ops);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].code(), absl::StatusCode::kFailedPrecondition);
  // The store is usable afterwards, by both kinds of writer.
  Insert(MakeCase("after"));
  ops.clear();
  ops.push_back([](Transaction& tx) {
    Case c = MakeCase("batched", 1);
    return tx.InsertCase(c);
  });
  results = store_->ApplyWriteBatch(ops);
  ASSERT_EQ(results.size(), 1u);
  CB_EXPECT_OK(results[0]);
  EXPECT_THAT(FindIds(CaseFilter{}), ElementsAre("after", "batched"));
}

STORE_TEST(WriteBatchesAndTransactionsFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &failures] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = absl::StrCat("t", t, "-", i);
        if (t % 2 == 0) {
          std::vector<Store::WriteOp> ops;
          ops.push_back([id](Transaction& tx) {
            Case c = MakeCase(id);
            return tx.InsertCase(c);
          });
          std::vector<absl::Status> r = store_->ApplyWriteBatch(ops);
          if (r.size() != 1 || !r[0].ok()) ++failures;
        } else {
          auto tx = store_->BeginWrite();
          Case c = MakeCase(id);
          if (!tx.ok() || !(*tx)->InsertCase(c).ok() || !(*tx)->Commit().ok())
            ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  CaseQuery q;
  q.per_page = 100;
  EXPECT_EQ(Find(q).total, kThreads * kPerThread);
}

// The WatchCases feed: seqs increase, listing pages by seq, a rolled-back
// event is never listed, pruning remembers how far it went, and the latest
// seq survives pruning everything.
STORE_TEST(CaseEvents) {
  {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
    CB_ASSERT_OK_AND_ASSIGN(int64_t latest, tx->LatestCaseEventSeq());
    EXPECT_EQ(latest, 0);
    CB_ASSERT_OK_AND_ASSIGN(int64_t pruned, tx->CaseEventsPrunedThrough());
    EXPECT_EQ(pruned, 0);
  }
  std::vector<int64_t> seqs;
  Write([&](Transaction& tx) {
    for (int i = 0; i < 3; ++i) {
      CaseEvent e;
      e.type = i == 0 ? CaseEventType::kCreated : CaseEventType::kCommented;
      e.case_id = "case-a";
      e.owner = "securitySolution";
      e.case_version = i + 1;
      e.time = At(10 + i);
      CB_ASSERT_OK(tx.InsertCaseEvent(e));
      seqs.push_back(e.seq);
    }
  });
  ASSERT_EQ(seqs.size(), 3u);
  EXPECT_LT(seqs[0], seqs[1]);
  EXPECT_LT(seqs[1], seqs[2]);
  {
    // Not committed: never visible.
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginWrite());
    CaseEvent e;
    e.case_id = "case-rolled-back";
    e.owner = "o";
    e.time = At(12);
    CB_ASSERT_OK(tx->InsertCaseEvent(e));
  }
  Write([&](Transaction& tx) {
    CaseEvent e;
    e.type = CaseEventType::kDeleted;
    e.case_id = "case-b";
    e.owner = "observability";
    e.time = At(50);
    CB_ASSERT_OK(tx.InsertCaseEvent(e));
    EXPECT_GT(e.seq, seqs[2]);
    seqs.push_back(e.seq);
  });
  {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
    CB_ASSERT_OK_AND_ASSIGN(std::vector<CaseEvent> all,
                            tx->ListCaseEvents(0, 100));
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].seq, seqs[0]);
    EXPECT_EQ(all[0].type, CaseEventType::kCreated);
    EXPECT_EQ(all[0].case_id, "case-a");
    EXPECT_EQ(all[0].owner, "securitySolution");
    EXPECT_EQ(all[0].case_version, 1);
    EXPECT_EQ(all[0].time, At(10));
    EXPECT_EQ(all[3].type, CaseEventType::kDeleted);
    EXPECT_EQ(all[3].case_id, "case-b");
    CB_ASSERT_OK_AND_ASSIGN(std::vector<CaseEvent> page,
                            tx->ListCaseEvents(seqs[0], 2));
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].seq, seqs[1]);
    EXPECT_EQ(page[1].seq, seqs[2]);
    CB_ASSERT_OK_AND_ASSIGN(int64_t latest, tx->LatestCaseEventSeq());
    EXPECT_EQ(latest, seqs[3]);
  }
  Write([&](Transaction& tx) {
    CB_ASSERT_OK_AND_ASSIGN(int64_t deleted, tx.PruneCaseEvents(At(12)));
    EXPECT_EQ(deleted, 2);
  });
  {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
    CB_ASSERT_OK_AND_ASSIGN(int64_t pruned, tx->CaseEventsPrunedThrough());
    EXPECT_EQ(pruned, seqs[1]);
    CB_ASSERT_OK_AND_ASSIGN(std::vector<CaseEvent> rest,
                            tx->ListCaseEvents(0, 100));
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[0].seq, seqs[2]);
  }
  Write([&](Transaction& tx) {
    CB_ASSERT_OK_AND_ASSIGN(int64_t deleted, tx.PruneCaseEvents(At(1000)));
    EXPECT_EQ(deleted, 2);
    // Nothing left older than that: pruning again changes nothing.
    CB_ASSERT_OK_AND_ASSIGN(deleted, tx.PruneCaseEvents(At(1000)));
    EXPECT_EQ(deleted, 0);
  });
  {
    CB_ASSERT_OK_AND_ASSIGN(auto tx, store_->BeginRead());
    CB_ASSERT_OK_AND_ASSIGN(int64_t pruned, tx->CaseEventsPrunedThrough());
    EXPECT_EQ(pruned, seqs[3]);
    CB_ASSERT_OK_AND_ASSIGN(int64_t latest, tx->LatestCaseEventSeq());
    EXPECT_EQ(latest, seqs[3]);
  }
  // New events continue above everything seen before.
  Write([&](Transaction& tx) {
    CaseEvent e;
    e.case_id = "case-c";
    e.owner = "o";
    e.time = At(2000);
    CB_ASSERT_OK(tx.InsertCaseEvent(e));
    EXPECT_GT(e.seq, seqs[3]);
  });
}

}  // namespace casebridge::store::testing

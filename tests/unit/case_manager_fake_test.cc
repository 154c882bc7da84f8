// CaseManager rules that need a controllable store: limits reached through
// pre-loaded state, injected commit failures, exact clock arithmetic.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/cases/case_manager.h"
#include "server/util/status.h"
#include "tests/unit/fake_store.h"

namespace casebridge::cases {
namespace {

using ::testing::ElementsAre;

const store::User kUser{"alice", "Alice", "", ""};

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> out;
  for (const auto& v : GetFieldViolations(status)) out.push_back(v.field);
  return out;
}

class CaseManagerFakeTest : public ::testing::Test {
 protected:
  CaseManagerFakeTest() : manager_(&store_, [this] { return now_; }) {}

  store::Case Create(const std::string& title = "t") {
    NewCase c;
    c.title = title;
    c.description = "d";
    c.owner = "cases";
    auto created = manager_.CreateCase(c, kUser);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : store::Case{};
  }

  CasePatch Patch(const store::Case& c) {
    CasePatch p;
    p.id = c.id;
    p.version = c.version;
    return p;
  }

  absl::Time now_ = absl::FromUnixMillis(1700000000123);
  store::testing::FakeStore store_;
  CaseManager manager_;
};

TEST_F(CaseManagerFakeTest, UserActionLimitRejectsTheUpdate) {
  store::Case c = Create();
  store_.Edit([&](store::testing::FakeState& s) {
    for (int i = 0; i < 9998; ++i) {  // plus create_case = 9999
      store::UserAction a;
      a.case_id = c.id;
      a.type = "title";
      s.user_actions.push_back(a);
    }
  });
  CasePatch two = Patch(c);
  two.title = "new";
  two.severity = store::CaseSeverity::kHigh;
  auto rejected = manager_.UpdateCases({two}, kUser);
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(rejected.status()), ElementsAre("cases[0]"));
  EXPECT_EQ(store_.Snapshot().cases.at(c.id).title, "t");

  CasePatch one = Patch(c);
  one.title = "new";
  EXPECT_TRUE(manager_.UpdateCases({one}, kUser).ok());
  EXPECT_EQ(store_.Snapshot().user_actions.size(), 10000u);
}

TEST_F(CaseManagerFakeTest, FailedCommitLeavesNothingBehind) {
  store_.FailNextCommit(absl::UnavailableError("disk gone"));
  NewCase c;
  c.title = "t";
  c.description = "d";
  c.owner = "cases";
  auto created = manager_.CreateCase(c, kUser);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(store_.Snapshot().cases.empty());
  EXPECT_TRUE(store_.Snapshot().user_actions.empty());
}

TEST_F(CaseManagerFakeTest, DurationIsWholeSecondsFromCreation) {
  store::Case c = Create();
  EXPECT_EQ(c.created_at, absl::FromUnixMillis(1700000000123));
  now_ += absl::Milliseconds(90999);
  CasePatch close = Patch(c);
  close.status = store::CaseStatus::kClosed;
  auto closed = manager_.UpdateCases({close}, kUser);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ((*closed)[0].duration_seconds, 90);
  EXPECT_EQ((*closed)[0].closed_at, now_);
  EXPECT_EQ((*closed)[0].updated_at, now_);
}

TEST_F(CaseManagerFakeTest, TimesAreKeptToTheMillisecond) {
  now_ = absl::FromUnixMicros(1700000000123456);
  store::Case c = Create();
  EXPECT_EQ(c.created_at, absl::FromUnixMillis(1700000000123));
}

TEST_F(CaseManagerFakeTest, OnlyChangedCasesAreWrittenAndReturned) {
  store::Case a = Create("a");
  store::Case b = Create("b");
  CasePatch same = Patch(a);
  same.title = "a";
  CasePatch changed = Patch(b);
  changed.title = "b2";
  auto result = manager_.UpdateCases({same, changed}, kUser);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].id, b.id);
  auto state = store_.Snapshot();
  EXPECT_EQ(state.cases.at(a.id).version, 1);
  EXPECT_FALSE(state.cases.at(a.id).updated_at.has_value());
  EXPECT_EQ(state.cases.at(b.id).version, 2);
  EXPECT_EQ(state.user_actions.size(), 3u);  // two create_case + one title
}

TEST_F(CaseManagerFakeTest, ReferenceAttachmentLimit) {
  store::Case c = Create();
  store_.Edit([&](store::testing::FakeState& s) {
    for (int i = 0; i < 100; ++i) {
      store::Attachment a;
      a.id = "ps-" + std::to_string(i);
      a.case_id = c.id;
      a.owner = "cases";
      a.type = store::AttachmentType::kPersistableState;
      s.attachments.push_back(a);
    }
  });
  AttachmentInput ref{
      store::AttachmentType::kExternalReference,
      {{"externalReferenceAttachmentTypeId", ".files"},
       {"externalReferenceId", "f"},
       {"externalReferenceStorage", {{"type", "elasticSearchDoc"}}},
       {"externalReferenceMetadata", nullptr}}};
  auto result = manager_.AddComment(c.id, "", ref, kUser);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(result.status()), ElementsAre("attachment"));
  // Other kinds are not limited by it.
  AttachmentInput user{store::AttachmentType::kUser, {{"comment", "x"}}};
  EXPECT_TRUE(manager_.AddComment(c.id, "", user, kUser).ok());
}

}  // namespace
}  // namespace casebridge::cases

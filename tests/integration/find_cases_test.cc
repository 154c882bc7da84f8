// FindCases (every filter, sort field and order, search, pagination, status
// counts that ignore the status filter), GetCaseStatusCounts, ListReporters,
// ListTags and ListCategories over real gRPC.
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/integration/test_util.h"

namespace casebridge::testing {
namespace {

using google::protobuf::util::TimeUtil;

class FindCasesTest : public CaseApiTest {
 protected:
  // Creates cases with distinct created_at values (a short pause apart).
  std::vector<v1::Case> CreateSequence(const std::vector<std::string>& titles) {
    std::vector<v1::Case> out;
    for (const auto& t : titles) {
      out.push_back(CreateTitled(t));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return out;
  }

  static std::vector<std::string> Titles(const v1::FindCasesResponse& r) {
    std::vector<std::string> out;
    for (const auto& c : r.cases()) out.push_back(c.title());
    return out;
  }

  static std::set<std::string> TitleSet(const v1::FindCasesResponse& r) {
    auto t = Titles(r);
    return {t.begin(), t.end()};
  }

  v1::Case SetStatus(const v1::Case& c, v1::CaseStatus status) {
    v1::CasePatch p = PatchOf(c);
    p.set_status(status);
    return Update(p);
  }

  // A word no other test (or test run) uses, for searches across owners.
  const std::string token_ = "tok" + std::to_string(::getpid()) + "x" +
                             std::to_string(::time(nullptr));

  grpc::Status TryFind(v1::FindCasesRequest r) {
    if (r.owners().empty()) r.add_owners(owner_);
    v1::FindCasesResponse resp;
    return CB_CALL(FindCases, r, &resp);
  }
};

using Strings = std::vector<std::string>;
using StringSet = std::set<std::string>;

TEST_F(FindCasesTest, DefaultsAreNewestFirstPageOneTwenty) {
  CreateSequence({"first", "second", "third"});
  v1::FindCasesResponse r = Find({});
  EXPECT_EQ(Titles(r), (Strings{"third", "second", "first"}));
  EXPECT_EQ(r.page(), 1);
  EXPECT_EQ(r.per_page(), 20);
  EXPECT_EQ(r.total(), 3);
  for (const auto& c : r.cases()) EXPECT_TRUE(c.comments().empty());
}

TEST_F(FindCasesTest, SortByCreatedAt) {
  CreateSequence({"first", "second", "third"});
  v1::FindCasesRequest req;
  req.set_sort_field(v1::CASE_SORT_FIELD_CREATED_AT);
  req.set_sort_order(v1::SORT_ORDER_ASC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"first", "second", "third"}));
  req.set_sort_order(v1::SORT_ORDER_DESC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"third", "second", "first"}));
}

TEST_F(FindCasesTest, SortByTitle) {
  CreateSequence({"bravo", "alpha", "charlie"});
  v1::FindCasesRequest req;
  req.set_sort_field(v1::CASE_SORT_FIELD_TITLE);
  req.set_sort_order(v1::SORT_ORDER_ASC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"alpha", "bravo", "charlie"}));
  req.set_sort_order(v1::SORT_ORDER_DESC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"charlie", "bravo", "alpha"}));
}

TEST_F(FindCasesTest, SortByUpdatedAt) {
  auto cases = CreateSequence({"a", "b", "c"});
  // Update in the order b, c, a.
  for (int i : {1, 2, 0}) {
    v1::CasePatch p = PatchOf(cases[i]);
    p.set_description("touched");
    Update(p);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  v1::FindCasesRequest req;
  req.set_sort_field(v1::CASE_SORT_FIELD_UPDATED_AT);
  req.set_sort_order(v1::SORT_ORDER_ASC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"b", "c", "a"}));
  req.set_sort_order(v1::SORT_ORDER_DESC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"a", "c", "b"}));
}

TEST_F(FindCasesTest, SortByClosedAt) {
  auto cases = CreateSequence({"a", "b", "c"});
  for (int i : {2, 0, 1}) {
    SetStatus(cases[i], v1::CASE_STATUS_CLOSED);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  v1::FindCasesRequest req;
  req.set_sort_field(v1::CASE_SORT_FIELD_CLOSED_AT);
  req.set_sort_order(v1::SORT_ORDER_ASC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"c", "a", "b"}));
  req.set_sort_order(v1::SORT_ORDER_DESC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"b", "a", "c"}));
}

TEST_F(FindCasesTest, SortByCategory) {
  for (const auto& [title, category] :
       std::vector<std::pair<std::string, std::string>>{
           {"x", "beta"}, {"y", "alpha"}, {"z", "gamma"}}) {
    v1::CreateCaseRequest r = NewCase(title);
    r.set_category(category);
    Create(r);
  }
  v1::FindCasesRequest req;
  req.set_sort_field(v1::CASE_SORT_FIELD_CATEGORY);
  req.set_sort_order(v1::SORT_ORDER_ASC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"y", "x", "z"}));
  req.set_sort_order(v1::SORT_ORDER_DESC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"z", "x", "y"}));
}

TEST_F(FindCasesTest, SortByStatusFollowsLifecycleOrder) {
  auto cases = CreateSequence({"closed", "open", "progress"});
  SetStatus(cases[0], v1::CASE_STATUS_CLOSED);
  SetStatus(cases[2], v1::CASE_STATUS_IN_PROGRESS);
  v1::FindCasesRequest req;
  req.set_sort_field(v1::CASE_SORT_FIELD_STATUS);
  req.set_sort_order(v1::SORT_ORDER_ASC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"open", "progress", "closed"}));
  req.set_sort_order(v1::SORT_ORDER_DESC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"closed", "progress", "open"}));
}

TEST_F(FindCasesTest, SortBySeverityFollowsSeverityOrder) {
  for (const auto& [title, sev] :
       std::vector<std::pair<std::string, v1::CaseSeverity>>{
           {"high", v1::CASE_SEVERITY_HIGH},
           {"low", v1::CASE_SEVERITY_LOW},
           {"critical", v1::CASE_SEVERITY_CRITICAL},
           {"medium", v1::CASE_SEVERITY_MEDIUM}}) {
    v1::CreateCaseRequest r = NewCase(title);
    r.set_severity(sev);
    Create(r);
  }
  v1::FindCasesRequest req;
  req.set_sort_field(v1::CASE_SORT_FIELD_SEVERITY);
  req.set_sort_order(v1::SORT_ORDER_ASC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"low", "medium", "high", "critical"}));
  req.set_sort_order(v1::SORT_ORDER_DESC);
  EXPECT_EQ(Titles(Find(req)), (Strings{"critical", "high", "medium", "low"}));
}

TEST_F(FindCasesTest, StatusFilterIsOredAndCountsIgnoreIt) {
  auto cases = CreateSequence({"o1", "o2", "p1", "c1"});
  for (auto& c : cases) {
    v1::CasePatch p = PatchOf(c);
    p.mutable_tags()->add_values("x");
    c = Update(p);
  }
  SetStatus(cases[2], v1::CASE_STATUS_IN_PROGRESS);
  SetStatus(cases[3], v1::CASE_STATUS_CLOSED);
  CreateTitled("untagged open");

  v1::FindCasesRequest req;
  req.add_statuses(v1::CASE_STATUS_OPEN);
  req.add_tags("x");
  v1::FindCasesResponse r = Find(req);
  EXPECT_EQ(TitleSet(r), (StringSet{"o1", "o2"}));
  EXPECT_EQ(r.total(), 2);
  EXPECT_EQ(r.count_open_cases(), 2)
      << "counts use every filter but status (tag x)";
  EXPECT_EQ(r.count_in_progress_cases(), 1);
  EXPECT_EQ(r.count_closed_cases(), 1);

  req.add_statuses(v1::CASE_STATUS_CLOSED);
  r = Find(req);
  EXPECT_EQ(TitleSet(r), (StringSet{"o1", "o2", "c1"}));

  v1::FindCasesResponse all = Find({});
  EXPECT_EQ(all.total(), 5);
  EXPECT_EQ(all.count_open_cases(), 3);
  EXPECT_EQ(all.count_in_progress_cases(), 1);
  EXPECT_EQ(all.count_closed_cases(), 1);
}

TEST_F(FindCasesTest, SeverityFilterIsOred) {
  for (const auto& [title, sev] :
       std::vector<std::pair<std::string, v1::CaseSeverity>>{
           {"high", v1::CASE_SEVERITY_HIGH},
           {"low", v1::CASE_SEVERITY_LOW},
           {"critical", v1::CASE_SEVERITY_CRITICAL}}) {
    v1::CreateCaseRequest r = NewCase(title);
    r.set_severity(sev);
    Create(r);
  }
  v1::FindCasesRequest req;
  req.add_severities(v1::CASE_SEVERITY_HIGH);
  req.add_severities(v1::CASE_SEVERITY_CRITICAL);
  EXPECT_EQ(TitleSet(Find(req)), (StringSet{"high", "critical"}));
}

TEST_F(FindCasesTest, TagFilterMatchesAnyTag) {
  CreateTitled("ab", {"a", "b"});
  CreateTitled("b", {"b"});
  CreateTitled("c", {"c"});
  CreateTitled("none");
  v1::FindCasesRequest req;
  req.add_tags("a");
  EXPECT_EQ(TitleSet(Find(req)), (StringSet{"ab"}));
  req.add_tags("c");
  EXPECT_EQ(TitleSet(Find(req)), (StringSet{"ab", "c"}));
  v1::FindCasesRequest nope;
  nope.add_tags("zzz");
  EXPECT_EQ(Find(nope).total(), 0);
}

TEST_F(FindCasesTest, AssigneeFilterAndNone) {
  v1::CreateCaseRequest r1 = NewCase("u1");
  r1.add_assignees()->set_uid("uid-1");
  Create(r1);
  v1::CreateCaseRequest r2 = NewCase("u1u2");
  r2.add_assignees()->set_uid("uid-1");
  r2.add_assignees()->set_uid("uid-2");
  Create(r2);
  CreateTitled("unassigned");
  v1::FindCasesRequest req;
  req.add_assignees("uid-2");
  EXPECT_EQ(TitleSet(Find(req)), (StringSet{"u1u2"}));
  v1::FindCasesRequest one;
  one.add_assignees("uid-1");
  EXPECT_EQ(TitleSet(Find(one)), (StringSet{"u1", "u1u2"}));
  v1::FindCasesRequest none;
  none.add_assignees("none");
  EXPECT_EQ(TitleSet(Find(none)), (StringSet{"unassigned"}));
}

TEST_F(FindCasesTest, CategoryFilter) {
  for (const auto& [title, category] :
       std::vector<std::pair<std::string, std::string>>{
           {"m", "Malware"}, {"p", "Phishing"}, {"p2", "Phishing"}}) {
    v1::CreateCaseRequest r = NewCase(title);
    r.set_category(category);
    Create(r);
  }
  CreateTitled("uncategorised");
  v1::FindCasesRequest req;
  req.add_categories("Phishing");
  EXPECT_EQ(TitleSet(Find(req)), (StringSet{"p", "p2"}));
  req.add_categories("Malware");
  EXPECT_EQ(TitleSet(Find(req)), (StringSet{"m", "p", "p2"}));
}

TEST_F(FindCasesTest, ReporterFilterMatchesCreatedByUsername) {
  CreateTitled("mine");
  v1::FindCasesRequest req;
  req.add_reporters(kTestUsername);
  EXPECT_EQ(TitleSet(Find(req)), (StringSet{"mine"}));
  v1::FindCasesRequest other;
  other.add_reporters("somebody-else");
  EXPECT_EQ(Find(other).total(), 0);
}

TEST_F(FindCasesTest, OwnersFilterNarrows) {
  CreateTitled("mine");
  v1::CreateCaseRequest r = NewCase("theirs");
  const std::string other_owner = owner_ + "-other";
  r.set_owner(other_owner);
  Create(r);
  v1::FindCasesRequest mine;
  mine.add_owners(owner_);
  EXPECT_EQ(TitleSet(Find(mine)), (StringSet{"mine"}));
  v1::FindCasesRequest both;
  both.add_owners(owner_);
  both.add_owners(other_owner);
  EXPECT_EQ(TitleSet(Find(both)), (StringSet{"mine", "theirs"}));
  v1::FindCasesRequest theirs;
  theirs.add_owners(other_owner);
  v1::FindCasesResponse t = Find(theirs);
  ASSERT_EQ(t.cases_size(), 1);
  EXPECT_EQ(t.cases(0).owner(), other_owner);
  // No owners = every owner (narrowed here by a search word unique to this
  // test run).
  Create(NewCase("unique " + token_));
  v1::CreateCaseRequest tagged_theirs = NewCase("unique " + token_);
  tagged_theirs.set_owner(other_owner);
  Create(tagged_theirs);
  v1::FindCasesRequest all_owners;
  all_owners.set_search(token_);
  v1::FindCasesResponse all;
  ASSERT_TRUE(CB_CALL(FindCases, all_owners, &all).ok());
  EXPECT_EQ(all.total(), 2);
}

TEST_F(FindCasesTest, FromAndToBoundCreatedAt) {
  auto cases = CreateSequence({"one", "two", "three"});
  auto mid = [](const google::protobuf::Timestamp& a,
                const google::protobuf::Timestamp& b) {
    return TimeUtil::NanosecondsToTimestamp(
        (TimeUtil::TimestampToNanoseconds(a) +
         TimeUtil::TimestampToNanoseconds(b)) /
        2);
  };
  v1::FindCasesRequest from;
  *from.mutable_from() = mid(cases[0].created_at(), cases[1].created_at());
  EXPECT_EQ(TitleSet(Find(from)), (StringSet{"two", "three"}));
  v1::FindCasesRequest to;
  *to.mutable_to() = mid(cases[1].created_at(), cases[2].created_at());
  EXPECT_EQ(TitleSet(Find(to)), (StringSet{"one", "two"}));
  v1::FindCasesRequest both = from;
  *both.mutable_to() = *to.mutable_to();
  EXPECT_EQ(TitleSet(Find(both)), (StringSet{"two"}));

  v1::GetCaseStatusCountsRequest counts;
  counts.add_owners(owner_);
  *counts.mutable_from() = from.from();
  v1::GetCaseStatusCountsResponse counts_resp;
  ASSERT_TRUE(CB_CALL(GetCaseStatusCounts, counts, &counts_resp).ok());
  EXPECT_EQ(counts_resp.count_open_cases(), 2);
}

TEST_F(FindCasesTest, FiltersAreAndedAcrossParameters) {
  v1::CreateCaseRequest a = NewCase("tag-and-high", {"x"});
  a.set_severity(v1::CASE_SEVERITY_HIGH);
  Create(a);
  CreateTitled("tag-only", {"x"});
  v1::CreateCaseRequest b = NewCase("high-only");
  b.set_severity(v1::CASE_SEVERITY_HIGH);
  Create(b);
  v1::FindCasesRequest req;
  req.add_tags("x");
  req.add_severities(v1::CASE_SEVERITY_HIGH);
  EXPECT_EQ(TitleSet(Find(req)), (StringSet{"tag-and-high"}));
}

class FindCasesSearchTest : public FindCasesTest {
 protected:
  void SetUp() override {
    FindCasesTest::SetUp();
    v1::CreateCaseRequest a = NewCase("Phishing email reported");
    a.set_description("A user clicked a link");
    Create(a);
    v1::CreateCaseRequest b = NewCase("Malware on host");
    b.set_description("Found a phishing kit on the web server");
    Create(b);
    v1::CreateCaseRequest c = NewCase("Unrelated");
    c.set_description("Nothing to see here");
    Create(c);
  }
};

TEST_F(FindCasesSearchTest, SearchesTitleAndDescriptionByDefault) {
  v1::FindCasesRequest req;
  req.set_search("phishing");
  v1::FindCasesResponse r = Find(req);
  EXPECT_EQ(TitleSet(r),
            (StringSet{"Phishing email reported", "Malware on host"}));
  EXPECT_EQ(r.total(), 2);
}

TEST_F(FindCasesSearchTest, SearchIsCaseInsensitive) {
  v1::FindCasesRequest req;
  req.set_search("MALWARE");
  EXPECT_EQ(TitleSet(Find(req)), (StringSet{"Malware on host"}));
}

TEST_F(FindCasesSearchTest, SearchFieldsRestrictToTitleOrDescription) {
  v1::FindCasesRequest title;
  title.set_search("phishing");
  title.add_search_fields(v1::CASE_SEARCH_FIELD_TITLE);
  EXPECT_EQ(TitleSet(Find(title)), (StringSet{"Phishing email reported"}));
  v1::FindCasesRequest desc;
  desc.set_search("phishing");
  desc.add_search_fields(v1::CASE_SEARCH_FIELD_DESCRIPTION);
  EXPECT_EQ(TitleSet(Find(desc)), (StringSet{"Malware on host"}));
  v1::FindCasesRequest both = desc;
  both.add_search_fields(v1::CASE_SEARCH_FIELD_TITLE);
  EXPECT_EQ(Find(both).total(), 2);
}

TEST_F(FindCasesSearchTest, DefaultOperatorOrVersusAnd) {
  v1::FindCasesRequest or_default;
  or_default.set_search("email kit");
  EXPECT_EQ(TitleSet(Find(or_default)),
            (StringSet{"Phishing email reported", "Malware on host"}))
      << "OR is the default operator";
  v1::FindCasesRequest or_explicit = or_default;
  or_explicit.set_default_search_operator(v1::SEARCH_OPERATOR_OR);
  EXPECT_EQ(Find(or_explicit).total(), 2);
  v1::FindCasesRequest and_op;
  and_op.set_search("phishing email");
  and_op.set_default_search_operator(v1::SEARCH_OPERATOR_AND);
  EXPECT_EQ(TitleSet(Find(and_op)), (StringSet{"Phishing email reported"}));
  v1::FindCasesRequest and_across;
  and_across.set_search("phishing link");  // title + description of one case
  and_across.set_default_search_operator(v1::SEARCH_OPERATOR_AND);
  EXPECT_EQ(TitleSet(Find(and_across)), (StringSet{"Phishing email reported"}));
  v1::FindCasesRequest and_none;
  and_none.set_search("malware email");
  and_none.set_default_search_operator(v1::SEARCH_OPERATOR_AND);
  EXPECT_EQ(Find(and_none).total(), 0);
}

TEST_F(FindCasesSearchTest, SearchCombinesWithFilters) {
  v1::FindCasesRequest req;
  req.set_search("phishing");
  req.add_statuses(v1::CASE_STATUS_CLOSED);
  v1::FindCasesResponse r = Find(req);
  EXPECT_EQ(r.total(), 0);
  EXPECT_EQ(r.count_open_cases(), 2)
      << "counts keep the search, drop the status filter";
}

TEST_F(FindCasesSearchTest, SearchSeesUpdatedTitles) {
  v1::FindCasesRequest req;
  req.set_search("Unrelated");
  v1::FindCasesResponse r = Find(req);
  ASSERT_EQ(r.cases_size(), 1);
  v1::CasePatch p = PatchOf(r.cases(0));
  p.set_title("Ransomware outbreak");
  Update(p);
  EXPECT_EQ(Find(req).total(), 0);
  v1::FindCasesRequest now;
  now.set_search("ransomware");
  EXPECT_EQ(Find(now).total(), 1);
}

TEST_F(FindCasesTest, PaginationWalksEveryCaseOnce) {
  CreateSequence({"1", "2", "3", "4", "5"});
  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    v1::FindCasesRequest req;
    req.set_page(page);
    req.set_per_page(2);
    v1::FindCasesResponse r = Find(req);
    EXPECT_EQ(r.page(), page);
    EXPECT_EQ(r.per_page(), 2);
    EXPECT_EQ(r.total(), 5);
    EXPECT_EQ(r.cases_size(), page < 3 ? 2 : 1);
    for (const auto& c : r.cases())
      EXPECT_TRUE(seen.insert(c.id()).second) << "seen twice";
  }
  EXPECT_EQ(seen.size(), 5u);
  v1::FindCasesRequest beyond;
  beyond.set_page(4);
  beyond.set_per_page(2);
  v1::FindCasesResponse r = Find(beyond);
  EXPECT_EQ(r.cases_size(), 0);
  EXPECT_EQ(r.total(), 5);
}

TEST_F(FindCasesTest, PaginationLimits) {
  v1::FindCasesRequest req;
  req.set_per_page(100);
  EXPECT_TRUE(TryFind(req).ok());
  req.set_per_page(101);
  EXPECT_TRUE(IsInvalidField(TryFind(req), "per_page"));
  req.set_per_page(100);
  req.set_page(100);
  EXPECT_TRUE(TryFind(req).ok()) << "page x per_page = 10000 is allowed";
  req.set_page(101);
  EXPECT_TRUE(IsInvalidAnyField(TryFind(req), {"page", "per_page"}));
  v1::FindCasesRequest neg;
  neg.set_page(-1);
  EXPECT_TRUE(IsInvalidField(TryFind(neg), "page"));
  v1::FindCasesRequest neg_pp;
  neg_pp.set_per_page(-5);
  EXPECT_TRUE(IsInvalidField(TryFind(neg_pp), "per_page"));
  v1::FindCasesRequest huge_page;
  huge_page.set_page(10001);
  EXPECT_TRUE(IsInvalidAnyField(TryFind(huge_page), {"page", "per_page"}));
}

TEST_F(FindCasesTest, FilterArrayLimits) {
  auto fill = [](google::protobuf::RepeatedPtrField<std::string>* f, int n) {
    for (int i = 0; i < n; ++i) f->Add("v" + std::to_string(i));
  };
  v1::FindCasesRequest ok;
  fill(ok.mutable_tags(), 100);
  fill(ok.mutable_reporters(), 100);
  fill(ok.mutable_assignees(), 100);
  fill(ok.mutable_categories(), 100);
  EXPECT_TRUE(TryFind(ok).ok());
  v1::FindCasesRequest tags;
  fill(tags.mutable_tags(), 101);
  EXPECT_TRUE(IsInvalidField(TryFind(tags), "tags"));
  v1::FindCasesRequest reporters;
  fill(reporters.mutable_reporters(), 101);
  EXPECT_TRUE(IsInvalidField(TryFind(reporters), "reporters"));
  v1::FindCasesRequest assignees;
  fill(assignees.mutable_assignees(), 101);
  EXPECT_TRUE(IsInvalidField(TryFind(assignees), "assignees"));
  v1::FindCasesRequest categories;
  fill(categories.mutable_categories(), 101);
  EXPECT_TRUE(IsInvalidField(TryFind(categories), "categories"));
}

TEST_F(FindCasesTest, EnumsOutsideTheirRangeAreInvalid) {
  v1::FindCasesRequest status;
  status.add_statuses(static_cast<v1::CaseStatus>(99));
  EXPECT_TRUE(IsInvalidField(TryFind(status), "statuses"));
  v1::FindCasesRequest sort;
  sort.set_sort_field(static_cast<v1::CaseSortField>(99));
  EXPECT_TRUE(IsInvalidField(TryFind(sort), "sort_field"));
  v1::FindCasesRequest severity;
  severity.add_severities(static_cast<v1::CaseSeverity>(99));
  EXPECT_TRUE(IsInvalidField(TryFind(severity), "severities"));
  v1::FindCasesRequest order;
  order.set_sort_order(static_cast<v1::SortOrder>(99));
  EXPECT_TRUE(IsInvalidField(TryFind(order), "sort_order"));
  v1::FindCasesRequest search_field;
  search_field.set_search("x");
  search_field.add_search_fields(static_cast<v1::CaseSearchField>(99));
  EXPECT_TRUE(IsInvalidField(TryFind(search_field), "search_fields"));
  v1::FindCasesRequest op;
  op.set_search("x");
  op.set_default_search_operator(static_cast<v1::SearchOperator>(99));
  EXPECT_TRUE(IsInvalidField(TryFind(op), "default_search_operator"));
}

TEST_F(FindCasesTest, GetCaseStatusCounts) {
  auto cases = CreateSequence({"a", "b", "c", "d"});
  SetStatus(cases[1], v1::CASE_STATUS_IN_PROGRESS);
  SetStatus(cases[2], v1::CASE_STATUS_CLOSED);
  SetStatus(cases[3], v1::CASE_STATUS_CLOSED);
  v1::GetCaseStatusCountsRequest req;
  req.add_owners(owner_);
  v1::GetCaseStatusCountsResponse resp;
  ASSERT_TRUE(CB_CALL(GetCaseStatusCounts, req, &resp).ok());
  EXPECT_EQ(resp.count_open_cases(), 1);
  EXPECT_EQ(resp.count_in_progress_cases(), 1);
  EXPECT_EQ(resp.count_closed_cases(), 2);
}

TEST_F(FindCasesTest, ListTagsIsDistinctAndOwnerScoped) {
  CreateTitled("1", {"phishing", "email"});
  CreateTitled("2", {"phishing", "malware"});
  v1::CreateCaseRequest other = NewCase("3", {"foreign"});
  other.set_owner(owner_ + "-other");
  Create(other);
  v1::ListTagsRequest req;
  req.add_owners(owner_);
  v1::ListTagsResponse resp;
  ASSERT_TRUE(CB_CALL(ListTags, req, &resp).ok());
  Strings tags(resp.tags().begin(), resp.tags().end());
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (Strings{"email", "malware", "phishing"}));
}

TEST_F(FindCasesTest, ListCategoriesIsDistinctAndOwnerScoped) {
  for (const auto& cat : {"Malware", "Phishing", "Malware"}) {
    v1::CreateCaseRequest r = NewCase(cat);
    r.set_category(cat);
    Create(r);
  }
  CreateTitled("uncategorised");
  v1::ListCategoriesRequest req;
  req.add_owners(owner_);
  v1::ListCategoriesResponse resp;
  ASSERT_TRUE(CB_CALL(ListCategories, req, &resp).ok());
  Strings cats(resp.categories().begin(), resp.categories().end());
  std::sort(cats.begin(), cats.end());
  EXPECT_EQ(cats, (Strings{"Malware", "Phishing"}));
}

TEST_F(FindCasesTest, ListReportersIsDistinct) {
  CreateTitled("1");
  CreateTitled("2");
  v1::ListReportersRequest req;
  req.add_owners(owner_);
  v1::ListReportersResponse resp;
  ASSERT_TRUE(CB_CALL(ListReporters, req, &resp).ok());
  ASSERT_EQ(resp.reporters_size(), 1);
  EXPECT_EQ(resp.reporters(0).username(), kTestUsername);
  EXPECT_EQ(resp.reporters(0).full_name(), kTestFullName);
  v1::ListReportersRequest empty_owner;
  empty_owner.add_owners(owner_ + "-nobody");
  ASSERT_TRUE(CB_CALL(ListReporters, empty_owner, &resp).ok());
  EXPECT_EQ(resp.reporters_size(), 0);
}

// Two principals on one data directory (a restart with another config): the
// reporters list and the reporter filter tell them apart, and cases survive
// the restart.
TEST(FindCasesReportersTest, ReportersFromTwoPrincipalsAcrossRestart) {
  auto create = [](ServerProcess& server, const std::string& title) {
    auto stub = server.NewCaseStub();
    grpc::ClientContext ctx;
    v1::CreateCaseRequest r;
    r.set_title(title);
    r.set_description("d");
    r.set_owner("reporters");
    v1::CreateCaseResponse resp;
    grpc::Status s = stub->CreateCase(&ctx, r, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.case_();
  };
  ServerOptions alice_options;
  alice_options.config_yaml =
      "default_principal:\n  username: alice\n  full_name: Alice A\n";
  ServerProcess alice(alice_options);
  ASSERT_TRUE(alice.Start().ok());
  create(alice, "by alice");
  alice.Stop();

  ServerOptions bob_options;
  bob_options.config_yaml =
      "default_principal:\n  username: bob\n  full_name: Bob B\n";
  bob_options.data_dir = alice.data_dir();
  ServerProcess bob(bob_options);
  ASSERT_TRUE(bob.Start().ok()) << bob.ReadStderr();
  create(bob, "by bob");

  auto stub = bob.NewCaseStub();
  grpc::ClientContext ctx;
  v1::ListReportersRequest req;
  v1::ListReportersResponse resp;
  ASSERT_TRUE(stub->ListReporters(&ctx, req, &resp).ok());
  std::set<std::string> names;
  for (const auto& u : resp.reporters()) names.insert(u.username());
  EXPECT_EQ(names, (std::set<std::string>{"alice", "bob"}));

  grpc::ClientContext ctx2;
  v1::FindCasesRequest find;
  find.add_reporters("alice");
  v1::FindCasesResponse found;
  ASSERT_TRUE(stub->FindCases(&ctx2, find, &found).ok());
  ASSERT_EQ(found.cases_size(), 1);
  EXPECT_EQ(found.cases(0).title(), "by alice");
  EXPECT_EQ(found.cases(0).created_by().username(), "alice");
}

}  // namespace
}  // namespace casebridge::testing

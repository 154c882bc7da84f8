// Unit tests of the Jira plugin's pure helpers (plugins/jira/jira_util.h):
// summary normalisation, JQL escaping (Kibana's cases), URI and base64
// encoding, Jira timestamp forms and error reasons.
#include "plugins/jira/jira_util.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace casebridge::jira {
namespace {

using nlohmann::json;

TEST(JiraUtilTest, SummaryIsNormalisedToOneLine) {
  EXPECT_EQ(NormalizeSummary("title \n \n howdy \r test"),
            "title, howdy, test");
  EXPECT_EQ(NormalizeSummary("one line"), "one line");
  EXPECT_EQ(NormalizeSummary("\r\n  \n"), "");
  EXPECT_EQ(NormalizeSummary("a\r\nb"), "a, b");
  EXPECT_EQ(NormalizeSummary("  padded\t"), "padded");
}

TEST(JiraUtilTest, JqlTextIsEscapedLikeKibana) {
  // Kibana's escapeJqlSpecialCharacters test input and expectation.
  EXPECT_EQ(EscapeJqlText("[th!s^is()a-te+st-{~is*s&ue?or|and\\bye:}]\"}]"),
            "\\\\[th\\\\!s\\\\^is\\\\(\\\\)a\\\\-te\\\\+st\\\\-\\\\{\\\\~is"
            "\\\\*s\\\\&ue\\\\?or\\\\|and\\\\bye\\\\:\\\\}\\\\]\\\\}\\\\]");
  EXPECT_EQ(EscapeJqlText("it's"), "it\\\\s");
  EXPECT_EQ(EscapeJqlText("a/b"), "a\\\\/b");
  EXPECT_EQ(EscapeJqlText("Test title"), "Test title");
}

TEST(JiraUtilTest, EncodeUriComponentMatchesJavaScript) {
  EXPECT_EQ(EncodeUriComponent("project=\"CK\" and summary ~\"Test title\""),
            "project%3D%22CK%22%20and%20summary%20~%22Test%20title%22");
  EXPECT_EQ(EncodeUriComponent("A-z_0.9!~*'()"), "A-z_0.9!~*'()");
  EXPECT_EQ(EncodeUriComponent("\\/&?é"), "%5C%2F%26%3F%C3%A9");
}

TEST(JiraUtilTest, Base64) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("user@example.com:token"),
            "dXNlckBleGFtcGxlLmNvbTp0b2tlbg==");
}

TEST(JiraUtilTest, JiraTimestampsParseToUtc) {
  auto iso = [](const char* text) {
    std::optional<int64_t> ms = ParseJiraTimestamp(text);
    return ms ? FormatIsoUtc(*ms) : std::string("invalid");
  };
  EXPECT_EQ(iso("2021-10-20T19:41:02.754+0300"), "2021-10-20T16:41:02.754Z");
  EXPECT_EQ(iso("2021-10-20T19:41:02.754+0000"), "2021-10-20T19:41:02.754Z");
  EXPECT_EQ(iso("2021-10-20T19:41:02.754-0530"), "2021-10-21T01:11:02.754Z");
  EXPECT_EQ(iso("2021-10-20T19:41:02.754+03:00"), "2021-10-20T16:41:02.754Z");
  EXPECT_EQ(iso("2021-10-20T19:41:02Z"), "2021-10-20T19:41:02.000Z");
  EXPECT_EQ(iso("2021-10-20T19:41:02.7"), "2021-10-20T19:41:02.700Z");
  EXPECT_EQ(iso("2021-10-20T19:41:02.123456+0000"), "2021-10-20T19:41:02.123Z");
  EXPECT_EQ(iso("2024-01-01T01:00:00.000+0200"), "2023-12-31T23:00:00.000Z");
  EXPECT_EQ(iso("2024-02-29T00:00:00.000+0000"), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(iso("2023-02-29T00:00:00.000+0000"), "invalid");
  EXPECT_EQ(iso("2021-10-20 19:41:02"), "invalid");
  EXPECT_EQ(iso("2021-10-20T19:41:02.754+03"), "2021-10-20T16:41:02.754Z");
  EXPECT_EQ(iso("2021-10-20T19:41:02.754+3"), "invalid");
  EXPECT_EQ(iso("2021-10-20T19:41:02.754+0300junk"), "invalid");
  EXPECT_EQ(iso(""), "invalid");
  EXPECT_EQ(FormatIsoUtc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoUtc(-1), "1969-12-31T23:59:59.999Z");
}

TEST(JiraUtilTest, ErrorReasonFollowsKibanasOrder) {
  json messages = {{"errorMessages", {"first", "second"}},
                   {"errors", {{"summary", "ignored"}}}};
  EXPECT_EQ(ErrorReason(&messages), "first, second");
  json errors = {
      {"errorMessages", json::array()},
      {"errors", {{"priority", "bad priority"}, {"summary", "bad"}}}};
  EXPECT_EQ(ErrorReason(&errors), "bad priority bad");
  json no_errors = {{"errorMessages", json::array()}};
  EXPECT_EQ(ErrorReason(&no_errors), "unknown: errorResponse.errors was null");
  EXPECT_EQ(ErrorReason(nullptr), "unknown: errorResponse was null");
  json array = json::array();
  EXPECT_EQ(ErrorReason(&array), "unknown: errorResponse was null");
}

TEST(JiraUtilTest, LabelsAndUrls) {
  EXPECT_TRUE(ContainsWhitespace("a b"));
  EXPECT_TRUE(ContainsWhitespace("a\tb"));
  EXPECT_TRUE(
      ContainsWhitespace("a\xC2\xA0"
                         "b"));
  EXPECT_FALSE(ContainsWhitespace("a-b"));
  EXPECT_EQ(CaseLabel("abc"), "casebridge-case-abc");
  EXPECT_EQ(StripOneTrailingSlash("https://x/"), "https://x");
  EXPECT_EQ(StripOneTrailingSlash("https://x//"), "https://x/");
  EXPECT_EQ(StripOneTrailingSlash("https://x"), "https://x");
}

}  // namespace
}  // namespace casebridge::jira

// The plugin SDK's HTTP helpers (plugin.hpp): status classification, URL and
// path-segment checks, and Retry-After in both of its forms.
#include <chrono>

#include "casebridge/plugin.hpp"
#include "gtest/gtest.h"

namespace casebridge::sdk {
namespace {

using std::chrono::system_clock;

// 1994-11-06 08:49:37 UTC, the RFC's example date.
const system_clock::time_point kRfcExample =
    system_clock::time_point(std::chrono::seconds(784111777));

HttpResponse WithRetryAfter(const std::string& value) {
  HttpResponse r;
  r.status = 429;
  r.headers = {{"Content-Type", "application/json"}, {"Retry-After", value}};
  return r;
}

TEST(SdkHttpHelpersTest, ClassifiesHttpStatuses) {
  struct Case {
    int32_t status;
    Code code;
    Retry retry;
  };
  const Case cases[] = {
      {400, Code::kInvalidArgument, Retry::kNo},
      {401, Code::kUnauthenticated, Retry::kNo},
      {403, Code::kPermissionDenied, Retry::kNo},
      {404, Code::kNotFound, Retry::kNo},
      {405, Code::kFailedPrecondition, Retry::kNo},
      {408, Code::kDeadlineExceeded, Retry::kYes},
      {409, Code::kAborted, Retry::kNo},
      {422, Code::kInvalidArgument, Retry::kNo},
      {429, Code::kResourceExhausted, Retry::kYes},
      {500, Code::kUnavailable, Retry::kYes},
      {501, Code::kUnimplemented, Retry::kNo},
      {502, Code::kUnavailable, Retry::kYes},
      {503, Code::kUnavailable, Retry::kYes},
      {505, Code::kUnimplemented, Retry::kNo},
      {599, Code::kUnavailable, Retry::kYes},
      {302, Code::kFailedPrecondition, Retry::kNo},
      {600, Code::kFailedPrecondition, Retry::kNo},
  };
  for (const Case& c : cases) {
    HttpErrorClass got = ClassifyHttpStatus(c.status);
    EXPECT_EQ(got.code, c.code) << c.status;
    EXPECT_EQ(got.retry, c.retry) << c.status;
  }
}

TEST(SdkHttpHelpersTest, SafePathSegments) {
  EXPECT_TRUE(IsSafePathSegment("12345"));
  EXPECT_TRUE(IsSafePathSegment("aBc-_.~9"));
  EXPECT_TRUE(IsSafePathSegment("..."));
  EXPECT_FALSE(IsSafePathSegment(""));
  EXPECT_FALSE(IsSafePathSegment("."));
  EXPECT_FALSE(IsSafePathSegment(".."));
  EXPECT_FALSE(IsSafePathSegment("a/b"));
  EXPECT_FALSE(IsSafePathSegment("a?b=1"));
  EXPECT_FALSE(IsSafePathSegment("a#b"));
  EXPECT_FALSE(IsSafePathSegment("a%2Fb"));
  EXPECT_FALSE(IsSafePathSegment("a b"));
  EXPECT_FALSE(IsSafePathSegment("\xc3\xa9"));
}

TEST(SdkHttpHelpersTest, HttpUrls) {
  EXPECT_TRUE(IsHttpUrl("https://example.com"));
  EXPECT_TRUE(IsHttpUrl("HTTP://example.com:8080/base/"));
  EXPECT_TRUE(IsHttpUrl("https://[::1]:9/x"));
  EXPECT_TRUE(IsHttpUrl("https://example.com?x=1"));
  EXPECT_FALSE(IsHttpUrl(""));
  EXPECT_FALSE(IsHttpUrl("example.com"));
  EXPECT_FALSE(IsHttpUrl("ftp://example.com"));
  EXPECT_FALSE(IsHttpUrl("file:///etc/passwd"));
  EXPECT_FALSE(IsHttpUrl("https://"));
  EXPECT_FALSE(IsHttpUrl("https://:443/"));
  EXPECT_FALSE(IsHttpUrl("https://user:pw@example.com/"));
  EXPECT_FALSE(IsHttpUrl("https://example.com/a b"));
  EXPECT_FALSE(IsHttpUrl("https://[::1/"));
}

TEST(SdkHttpHelpersTest, RetryAfterDeltaSeconds) {
  EXPECT_EQ(WithRetryAfter("120").RetryAfterMs(kRfcExample), 120000);
  EXPECT_EQ(WithRetryAfter(" 7 ").RetryAfterMs(kRfcExample), 7000);
  EXPECT_EQ(WithRetryAfter("0").RetryAfterMs(kRfcExample), 0);
  EXPECT_EQ(WithRetryAfter("604800").RetryAfterMs(kRfcExample), 604800000);
  EXPECT_EQ(WithRetryAfter("604801").RetryAfterMs(kRfcExample), 0);
  EXPECT_EQ(WithRetryAfter("99999999999999999999").RetryAfterMs(kRfcExample),
            0);
  EXPECT_EQ(WithRetryAfter("-5").RetryAfterMs(kRfcExample), 0);
  EXPECT_EQ(WithRetryAfter("1.5").RetryAfterMs(kRfcExample), 0);
  EXPECT_EQ(WithRetryAfter("").RetryAfterMs(kRfcExample), 0);
  HttpResponse none;
  EXPECT_EQ(none.RetryAfterMs(kRfcExample), 0);
  // Header names are case-insensitive.
  HttpResponse lower;
  lower.headers = {{"retry-after", "3"}};
  EXPECT_EQ(lower.RetryAfterMs(kRfcExample), 3000);
}

TEST(SdkHttpHelpersTest, RetryAfterHttpDate) {
  // The three forms RFC 9110 requires recipients to accept, 90 s ahead.
  EXPECT_EQ(
      WithRetryAfter("Sun, 06 Nov 1994 08:51:07 GMT").RetryAfterMs(kRfcExample),
      90000);
  EXPECT_EQ(WithRetryAfter("Sunday, 06-Nov-94 08:51:07 GMT")
                .RetryAfterMs(kRfcExample),
            90000);
  EXPECT_EQ(
      WithRetryAfter("Sun Nov  6 08:51:07 1994").RetryAfterMs(kRfcExample),
      90000);
  // Across a month, a year and a leap day.
  const auto new_year_2024 = system_clock::time_point(
      std::chrono::seconds(1704067200));  // 2024-01-01 00:00:00 UTC
  EXPECT_EQ(WithRetryAfter("Mon, 01 Jan 2024 00:00:01 GMT")
                .RetryAfterMs(new_year_2024 - std::chrono::milliseconds(500)),
            1500);
  const auto leap_day_2024 = system_clock::time_point(
      std::chrono::seconds(1709164800));  // 2024-02-29 00:00:00 UTC
  EXPECT_EQ(WithRetryAfter("Fri, 01 Mar 2024 00:00:00 GMT")
                .RetryAfterMs(leap_day_2024),
            86400000);
  // In the past, now, or beyond seven days: no delay.
  EXPECT_EQ(
      WithRetryAfter("Sun, 06 Nov 1994 08:49:36 GMT").RetryAfterMs(kRfcExample),
      0);
  EXPECT_EQ(
      WithRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT").RetryAfterMs(kRfcExample),
      0);
  EXPECT_EQ(
      WithRetryAfter("Mon, 14 Nov 1994 08:49:37 GMT").RetryAfterMs(kRfcExample),
      0);
  // Malformed dates.
  for (const char* bad :
       {"Sun, 06 Nov 1994 08:51:07", "Sun, 06 Foo 1994 08:51:07 GMT",
        "Sun, 31 Nov 1994 08:51:07 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 94 08:51:07 GMT", "Sun, 06 Nov 1994 8:51:07 GMT",
        "tomorrow", "Sunday, 06-Nov-1994 08:51:07 GMT"}) {
    EXPECT_EQ(WithRetryAfter(bad).RetryAfterMs(kRfcExample), 0) << bad;
  }
}

}  // namespace
}  // namespace casebridge::sdk

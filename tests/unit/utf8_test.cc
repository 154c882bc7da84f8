// UTF-8 validation, repair and truncation (server/util/utf8.h).
#include "server/util/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace casebridge {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8Test, ValidTextIsValidAndUnchanged) {
  for (const std::string& s :
       {std::string(""), std::string("plain ascii"), std::string("caf\xC3\xA9"),
        std::string("\xE2\x82\xAC 10"), std::string("\xF0\x9F\x98\x80"),
        std::string("\xF4\x8F\xBF\xBF"), std::string("nul\0inside", 10)}) {
    EXPECT_TRUE(IsValidUtf8(s)) << s;
    EXPECT_EQ(ToValidUtf8(s), s);
  }
}

TEST(Utf8Test, IllFormedSequencesAreRejected) {
  for (const std::string& s :
       {std::string("\xFF"), std::string("\x80"), std::string("\xC3"),
        std::string("\xC0\xAF"), std::string("\xE0\x80\xAF"),
        std::string("\xED\xA0\x80"), std::string("\xF4\x90\x80\x80"),
        std::string("\xF8\x88\x80\x80\x80"), std::string("ok\xE2\x82")}) {
    EXPECT_FALSE(IsValidUtf8(s)) << s;
    EXPECT_TRUE(IsValidUtf8(ToValidUtf8(s))) << s;
  }
}

TEST(Utf8Test, EachMaximalSubpartBecomesOneReplacement) {
  EXPECT_EQ(ToValidUtf8("a\xFF"
                        "b"),
            "a" + kFffd + "b");
  // A truncated three-byte sequence is one subpart.
  EXPECT_EQ(ToValidUtf8("a\xE2\x82"
                        "b"),
            "a" + kFffd + "b");
  // Surrogate: the second byte is out of range, so three subparts.
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);
  EXPECT_EQ(ToValidUtf8("bad \xFF\xFE message"),
            "bad " + kFffd + kFffd + " message");
  EXPECT_EQ(ToValidUtf8("\xC3"), kFffd);
}

TEST(Utf8Test, TruncateNeverSplitsACharacter) {
  const std::string s =
      "ab\xE2\x82\xAC"
      "cd";  // a b € c d
  EXPECT_EQ(TruncateUtf8(s, 100), s);
  EXPECT_EQ(TruncateUtf8(s, 2), "ab");
  EXPECT_EQ(TruncateUtf8(s, 3), "ab");
  EXPECT_EQ(TruncateUtf8(s, 4), "ab");
  EXPECT_EQ(TruncateUtf8(s, 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(TruncateUtf8(s, 0), "");
}

}  // namespace
}  // namespace casebridge

#include "server/util/ids.h"

#include <regex>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace casebridge {
namespace {

const std::regex kUuidV4(
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

TEST(IdsTest, UuidsAreVersionFourAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    const std::string uuid = NewUuid();
    const std::string request_id = NewRequestId();
    EXPECT_TRUE(std::regex_match(uuid, kUuidV4)) << uuid;
    EXPECT_TRUE(std::regex_match(request_id, kUuidV4)) << request_id;
    EXPECT_TRUE(seen.insert(uuid).second) << uuid;
    EXPECT_TRUE(seen.insert(request_id).second) << request_id;
  }
}

TEST(IdsTest, VersionTokensRoundTrip) {
  for (int64_t version : {1, 2, 999999}) {
    EXPECT_EQ(DecodeVersion(EncodeVersion(version)), version);
  }
  EXPECT_EQ(DecodeVersion("not-a-token"), std::nullopt);
}

}  // namespace
}  // namespace casebridge

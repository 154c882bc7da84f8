// Unit tests of the ServiceNow plugin's pure helpers (compiled into the test
// from plugins/servicenow/servicenow_util.cc; no host, no network).
#include "plugins/servicenow/servicenow_util.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace casebridge::servicenow {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ServiceNowUtilTest, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("elastic:changeme"), "ZWxhc3RpYzpjaGFuZ2VtZQ==");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe", 2)), "//4=");
}

TEST(ServiceNowUtilTest, Encodings) {
  EXPECT_EQ(UrlEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(UrlEncode("urn:ietf:params:oauth:grant-type:jwt-bearer"),
            "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer");
  EXPECT_EQ(EncodeQueryValue("name=task^ORname=incident"),
            "name%3Dtask%5EORname%3Dincident");
  EXPECT_EQ(EncodeQueryValue("a,b c"), "a,b%20c");
}

TEST(ServiceNowUtilTest, TimestampsBecomeIsoUtc) {
  EXPECT_EQ(ServiceNowTimeToIso("2020-03-10 12:24:20"),
            "2020-03-10T12:24:20.000Z");
  EXPECT_EQ(ServiceNowTimeToIso(""), std::nullopt);
  EXPECT_EQ(ServiceNowTimeToIso("2020-03-10T12:24:20"), std::nullopt);
  EXPECT_EQ(ServiceNowTimeToIso("2020-03-10 12:24"), std::nullopt);
  EXPECT_EQ(ServiceNowTimeToIso("20x0-03-10 12:24:20"), std::nullopt);
  EXPECT_EQ(UnixMsToIso(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(UnixMsToIso(1583843060123), "2020-03-10T12:24:20.123Z");
}

TEST(ServiceNowUtilTest, Urls) {
  EXPECT_EQ(StripOneTrailingSlash("https://x.service-now.com//"),
            "https://x.service-now.com/");
  EXPECT_EQ(StripOneTrailingSlash("https://x"), "https://x");
  EXPECT_EQ(UrlHost("https://dev.service-now.com:8443/path"),
            "dev.service-now.com");
  EXPECT_EQ(UrlHost("https://user:pw@dev.example/"), "dev.example");
  EXPECT_EQ(UrlHost("http://[::1]:80/"), "[::1]");
  EXPECT_EQ(UrlHost("dev.example"), "");
}

TEST(ServiceNowUtilTest, ObservablesAreSplitAndDeduplicatedPerType) {
  EXPECT_THAT(SplitObservableValues(" a,b|c\r\nd\te  "),
              ElementsAre("a", "b", "c", "d", "e"));
  EXPECT_THAT(SplitObservableValues(json::array({"x y", 5, "z"})),
              ElementsAre("x", "y", "z"));
  EXPECT_THAT(SplitObservableValues(nullptr), IsEmpty());

  json incident = {{"dest_ip", "1.1.1.1,2.2.2.2"},
                   {"source_ip", json::array({"2.2.2.2", "3.3.3.3"})},
                   {"malware_hash", "h1 h1"},
                   {"malware_url", "1.1.1.1"}};
  EXPECT_EQ(BuildObservables(incident),
            json::parse(R"([{"value":"1.1.1.1","type":"ipv4-addr"},
                            {"value":"2.2.2.2","type":"ipv4-addr"},
                            {"value":"3.3.3.3","type":"ipv4-addr"},
                            {"value":"h1","type":"SHA256"},
                            {"value":"1.1.1.1","type":"URL"}])"));
  EXPECT_EQ(BuildObservables(json::object()), json::array());
}

std::vector<std::string> Fields(const std::vector<Violation>& violations) {
  std::vector<std::string> out;
  for (const Violation& v : violations) out.push_back(v.field);
  return out;
}

TEST(ServiceNowUtilTest, ConfigRulesReportEveryViolation) {
  const json basic = {{"username", "u"}, {"password", "p"}};
  EXPECT_THAT(CheckConnectorConfig({{"apiUrl", "https://x"}}, basic),
              IsEmpty());
  EXPECT_THAT(Fields(CheckConnectorConfig(json::object(), basic)),
              ElementsAre("config.apiUrl"));
  EXPECT_THAT(
      Fields(CheckConnectorConfig({{"apiUrl", "https://x?a=b"}}, basic)),
      ElementsAre("config.apiUrl"));
  // OAuth with Basic secrets: every missing OAuth value and both forbidden
  // Basic secrets are reported together.
  EXPECT_THAT(Fields(CheckConnectorConfig(
                  {{"apiUrl", "https://x"}, {"isOAuth", true}}, basic)),
              ElementsAre("config.userIdentifierValue", "config.clientId",
                          "config.jwtKeyId", "secrets.clientSecret",
                          "secrets.privateKey", "secrets.username",
                          "secrets.password"));
  // Explicit nulls count as absent.
  EXPECT_THAT(
      CheckConnectorConfig(
          {{"apiUrl", "https://x"}, {"isOAuth", false}, {"clientId", nullptr}},
          basic),
      IsEmpty());
}

}  // namespace
}  // namespace casebridge::servicenow

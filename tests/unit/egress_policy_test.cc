#include "server/http/egress_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace casebridge::http {
namespace {

using ::testing::HasSubstr;

AddressClass Classify(const std::string& text) {
  auto a = ParseIpAddress(text);
  EXPECT_TRUE(a.ok()) << text;
  return ClassifyAddress(*a);
}

TEST(ClassifyAddressTest, IPv4) {
  EXPECT_EQ(Classify("8.8.8.8"), AddressClass::kPublic);
  EXPECT_EQ(Classify("127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(Classify("127.255.1.2"), AddressClass::kLoopback);
  EXPECT_EQ(Classify("10.0.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("172.16.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("172.31.255.255"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("172.32.0.1"), AddressClass::kPublic);
  EXPECT_EQ(Classify("192.168.1.1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("169.254.1.1"), AddressClass::kLinkLocal);
  EXPECT_EQ(Classify("169.254.169.254"), AddressClass::kMetadata);
  EXPECT_EQ(Classify("100.64.0.1"), AddressClass::kSharedCgnat);
  EXPECT_EQ(Classify("100.127.255.255"), AddressClass::kSharedCgnat);
  EXPECT_EQ(Classify("100.128.0.0"), AddressClass::kPublic);
  EXPECT_EQ(Classify("0.0.0.0"), AddressClass::kUnspecified);
  EXPECT_EQ(Classify("224.0.0.1"), AddressClass::kMulticast);
  EXPECT_EQ(Classify("255.255.255.255"), AddressClass::kReserved);
}

TEST(ClassifyAddressTest, IPv6) {
  EXPECT_EQ(Classify("2606:4700::1111"), AddressClass::kPublic);
  EXPECT_EQ(Classify("::1"), AddressClass::kLoopback);
  EXPECT_EQ(Classify("[::1]"), AddressClass::kLoopback);
  EXPECT_EQ(Classify("::"), AddressClass::kUnspecified);
  EXPECT_EQ(Classify("fc00::1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("fd12:3456::1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("fe80::1"), AddressClass::kLinkLocal);
  EXPECT_EQ(Classify("febf::1"), AddressClass::kLinkLocal);
  EXPECT_EQ(Classify("fd00:ec2::254"), AddressClass::kMetadata);
  EXPECT_EQ(Classify("ff02::1"), AddressClass::kMulticast);
}

TEST(ClassifyAddressTest, EmbeddedIPv4) {
  EXPECT_EQ(Classify("::ffff:127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(Classify("::ffff:10.1.2.3"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("::ffff:169.254.169.254"), AddressClass::kMetadata);
  EXPECT_EQ(Classify("::ffff:a9fe:a9fe"), AddressClass::kMetadata);
  EXPECT_EQ(Classify("::ffff:8.8.8.8"), AddressClass::kPublic);
  EXPECT_EQ(Classify("::127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(Classify("64:ff9b::10.0.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("2002:7f00:0001::"), AddressClass::kLoopback);
}

TEST(ParseIpAddressTest, RejectsHostnamesAndJunk) {
  EXPECT_FALSE(ParseIpAddress("localhost").ok());
  EXPECT_FALSE(ParseIpAddress("1.2.3").ok());
  EXPECT_FALSE(ParseIpAddress("").ok());
  EXPECT_FALSE(ParseIpAddress("fe80::1%eth0").ok());
  EXPECT_EQ(ParseIpAddress("::ffff:1.2.3.4")->ToString(), "::ffff:1.2.3.4");
}

TEST(CidrTest, ContainsAndParse) {
  auto c = ParseCidr("10.1.0.0/16");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->Contains(*ParseIpAddress("10.1.200.3")));
  EXPECT_FALSE(c->Contains(*ParseIpAddress("10.2.0.1")));
  EXPECT_TRUE(c->Contains(*ParseIpAddress("::ffff:10.1.0.9")));
  EXPECT_FALSE(c->Contains(*ParseIpAddress("fd00::1")));

  auto host_bits = ParseCidr("192.168.1.77/24");
  ASSERT_TRUE(host_bits.ok());
  EXPECT_EQ(host_bits->base.ToString(), "192.168.1.0");
  EXPECT_TRUE(host_bits->Contains(*ParseIpAddress("192.168.1.5")));

  auto v6 = ParseCidr("fd00::/8");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->Contains(*ParseIpAddress("fdff::1")));
  EXPECT_FALSE(v6->Contains(*ParseIpAddress("fc00::1")));

  auto single = ParseCidr("127.0.0.1");
  ASSERT_TRUE(single.ok());
  EXPECT_TRUE(single->IsSingleAddress());
  EXPECT_FALSE(single->Contains(*ParseIpAddress("127.0.0.2")));

  auto all = ParseCidr("0.0.0.0/0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Contains(*ParseIpAddress("1.2.3.4")));

  EXPECT_FALSE(ParseCidr("10.0.0.0/33").ok());
  EXPECT_FALSE(ParseCidr("10.0.0.0/").ok());
  EXPECT_FALSE(ParseCidr("10.0.0.0/x").ok());
  EXPECT_FALSE(ParseCidr("example.com/8").ok());
}

TEST(EgressPolicyTest, AllowedHostsExactCaseInsensitive) {
  EgressPolicyOptions o;
  o.allowed_hosts = {"Example.COM"};
  auto p = EgressPolicy::Create(o);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->CheckHostAllowed("example.com", "u").ok());
  EXPECT_TRUE(p->CheckHostAllowed("EXAMPLE.com.", "u").ok());
  absl::Status s =
      p->CheckHostAllowed("api.example.com", "https://api.example.com/x");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()), HasSubstr("https://api.example.com/x"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("http.allowed_hosts"));
}

TEST(EgressPolicyTest, EmptyAllowListAllowsNothing) {
  EgressPolicyOptions o;
  o.allowed_hosts = {};
  auto p = EgressPolicy::Create(o);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->CheckHostAllowed("example.com", "u").ok());
}

TEST(EgressPolicyTest, PrivateRefusedByDefault) {
  auto p = EgressPolicy::Create({});
  ASSERT_TRUE(p.ok());
  for (const char* a :
       {"127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fe80::1",
        "100.64.1.1", "0.0.0.0", "::ffff:127.0.0.1"}) {
    absl::Status s = p->CheckAddress("h", *ParseIpAddress(a), "u");
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << a;
    EXPECT_THAT(std::string(s.message()), HasSubstr("allowed_private_cidrs"))
        << a;
  }
  EXPECT_TRUE(p->CheckAddress("h", *ParseIpAddress("8.8.8.8"), "u").ok());
}

TEST(EgressPolicyTest, AllowPrivateDoesNotAllowMetadata) {
  EgressPolicyOptions o;
  o.allow_private_addresses = true;
  auto p = EgressPolicy::Create(o);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->CheckAddress("h", *ParseIpAddress("127.0.0.1"), "u").ok());
  EXPECT_TRUE(p->CheckAddress("h", *ParseIpAddress("10.0.0.1"), "u").ok());
  EXPECT_FALSE(
      p->CheckAddress("h", *ParseIpAddress("169.254.169.254"), "u").ok());
  EXPECT_FALSE(
      p->CheckAddress("h", *ParseIpAddress("fd00:ec2::254"), "u").ok());
  EXPECT_FALSE(p->CheckAddress("h", *ParseIpAddress("224.0.0.1"), "u").ok());
}

TEST(EgressPolicyTest, CidrAllowList) {
  EgressPolicyOptions o;
  o.allowed_private_cidrs = {"127.0.0.0/8", "169.254.0.0/16"};
  auto p = EgressPolicy::Create(o);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->CheckAddress("h", *ParseIpAddress("127.0.0.1"), "u").ok());
  EXPECT_TRUE(
      p->CheckAddress("h", *ParseIpAddress("::ffff:127.0.0.1"), "u").ok());
  EXPECT_FALSE(p->CheckAddress("h", *ParseIpAddress("::1"), "u").ok());
  EXPECT_FALSE(p->CheckAddress("h", *ParseIpAddress("10.0.0.1"), "u").ok());
  EXPECT_TRUE(p->CheckAddress("h", *ParseIpAddress("169.254.3.3"), "u").ok());
  // A wide block does not cover the metadata address.
  EXPECT_FALSE(
      p->CheckAddress("h", *ParseIpAddress("169.254.169.254"), "u").ok());

  o.allowed_private_cidrs = {"169.254.169.254/32"};
  auto exact = EgressPolicy::Create(o);
  ASSERT_TRUE(exact.ok());
  EXPECT_TRUE(
      exact->CheckAddress("h", *ParseIpAddress("169.254.169.254"), "u").ok());

  o.allowed_private_cidrs = {"not-a-cidr"};
  EXPECT_EQ(EgressPolicy::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EgressPolicyTest, PrivateHostsAndMetadataNames) {
  EgressPolicyOptions o;
  o.allowed_private_hosts = {"LocalHost"};
  auto p = EgressPolicy::Create(o);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(
      p->CheckAddress("localhost", *ParseIpAddress("127.0.0.1"), "u").ok());
  EXPECT_FALSE(
      p->CheckAddress("other", *ParseIpAddress("127.0.0.1"), "u").ok());
  EXPECT_FALSE(p->CheckHostName("metadata.google.internal", "u").ok());
  EXPECT_FALSE(p->CheckHostName("Metadata.Google.Internal.", "u").ok());
  EXPECT_TRUE(p->CheckHostName("example.com", "u").ok());

  // Refused before any DNS lookup.
  auto r = p->ResolveAndCheck("metadata.google.internal", 80, "u");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(EgressPolicyTest, ResolveAndCheckLocalhost) {
  auto refused = EgressPolicy::Create({});
  ASSERT_TRUE(refused.ok());
  auto r = refused->ResolveAndCheck("localhost", 80, "http://localhost/");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("localhost"));

  EgressPolicyOptions o;
  o.allowed_private_cidrs = {"127.0.0.0/8"};
  auto allowed = EgressPolicy::Create(o);
  ASSERT_TRUE(allowed.ok());
  auto ok = allowed->ResolveAndCheck("localhost", 80, "u");
  ASSERT_TRUE(ok.ok()) << ok.status();
  for (const IpAddress& a : *ok) {
    EXPECT_EQ(a.ToString(), "127.0.0.1");  // ::1 (if any) dropped
  }
}

TEST(EgressPolicyTest, ProxiedTargets) {
  auto p = EgressPolicy::Create({});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->CheckProxiedTarget("unresolvable.invalid", "u").ok());
  EXPECT_FALSE(p->CheckProxiedTarget("10.0.0.1", "u").ok());
  EXPECT_FALSE(p->CheckProxiedTarget("[::1]", "u").ok());
  EXPECT_FALSE(p->CheckProxiedTarget("metadata.google.internal", "u").ok());
}

}  // namespace
}  // namespace casebridge::http

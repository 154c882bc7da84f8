// Unit tests of server/auth: API-key hashing and header parsing, JWT
// verification, role evaluation, the rate limiter and the authenticator.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/auth/api_key.h"
#include "server/auth/authenticator.h"
#include "server/auth/guard.h"
#include "server/auth/jwt_verifier.h"
#include "server/auth/rate_limiter.h"
#include "server/auth/roles.h"
#include "tests/fakes/test_jwt.h"

namespace casebridge::auth {
namespace {

using casebridge::testing::MintJwt;
using casebridge::testing::NewEcKeyPair;
using casebridge::testing::NewRsaKeyPair;
using casebridge::testing::TestKeyPair;

// ------------------------------------------------------------- API keys

TEST(ApiKeyTest, HashIsSha256Hex) {
  EXPECT_EQ(HashApiKey("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKeyTest, GeneratedKeysAreUniqueAndCarryTheirId) {
  const std::string a = GenerateApiKey("k1");
  const std::string b = GenerateApiKey("k1");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("cbk_k1_", 0), 0u);
  EXPECT_GE(a.size(), std::string("cbk_k1_").size() + 43);
  EXPECT_EQ(ApiKeyId(a), "k1");
  EXPECT_EQ(ApiKeyId("something-else"), "");
  EXPECT_EQ(ApiKeyId("cbk__x"), "");
}

TEST(ApiKeyTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(ApiKeyTest, ParsesAuthorizationHeader) {
  Credentials c;
  ParseAuthorization("", &c);
  EXPECT_EQ(c.kind, Credentials::Kind::kNone);
  ParseAuthorization("ApiKey secret1", &c);
  EXPECT_EQ(c.kind, Credentials::Kind::kApiKey);
  EXPECT_EQ(c.value, "secret1");
  ParseAuthorization("apikey   secret2 ", &c);
  EXPECT_EQ(c.kind, Credentials::Kind::kApiKey);
  EXPECT_EQ(c.value, "secret2");
  ParseAuthorization("Bearer secret3", &c);
  EXPECT_EQ(c.kind, Credentials::Kind::kApiKey);
  ParseAuthorization("Bearer aaa.bbb.ccc", &c);
  EXPECT_EQ(c.kind, Credentials::Kind::kJwt);
  EXPECT_EQ(c.value, "aaa.bbb.ccc");
  ParseAuthorization("Basic dXNlcjpwYXNz", &c);
  EXPECT_EQ(c.kind, Credentials::Kind::kMalformed);
  EXPECT_TRUE(c.value.empty());
  ParseAuthorization("ApiKey", &c);
  EXPECT_EQ(c.kind, Credentials::Kind::kMalformed);
  ParseAuthorization("ApiKey a b", &c);
  EXPECT_EQ(c.kind, Credentials::Kind::kMalformed);
}

TEST(ApiKeyTest, WipeClears) {
  std::string s = "secret";
  Wipe(s);
  EXPECT_TRUE(s.empty());
}

// ------------------------------------------------------------------ JWT

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestKeyPair(NewRsaKeyPair());
    ec_ = new TestKeyPair(NewEcKeyPair());
    other_rsa_ = new TestKeyPair(NewRsaKeyPair());
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
    delete other_rsa_;
  }

  std::unique_ptr<JwtVerifier> Verifier() {
    JwtVerifierOptions o;
    o.public_keys_pem = {rsa_->public_pem, ec_->public_pem};
    o.issuer = "https://idp.test";
    o.audiences = {"casebridge"};
    o.leeway = absl::Seconds(30);
    auto v = JwtVerifier::Create(o);
    EXPECT_TRUE(v.ok()) << v.status();
    return *std::move(v);
  }

  nlohmann::json Claims() {
    const int64_t now = absl::ToUnixSeconds(now_);
    return {{"iss", "https://idp.test"},
            {"aud", "casebridge"},
            {"sub", "alice"},
            {"exp", now + 300},
            {"iat", now},
            {"roles", {"cases:read"}}};
  }

  absl::Status VerifyStatus(const std::string& token) {
    return Verifier()->Verify(token, now_).status();
  }

  absl::Time now_ = absl::FromUnixSeconds(1800000000);
  static TestKeyPair* rsa_;
  static TestKeyPair* ec_;
  static TestKeyPair* other_rsa_;
};
TestKeyPair* JwtTest::rsa_ = nullptr;
TestKeyPair* JwtTest::ec_ = nullptr;
TestKeyPair* JwtTest::other_rsa_ = nullptr;

TEST_F(JwtTest, AcceptsGoodRs256AndEs256) {
  auto claims =
      Verifier()->Verify(MintJwt("RS256", Claims(), rsa_->private_pem), now_);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ((*claims)["sub"], "alice");
  auto es =
      Verifier()->Verify(MintJwt("ES256", Claims(), ec_->private_pem), now_);
  ASSERT_TRUE(es.ok()) << es.status();
  EXPECT_EQ((*es)["sub"], "alice");
}

TEST_F(JwtTest, AcceptsAudienceArray) {
  auto c = Claims();
  c["aud"] = {"other", "casebridge"};
  EXPECT_TRUE(VerifyStatus(MintJwt("RS256", c, rsa_->private_pem)).ok());
}

TEST_F(JwtTest, RefusesExpired) {
  auto c = Claims();
  c["exp"] = absl::ToUnixSeconds(now_) - 31;
  absl::Status s = VerifyStatus(MintJwt("RS256", c, rsa_->private_pem));
  EXPECT_TRUE(absl::IsUnauthenticated(s));
  EXPECT_NE(s.message().find("expired"), absl::string_view::npos) << s;
  c["exp"] = absl::ToUnixSeconds(now_) - 10;  // within leeway
  EXPECT_TRUE(VerifyStatus(MintJwt("RS256", c, rsa_->private_pem)).ok());
  c.erase("exp");
  EXPECT_TRUE(absl::IsUnauthenticated(
      VerifyStatus(MintJwt("RS256", c, rsa_->private_pem))));
}

TEST_F(JwtTest, RefusesNotYetValid) {
  auto c = Claims();
  c["nbf"] = absl::ToUnixSeconds(now_) + 120;
  absl::Status s = VerifyStatus(MintJwt("RS256", c, rsa_->private_pem));
  EXPECT_TRUE(absl::IsUnauthenticated(s));
  EXPECT_NE(s.message().find("nbf"), absl::string_view::npos) << s;
}

TEST_F(JwtTest, RefusesWrongIssuerAndAudience) {
  auto c = Claims();
  c["iss"] = "https://evil.test";
  absl::Status s = VerifyStatus(MintJwt("RS256", c, rsa_->private_pem));
  EXPECT_NE(s.message().find("issuer"), absl::string_view::npos) << s;
  c = Claims();
  c["aud"] = "someone-else";
  s = VerifyStatus(MintJwt("RS256", c, rsa_->private_pem));
  EXPECT_NE(s.message().find("audience"), absl::string_view::npos) << s;
  c.erase("aud");
  EXPECT_TRUE(absl::IsUnauthenticated(
      VerifyStatus(MintJwt("RS256", c, rsa_->private_pem))));
}

TEST_F(JwtTest, RefusesWrongKey) {
  absl::Status s =
      VerifyStatus(MintJwt("RS256", Claims(), other_rsa_->private_pem));
  EXPECT_TRUE(absl::IsUnauthenticated(s));
  EXPECT_NE(s.message().find("signature"), absl::string_view::npos) << s;
}

TEST_F(JwtTest, RefusesAlgNoneAndAlgConfusion) {
  absl::Status s = VerifyStatus(MintJwt("none", Claims(), ""));
  EXPECT_TRUE(absl::IsUnauthenticated(s));
  EXPECT_NE(s.message().find("not accepted"), absl::string_view::npos) << s;
  // An RSA signature labelled ES256 (and the reverse) never verifies.
  std::string rs = MintJwt("RS256", Claims(), rsa_->private_pem);
  std::string es = MintJwt("ES256", Claims(), ec_->private_pem);
  std::string mixed = es.substr(0, es.rfind('.')) + rs.substr(rs.rfind('.'));
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyStatus(mixed)));
}

TEST_F(JwtTest, RefusesTamperedClaims) {
  std::string token = MintJwt("RS256", Claims(), rsa_->private_pem);
  auto c = Claims();
  c["sub"] = "mallory";
  std::string forged = MintJwt("RS256", c, other_rsa_->private_pem);
  // Mallory's claims with Alice's signature.
  const size_t p1 = token.find('.');
  const size_t f1 = forged.find('.');
  std::string tampered = token.substr(0, p1) +
                         forged.substr(f1, forged.rfind('.') - f1) +
                         token.substr(token.rfind('.'));
  absl::Status s = VerifyStatus(tampered);
  EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyStatus("a.b")));
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyStatus("!!.??.**")));
}

TEST_F(JwtTest, RefusesBadKeysAtCreate) {
  JwtVerifierOptions o;
  o.public_keys_pem = {"not a key"};
  EXPECT_FALSE(JwtVerifier::Create(o).ok());
  o.public_keys_pem = {};
  EXPECT_FALSE(JwtVerifier::Create(o).ok());
}

// ---------------------------------------------------------------- roles

TEST(RolesTest, PerOwnerGrants) {
  auto r = RoleSet::Parse(
      {"cases:all:securitySolution", "cases:read:observability"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->Allows(Privilege::kCasesWrite, "securitySolution"));
  EXPECT_TRUE(r->Allows(Privilege::kCasesRead, "securitySolution"));
  EXPECT_TRUE(r->Allows(Privilege::kCasesRead, "observability"));
  EXPECT_FALSE(r->Allows(Privilege::kCasesWrite, "observability"));
  EXPECT_FALSE(r->Allows(Privilege::kCasesRead, "cases"));
  EXPECT_FALSE(r->Allows(Privilege::kCasesDelete, "securitySolution"));
  EXPECT_FALSE(r->Allows(Privilege::kCasesSettings, "securitySolution"));
  EXPECT_FALSE(r->Allows(Privilege::kCasesRead, ""));
  EXPECT_FALSE(r->Allows(Privilege::kConnectorsRead, ""));
  auto readable = r->ReadableOwners();
  EXPECT_FALSE(readable.all);
  EXPECT_EQ(readable.owners,
            (std::vector<std::string>{"observability", "securitySolution"}));
}

TEST(RolesTest, AllOwnersAndConnectorsAndAdmin) {
  auto r = RoleSet::Parse({"cases:read", "connectors:all"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->Allows(Privilege::kCasesRead, "anything"));
  EXPECT_TRUE(r->ReadableOwners().all);
  EXPECT_TRUE(r->Allows(Privilege::kConnectorsRead, ""));
  EXPECT_TRUE(r->Allows(Privilege::kConnectorsAll, ""));
  EXPECT_FALSE(r->Allows(Privilege::kAdmin, ""));
  auto c = RoleSet::Parse({"connectors:read"});
  EXPECT_FALSE(c->Allows(Privilege::kConnectorsAll, ""));
  auto s = RoleSet::Parse({"superuser"});
  for (Privilege p :
       {Privilege::kCasesRead, Privilege::kCasesWrite, Privilege::kCasesDelete,
        Privilege::kCasesSettings, Privilege::kConnectorsRead,
        Privilege::kConnectorsAll, Privilege::kAdmin}) {
    EXPECT_TRUE(s->Allows(p, "x")) << PrivilegeName(p);
  }
  auto none = RoleSet::Parse({});
  EXPECT_FALSE(none->Allows(Privilege::kCasesRead, "x"));
  EXPECT_TRUE(none->ReadableOwners().owners.empty());
}

TEST(RolesTest, RefusesUnknownRoles) {
  for (const char* bad : {"cases", "cases:write", "cases:read:", "root",
                          "connectors:execute", "admin:x"}) {
    auto r = RoleSet::Parse({bad});
    EXPECT_FALSE(r.ok()) << bad;
  }
}

// ----------------------------------------------------------- rate limit

TEST(RateLimiterTest, TokenBucketPerKey) {
  RateLimiter limiter(2, 3);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_TRUE(limiter.Allow("a", t0));
  EXPECT_TRUE(limiter.Allow("a", t0));
  EXPECT_TRUE(limiter.Allow("a", t0));
  EXPECT_FALSE(limiter.Allow("a", t0));
  EXPECT_TRUE(limiter.Allow("b", t0));  // separate bucket
  EXPECT_TRUE(limiter.Allow("a", t0 + absl::Milliseconds(500)));
  EXPECT_FALSE(limiter.Allow("a", t0 + absl::Milliseconds(500)));
  RateLimiter off(0, 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(off.Allow("a", t0));
}

// -------------------------------------------------------- authenticator

TEST(AuthenticatorTest, ConfigKeysAnonymousAndStoredKeys) {
  config::AuthConfig auth;
  config::ApiKeyConfig k;
  k.id = "ci";
  k.sha256 = HashApiKey("config-key-1");
  k.principal.username = "ci-bot";
  k.principal.full_name = "CI";
  k.roles = {"cases:read"};
  auth.api_keys.push_back(k);
  const std::string stored_key = GenerateApiKey("s1");
  ApiKeyRecord record;
  record.id = "s1";
  record.sha256 = HashApiKey(stored_key);
  record.user.username = "stored";
  record.roles = {"admin"};
  bool revoked = false;
  auto lookup = [&](const std::string& id)
      -> absl::StatusOr<std::optional<ApiKeyRecord>> {
    if (id != "s1") return std::nullopt;
    ApiKeyRecord r = record;
    r.revoked = revoked;
    return r;
  };
  config::Principal default_user;
  auto a = Authenticator::Create(auth, default_user, lookup);
  ASSERT_TRUE(a.ok()) << a.status();
  const absl::Time now = absl::Now();

  auto none = (*a)->Authenticate("", now);
  EXPECT_TRUE(absl::IsUnauthenticated(none.status()));
  EXPECT_NE(none.status().message().find("authorization: ApiKey"),
            absl::string_view::npos);

  auto p = (*a)->Authenticate("ApiKey config-key-1", now);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->user.username, "ci-bot");
  EXPECT_EQ(p->id, "apikey:ci");
  EXPECT_TRUE(p->roles.Allows(Privilege::kCasesRead, "x"));
  EXPECT_TRUE(absl::IsUnauthenticated(
      (*a)->Authenticate("ApiKey config-key-2", now).status()));

  auto s = (*a)->Authenticate("Bearer " + stored_key, now);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->user.username, "stored");
  EXPECT_TRUE(s->roles.Allows(Privilege::kAdmin, ""));
  EXPECT_TRUE(absl::IsUnauthenticated(
      (*a)->Authenticate("ApiKey " + stored_key + "x", now).status()));
  revoked = true;
  (*a)->Forget("s1");
  EXPECT_TRUE(absl::IsUnauthenticated(
      (*a)->Authenticate("ApiKey " + stored_key, now).status()));

  EXPECT_TRUE(absl::IsUnauthenticated(
      (*a)->Authenticate("Bearer a.b.c", now).status()));  // JWT off

  auth.anonymous.enabled = true;
  auth.anonymous.roles = {"cases:read:observability"};
  auto anon = Authenticator::Create(auth, default_user, nullptr);
  ASSERT_TRUE(anon.ok());
  auto ap = (*anon)->Authenticate("", now);
  ASSERT_TRUE(ap.ok());
  EXPECT_EQ(ap->id, "anonymous");
  EXPECT_EQ(ap->user.username, default_user.username);
  // Wrong credentials never fall back to anonymous.
  EXPECT_FALSE((*anon)->Authenticate("ApiKey wrong", now).ok());
}

TEST(AuthenticatorTest, JwtPrincipalFromClaims) {
  TestKeyPair key = NewEcKeyPair();
  const std::string dir =
      ::testing::TempDir() + "/auth_jwt_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/idp.pem") << key.public_pem;
  config::AuthConfig auth;
  auth.jwt.public_key_files = {dir + "/idp.pem"};
  auth.jwt.issuer = "idp";
  auth.jwt.audiences = {"cb"};
  auth.jwt.username_claim = "preferred_username";
  auth.jwt.profile_uid_claim = "uid";
  auth.jwt.roles_claim = "groups";
  auto a = Authenticator::Create(auth, config::Principal{}, nullptr);
  ASSERT_TRUE(a.ok()) << a.status();
  const absl::Time now = absl::Now();
  nlohmann::json claims = {
      {"iss", "idp"},
      {"aud", "cb"},
      {"exp", absl::ToUnixSeconds(now) + 60},
      {"preferred_username", "bob"},
      {"name", "Bob B"},
      {"email", "bob@example.test"},
      {"uid", "u-1"},
      {"groups", {"cases:all:observability", "some-other-app-role"}}};
  auto p = (*a)->Authenticate(
      "Bearer " + MintJwt("ES256", claims, key.private_pem), now);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->user.username, "bob");
  EXPECT_EQ(p->user.full_name, "Bob B");
  EXPECT_EQ(p->user.email, "bob@example.test");
  EXPECT_EQ(p->user.profile_uid, "u-1");
  EXPECT_EQ(p->method, "jwt");
  EXPECT_TRUE(p->roles.Allows(Privilege::kCasesWrite, "observability"));
  EXPECT_FALSE(p->roles.Allows(Privilege::kCasesRead, "securitySolution"));
  claims.erase("preferred_username");
  EXPECT_FALSE(
      (*a)->Authenticate("Bearer " + MintJwt("ES256", claims, key.private_pem),
                         now)
          .ok());
  std::filesystem::remove_all(dir);
}

TEST(GuardTest, SearchNarrowsOwners) {
  config::AuthConfig auth;
  auth.anonymous.enabled = true;
  auth.anonymous.roles = {"cases:read:observability", "cases:read:cases"};
  auto a = Authenticator::Create(auth, config::Principal{}, nullptr);
  ASSERT_TRUE(a.ok());
  Guard guard(*std::move(a), nullptr, 0, 0);
  auto p = guard.Authenticate(
      "", {"CaseService.FindCases", Privilege::kCasesRead, "case", ""}, "peer");
  ASSERT_TRUE(p.ok());
  Action find{"CaseService.FindCases", Privilege::kCasesRead, "case", ""};
  std::vector<std::string> owners;
  ASSERT_TRUE(guard.AuthorizeSearch(*p, find, owners, "peer").ok());
  EXPECT_EQ(owners, (std::vector<std::string>{"cases", "observability"}));
  owners = {"observability"};
  ASSERT_TRUE(guard.AuthorizeSearch(*p, find, owners, "peer").ok());
  EXPECT_EQ(owners, (std::vector<std::string>{"observability"}));
  owners = {"observability", "securitySolution"};
  EXPECT_TRUE(absl::IsPermissionDenied(
      guard.AuthorizeSearch(*p, find, owners, "peer")));
}

}  // namespace
}  // namespace casebridge::auth

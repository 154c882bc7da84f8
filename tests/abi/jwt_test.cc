// RS256 signing (server/plugin_host/jwt.h), verified with the public key.
#include "server/plugin_host/jwt.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/abi/test_keys.h"

namespace casebridge::plugin_host {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new test_keys::TestKey(test_keys::MakeRsaKey());
  }
  static void TearDownTestSuite() { delete key_; }
  static test_keys::TestKey* key_;
};
test_keys::TestKey* JwtTest::key_ = nullptr;

constexpr char kClaims[] =
    R"({"sub":"admin","aud":"client-1","iss":"client-1","iat":1700000000,"exp":1700003600})";

TEST_F(JwtTest, SignsVerifiableTokenWithKidAndClaims) {
  auto jwt = SignJwtRs256(R"({"kid":"key-7"})", kClaims, key_->private_pem, "");
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_TRUE(test_keys::VerifyRs256(*jwt, key_->public_pem));
  json header = json::parse(test_keys::JwtPart(*jwt, 0));
  EXPECT_EQ(header, json({{"alg", "RS256"}, {"kid", "key-7"}, {"typ", "JWT"}}));
  EXPECT_EQ(test_keys::JwtPart(*jwt, 1), kClaims);  // signed byte for byte
  EXPECT_EQ(jwt->find('='), std::string::npos);     // no padding
}

TEST_F(JwtTest, AlgCannotBeOverridden) {
  auto jwt = SignJwtRs256(R"({"alg":"none"})", kClaims, key_->private_pem, "");
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(json::parse(test_keys::JwtPart(*jwt, 0)).at("alg"), "RS256");
}

TEST_F(JwtTest, EncryptedKeyWithRightPassphrase) {
  auto jwt =
      SignJwtRs256("", kClaims, key_->encrypted_private_pem, key_->passphrase);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_TRUE(test_keys::VerifyRs256(*jwt, key_->public_pem));
}

TEST_F(JwtTest, EncryptedKeyWithWrongPassphrase) {
  auto jwt = SignJwtRs256("", kClaims, key_->encrypted_private_pem, "wrong");
  ASSERT_FALSE(jwt.ok());
  EXPECT_EQ(jwt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(jwt.status().message(),
            "private key could not be decrypted: wrong passphrase?");
}

TEST_F(JwtTest, EncryptedKeyWithoutPassphrase) {
  auto jwt = SignJwtRs256("", kClaims, key_->encrypted_private_pem, "");
  ASSERT_FALSE(jwt.ok());
  EXPECT_THAT(std::string(jwt.status().message()), HasSubstr("no passphrase"));
}

TEST_F(JwtTest, TamperedTokenDoesNotVerify) {
  auto jwt = SignJwtRs256("", kClaims, key_->private_pem, "");
  ASSERT_TRUE(jwt.ok());
  std::string tampered = *jwt;
  size_t dot = tampered.find('.');
  tampered[dot + 2] = tampered[dot + 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(test_keys::VerifyRs256(tampered, key_->public_pem));
}

TEST_F(JwtTest, RejectsBadInputs) {
  EXPECT_EQ(SignJwtRs256("", "not json", key_->private_pem, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SignJwtRs256("[1]", kClaims, key_->private_pem, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto garbage =
      SignJwtRs256("", kClaims, "-----BEGIN PRIVATE KEY-----\nxx\n", "");
  EXPECT_THAT(std::string(garbage.status().message()),
              HasSubstr("could not be read"));
}

TEST_F(JwtTest, RejectsNonRsaKey) {
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr);
  std::string pem = test_keys::BioToString(bio);
  BIO_free(bio);
  EVP_PKEY_free(ec);
  auto jwt = SignJwtRs256("", kClaims, pem, "");
  ASSERT_FALSE(jwt.ok());
  EXPECT_THAT(std::string(jwt.status().message()), HasSubstr("not an RSA key"));
}

TEST(Base64UrlTest, EncodesWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

}  // namespace
}  // namespace casebridge::plugin_host

#include "server/connectors/secret_box.h"

#include <string>

#include "gtest/gtest.h"

namespace casebridge::connectors {
namespace {

constexpr char kKey[] = "0123456789abcdef0123456789abcdef-primary";
constexpr char kOldKey[] = "0123456789abcdef0123456789abcdef-old-key";

TEST(SecretBoxTest, SealThenOpenRoundTrips) {
  auto box = SecretBox::Create(kKey, {});
  ASSERT_TRUE(box.ok()) << box.status();
  auto sealed = box->Seal(R"({"password":"hunter2"})", "connector-1");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->find("hunter2"), std::string::npos);
  auto opened = box->Open(*sealed, "connector-1");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, R"({"password":"hunter2"})");
}

TEST(SecretBoxTest, SealingTwiceGivesDifferentCiphertexts) {
  auto box = SecretBox::Create(kKey, {});
  ASSERT_TRUE(box.ok());
  EXPECT_NE(*box->Seal("same", "c"), *box->Seal("same", "c"));
}

TEST(SecretBoxTest, WrongAssociatedDataIsRefused) {
  auto box = SecretBox::Create(kKey, {});
  ASSERT_TRUE(box.ok());
  auto sealed = box->Seal("hunter2", "connector-1");
  ASSERT_TRUE(sealed.ok());
  auto opened = box->Open(*sealed, "connector-2");
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(opened.status().message()).find("hunter2"), std::string::npos);
}

TEST(SecretBoxTest, TamperedValueIsRefused) {
  auto box = SecretBox::Create(kKey, {});
  ASSERT_TRUE(box.ok());
  std::string sealed = *box->Seal("secret value", "c");
  sealed[sealed.size() - 3] = sealed[sealed.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(box->Open(sealed, "c").ok());
  EXPECT_FALSE(box->Open("garbage", "c").ok());
  EXPECT_FALSE(box->Open("cb1:!!!", "c").ok());
}

TEST(SecretBoxTest, OldKeysStillOpenAfterRotation) {
  auto old_box = SecretBox::Create(kOldKey, {});
  ASSERT_TRUE(old_box.ok());
  std::string sealed_with_old = *old_box->Seal("rotated", "c");

  auto rotated = SecretBox::Create(kKey, {kOldKey});
  ASSERT_TRUE(rotated.ok());
  auto opened = rotated->Open(sealed_with_old, "c");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "rotated");
  // New values are sealed with the primary key, which the old box cannot open.
  EXPECT_FALSE(old_box->Open(*rotated->Seal("new", "c"), "c").ok());
}

TEST(SecretBoxTest, ShortKeysAreRejected) {
  EXPECT_EQ(SecretBox::Create("too short", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SecretBox::Create(kKey, {"short"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SecretBoxTest, NoKeyRefusesWithAnInstruction) {
  SecretBox box;
  EXPECT_FALSE(box.has_key());
  auto sealed = box.Seal("x", "c");
  EXPECT_EQ(sealed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(sealed.status().message()).find("CASEBRIDGE_ENCRYPTION_KEY"), std::string::npos);
}

TEST(SecretBoxTest, WipeClearsTheString) {
  std::string s = "plaintext";
  Wipe(s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace casebridge::connectors

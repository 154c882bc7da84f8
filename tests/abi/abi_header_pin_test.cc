// Pins the plugin ABI: the header's SHA-256 must match kPinnedSha256, and
// the layout of every released struct and table is frozen by static_asserts.
// A failure here means the ABI header changed: decide whether the change is
// compatible (append-only: bump CBP_ABI_VERSION_MINOR) or not (bump
// CBP_ABI_VERSION_MAJOR and the entry symbol), note it in the changelog, and
// only then update the pin.
#include <openssl/evp.h>

#include <cstddef>
#include <fstream>
#include <iterator>
#include <string>

#include "casebridge/plugin_abi.h"
#include "gtest/gtest.h"

namespace {

// SHA-256 of sdk/include/casebridge/plugin_abi.h for ABI 1.0.
constexpr char kPinnedSha256[] =
    "bd5c709163a63bc11bcc22f0320479d666a453d5a92f46a22af28c5eb69bb8f7";

// Layout of ABI 1.0 on LP64 (x86-64, aarch64 Linux). Appending fields keeps
// these true; anything else breaks released plugins.
static_assert(CBP_ABI_VERSION_MAJOR == 1,
              "new major: re-pin the layouts below");
static_assert(sizeof(cbp_str) == 16 && offsetof(cbp_str, size) == 8,
              "cbp_str is frozen");
static_assert(sizeof(cbp_header) == 32 && offsetof(cbp_header, value) == 16,
              "cbp_header is frozen");
static_assert(sizeof(cbp_sink) == 16 && offsetof(cbp_sink, write) == 8,
              "cbp_sink is frozen");
static_assert(offsetof(cbp_error_sink, report) == 16,
              "cbp_error_sink 1.0 layout");
static_assert(offsetof(cbp_call_ctx, host_handle) == 48,
              "cbp_call_ctx 1.0 layout");
static_assert(offsetof(cbp_http_request, timeout_ms) == 72,
              "cbp_http_request 1.0 layout");
static_assert(offsetof(cbp_http_response_sink, on_body) == 32,
              "cbp_http_response_sink 1.0 layout");
static_assert(offsetof(cbp_host_api, log) == 24, "cbp_host_api 1.0 layout");
static_assert(offsetof(cbp_host_api, jwt_sign_rs256) == 96,
              "cbp_host_api 1.0 layout");
static_assert(offsetof(cbp_sub_action, params_schema_json) == 16,
              "cbp_sub_action 1.0 layout");
static_assert(offsetof(cbp_field_mapping, action) == 24,
              "cbp_field_mapping 1.0 layout");
static_assert(offsetof(cbp_connector_type, default_mapping_count) == 80,
              "cbp_connector_type 1.0 layout");
static_assert(offsetof(cbp_plugin_descriptor, connector_type_count) == 40,
              "cbp_plugin_descriptor 1.0 layout");
static_assert(offsetof(cbp_plugin_api, descriptor) == 16,
              "cbp_plugin_api 1.0 layout");
static_assert(offsetof(cbp_plugin_api, validate_config) == 48,
              "cbp_plugin_api 1.0 layout");

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

TEST(AbiHeaderPinTest, HeaderMatchesPinnedHash) {
  std::ifstream in(CASEBRIDGE_ABI_HEADER, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << CASEBRIDGE_ABI_HEADER;
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  EXPECT_EQ(Sha256Hex(text), kPinnedSha256)
      << "sdk/include/casebridge/plugin_abi.h changed. Bump "
         "CBP_ABI_VERSION_MINOR "
         "(append-only change) or CBP_ABI_VERSION_MAJOR (incompatible change), "
         "then "
         "update the pin kPinnedSha256 in tests/abi/abi_header_pin_test.cc.";
}

TEST(AbiHeaderPinTest, VersionIsOnePointZero) {
  EXPECT_EQ(CBP_ABI_VERSION_MAJOR, 1);
  EXPECT_EQ(CBP_ABI_VERSION_MINOR, 0);
  EXPECT_STREQ(CBP_ENTRY_SYMBOL, "casebridge_plugin_entry_v1");
}

}  // namespace

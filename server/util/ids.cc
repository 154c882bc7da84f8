#include "server/util/ids.h"

#include <openssl/rand.h>

#include <cstdio>
#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace casebridge {

std::string NewUuid() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    thread_local std::mt19937_64 fallback{std::random_device{}()};
    for (auto& b : bytes) b = static_cast<unsigned char>(fallback());
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return out;
}

// Tokens look like Kibana's ("WzEsMV0" style): base64 of "[<version>,1]".
std::string EncodeVersion(int64_t version) {
  return absl::WebSafeBase64Escape(absl::StrCat("[", version, ",1]"));
}

std::optional<int64_t> DecodeVersion(std::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &raw)) return std::nullopt;
  if (raw.size() < 5 || raw.front() != '[' || raw.substr(raw.size() - 3) != ",1]") return std::nullopt;
  int64_t version = 0;
  if (!absl::SimpleAtoi(raw.substr(1, raw.size() - 4), &version) || version <= 0) return std::nullopt;
  return version;
}

}  // namespace casebridge

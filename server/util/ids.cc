#include "server/util/ids.h"

#include <openssl/rand.h>

#include <cstdint>
#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace casebridge {

namespace {

// Sets the version-4 and variant bits and spells `bytes` as 8-4-4-4-12 hex.
std::string FormatUuid(unsigned char (&bytes)[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0f]);
  }
  return out;
}

std::mt19937_64& ThreadGenerator() {
  thread_local std::mt19937_64 generator{
      (static_cast<uint64_t>(std::random_device{}()) << 32) ^
      std::random_device{}()};
  return generator;
}

}  // namespace

std::string NewUuid() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    for (auto& b : bytes) b = static_cast<unsigned char>(ThreadGenerator()());
  }
  return FormatUuid(bytes);
}

std::string NewRequestId() {
  unsigned char bytes[16];
  for (int half = 0; half < 2; ++half) {
    uint64_t v = ThreadGenerator()();
    for (int i = 0; i < 8; ++i) {
      bytes[half * 8 + i] = static_cast<unsigned char>(v >> (8 * i));
    }
  }
  return FormatUuid(bytes);
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

#include "server/auth/api_key.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace casebridge::auth {
namespace {

constexpr char kPrefix[] = "cbk_";

std::string Base64Url(const unsigned char* data, size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < n) {
    unsigned v = data[i] << 16;
    if (i + 1 < n) v |= data[i + 1] << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (i + 1 < n) out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

}  // namespace

std::string HashApiKey(std::string_view key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(),
         digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  OPENSSL_cleanse(digest, sizeof(digest));
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string GenerateApiKey(const std::string& id) {
  unsigned char secret[32];
  if (RAND_bytes(secret, sizeof(secret)) != 1) std::abort();
  std::string key = kPrefix + id + "_" + Base64Url(secret, sizeof(secret));
  OPENSSL_cleanse(secret, sizeof(secret));
  return key;
}

std::string ApiKeyId(std::string_view key) {
  if (!absl::StartsWith(absl::string_view(key.data(), key.size()), kPrefix)) {
    return "";
  }
  std::string_view rest = key.substr(sizeof(kPrefix) - 1);
  // The secret is base64url and may contain '_', the id may not.
  const size_t sep = rest.find('_');
  if (sep == std::string_view::npos || sep == 0) return "";
  return std::string(rest.substr(0, sep));
}

Credentials::~Credentials() { Wipe(value); }

void ParseAuthorization(std::string_view header, Credentials* out) {
  Wipe(out->value);
  out->kind = Credentials::Kind::kNone;
  if (header.empty()) return;
  out->kind = Credentials::Kind::kMalformed;
  const size_t space = header.find(' ');
  if (space == std::string_view::npos) return;
  const std::string scheme =
      absl::AsciiStrToLower(absl::string_view(header.data(), space));
  std::string_view rest = header.substr(space + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty() || rest.find(' ') != std::string_view::npos) return;
  if (scheme == "apikey") {
    out->kind = Credentials::Kind::kApiKey;
  } else if (scheme == "bearer") {
    out->kind = std::count(rest.begin(), rest.end(), '.') == 2
                    ? Credentials::Kind::kJwt
                    : Credentials::Kind::kApiKey;
  } else {
    return;
  }
  out->value.assign(rest.data(), rest.size());
}

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace casebridge::auth

// API keys: generation, hashing and parsing of the Authorization header.
//
// Keys are random (32 bytes from the OS RNG), so a single SHA-256 is a safe
// stored form; only hashes are ever kept. Keys issued by ApiKeyService look
// like "cbk_<id>_<secret>" so the record can be found without a search; keys
// from the config file may be any string (matched by hash alone).
//
// Stateless functions; thread-safe.
#ifndef CASEBRIDGE_SERVER_AUTH_API_KEY_H_
#define CASEBRIDGE_SERVER_AUTH_API_KEY_H_

#include <string>
#include <string_view>

namespace casebridge::auth {

// Lowercase hex SHA-256 of `key`.
std::string HashApiKey(std::string_view key);

// Equality of two strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// A new key "cbk_<id>_<43 base64url chars>".
std::string GenerateApiKey(const std::string& id);

// The id of a "cbk_<id>_<secret>" key, or "" for any other form.
std::string ApiKeyId(std::string_view key);

// Credentials from an "authorization" header value.
struct Credentials {
  enum class Kind { kNone, kApiKey, kJwt, kMalformed };
  Kind kind = Kind::kNone;
  std::string value;  // the key or token; wiped by the destructor
  ~Credentials();
};

// "ApiKey <key>" -> kApiKey; "Bearer <x>" -> kJwt when x has the three
// dot-separated parts of a JWS, else kApiKey; "" -> kNone; anything else ->
// kMalformed. Scheme names are case-insensitive.
void ParseAuthorization(std::string_view header, Credentials* out);

// Overwrites the contents of `s` with zeros (not optimized away) and clears it.
void Wipe(std::string& s);

}  // namespace casebridge::auth

#endif  // CASEBRIDGE_SERVER_AUTH_API_KEY_H_

// SecretBox seals connector secrets and cached tokens with AES-256-GCM.
//
// Keys come from configuration (CASEBRIDGE_ENCRYPTION_KEY or a key file): one
// primary key that seals and opens, plus older keys that only open, so keys
// can be rotated without re-entering every secret. Each key is a string of at
// least 32 characters; the AES key is derived from it with HKDF-SHA256.
// Sealed values name the key that sealed them, and are bound to an
// "associated data" string (the connector id) so a sealed value cannot be
// moved to another connector. Thread-safe after construction.
#ifndef CASEBRIDGE_SERVER_CONNECTORS_SECRET_BOX_H_
#define CASEBRIDGE_SERVER_CONNECTORS_SECRET_BOX_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace casebridge::connectors {

class SecretBox {
 public:
  // A box with no key: Seal and Open fail with FailedPrecondition telling the
  // operator to configure an encryption key.
  SecretBox() = default;

  // `primary_key` seals and opens; `old_keys` only open. InvalidArgument when
  // a key is shorter than 32 characters.
  static absl::StatusOr<SecretBox> Create(std::string_view primary_key,
                                          const std::vector<std::string>& old_keys);

  bool has_key() const { return !keys_.empty(); }

  // Encrypts `plaintext`; the result is printable ASCII.
  absl::StatusOr<std::string> Seal(std::string_view plaintext, std::string_view associated_data) const;
  // Decrypts a value made by Seal with the same associated data. NotFound-like
  // failures (unknown key, tampering, wrong associated data) are
  // FailedPrecondition and never echo the value.
  absl::StatusOr<std::string> Open(std::string_view sealed, std::string_view associated_data) const;

 private:
  struct Key {
    std::array<uint8_t, 32> aes_key;
    std::array<uint8_t, 8> id;
  };
  std::vector<Key> keys_;  // keys_[0] is the primary key
};

// Overwrites `s` with zeros before it is freed. Use on plaintext secrets.
void Wipe(std::string& s);

}  // namespace casebridge::connectors

#endif  // CASEBRIDGE_SERVER_CONNECTORS_SECRET_BOX_H_

#include "server/connectors/secret_box.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace casebridge::connectors {
namespace {

constexpr char kPrefix[] = "cb1:";
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr size_t kMinKeyChars = 32;
constexpr char kHkdfInfo[] = "casebridge secret box v1";

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

bool DeriveKey(std::string_view material, std::array<uint8_t, 32>& out) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), reinterpret_cast<const unsigned char*>(material.data()),
                                 static_cast<int>(material.size())) <= 0 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), reinterpret_cast<const unsigned char*>(kHkdfInfo),
                                  static_cast<int>(sizeof(kHkdfInfo) - 1)) <= 0) {
    return false;
  }
  size_t len = out.size();
  return EVP_PKEY_derive(ctx.get(), out.data(), &len) > 0 && len == out.size();
}

}  // namespace

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

absl::StatusOr<SecretBox> SecretBox::Create(std::string_view primary_key,
                                            const std::vector<std::string>& old_keys) {
  SecretBox box;
  std::vector<std::string_view> materials = {primary_key};
  for (const auto& k : old_keys) materials.push_back(k);
  for (size_t i = 0; i < materials.size(); ++i) {
    if (materials[i].size() < kMinKeyChars) {
      return absl::InvalidArgumentError(
          absl::StrCat(i == 0 ? "the encryption key" : "an old encryption key", " must be at least ",
                       kMinKeyChars, " characters long"));
    }
    Key key;
    if (!DeriveKey(materials[i], key.aes_key)) {
      return absl::InternalError("deriving the encryption key failed");
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(key.aes_key.data(), key.aes_key.size(), digest);
    std::memcpy(key.id.data(), digest, key.id.size());
    box.keys_.push_back(key);
  }
  return box;
}

absl::StatusOr<std::string> SecretBox::Seal(std::string_view plaintext,
                                            std::string_view associated_data) const {
  if (keys_.empty()) {
    return absl::FailedPreconditionError(
        "no encryption key is configured: set CASEBRIDGE_ENCRYPTION_KEY (at least 32 characters) or "
        "encryption_key_file in the config to store connector secrets");
  }
  const Key& key = keys_.front();
  std::string raw(key.id.size() + kNonceSize + plaintext.size() + kTagSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  std::memcpy(out, key.id.data(), key.id.size());
  unsigned char* nonce = out + key.id.size();
  if (RAND_bytes(nonce, kNonceSize) != 1) return absl::InternalError("no randomness for a nonce");
  unsigned char* cipher = nonce + kNonceSize;

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.aes_key.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(associated_data.data()),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, cipher + plaintext.size()) != 1) {
    return absl::InternalError("sealing failed");
  }
  return absl::StrCat(kPrefix, absl::Base64Escape(raw));
}

absl::StatusOr<std::string> SecretBox::Open(std::string_view sealed,
                                            std::string_view associated_data) const {
  if (keys_.empty()) {
    return absl::FailedPreconditionError(
        "no encryption key is configured: set CASEBRIDGE_ENCRYPTION_KEY (at least 32 characters) or "
        "encryption_key_file in the config to use stored connector secrets");
  }
  const absl::Status corrupt = absl::FailedPreconditionError(
      "stored secret cannot be decrypted with the configured keys (wrong key, or the value was "
      "altered); re-enter the connector's secrets");
  if (sealed.substr(0, sizeof(kPrefix) - 1) != kPrefix) return corrupt;
  std::string raw;
  std::string_view encoded = sealed.substr(sizeof(kPrefix) - 1);
  if (!absl::Base64Unescape(absl::string_view(encoded.data(), encoded.size()), &raw)) return corrupt;
  const size_t overhead = 8 + kNonceSize + kTagSize;
  if (raw.size() < overhead) return corrupt;
  const auto* in = reinterpret_cast<const unsigned char*>(raw.data());
  const Key* key = nullptr;
  for (const auto& k : keys_) {
    if (std::memcmp(k.id.data(), in, k.id.size()) == 0) key = &k;
  }
  if (key == nullptr) return corrupt;
  const unsigned char* nonce = in + 8;
  const unsigned char* cipher = nonce + kNonceSize;
  const size_t cipher_size = raw.size() - overhead;
  std::string plain(cipher_size, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  unsigned char tag[kTagSize];
  std::memcpy(tag, cipher + cipher_size, kTagSize);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->aes_key.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(associated_data.data()),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, cipher,
                        static_cast<int>(cipher_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) != 1) {
    Wipe(plain);
    return corrupt;
  }
  return plain;
}

}  // namespace casebridge::connectors

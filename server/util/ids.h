// Identifiers and opaque version tokens.
#ifndef CASEBRIDGE_SERVER_UTIL_IDS_H_
#define CASEBRIDGE_SERVER_UTIL_IDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace casebridge {

// A random RFC 4122 version-4 UUID in lower-case hex (OpenSSL's CSPRNG).
// Thread-safe.
std::string NewUuid();

// The same format from a fast per-thread generator: unique enough to
// correlate log lines (request ids), but predictable; never for anything a
// caller must not guess. Thread-safe.
std::string NewRequestId();

// Encodes a store version counter as the opaque token clients see.
std::string EncodeVersion(int64_t version);
// Decodes a token made by EncodeVersion; nullopt for anything else.
std::optional<int64_t> DecodeVersion(std::string_view token);

}  // namespace casebridge

#endif  // CASEBRIDGE_SERVER_UTIL_IDS_H_

// UTF-8 repair for text that crosses a trust boundary (plugin output) on its
// way into proto3 string fields, which clients refuse to decode unless they
// hold valid UTF-8. Pure functions; thread-safe.
#ifndef CASEBRIDGE_SERVER_UTIL_UTF8_H_
#define CASEBRIDGE_SERVER_UTIL_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace casebridge {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// `s` with every ill-formed sequence replaced by U+FFFD (one per maximal
// invalid subpart, as the Unicode standard recommends); valid input is
// returned unchanged.
std::string ToValidUtf8(std::string_view s);

// At most `max_bytes` of `s`, cut at a character boundary (never inside a
// multi-byte sequence of valid UTF-8).
std::string_view TruncateUtf8(std::string_view s, size_t max_bytes);

}  // namespace casebridge

#endif  // CASEBRIDGE_SERVER_UTIL_UTF8_H_

// Structured logging: one JSON object per line on stderr.
//
// Thread-safe. Messages must never contain secrets; callers log ids and
// names, not connector secrets, keys or tokens.
#ifndef CASEBRIDGE_SERVER_UTIL_LOG_H_
#define CASEBRIDGE_SERVER_UTIL_LOG_H_

#include <string_view>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace casebridge::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Sets the lowest level that is written. Default: kInfo.
void SetLevel(Level level);
// Parses "debug", "info", "warn" or "error"; false on anything else.
bool ParseLevel(std::string_view text, Level* level);
bool Enabled(Level level);

// Writes {"ts":..., "level":..., "component":..., "msg":...}.
void Write(Level level, std::string_view component, std::string_view message);
// Like Write, with the members of the JSON object `fields` added to the line
// (they never replace ts, level, component or msg).
void WriteFields(Level level, std::string_view component,
                 std::string_view message, const nlohmann::json& fields);

template <typename... Args>
void Info(std::string_view component, const Args&... args) {
  if (Enabled(Level::kInfo)) Write(Level::kInfo, component, absl::StrCat(args...));
}
template <typename... Args>
void Warn(std::string_view component, const Args&... args) {
  if (Enabled(Level::kWarn)) Write(Level::kWarn, component, absl::StrCat(args...));
}
template <typename... Args>
void Error(std::string_view component, const Args&... args) {
  if (Enabled(Level::kError)) Write(Level::kError, component, absl::StrCat(args...));
}
template <typename... Args>
void Debug(std::string_view component, const Args&... args) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, component, absl::StrCat(args...));
}

}  // namespace casebridge::log

#endif  // CASEBRIDGE_SERVER_UTIL_LOG_H_

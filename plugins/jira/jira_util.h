// Pure helpers of the Jira connector plugin: Jira's text rules (summary
// normalisation, JQL escaping, labels), URL and Basic-auth encoding, Jira's
// timestamp forms, and the reason text of Jira error bodies. No I/O, no host
// services; every function is thread-safe.
#ifndef CASEBRIDGE_PLUGINS_JIRA_JIRA_UTIL_H_
#define CASEBRIDGE_PLUGINS_JIRA_JIRA_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace casebridge::jira {

// The label that marks the issue created for case `case_id`, so the case can
// be found again with JQL (`labels = "<label>"`) after a lost push result.
inline constexpr std::string_view kCaseLabelPrefix = "casebridge-case-";
std::string CaseLabel(std::string_view case_id);

// `url` with exactly one trailing '/' removed (if any).
std::string StripOneTrailingSlash(std::string_view url);

// The summary on one line: split on CR/LF, each piece trimmed of spaces and
// tabs, empty pieces dropped, joined with ", ".
// "title \n \n howdy \r test" -> "title, howdy, test".
std::string NormalizeSummary(std::string_view summary);

// True when `text` contains any whitespace character (JS \s in ASCII range:
// space, \t, \n, \v, \f, \r) or a no-break space (U+00A0).
bool ContainsWhitespace(std::string_view text);

// Escapes free text for `summary ~"<text>"`: drops '"', doubles '\', replaces
// '\'' with "\\", and prefixes each of - ! ^ + & * ( ) [ ] / { } | : ? ~ with
// two backslashes.
std::string EscapeJqlText(std::string_view text);

// JavaScript encodeURIComponent: UTF-8 bytes percent-encoded except
// A-Z a-z 0-9 - _ . ! ~ * ' ( ).
std::string EncodeUriComponent(std::string_view text);

// Standard base64 with padding.
std::string Base64Encode(std::string_view data);

// Parses Jira timestamps: "YYYY-MM-DDTHH:MM:SS[.fraction][zone]" where zone is
// "Z", "+HHMM", "+HH:MM" or "+HH" (also "-"); no zone means UTC. Returns Unix
// milliseconds, or nullopt when `text` is not such a timestamp.
std::optional<int64_t> ParseJiraTimestamp(std::string_view text);

// "YYYY-MM-DDTHH:MM:SS.mmmZ" (JavaScript Date.toISOString()).
std::string FormatIsoUtc(int64_t unix_ms);

// The reason part of a Jira error message, from the error response body
// (`nullptr` when there was no JSON object body): errorMessages joined by
// ", " when non-empty, else the values of `errors` joined by a space, else
// "unknown: errorResponse.errors was null" / "unknown: errorResponse was
// null".
std::string ErrorReason(const nlohmann::json* body);

}  // namespace casebridge::jira

#endif  // CASEBRIDGE_PLUGINS_JIRA_JIRA_UTIL_H_

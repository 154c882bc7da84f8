#include "plugins/servicenow/servicenow_util.h"

#include <cstdio>
#include <ctime>
#include <set>

namespace casebridge::servicenow {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(std::string_view value, std::string_view keep) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || keep.find(ch) != std::string_view::npos) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

bool Digits(std::string_view s, size_t pos, size_t n) {
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// Present = the key exists and is not null.
bool Present(const nlohmann::json& object, const char* key) {
  return object.is_object() && object.contains(key) && !object[key].is_null();
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (i + 1 == data.size()) {
    uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out += "==";
  } else if (i + 2 == data.size()) {
    uint32_t n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

std::string UrlEncode(std::string_view value) {
  return PercentEncode(value, "");
}

std::string EncodeQueryValue(std::string_view value) {
  return PercentEncode(value, ",");
}

std::optional<std::string> ServiceNowTimeToIso(std::string_view value) {
  // YYYY-MM-DD HH:MM:SS
  if (value.size() != 19 || !Digits(value, 0, 4) || value[4] != '-' ||
      !Digits(value, 5, 2) || value[7] != '-' || !Digits(value, 8, 2) ||
      value[10] != ' ' || !Digits(value, 11, 2) || value[13] != ':' ||
      !Digits(value, 14, 2) || value[16] != ':' || !Digits(value, 17, 2)) {
    return std::nullopt;
  }
  std::string iso(value);
  iso[10] = 'T';
  iso += ".000Z";
  return iso;
}

std::string UnixMsToIso(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  int millis = static_cast<int>(unix_ms % 1000);
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, millis);
  return buffer;
}

std::string StripOneTrailingSlash(std::string url) {
  if (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string UrlHost(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    return std::string(rest.substr(
        0, close == std::string_view::npos ? rest.size() : close + 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

std::vector<std::string> SplitObservableValues(const nlohmann::json& value) {
  std::vector<std::string> pieces;
  auto split = [&pieces](const std::string& text) {
    std::string current;
    for (char c : text) {
      if (c == ' ' || c == ',' || c == '|' || c == '\r' || c == '\n' ||
          c == '\t') {
        if (!current.empty()) pieces.push_back(std::move(current));
        current.clear();
      } else {
        current.push_back(c);
      }
    }
    if (!current.empty()) pieces.push_back(std::move(current));
  };
  if (value.is_string()) {
    split(value.get<std::string>());
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_string()) split(item.get<std::string>());
    }
  }
  return pieces;
}

nlohmann::json BuildObservables(const nlohmann::json& incident) {
  static const std::pair<const char*, const char*> kFields[] = {
      {"dest_ip", "ipv4-addr"},
      {"source_ip", "ipv4-addr"},
      {"malware_hash", "SHA256"},
      {"malware_url", "URL"},
  };
  nlohmann::json out = nlohmann::json::array();
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& [field, type] : kFields) {
    if (!incident.is_object() || !incident.contains(field)) continue;
    for (std::string& v : SplitObservableValues(incident[field])) {
      if (!seen.insert({v, type}).second) continue;
      out.push_back({{"value", v}, {"type", type}});
    }
  }
  return out;
}

std::string GetString(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(std::string(key));
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::vector<Violation> CheckConnectorConfig(const nlohmann::json& config,
                                            const nlohmann::json& secrets) {
  std::vector<Violation> out;
  std::set<std::string> reported;
  auto add = [&](std::string field, std::string description) {
    if (reported.insert(field).second) {
      out.push_back({std::move(field), std::move(description)});
    }
  };
  static const char* const kConfigStrings[] = {"apiUrl", "clientId", "jwtKeyId",
                                               "userIdentifierValue"};
  static const char* const kSecretStrings[] = {"username", "password",
                                               "clientSecret", "privateKey",
                                               "privateKeyPassword"};
  // Empty strings are never valid (Kibana: "Wrong configuration").
  for (const char* key : kConfigStrings) {
    if (Present(config, key) && config[key].is_string() &&
        config[key].get<std::string>().empty()) {
      add(std::string("config.") + key,
          std::string(key) + " must not be empty");
    }
  }
  for (const char* key : kSecretStrings) {
    if (Present(secrets, key) && secrets[key].is_string() &&
        secrets[key].get<std::string>().empty()) {
      add(std::string("secrets.") + key,
          std::string(key) + " must not be empty");
    }
  }

  const std::string api_url = GetString(config, "apiUrl");
  if (!Present(config, "apiUrl")) {
    add("config.apiUrl", "apiUrl must be provided");
  } else if (!api_url.empty()) {
    bool http =
        api_url.rfind("http://", 0) == 0 || api_url.rfind("https://", 0) == 0;
    if (!http || UrlHost(api_url).empty()) {
      add("config.apiUrl",
          "apiUrl must be an http:// or https:// URL with a host name, got \"" +
              api_url + "\"");
    } else if (api_url.find_first_of("?#") != std::string::npos) {
      add("config.apiUrl", "apiUrl must not contain a query or fragment");
    }
  }

  const bool is_oauth = config.is_object() && config.contains("isOAuth") &&
                        config["isOAuth"].is_boolean() &&
                        config["isOAuth"].get<bool>();
  if (is_oauth) {
    for (const char* key : {"userIdentifierValue", "clientId", "jwtKeyId"}) {
      if (!Present(config, key)) {
        add(std::string("config.") + key,
            std::string(key) + " must be provided when isOAuth = true");
      }
    }
  }

  // Secrets on their own.
  const bool has_user = Present(secrets, "username");
  const bool has_password = Present(secrets, "password");
  const bool has_client_secret = Present(secrets, "clientSecret");
  const bool has_private_key = Present(secrets, "privateKey");
  if (!has_user && !has_password && !has_client_secret && !has_private_key) {
    add("secrets", "Either basic auth or OAuth credentials must be specified");
    return out;
  }
  if (has_user != has_password) {
    add(has_user ? "secrets.password" : "secrets.username",
        "username and password must both be specified");
  }
  if (has_client_secret != has_private_key) {
    add(has_client_secret ? "secrets.privateKey" : "secrets.clientSecret",
        "clientSecret and privateKey must both be specified");
  }

  // Connector-level cross checks.
  if (is_oauth) {
    for (const char* key : {"clientSecret", "privateKey"}) {
      if (!Present(secrets, key)) {
        add(std::string("secrets.") + key,
            std::string(key) + " must be provided when isOAuth = true");
      }
    }
    for (const char* key : {"username", "password"}) {
      if (Present(secrets, key)) {
        add(std::string("secrets.") + key,
            std::string(key) + " should not be provided with isOAuth = true");
      }
    }
    std::string pem = GetString(secrets, "privateKey");
    if (!pem.empty() && pem.find("-----BEGIN") == std::string::npos) {
      add("secrets.privateKey",
          "privateKey must be a PEM-encoded RSA private key");
    }
  } else {
    for (const char* key : {"username", "password"}) {
      if (!Present(secrets, key)) {
        add(std::string("secrets.") + key,
            std::string(key) + " must be provided when isOAuth = false");
      }
    }
    for (const char* key : {"clientId", "jwtKeyId", "userIdentifierValue"}) {
      if (Present(config, key)) {
        add(std::string("config.") + key,
            std::string(key) + " should not be provided with isOAuth = false");
      }
    }
    for (const char* key :
         {"clientSecret", "privateKey", "privateKeyPassword"}) {
      if (Present(secrets, key)) {
        add(std::string("secrets.") + key,
            std::string(key) + " should not be provided with isOAuth = false");
      }
    }
  }
  return out;
}

}  // namespace casebridge::servicenow

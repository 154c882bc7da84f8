#include "server/http/http_client.h"

#include <chrono>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "server/metrics/metrics.h"

namespace casebridge::http {
namespace {

absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

std::string Lower(std::string_view s) {
  std::string out(s);
  absl::AsciiStrToLower(&out);
  return out;
}

// A parsed target URL.
struct ParsedUrl {
  std::string url;     // as curl normalised it
  std::string scheme;  // "http" or "https"
  std::string host;    // lowercased, no brackets
  int port = 0;
  std::string origin;  // scheme://host:port, IPv6 hosts bracketed
  // origin + path: no userinfo or query, which may carry credentials. The
  // only form of the URL that goes into error messages.
  std::string display;
};

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using CurlUrlPtr = std::unique_ptr<CURLU, CurlUrlDeleter>;

std::string GetPart(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) {
    return "";
  }
  std::string out(value);
  curl_free(value);
  return out;
}

absl::StatusOr<ParsedUrl> ParseUrlHandle(CURLU* u, std::string_view original) {
  ParsedUrl p;
  p.scheme = Lower(GetPart(u, CURLUPART_SCHEME));
  if (p.scheme != "http" && p.scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported URL scheme \"", p.scheme, "\" in \"",
                     AV(original), "\"; only http and https are allowed"));
  }
  const std::string raw_host = GetPart(u, CURLUPART_HOST);
  p.host = NormalizeHost(raw_host);
  if (p.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", AV(original), "\" has no host"));
  }
  const std::string port = GetPart(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!absl::SimpleAtoi(port, &p.port) || p.port <= 0 || p.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", AV(original), "\" has an invalid port"));
  }
  p.url = GetPart(u, CURLUPART_URL);
  const bool v6 = p.host.find(':') != std::string::npos;
  p.origin = absl::StrCat(p.scheme, "://", v6 ? "[" : "", p.host, v6 ? "]" : "",
                          ":", p.port);
  p.display = p.origin + GetPart(u, CURLUPART_PATH);
  return p;
}

absl::StatusOr<ParsedUrl> ParseUrl(std::string_view url) {
  CurlUrlPtr u(curl_url());
  const std::string s(url);
  if (s.find_first_of("\r\n\t ") != std::string::npos ||
      curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed URL \"", AV(url), "\""));
  }
  return ParseUrlHandle(u.get(), url);
}

// Resolves `location` against `base` (RFC 3986 reference resolution).
absl::StatusOr<std::string> ResolveReference(const std::string& base,
                                             const std::string& location) {
  CurlUrlPtr u(curl_url());
  if (curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, location.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("redirect to malformed location \"", location, "\""));
  }
  return GetPart(u.get(), CURLUPART_URL);
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

void RemoveHeaders(HttpHeaders* headers, bool (*pred)(std::string_view name)) {
  headers->erase(std::remove_if(headers->begin(), headers->end(),
                                [&](const auto& h) { return pred(h.first); }),
                 headers->end());
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

void Append(SlistPtr* list, const std::string& line) {
  curl_slist* next = curl_slist_append(list->get(), line.c_str());
  if (next != nullptr) {
    list->release();
    list->reset(next);
  }
}

// State shared with curl's callbacks for one transfer.
struct Transfer {
  std::string body;
  HttpHeaders headers;
  size_t max_bytes = 0;
  bool too_large = false;
  const std::vector<IpAddress>* permitted = nullptr;  // null when proxied
  bool refused_connect = false;
  std::string refused_address;
};

size_t WriteCallback(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t->body.size() + len > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->body.append(data, len);
  return len;
}

size_t HeaderCallback(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  if (absl::StartsWith(AV(line), "HTTP/")) {
    t->headers.clear();  // a new response (100-continue, proxy CONNECT, ...)
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name(line.substr(0, colon));
  std::string value(absl::StripAsciiWhitespace(AV(line.substr(colon + 1))));
  t->headers.emplace_back(std::move(name), std::move(value));
  return len;
}

// Refuses any connect to an address that the egress policy did not check,
// so a resolver that ignores the pinned entry still cannot reach it.
curl_socket_t OpenSocketCallback(void* user, curlsocktype purpose,
                                 curl_sockaddr* addr) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && t->permitted != nullptr) {
    IpAddress a;
    if (addr->family == AF_INET) {
      std::memcpy(a.bytes.data(),
                  &reinterpret_cast<const sockaddr_in*>(&addr->addr)->sin_addr,
                  4);
    } else if (addr->family == AF_INET6) {
      a.is_v6 = true;
      std::memcpy(
          a.bytes.data(),
          &reinterpret_cast<const sockaddr_in6*>(&addr->addr)->sin6_addr, 16);
    } else {
      t->refused_connect = true;
      return CURL_SOCKET_BAD;
    }
    if (std::find(t->permitted->begin(), t->permitted->end(), a) ==
        t->permitted->end()) {
      t->refused_connect = true;
      t->refused_address = a.ToString();
      return CURL_SOCKET_BAD;
    }
  }
  return socket(addr->family, addr->socktype, addr->protocol);
}

absl::Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read CA file ", path));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out->append(ss.str());
  if (!out->empty() && out->back() != '\n') out->push_back('\n');
  return absl::OkStatus();
}

void SetVerification(CURL* h, VerificationMode mode, bool proxy) {
  const long peer = mode == VerificationMode::kNone ? 0L : 1L;
  const long host = mode == VerificationMode::kFull ? 2L : 0L;
  curl_easy_setopt(
      h, proxy ? CURLOPT_PROXY_SSL_VERIFYPEER : CURLOPT_SSL_VERIFYPEER, peer);
  curl_easy_setopt(
      h, proxy ? CURLOPT_PROXY_SSL_VERIFYHOST : CURLOPT_SSL_VERIFYHOST, host);
}

bool Contains(const std::vector<std::string>& list, const std::string& host) {
  return std::find(list.begin(), list.end(), host) != list.end();
}

}  // namespace

std::optional<std::string> FindHeader(const HttpHeaders& headers,
                                      std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(AV(k), AV(name))) return v;
  }
  return std::nullopt;
}

bool IsSensitiveHeader(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "authorization" || n == "proxy-authorization" || n == "cookie" ||
      n == "set-cookie" || n == "private-token") {
    return true;
  }
  if (absl::StartsWith(n, "x-") && absl::EndsWith(n, "-token")) return true;
  for (const char* word : {"token", "api-key", "apikey", "api_key", "secret",
                           "password", "session", "auth"}) {
    if (absl::StrContains(n, word)) return true;
  }
  return false;
}

HttpHeaders RedactHeaders(const HttpHeaders& headers) {
  HttpHeaders out = headers;
  for (auto& [k, v] : out) {
    if (IsSensitiveHeader(k)) v = "[REDACTED]";
  }
  return out;
}

std::optional<absl::Duration> ParseRetryAfter(std::string_view value,
                                              absl::Time now) {
  std::string v(absl::StripAsciiWhitespace(AV(value)));
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 10) return std::nullopt;  // absurd; refuse to overflow
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(v, &seconds)) return std::nullopt;
    return absl::Seconds(seconds);
  }
  // asctime pads the day with a space ("Nov  6"); collapse runs of spaces.
  while (absl::StrContains(v, "  ")) {
    v = absl::StrReplaceAll(v, {{"  ", " "}});
  }
  static const char* const kFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850
      "%a %b %d %H:%M:%S %Y",       // asctime
  };
  for (const char* format : kFormats) {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(format, v, absl::UTCTimeZone(), &t, &err)) {
      return t > now ? t - now : absl::ZeroDuration();
    }
  }
  return std::nullopt;
}

absl::StatusOr<VerificationMode> ParseVerificationMode(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "none") return VerificationMode::kNone;
  if (t == "certificate") return VerificationMode::kCertificate;
  if (t == "full") return VerificationMode::kFull;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid verification mode \"", AV(text),
                   "\"; expected none, certificate or full"));
}

struct HttpClient::Impl {
  struct ResolvedHostSettings {
    std::optional<VerificationMode> mode;
    std::string ca_pem;  // empty = system trust store
  };

  HttpClientOptions options;
  std::optional<EgressPolicy> policy;
  std::map<std::string, ResolvedHostSettings> host_settings;  // by origin
  std::vector<std::string> bypass_hosts;
  std::vector<std::string> only_hosts;

  CURLSH* share = nullptr;
  std::mutex share_locks[CURL_LOCK_DATA_LAST];

  std::mutex pool_mu;
  std::vector<CURL*> pool;  // idle easy handles; each keeps its connections

  std::atomic<long> connections_opened{0};
  std::atomic<long> requests{0};

  ~Impl() {
    for (CURL* h : pool) curl_easy_cleanup(h);
    if (share != nullptr) curl_share_cleanup(share);
  }

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->share_locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Impl*>(user)->share_locks[data].unlock();
  }

  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (!pool.empty()) {
        CURL* h = pool.back();
        pool.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* h) {
    curl_easy_reset(h);
    std::lock_guard<std::mutex> lock(pool_mu);
    if (pool.size() < kMaxIdleHandles) {
      pool.push_back(h);
      return;
    }
    curl_easy_cleanup(h);
  }

  static constexpr size_t kMaxIdleHandles = 32;

  bool UseProxy(const std::string& host) const {
    if (options.proxy_url.empty()) return false;
    if (!bypass_hosts.empty()) return !Contains(bypass_hosts, host);
    if (!only_hosts.empty()) return Contains(only_hosts, host);
    return true;
  }

  absl::StatusOr<HttpResponse> Perform(const ParsedUrl& target,
                                       const std::string& method,
                                       const HttpHeaders& headers,
                                       const std::string& body, absl::Time end,
                                       bool end_is_deadline);
};

absl::StatusOr<HttpResponse> HttpClient::Impl::Perform(
    const ParsedUrl& target, const std::string& method,
    const HttpHeaders& headers, const std::string& body, absl::Time end,
    bool end_is_deadline) {
  const std::string& url = target.url;
  const bool proxied = UseProxy(target.host);
  std::vector<IpAddress> permitted;
  if (proxied) {
    absl::Status s = policy->CheckProxiedTarget(target.host, target.display);
    if (!s.ok()) return s;
  } else {
    auto addresses =
        policy->ResolveAndCheck(target.host, target.port, target.display, end);
    if (!addresses.ok()) return addresses.status();
    permitted = std::move(*addresses);
  }

  const absl::Duration remaining = end - absl::Now();
  if (remaining <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(absl::StrCat(
        "request to ", target.origin, " not sent: ",
        end_is_deadline ? "deadline" : "response timeout", " already passed"));
  }

  SlistPtr header_list;
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    if (name.empty() || name.find_first_of(":\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid header \"", name, "\""));
    }
    if (absl::EqualsIgnoreCase(name, "content-type")) has_content_type = true;
    // "Name;" sends an empty header; "Name:" would remove it.
    Append(&header_list, value.empty() ? absl::StrCat(name, ";")
                                       : absl::StrCat(name, ": ", value));
  }
  Append(&header_list, "Expect:");  // no 100-continue round trip
  if (!has_content_type) Append(&header_list, "Content-Type:");

  SlistPtr resolve_list;
  if (!proxied && !ParseIpAddress(target.host).ok()) {
    std::vector<std::string> parts;
    for (const IpAddress& a : permitted) {
      parts.push_back(a.is_v6 ? absl::StrCat("[", a.ToString(), "]")
                              : a.ToString());
    }
    Append(&resolve_list, absl::StrCat(target.host, ":", target.port, ":",
                                       absl::StrJoin(parts, ",")));
  }

  SlistPtr proxy_header_list;
  for (const auto& [name, value] : options.proxy_headers) {
    Append(&proxy_header_list, absl::StrCat(name, ": ", value));
  }

  Transfer transfer;
  transfer.max_bytes = options.max_response_bytes;
  transfer.permitted = proxied ? nullptr : &permitted;
  char error_buffer[CURL_ERROR_SIZE] = {};

  CURL* h = Acquire();
  if (h == nullptr)
    return absl::ResourceExhaustedError("curl_easy_init failed");
  struct ReleaseGuard {
    Impl* impl;
    CURL* h;
    ~ReleaseGuard() { impl->Release(h); }
  } guard{this, h};

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_SHARE, share);
  curl_easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteCallback);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &HeaderCallback);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &OpenSocketCallback);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options.max_response_bytes));
  const long timeout_ms = std::max<long>(
      1, static_cast<long>(absl::ToInt64Milliseconds(remaining)));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(
      h, CURLOPT_CONNECTTIMEOUT_MS,
      std::max<long>(1,
                     std::min<long>(timeout_ms,
                                    static_cast<long>(absl::ToInt64Milliseconds(
                                        options.connect_timeout)))));
  if (!options.reuse_connections) {
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
  }
  if (resolve_list) curl_easy_setopt(h, CURLOPT_RESOLVE, resolve_list.get());

  if (proxied) {
    curl_easy_setopt(h, CURLOPT_PROXY, options.proxy_url.c_str());
    SetVerification(h, options.proxy_verification_mode, /*proxy=*/true);
    if (proxy_header_list) {
      curl_easy_setopt(h, CURLOPT_PROXYHEADER, proxy_header_list.get());
      curl_easy_setopt(h, CURLOPT_HEADEROPT, CURLHEADER_SEPARATE);
    }
  } else {
    curl_easy_setopt(h, CURLOPT_PROXY, "");  // ignore *_proxy env variables
  }

  VerificationMode mode = options.verification_mode;
  curl_blob ca_blob{};
  if (auto it = host_settings.find(target.origin); it != host_settings.end()) {
    if (it->second.mode) mode = *it->second.mode;
    if (!it->second.ca_pem.empty()) {
      ca_blob.data = const_cast<char*>(it->second.ca_pem.data());
      ca_blob.len = it->second.ca_pem.size();
      ca_blob.flags = CURL_BLOB_NOCOPY;
      curl_easy_setopt(h, CURLOPT_CAINFO, nullptr);
      curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
      curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca_blob);
    }
  }
  SetVerification(h, mode, /*proxy=*/false);

  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (method == "GET" && body.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    if (method != "POST") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    if (!body.empty() || method == "POST" || method == "PUT" ||
        method == "PATCH") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(body.size()));
    }
  }

  const CURLcode rc = curl_easy_perform(h);
  requests.fetch_add(1, std::memory_order_relaxed);
  long new_connections = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &new_connections);
  connections_opened.fetch_add(new_connections, std::memory_order_relaxed);

  if (rc != CURLE_OK) {
    const std::string detail =
        error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      return absl::ResourceExhaustedError(
          absl::StrCat("response from ", target.origin,
                       " exceeds the maximum of ", options.max_response_bytes,
                       " bytes (http.max_response_bytes); transfer aborted"));
    }
    if (transfer.refused_connect) {
      return absl::PermissionDeniedError(absl::StrCat(
          "connection to ", transfer.refused_address, " for host \"",
          target.host,
          "\" refused: address was not checked by the egress policy"));
    }
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        return absl::DeadlineExceededError(absl::StrCat(
            "request to ", target.origin, " timed out after ", timeout_ms,
            " ms (",
            end_is_deadline ? "request deadline" : "http.response_timeout_ms",
            "): ", detail));
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return absl::FailedPreconditionError(absl::StrCat(
            "TLS verification failed for ", target.origin, ": ", detail,
            "; configure a CA or verification mode for this origin"));
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return absl::InvalidArgumentError(
            absl::StrCat("bad URL for ", target.origin, ": ", detail));
      case CURLE_OUT_OF_MEMORY:
        return absl::ResourceExhaustedError(detail);
      default:
        return absl::UnavailableError(
            absl::StrCat("request to ", target.origin, " failed: ", detail));
    }
  }

  HttpResponse response;
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  response.headers = std::move(transfer.headers);
  response.body = std::move(transfer.body);
  response.effective_url = url;
  return response;
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(
    HttpClientOptions options) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  auto impl = std::make_unique<Impl>();
  auto policy = EgressPolicy::Create(options.egress);
  if (!policy.ok()) return policy.status();
  impl->policy.emplace(std::move(*policy));

  if (!options.proxy_url.empty()) {
    auto proxy = ParseUrl(options.proxy_url);
    if (!proxy.ok()) {
      // The proxy URL may embed credentials; do not echo it.
      return absl::InvalidArgumentError(
          "invalid http.proxy_url: not an http:// or https:// URL");
    }
  }
  for (const std::string& h : options.proxy_bypass_hosts) {
    impl->bypass_hosts.push_back(NormalizeHost(h));
  }
  for (const std::string& h : options.proxy_only_hosts) {
    impl->only_hosts.push_back(NormalizeHost(h));
  }
  for (const HostSettings& hs : options.host_settings) {
    auto origin = ParseUrl(hs.url);
    if (!origin.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid http.host_settings url: ", origin.status().message()));
    }
    Impl::ResolvedHostSettings resolved;
    resolved.mode = hs.verification_mode;
    for (const std::string& file : hs.ca_files) {
      absl::Status s = ReadFile(file, &resolved.ca_pem);
      if (!s.ok()) return s;
    }
    resolved.ca_pem += hs.ca_pem;
    impl->host_settings[origin->origin] = std::move(resolved);
  }
  if (options.max_redirects < 0) {
    return absl::InvalidArgumentError("http.max_redirects must be >= 0");
  }

  impl->share = curl_share_init();
  if (impl->share == nullptr) {
    return absl::ResourceExhaustedError("curl_share_init failed");
  }
  curl_share_setopt(impl->share, CURLSHOPT_LOCKFUNC, &Impl::Lock);
  curl_share_setopt(impl->share, CURLSHOPT_UNLOCKFUNC, &Impl::Unlock);
  curl_share_setopt(impl->share, CURLSHOPT_USERDATA, impl.get());
  curl_share_setopt(impl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  impl->options = std::move(options);
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::Stats HttpClient::stats() const {
  Stats s;
  s.connections_opened = impl_->connections_opened.load();
  s.requests = impl_->requests.load();
  return s;
}

absl::StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  absl::Time end = absl::Now() + impl_->options.response_timeout;
  bool end_is_deadline = false;
  if (request.deadline && *request.deadline < end) {
    end = *request.deadline;
    end_is_deadline = true;
  }
  std::string method = absl::AsciiStrToUpper(request.method);
  if (method.empty() ||
      method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
          std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid HTTP method \"", request.method, "\""));
  }
  HttpHeaders headers = request.headers;
  std::string body = request.body;
  auto target = ParseUrl(request.url);
  if (!target.ok()) return target.status();

  for (int hop = 0;; ++hop) {
    const auto hop_start = std::chrono::steady_clock::now();
    auto response =
        impl_->Perform(*target, method, headers, body, end, end_is_deadline);
    metrics::RecordHttpEgress(target->host, response.ok() ? response->status : 0,
                              metrics::SecondsSince(hop_start));
    if (!response.ok()) return response.status();
    if (!IsRedirect(response->status) || impl_->options.max_redirects == 0) {
      return response;
    }
    auto location = FindHeader(response->headers, "Location");
    if (!location) return response;
    if (hop >= impl_->options.max_redirects) {
      return absl::FailedPreconditionError(absl::StrCat(
          "too many redirects (more than ", impl_->options.max_redirects,
          ", http.max_redirects) starting at ", target->origin));
    }
    auto next_url = ResolveReference(target->url, *location);
    if (!next_url.ok()) return next_url.status();
    auto next = ParseUrl(*next_url);
    if (!next.ok()) return next.status();
    const int status = response->status;
    if ((status == 303 && method != "HEAD") ||
        ((status == 301 || status == 302) && method == "POST")) {
      method = "GET";
      body.clear();
      RemoveHeaders(&headers, [](std::string_view n) {
        return absl::EqualsIgnoreCase(AV(n), "content-type") ||
               absl::EqualsIgnoreCase(AV(n), "content-length");
      });
    }
    if (next->host != target->host) {
      // Credentials are for the original host only.
      RemoveHeaders(&headers, &IsSensitiveHeader);
    }
    target = std::move(next);
  }
}

}  // namespace casebridge::http

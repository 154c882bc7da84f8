#include "server/http/egress_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace casebridge::http {
namespace {

absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

bool InV4(const uint8_t* b, uint8_t a0, uint8_t a1, uint8_t a2, uint8_t a3,
          int prefix) {
  const uint32_t addr = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                        (uint32_t{b[2]} << 8) | uint32_t{b[3]};
  const uint32_t net = (uint32_t{a0} << 24) | (uint32_t{a1} << 16) |
                       (uint32_t{a2} << 8) | uint32_t{a3};
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (addr & mask) == (net & mask);
}

AddressClass ClassifyV4(const uint8_t* b) {
  if (InV4(b, 169, 254, 169, 254, 32)) return AddressClass::kMetadata;
  if (InV4(b, 0, 0, 0, 0, 8)) return AddressClass::kUnspecified;
  if (InV4(b, 127, 0, 0, 0, 8)) return AddressClass::kLoopback;
  if (InV4(b, 10, 0, 0, 0, 8) || InV4(b, 172, 16, 0, 0, 12) ||
      InV4(b, 192, 168, 0, 0, 16) || InV4(b, 198, 18, 0, 0, 15)) {
    return AddressClass::kPrivate;
  }
  if (InV4(b, 169, 254, 0, 0, 16)) return AddressClass::kLinkLocal;
  if (InV4(b, 100, 64, 0, 0, 10)) return AddressClass::kSharedCgnat;
  if (InV4(b, 224, 0, 0, 0, 4)) return AddressClass::kMulticast;
  if (InV4(b, 240, 0, 0, 0, 4)) return AddressClass::kReserved;
  return AddressClass::kPublic;
}

bool AllZero(const uint8_t* b, int n) {
  for (int i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

// getaddrinfo() has no timeout; with a finite deadline it runs on a detached
// thread that we stop waiting for when the deadline passes.
absl::StatusOr<std::vector<IpAddress>> ResolveHost(const std::string& host,
                                                   int port,
                                                   absl::Time deadline) {
  struct Lookup {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    int rc = 0;
    std::vector<IpAddress> addresses;
  };
  auto lookup = std::make_shared<Lookup>();
  auto run = [lookup, host, port] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    const std::string service = std::to_string(port);
    const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &result);
    std::vector<IpAddress> addresses;
    for (addrinfo* ai = rc == 0 ? result : nullptr; ai != nullptr;
         ai = ai->ai_next) {
      IpAddress a;
      if (ai->ai_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
        std::memcpy(a.bytes.data(), &sin->sin_addr, 4);
      } else if (ai->ai_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
        a.is_v6 = true;
        std::memcpy(a.bytes.data(), &sin6->sin6_addr, 16);
      } else {
        continue;
      }
      addresses.push_back(a);
    }
    if (result != nullptr) freeaddrinfo(result);
    std::lock_guard<std::mutex> lock(lookup->mu);
    lookup->rc = rc;
    lookup->addresses = std::move(addresses);
    lookup->done = true;
    lookup->cv.notify_all();
  };
  if (deadline == absl::InfiniteFuture()) {
    run();
  } else {
    std::thread(run).detach();
    std::unique_lock<std::mutex> lock(lookup->mu);
    while (!lookup->done) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(
            absl::StrCat("timed out resolving host \"", host, "\""));
      }
      lookup->cv.wait_for(lock, absl::ToChronoMilliseconds(left) +
                                    std::chrono::milliseconds(1));
    }
  }
  if (lookup->rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        "could not resolve host \"", host, "\": ", gai_strerror(lookup->rc)));
  }
  return lookup->addresses;
}

}  // namespace

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return buf;
}

std::string NormalizeHost(std::string_view host) {
  std::string h(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  if (!h.empty() && h.back() == '.') h.pop_back();
  absl::AsciiStrToLower(&h);
  return h;
}

absl::StatusOr<IpAddress> ParseIpAddress(std::string_view text) {
  std::string t(text);
  if (t.size() >= 2 && t.front() == '[' && t.back() == ']') {
    t = t.substr(1, t.size() - 2);
  }
  IpAddress a;
  if (inet_pton(AF_INET, t.c_str(), a.bytes.data()) == 1) return a;
  if (t.find('%') == std::string::npos &&
      inet_pton(AF_INET6, t.c_str(), a.bytes.data()) == 1) {
    a.is_v6 = true;
    return a;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("not an IP address: \"", AV(text), "\""));
}

AddressClass ClassifyAddress(const IpAddress& address) {
  const uint8_t* b = address.bytes.data();
  if (!address.is_v6) return ClassifyV4(b);
  static const uint8_t kMetadataV6[16] = {
      0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
  if (std::memcmp(b, kMetadataV6, 16) == 0) return AddressClass::kMetadata;
  if (AllZero(b, 16)) return AddressClass::kUnspecified;
  if (AllZero(b, 15) && b[15] == 1) return AddressClass::kLoopback;
  // IPv4-mapped ::ffff:0:0/96.
  if (AllZero(b, 10) && b[10] == 0xff && b[11] == 0xff)
    return ClassifyV4(b + 12);
  // IPv4-compatible ::/96 (deprecated, but some stacks still route it).
  if (AllZero(b, 12)) return ClassifyV4(b + 12);
  // NAT64 well-known prefix 64:ff9b::/96.
  static const uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0,
                                     0, 0,    0,    0,    0, 0};
  if (std::memcmp(b, kNat64, 12) == 0) return ClassifyV4(b + 12);
  // 6to4 2002::/16 embeds the IPv4 address in bytes 2..5.
  if (b[0] == 0x20 && b[1] == 0x02) {
    const AddressClass embedded = ClassifyV4(b + 2);
    if (embedded != AddressClass::kPublic) return embedded;
  }
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;  // fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
    return AddressClass::kLinkLocal;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
    return AddressClass::kPrivate;  // fec0::/10
  if (b[0] == 0xff) return AddressClass::kMulticast;
  return AddressClass::kPublic;
}

std::string_view AddressClassName(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kSharedCgnat:
      return "shared/CGNAT";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kReserved:
      return "reserved";
    case AddressClass::kMetadata:
      return "cloud metadata";
  }
  return "unknown";
}

bool Cidr::Contains(const IpAddress& address) const {
  IpAddress a = address;
  // Compare IPv4 blocks against IPv4-mapped IPv6 addresses too.
  if (a.is_v6 && !base.is_v6 && AllZero(a.bytes.data(), 10) &&
      a.bytes[10] == 0xff && a.bytes[11] == 0xff) {
    IpAddress v4;
    std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
    a = v4;
  }
  if (a.is_v6 != base.is_v6) return false;
  int bits = prefix_length;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask =
        bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

absl::StatusOr<Cidr> ParseCidr(std::string_view text) {
  const size_t slash = text.find('/');
  auto address = ParseIpAddress(text.substr(0, slash));
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CIDR \"", AV(text), "\""));
  }
  Cidr cidr;
  cidr.base = *address;
  const int max = address->is_v6 ? 128 : 32;
  cidr.prefix_length = max;
  if (slash != std::string_view::npos) {
    int prefix = -1;
    if (!absl::SimpleAtoi(AV(text.substr(slash + 1)), &prefix) || prefix < 0 ||
        prefix > max) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid CIDR prefix length in \"", AV(text), "\""));
    }
    cidr.prefix_length = prefix;
  }
  // Clear host bits so Contains() and IsSingleAddress() are exact.
  for (int i = 0; i < 16; ++i) {
    const int bits = cidr.prefix_length - i * 8;
    if (bits >= 8) continue;
    cidr.base.bytes[i] &=
        bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
  }
  return cidr;
}

bool IsMetadataHostname(std::string_view host) {
  const std::string h = NormalizeHost(host);
  return h == "metadata.google.internal" || h == "metadata" ||
         h == "instance-data" || h == "instance-data.ec2.internal";
}

absl::StatusOr<EgressPolicy> EgressPolicy::Create(EgressPolicyOptions options) {
  EgressPolicy policy;
  for (const std::string& h : options.allowed_hosts) {
    if (h == "*") policy.allow_any_host_ = true;
    policy.allowed_hosts_.push_back(NormalizeHost(h));
  }
  for (const std::string& h : options.allowed_private_hosts) {
    policy.allowed_private_hosts_.push_back(NormalizeHost(h));
  }
  for (const std::string& c : options.allowed_private_cidrs) {
    auto cidr = ParseCidr(c);
    if (!cidr.ok()) return cidr.status();
    policy.allowed_cidrs_.push_back(*cidr);
  }
  policy.options_ = std::move(options);
  return policy;
}

bool EgressPolicy::HostIsPrivateAllowed(std::string_view host) const {
  const std::string h = NormalizeHost(host);
  return std::find(allowed_private_hosts_.begin(), allowed_private_hosts_.end(),
                   h) != allowed_private_hosts_.end();
}

absl::Status EgressPolicy::CheckHostAllowed(std::string_view host,
                                            std::string_view url) const {
  if (allow_any_host_) return absl::OkStatus();
  const std::string h = NormalizeHost(host);
  if (std::find(allowed_hosts_.begin(), allowed_hosts_.end(), h) !=
      allowed_hosts_.end()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "target url \"", AV(url), "\" (host \"", h, "\") is not added to the ",
      options_.allowed_hosts_key, " config"));
}

absl::Status EgressPolicy::CheckHostName(std::string_view host,
                                         std::string_view url) const {
  if (IsMetadataHostname(host) && !HostIsPrivateAllowed(host)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "target url \"", AV(url), "\" names the cloud metadata host \"",
        NormalizeHost(host), "\", which the egress policy refuses; add it to ",
        options_.private_key_prefix, "allowed_private_hosts to allow it"));
  }
  return absl::OkStatus();
}

absl::Status EgressPolicy::CheckAddress(std::string_view host,
                                        const IpAddress& address,
                                        std::string_view url) const {
  const AddressClass c = ClassifyAddress(address);
  if (c == AddressClass::kPublic) return absl::OkStatus();
  if (HostIsPrivateAllowed(host)) return absl::OkStatus();
  for (const Cidr& cidr : allowed_cidrs_) {
    if (!cidr.Contains(address)) continue;
    if (c != AddressClass::kMetadata || cidr.IsSingleAddress()) {
      return absl::OkStatus();
    }
  }
  if (options_.allow_private_addresses &&
      (c == AddressClass::kLoopback || c == AddressClass::kPrivate ||
       c == AddressClass::kLinkLocal || c == AddressClass::kSharedCgnat ||
       c == AddressClass::kUnspecified)) {
    return absl::OkStatus();
  }
  const std::string& p = options_.private_key_prefix;
  return absl::PermissionDeniedError(absl::StrCat(
      "target url \"", AV(url), "\": host \"", NormalizeHost(host),
      "\" resolves to ", address.ToString(), " (", AV(AddressClassName(c)),
      " address), which the egress policy refuses; to allow it add the host "
      "to ",
      p, "allowed_private_hosts or the address to ", p, "allowed_private_cidrs",
      c == AddressClass::kMetadata
          ? " (metadata addresses must be listed exactly)"
          : ""));
}

absl::StatusOr<std::vector<IpAddress>> EgressPolicy::ResolveAndCheck(
    std::string_view host, int port, std::string_view url,
    absl::Time deadline) const {
  absl::Status s = CheckHostAllowed(host, url);
  if (!s.ok()) return s;
  s = CheckHostName(host, url);
  if (!s.ok()) return s;
  const std::string h = NormalizeHost(host);
  if (auto literal = ParseIpAddress(h); literal.ok()) {
    s = CheckAddress(h, *literal, url);
    if (!s.ok()) return s;
    return std::vector<IpAddress>{*literal};
  }
  auto resolved = ResolveHost(h, port, deadline);
  if (!resolved.ok()) return resolved.status();
  std::vector<IpAddress> permitted;
  absl::Status first_refusal;
  for (const IpAddress& a : *resolved) {
    if (std::find(permitted.begin(), permitted.end(), a) != permitted.end()) {
      continue;
    }
    absl::Status check = CheckAddress(h, a, url);
    if (check.ok()) {
      permitted.push_back(a);
    } else if (first_refusal.ok()) {
      first_refusal = check;
    }
  }
  if (permitted.empty()) {
    if (!first_refusal.ok()) return first_refusal;
    return absl::UnavailableError(
        absl::StrCat("host \"", h, "\" has no usable addresses"));
  }
  return permitted;
}

absl::Status EgressPolicy::CheckProxiedTarget(std::string_view host,
                                              std::string_view url) const {
  absl::Status s = CheckHostAllowed(host, url);
  if (!s.ok()) return s;
  s = CheckHostName(host, url);
  if (!s.ok()) return s;
  const std::string h = NormalizeHost(host);
  if (auto literal = ParseIpAddress(h); literal.ok()) {
    return CheckAddress(h, *literal, url);
  }
  return absl::OkStatus();
}

}  // namespace casebridge::http

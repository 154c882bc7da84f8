// Egress policy for outbound HTTP: which hosts and which resolved addresses
// the host may connect to. Mirrors Kibana's xpack.actions.allowedHosts and adds
// refusal of loopback, private, link-local, CGNAT and cloud-metadata addresses
// unless the operator explicitly allows them.
//
// EgressPolicy is immutable after Create() and safe to use from many threads.
// The free functions are pure and thread-safe.
#ifndef CASEBRIDGE_SERVER_HTTP_EGRESS_POLICY_H_
#define CASEBRIDGE_SERVER_HTTP_EGRESS_POLICY_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace casebridge::http {

// An IPv4 or IPv6 address in network byte order. IPv4 uses bytes[0..3].
struct IpAddress {
  bool is_v6 = false;
  std::array<uint8_t, 16> bytes{};

  // Dotted quad or RFC 5952 text (no brackets).
  std::string ToString() const;
  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.is_v6 == b.is_v6 && a.bytes == b.bytes;
  }
};

// Parses an IPv4 or IPv6 literal; "[::1]" brackets are accepted.
// InvalidArgument otherwise (hostnames are not addresses).
absl::StatusOr<IpAddress> ParseIpAddress(std::string_view text);

// What kind of destination an address is. Embedded IPv4 addresses in
// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible, NAT64 (64:ff9b::/96) and
// 6to4 (2002::/16) IPv6 forms are classified as the IPv4 address.
enum class AddressClass {
  kPublic,
  kLoopback,     // 127/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, 198.18/15, fc00::/7, fec0::/10
  kLinkLocal,    // 169.254/16, fe80::/10
  kSharedCgnat,  // 100.64/10
  kUnspecified,  // 0/8, ::
  kMulticast,    // 224/4, ff00::/8
  kReserved,     // 240/4 (incl. broadcast)
  kMetadata,     // 169.254.169.254, fd00:ec2::254 (cloud instance metadata)
};

AddressClass ClassifyAddress(const IpAddress& address);
std::string_view AddressClassName(AddressClass c);

// A CIDR block such as "10.0.0.0/8" or "fd00::/8"; a bare address is a
// full-length block (/32 or /128).
struct Cidr {
  IpAddress base;  // host bits cleared
  int prefix_length = 0;

  bool Contains(const IpAddress& address) const;
  bool IsSingleAddress() const {
    return prefix_length == (base.is_v6 ? 128 : 32);
  }
};

absl::StatusOr<Cidr> ParseCidr(std::string_view text);

// Hostnames that always mean a cloud metadata service, whatever they resolve
// to (compared case-insensitively, trailing dot ignored).
bool IsMetadataHostname(std::string_view host);

struct EgressPolicyOptions {
  // Exact hostnames (case-insensitive) or the lone "*" for any host; the
  // xpack.actions.allowedHosts equivalent. Empty list allows nothing.
  std::vector<std::string> allowed_hosts = {"*"};
  // Permits loopback, private, link-local, CGNAT and unspecified addresses
  // (not metadata, multicast or reserved ones).
  bool allow_private_addresses = false;
  // Hostnames whose resolved addresses are permitted whatever their class
  // (including metadata: naming the host is an explicit allow).
  std::vector<std::string> allowed_private_hosts;
  // Address blocks that are permitted. A metadata address is only permitted
  // by a block that names exactly that address (e.g. "169.254.169.254/32"),
  // never by a wider block such as 169.254.0.0/16.
  std::vector<std::string> allowed_private_cidrs;
  // Config key names used in refusal messages, so operators know what to edit.
  std::string allowed_hosts_key = "http.allowed_hosts";
  std::string private_key_prefix = "http.";
};

class EgressPolicy {
 public:
  // InvalidArgument if a CIDR does not parse.
  static absl::StatusOr<EgressPolicy> Create(EgressPolicyOptions options);

  // Checks the URL host (lowercased, no brackets) against allowed_hosts.
  // PermissionDenied names the url and the config key. `url` is only used
  // in the message.
  absl::Status CheckHostAllowed(std::string_view host,
                                std::string_view url) const;

  // Checks one resolved (or literal) address of `host`. PermissionDenied
  // names the host, the address, its class and the keys that would allow it.
  absl::Status CheckAddress(std::string_view host, const IpAddress& address,
                            std::string_view url) const;

  // Checks a hostname by name alone (metadata hostnames); used on its own
  // when a proxy resolves the name for us.
  absl::Status CheckHostName(std::string_view host, std::string_view url) const;

  // Full pre-connect check for a direct connection: allowed_hosts, metadata
  // names, then resolves `host` (unless it is an IP literal) and returns the
  // permitted addresses, to be pinned for the connection. Resolution failure
  // is Unavailable. If every resolved address is refused the result is
  // PermissionDenied for the first one; refused addresses are otherwise
  // dropped from the result. Resolution still running at `deadline` is
  // DeadlineExceeded.
  absl::StatusOr<std::vector<IpAddress>> ResolveAndCheck(
      std::string_view host, int port, std::string_view url,
      absl::Time deadline = absl::InfiniteFuture()) const;

  // Check for a request sent through a proxy (the proxy resolves): the host
  // must be allowed, must not be a metadata name, and an IP-literal host must
  // pass CheckAddress.
  absl::Status CheckProxiedTarget(std::string_view host,
                                  std::string_view url) const;

 private:
  EgressPolicy() = default;
  bool HostIsPrivateAllowed(std::string_view host) const;

  EgressPolicyOptions options_;
  bool allow_any_host_ = false;
  std::vector<std::string> allowed_hosts_;          // lowercased
  std::vector<std::string> allowed_private_hosts_;  // lowercased
  std::vector<Cidr> allowed_cidrs_;
};

// Lowercases and strips one trailing dot and surrounding IPv6 brackets.
std::string NormalizeHost(std::string_view host);

}  // namespace casebridge::http

#endif  // CASEBRIDGE_SERVER_HTTP_EGRESS_POLICY_H_

#pragma once
// The shared grammar: port specs, endpoints, targets and durations. Pure and total:
// every input yields a value or an Error whose message names the bad part.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/port_range.hpp"
#include "portkit/base/proto.hpp"
#include "portkit/base/result.hpp"

namespace portkit {

// ---- port specs: "22", "22,80,443", "1-1024", "-", "ssh", "53/udp", "ssh,80-90/udp"
struct PortSpecItem {
  PortRange ports;
  std::optional<Proto> proto;  // from a "/tcp" or "/udp" suffix on this item
};

struct PortSpec {
  std::vector<PortSpecItem> items;

  // Distinct ports for one transport, ascending. Items without a suffix count for
  // `default_proto`.
  [[nodiscard]] std::vector<std::uint16_t> ports_for(Proto proto, Proto default_proto) const;
};

struct PortSpecOptions {
  bool allow_zero = false;        // lookup may ask about port 0; probes may not
  Proto name_proto = Proto::tcp;  // transport used to resolve an unsuffixed service name
};

Result<PortSpec> parse_port_spec(std::string_view text, const PortSpecOptions& options = {});

// One port: a number or a service name, optionally suffixed.
struct SinglePort {
  std::uint16_t port = 0;
  std::optional<Proto> proto;
};
Result<SinglePort> parse_single_port(std::string_view text, const PortSpecOptions& options = {});

// ---- hosts and endpoints: "host:port", "[2001:db8::1]:443", "localhost:ssh", "h:53/udp"
enum class HostKind : std::uint8_t { name, ipv4, ipv6 };

struct Host {
  std::string text;  // without brackets; an IPv6 zone ("%eth0") is kept
  HostKind kind = HostKind::name;
};

Result<Host> parse_host(std::string_view text);

struct Endpoint {
  Host host;
  std::uint16_t port = 0;
  Proto proto = Proto::tcp;
  bool proto_given = false;  // the text carried "/tcp" or "/udp"
};

struct EndpointOptions {
  Proto default_proto = Proto::tcp;  // without a /tcp or /udp suffix
  bool allow_zero = false;  // a listening side may ask the kernel for a port; a probe may not
};
Result<Endpoint> parse_endpoint(std::string_view text, const EndpointOptions& options);
Result<Endpoint> parse_endpoint(std::string_view text, Proto default_proto = Proto::tcp);
std::string format_endpoint(const Host& host, std::uint16_t port);  // brackets IPv6

// ---- scan targets: host names, addresses, CIDR blocks, dash ranges
struct IpAddress {
  bool is_v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first four

  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

std::optional<IpAddress> parse_ip_address(std::string_view text);

// Which address families a name may resolve to (-4, -6).
enum class FamilyFilter : std::uint8_t { any, v4, v6 };

// Who can reach a socket bound to an address: only this host, every interface, or one address.
enum class Exposure : std::uint8_t { loopback, all_interfaces, one_address };
Exposure exposure_of(const IpAddress& local);
// The same for an address written as text (brackets allowed): empty means every interface, as
// an unbound listen or a compose publish without a host address; a name is one_address.
Exposure exposure_of_address(std::string_view text);
std::string_view exposure_name(Exposure exposure);  // "loopback", "all", "address"

struct Target {
  std::string text;                     // as given
  std::optional<std::string> hostname;  // set for a name, to be resolved later
  IpAddress first;                      // for an address block: first and last, inclusive
  IpAddress last;

  // Number of addresses in the block, saturating at UINT64_MAX; 1 for a host name.
  [[nodiscard]] std::uint64_t size() const;
  // The i-th address of the block (i < size()).
  [[nodiscard]] IpAddress at(std::uint64_t index) const;
};

Result<Target> parse_target(std::string_view text);

// ---- durations: "250ms", "2s", "1m", "1h", "1m30s", "1.5s", "100us"; a bare number is seconds
using Duration = std::chrono::nanoseconds;
Result<Duration> parse_duration(std::string_view text);

}  // namespace portkit

#pragma once
// ICMP and ICMPv6 for host discovery, as bytes: the echo request portkit sends and what a
// received packet says about the host it was about. Pure, so it is unit-tested and fuzzed
// without a network; src/scan/discovery.cpp moves the bytes.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "portkit/spec/spec.hpp"

namespace portkit {

// An echo request with `identifier` and `sequence`, and the checksum filled in (ICMPv6's is
// left zero: the kernel computes it over the pseudo-header of a raw ICMPv6 socket).
std::string icmp_echo_request(bool is_v6, std::uint16_t identifier, std::uint16_t sequence);

// The big-endian 16-bit value at `at` (the caller checked the size).
std::uint16_t read_be16(std::span<const std::uint8_t> bytes, std::size_t at);

// The Internet checksum (RFC 1071) of `bytes`.
std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes);

enum class IcmpVerdict : std::uint8_t {
  echo_reply,        // the host answered our echo
  host_answered,     // the host itself said "port/protocol unreachable": it is up
  host_refused,      // the host itself refused (prohibited): it is up behind its filter
  host_unreachable,  // a router (or this host) says it is not there
  net_unreachable,
  admin_prohibited,  // a filter on the way refused it
};

struct IcmpReading {
  IpAddress about;  // the address probed: the echo's source, or the packet quoted in an error
  IcmpVerdict verdict = IcmpVerdict::echo_reply;
  // An error's type and code, and the transport header it quotes (TCP or UDP ports), when the
  // quote holds one: what the SYN scan matches its probes with.
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint8_t quoted_protocol = 0;
  std::uint16_t quoted_source_port = 0;
  std::uint16_t quoted_destination_port = 0;
};

// Reads one received packet. `with_ip_header`: a raw IPv4 socket hands over the IP header
// first; ICMPv6 sockets and ping sockets start at the ICMP header. `from` is the sender's
// address (recvfrom). An echo reply counts only with `identifier` (a raw socket sees every
// process's pings); an error only when it quotes a packet to an address, whoever sent it.
std::optional<IcmpReading> read_icmp_packet(bool is_v6, bool with_ip_header,
                                            std::span<const std::uint8_t> packet,
                                            const IpAddress& from, std::uint16_t identifier,
                                            bool check_identifier = true);

}  // namespace portkit

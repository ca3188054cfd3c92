#pragma once
// TCP segments for the SYN scan, as bytes: the SYN portkit sends, what a received segment says,
// and the classic BPF filter that keeps only the answers to this scan's source port. Pure, so
// it is unit-tested and fuzzed without a network; src/scan/syn_scan.cpp moves the bytes.
#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "portkit/spec/spec.hpp"

namespace portkit {

// A 20-byte TCP SYN (no options: nmap's probes carry an MSS, which no answer depends on) from
// source_port to destination_port. The IPv4 checksum covers the pseudo-header with `source`;
// for IPv6 it is left zero and the kernel fills it (IPV6_CHECKSUM).
std::string tcp_syn(const IpAddress& source, const IpAddress& destination,
                    std::uint16_t source_port, std::uint16_t destination_port,
                    std::uint32_t sequence);

struct TcpAnswer {
  IpAddress from;
  std::uint16_t from_port = 0;  // the port probed
  std::uint16_t to_port = 0;    // our source port
  bool syn = false;
  bool ack = false;
  bool rst = false;
  std::uint32_t acknowledged = 0;  // the acknowledgement number (our sequence + 1 for SYN-ACK)
};

// Reads one segment from a raw TCP socket: IPv4 hands over the IP header first, IPv6 starts at
// the TCP header (then `from` is the sender, from recvfrom).
std::optional<TcpAnswer> read_tcp_segment(bool is_v6, std::span<const std::uint8_t> packet,
                                          const IpAddress& from);

// A filter for a raw TCP socket that passes only segments to `port` (IPv4: behind the IP header
// of whatever length; IPv6: at the start).
std::vector<sock_filter> tcp_port_filter(bool is_v6, std::uint16_t port);

}  // namespace portkit

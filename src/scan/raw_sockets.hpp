#pragma once
// The scanner's raw sockets, shared by host discovery and the SYN scan: ICMP sockets (raw, or
// a ping socket without CAP_NET_RAW), the SYN scan's raw TCP socket filtered in the kernel to
// its source port, the loops that drain them into parsed packets, and the source address of a
// route. The bytes are read by icmp_packets.cpp and tcp_packets.cpp.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "portkit/base/result.hpp"
#include "portkit/spec/spec.hpp"
#include "scan/icmp_packets.hpp"
#include "scan/tcp_packets.hpp"

namespace portkit {

// An owned descriptor (-1: none).
class RawSocket {
 public:
  RawSocket() = default;
  explicit RawSocket(int fd) : fd_(fd) {}
  RawSocket(RawSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RawSocket& operator=(RawSocket&& other) noexcept;
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket();
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

struct IcmpChannel {
  RawSocket socket;
  bool raw = false;    // a raw socket (IPv4 packets start with the IP header)
  std::string method;  // "raw socket", "ping socket", or why there is none
};

// An ICMP socket of the family: raw when allowed, else (unless `raw_only`) a ping socket, else
// none with the reason in `method`. `errors_only` keeps only destination-unreachable on a raw
// ICMPv6 socket (echo replies too otherwise).
IcmpChannel open_icmp(bool is_v6, bool raw_only, bool errors_only);

// The SYN scan's raw TCP socket: segments to `port` only (a kernel filter), the IPv6 checksum
// filled by the kernel. Errors say that it needs root or CAP_NET_RAW.
Result<RawSocket> open_syn_socket(bool is_v6, std::uint16_t port);

// Reads every packet waiting on `fd` (at most a few thousand per call).
void drain_icmp(const IcmpChannel& channel, bool is_v6, std::uint16_t identifier,
                const std::function<void(const IcmpReading&)>& on_reading);
void drain_tcp(int fd, bool is_v6, const std::function<void(const TcpAnswer&)>& on_answer);

// Our address on the route to `destination`: what the kernel puts in the IP header, and so what
// the TCP checksum must cover. A UDP socket connected there knows it, and sends nothing.
std::optional<IpAddress> route_source(const IpAddress& destination);

}  // namespace portkit

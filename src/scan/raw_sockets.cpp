#include "scan/raw_sockets.hpp"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "scan/socket_address.hpp"

namespace portkit {
namespace {

constexpr int kDrainRounds = 4096;

void enlarge_receive_buffer(int fd) {
  // Thousands of hosts or ports may answer within a millisecond, and a full buffer drops answers
  // that then cost a retry each and halve the congestion window. A raw socket means root or
  // CAP_NET_RAW, which usually comes with CAP_NET_ADMIN to pass net.core.rmem_max; where it does
  // not, the kernel's ceiling applies. 64 MB holds about 80,000 answers (a raw skb costs ~800 B).
  const int buffer = 64 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  }
}

}  // namespace

RawSocket& RawSocket::operator=(RawSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

IcmpChannel open_icmp(bool is_v6, bool raw_only, bool errors_only) {
  const int family = is_v6 ? AF_INET6 : AF_INET;
  const int protocol = is_v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
  IcmpChannel channel;
  channel.socket = RawSocket(::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
  if (channel.socket.fd() >= 0) {
    channel.raw = true;
    channel.method = "raw socket";
    if (is_v6) {
      // Only what is read: the kernel drops the rest (neighbour discovery, ...).
      icmp6_filter filter;
      ICMP6_FILTER_SETBLOCKALL(&filter);
      if (!errors_only) ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
      ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filter);
      ::setsockopt(channel.socket.fd(), IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
    }
  } else if (!raw_only) {
    channel.socket =
        RawSocket(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
    if (channel.socket.fd() >= 0) channel.method = "ping socket";
  }
  if (channel.socket.fd() < 0) {
    channel.method = std::string("none (") + std::strerror(errno) +
                     ": neither CAP_NET_RAW nor net.ipv4.ping_group_range allows ICMP)";
    return channel;
  }
  enlarge_receive_buffer(channel.socket.fd());
  return channel;
}

Result<RawSocket> open_syn_socket(bool is_v6, std::uint16_t port) {
  RawSocket socket(
      ::socket(is_v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (socket.fd() < 0) {
    return make_error(std::string("--syn needs raw sockets (root, or CAP_NET_RAW): ") +
                      std::strerror(errno));
  }
  if (is_v6) {
    const int offset = 16;  // the kernel fills the TCP checksum at this offset
    ::setsockopt(socket.fd(), IPPROTO_IPV6, IPV6_CHECKSUM, &offset, sizeof offset);
  }
  auto filter = tcp_port_filter(is_v6, port);
  const sock_fprog program{static_cast<unsigned short>(filter.size()), filter.data()};
  if (::setsockopt(socket.fd(), SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0) {
    return make_error(std::string("cannot filter the raw TCP socket: ") + std::strerror(errno));
  }
  enlarge_receive_buffer(socket.fd());
  return socket;
}

void drain_icmp(const IcmpChannel& channel, bool is_v6, std::uint16_t identifier,
                const std::function<void(const IcmpReading&)>& on_reading) {
  std::array<std::uint8_t, 1500> buffer;
  for (int round = 0; round < kDrainRounds; ++round) {
    sockaddr_storage from{};
    socklen_t length = sizeof from;
    const auto got = ::recvfrom(channel.socket.fd(), buffer.data(), buffer.size(), 0,
                                reinterpret_cast<sockaddr*>(&from), &length);
    if (got < 0) return;  // EAGAIN: all read
    // A ping socket's replies carry the identifier the kernel chose, and only ours come.
    const auto reading = read_icmp_packet(is_v6, channel.raw && !is_v6,
                                          {buffer.data(), static_cast<std::size_t>(got)},
                                          address_of(from), identifier, channel.raw);
    if (reading) on_reading(*reading);
  }
}

void drain_tcp(int fd, bool is_v6, const std::function<void(const TcpAnswer&)>& on_answer) {
  std::array<std::uint8_t, 256> buffer;  // headers are all that is read
  for (int round = 0; round < kDrainRounds; ++round) {
    sockaddr_storage from{};
    socklen_t length = sizeof from;
    const auto got = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_TRUNC,
                                reinterpret_cast<sockaddr*>(&from), &length);
    if (got < 0) return;
    const auto size = std::min(static_cast<std::size_t>(got), buffer.size());
    if (const auto answer = read_tcp_segment(is_v6, {buffer.data(), size}, address_of(from))) {
      on_answer(*answer);
    }
  }
}

std::optional<IpAddress> route_source(const IpAddress& destination) {
  const RawSocket probe(
      ::socket(destination.is_v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (probe.fd() < 0) return std::nullopt;
  sockaddr_storage storage;
  auto length = sockaddr_of(destination, 9, storage);  // any port: nothing is sent
  if (::connect(probe.fd(), reinterpret_cast<const sockaddr*>(&storage), length) != 0 ||
      ::getsockname(probe.fd(), reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return std::nullopt;
  }
  return address_of(storage);
}

}  // namespace portkit

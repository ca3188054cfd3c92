#include "scan/icmp_packets.hpp"

#include <algorithm>
#include <cstring>

namespace portkit {
namespace {

constexpr std::uint8_t kEchoReply4 = 0, kUnreachable4 = 3, kEchoRequest4 = 8;
constexpr std::uint8_t kUnreachable6 = 1, kEchoRequest6 = 128, kEchoReply6 = 129;
constexpr std::size_t kIcmpHeader = 8;
constexpr std::size_t kIp6Header = 40;

IpAddress address_at(std::span<const std::uint8_t> bytes, std::size_t at, bool is_v6) {
  IpAddress address;
  address.is_v6 = is_v6;
  std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), is_v6 ? 16 : 4,
              address.bytes.begin());
  return address;
}

// The protocol and ports of the transport header behind a quoted IP header, when there.
void read_quoted_transport(std::span<const std::uint8_t> quoted, bool is_v6, IcmpReading& reading) {
  std::size_t header = kIp6Header;
  if (is_v6) {
    reading.quoted_protocol = quoted[6];  // next header (no extension headers in our probes)
  } else {
    header = static_cast<std::size_t>(quoted[0] & 0x0f) * 4;
    reading.quoted_protocol = quoted[9];
  }
  if (header < 20 || quoted.size() < header + 4) return;
  reading.quoted_source_port = read_be16(quoted, header);
  reading.quoted_destination_port = read_be16(quoted, header + 2);
}

// The destination of the IP packet an error quotes, when enough of it is there.
std::optional<IpAddress> quoted_destination(std::span<const std::uint8_t> quoted, bool is_v6) {
  if (is_v6) {
    if (quoted.size() < kIp6Header || (quoted[0] >> 4) != 6) return std::nullopt;
    return address_at(quoted, 24, true);
  }
  if (quoted.size() < 20 || (quoted[0] >> 4) != 4) return std::nullopt;
  return address_at(quoted, 16, false);
}

std::optional<IcmpVerdict> unreachable_verdict(bool is_v6, std::uint8_t code, bool from_host) {
  if (from_host) {
    // Whatever it says, the host is there to say it.
    const bool port_unreachable = is_v6 ? code == 4 : (code == 2 || code == 3);
    return port_unreachable ? IcmpVerdict::host_answered : IcmpVerdict::host_refused;
  }
  if (is_v6) {
    switch (code) {
      case 0:
        return IcmpVerdict::net_unreachable;
      case 1:
      case 5:
      case 6:
        return IcmpVerdict::admin_prohibited;
      case 3:
        return IcmpVerdict::host_unreachable;
      default:
        return std::nullopt;
    }
  }
  switch (code) {
    case 0:
    case 6:
      return IcmpVerdict::net_unreachable;
    case 1:
    case 7:
      return IcmpVerdict::host_unreachable;
    case 9:
    case 10:
    case 13:
      return IcmpVerdict::admin_prohibited;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::uint16_t read_be16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) sum += read_be16(bytes, i);
  if (bytes.size() % 2 != 0) sum += static_cast<std::uint32_t>(bytes.back()) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::string icmp_echo_request(bool is_v6, std::uint16_t identifier, std::uint16_t sequence) {
  // Header and 8 bytes of payload ("portkit\0"), as small as ping's smallest useful probe.
  std::string packet(kIcmpHeader + 8, '\0');
  packet[0] = static_cast<char>(is_v6 ? kEchoRequest6 : kEchoRequest4);
  packet[4] = static_cast<char>(identifier >> 8);
  packet[5] = static_cast<char>(identifier & 0xff);
  packet[6] = static_cast<char>(sequence >> 8);
  packet[7] = static_cast<char>(sequence & 0xff);
  std::memcpy(packet.data() + kIcmpHeader, "portkit", 7);
  if (!is_v6) {
    const auto sum =
        internet_checksum({reinterpret_cast<const std::uint8_t*>(packet.data()), packet.size()});
    packet[2] = static_cast<char>(sum >> 8);
    packet[3] = static_cast<char>(sum & 0xff);
  }
  return packet;
}

std::optional<IcmpReading> read_icmp_packet(bool is_v6, bool with_ip_header,
                                            std::span<const std::uint8_t> packet,
                                            const IpAddress& from, std::uint16_t identifier,
                                            bool check_identifier) {
  if (with_ip_header && !is_v6) {
    if (packet.size() < 20 || (packet[0] >> 4) != 4) return std::nullopt;
    const std::size_t header = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
    if (header < 20 || packet.size() < header) return std::nullopt;
    packet = packet.subspan(header);
  }
  if (packet.size() < kIcmpHeader) return std::nullopt;
  const auto type = packet[0];
  const auto code = packet[1];
  if (type == (is_v6 ? kEchoReply6 : kEchoReply4)) {
    if (check_identifier && read_be16(packet, 4) != identifier) return std::nullopt;
    return IcmpReading{from, IcmpVerdict::echo_reply};
  }
  if (type != (is_v6 ? kUnreachable6 : kUnreachable4)) return std::nullopt;
  const auto quoted = packet.subspan(kIcmpHeader);
  const auto about = quoted_destination(quoted, is_v6);
  if (!about) return std::nullopt;
  const auto verdict = unreachable_verdict(is_v6, code, from == *about);
  if (!verdict) return std::nullopt;
  IcmpReading reading{*about, *verdict, type, code};
  read_quoted_transport(quoted, is_v6, reading);
  return reading;
}

}  // namespace portkit

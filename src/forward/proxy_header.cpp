// PROXY protocol headers (haproxy's proxy-protocol.txt): version 1 is one text line,
// version 2 a binary block; both go to the upstream before any relayed byte.
#include <fmt/format.h>

#include "portkit/forward/forward.hpp"

namespace portkit {
namespace {

constexpr std::array<std::uint8_t, 12> kV2Signature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::uint8_t kV2Proxy = 0x21;  // version 2, command PROXY
constexpr std::uint8_t kV2Local = 0x20;  // version 2, command LOCAL: no addresses
constexpr std::uint8_t kTcpOverIpv4 = 0x11;
constexpr std::uint8_t kTcpOverIpv6 = 0x21;

void append_port(std::string& out, std::uint16_t port) {
  out.push_back(static_cast<char>(port >> 8));
  out.push_back(static_cast<char>(port & 0xff));
}

std::string v2_header(const IpAddress& source, const IpAddress& destination,
                      const ProxyAddresses& addresses) {
  std::string out(kV2Signature.begin(), kV2Signature.end());
  if (source.is_v6 != destination.is_v6) {
    out.push_back(static_cast<char>(kV2Local));
    out.push_back(0);
    append_port(out, 0);  // no address block
    return out;
  }
  const std::size_t length = source.is_v6 ? 16 : 4;
  out.push_back(static_cast<char>(kV2Proxy));
  out.push_back(static_cast<char>(source.is_v6 ? kTcpOverIpv6 : kTcpOverIpv4));
  append_port(out, static_cast<std::uint16_t>(2 * length + 4));
  out.append(reinterpret_cast<const char*>(source.bytes.data()), length);
  out.append(reinterpret_cast<const char*>(destination.bytes.data()), length);
  append_port(out, addresses.source_port);
  append_port(out, addresses.destination_port);
  return out;
}

}  // namespace

std::string proxy_header(ProxyProtocol version, const ProxyAddresses& addresses) {
  // A client of a dual-stack listener shows as ::ffff:a.b.c.d: name it as IPv4.
  const auto source = unmap_v4(addresses.source);
  const auto destination = unmap_v4(addresses.destination);
  switch (version) {
    case ProxyProtocol::none:
      return {};
    case ProxyProtocol::v1:
      if (source.is_v6 != destination.is_v6) return "PROXY UNKNOWN\r\n";
      return fmt::format("PROXY {} {} {} {} {}\r\n", source.is_v6 ? "TCP6" : "TCP4",
                         source.to_string(), destination.to_string(), addresses.source_port,
                         addresses.destination_port);
    case ProxyProtocol::v2:
      return v2_header(source, destination, addresses);
  }
  return {};
}

}  // namespace portkit

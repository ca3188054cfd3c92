// RDP: an X.224 Connection Request with an RDP negotiation request; a server answers a
// Connection Confirm (TPKT version 3, code 0xd0). nmap calls the service ms-wbt-server.
#include "service/protocol.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kRdpPorts[] = {3389};

std::string rdp_request(const ProbeContext&) {
  return std::string("\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00",
                     19);
}

Reading read_rdp(std::string_view reply) {
  if (reply.size() < 6) return reply.empty() || reply[0] == '\x03' ? incomplete() : mismatch();
  if (reply[0] != '\x03' || reply[1] != 0 || static_cast<unsigned char>(reply[5]) != 0xd0) {
    return mismatch();
  }
  return matched({.name = "ms-wbt-server", .product = "Microsoft Terminal Services"});
}

}  // namespace

const ProtocolProbe& rdp_probe() {
  static const ProtocolProbe probe{"rdp", rdp_request, read_rdp, kRdpPorts};
  return probe;
}

}  // namespace portkit::service

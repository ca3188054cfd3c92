// LDAP: an anonymous simple bind (message id 1, version 3); a server answers a BindResponse
// (application tag 1) for message 1, whatever it thinks of anonymous binds (RFC 4511).
#include "service/protocol.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kLdapPorts[] = {389, 636, 3268};

std::string ldap_request(const ProbeContext&) {
  return std::string("\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00", 14);
}

Reading read_ldap(std::string_view reply) {
  if (reply.empty()) return incomplete();
  if (reply[0] != '\x30') return mismatch();
  if (reply.size() < 2) return incomplete();
  // The sequence length: short form, or long form with 1-4 length bytes.
  std::size_t at = 2;
  const auto first = static_cast<unsigned char>(reply[1]);
  if (first & 0x80) at += first & 0x7f;
  if (reply.size() < at + 4) return incomplete();
  if (reply.substr(at, 3) != std::string_view("\x02\x01\x01", 3)) return mismatch();
  if (static_cast<unsigned char>(reply[at + 3]) != 0x61) return mismatch();
  return matched({.name = "ldap"});
}

}  // namespace

const ProtocolProbe& ldap_probe() {
  static const ProtocolProbe probe{"ldap", ldap_request, read_ldap, kLdapPorts};
  return probe;
}

}  // namespace portkit::service

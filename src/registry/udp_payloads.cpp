#include "portkit/udp_payloads.hpp"

namespace portkit {
namespace {

// DNS: a recursive query for the root's NS records.
std::string dns_query() {
  return std::string(
      "\x50\x4b\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"  // id, RD, 1 question
      "\x00\x00\x02\x00\x01",                             // ".", NS, IN
      17);
}

// NTP: version 4, mode 3 (client); the rest may be zero.
std::string ntp_request() {
  std::string packet(48, '\0');
  packet[0] = 0x23;
  return packet;
}

// BER tag-length-value with a short-form length (every part here is < 128 bytes).
std::string tlv(unsigned char tag, const std::string& value) {
  return std::string{static_cast<char>(tag), static_cast<char>(value.size())} + value;
}

// SNMPv1 GetRequest for sysDescr.0 with the community "public".
std::string snmp_get() {
  const std::string sys_descr_oid("\x2b\x06\x01\x02\x01\x01\x01\x00", 8);
  const auto varbind = tlv(0x30, tlv(0x06, sys_descr_oid) + tlv(0x05, ""));
  const auto pdu = tlv(0xa0, tlv(0x02, std::string("\x50\x4b\x00\x01", 4)) +  // request id
                                 tlv(0x02, std::string(1, '\0')) +            // error status
                                 tlv(0x02, std::string(1, '\0')) +            // error index
                                 tlv(0x30, varbind));
  return tlv(0x30, tlv(0x02, std::string(1, '\0')) + tlv(0x04, "public") + pdu);
}

}  // namespace

std::string udp_payload(std::uint16_t port) {
  switch (port) {
    case 53:
    case 5353:
      return dns_query();
    case 123:
      return ntp_request();
    case 161:
      return snmp_get();
    default:
      return {};
  }
}

}  // namespace portkit

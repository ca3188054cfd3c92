#include "service/udp_payloads.hpp"

#include <array>

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

namespace {

constexpr std::uint16_t kDnsQueryId = 0x504b;  // dns_query()'s id

std::optional<ServiceMatch> read_dns(std::string_view reply) {
  if (reply.size() < 12) return std::nullopt;
  const auto id = static_cast<std::uint16_t>(static_cast<unsigned char>(reply[0]) << 8 |
                                             static_cast<unsigned char>(reply[1]));
  const auto flags = static_cast<unsigned char>(reply[2]);
  if (id != kDnsQueryId || (flags & 0x80) == 0) return std::nullopt;  // our id, a response
  static constexpr std::array<std::string_view, 6> kCodes{"NOERROR",  "FORMERR", "SERVFAIL",
                                                          "NXDOMAIN", "NOTIMP",  "REFUSED"};
  const std::size_t code = static_cast<unsigned char>(reply[3]) & 0x0fu;
  ServiceMatch match{.name = "domain"};
  match.info = code < kCodes.size() ? std::string(kCodes[code]) : "rcode " + std::to_string(code);
  if ((static_cast<unsigned char>(reply[3]) & 0x80) != 0) match.info += ", recursion available";
  return match;
}

std::optional<ServiceMatch> read_ntp(std::string_view reply) {
  if (reply.size() < 48) return std::nullopt;
  const auto first = static_cast<unsigned char>(reply[0]);
  const int mode = first & 0x07;
  const int version = (first >> 3) & 0x07;
  if (mode != 4 || version < 1) return std::nullopt;  // a server's answer
  return ServiceMatch{.name = "ntp",
                      .info = "v" + std::to_string(version) + ", stratum " +
                              std::to_string(static_cast<unsigned char>(reply[1]))};
}

// One BER element: tag, short or long length; `at` moves past its header.
bool ber_header(std::string_view bytes, std::size_t& at, unsigned char& tag, std::size_t& length) {
  if (at + 2 > bytes.size()) return false;
  tag = static_cast<unsigned char>(bytes[at]);
  auto first = static_cast<unsigned char>(bytes[at + 1]);
  at += 2;
  if (first < 0x80) {
    length = first;
  } else {
    const std::size_t count = first & 0x7f;
    if (count == 0 || count > 3 || at + count > bytes.size()) return false;
    length = 0;
    for (std::size_t i = 0; i < count; ++i) {
      length = length << 8 | static_cast<unsigned char>(bytes[at + i]);
    }
    at += count;
  }
  return at + length <= bytes.size();
}

std::optional<ServiceMatch> read_snmp(std::string_view reply) {
  std::size_t at = 0;
  unsigned char tag = 0;
  std::size_t length = 0;
  if (!ber_header(reply, at, tag, length) || tag != 0x30) return std::nullopt;  // message
  if (!ber_header(reply, at, tag, length) || tag != 0x02) return std::nullopt;  // version
  at += length;
  if (!ber_header(reply, at, tag, length) || tag != 0x04) return std::nullopt;  // community
  at += length;
  if (!ber_header(reply, at, tag, length) || tag != 0xa2) return std::nullopt;  // GetResponse
  ServiceMatch match{.name = "snmp", .info = "SNMPv1"};
  // The last OCTET STRING in the response is sysDescr.0's value.
  for (std::size_t scan = at; scan + 2 <= reply.size();) {
    std::size_t inner = scan;
    if (!ber_header(reply, inner, tag, length)) break;
    if (tag == 0x04)
      match.product = std::string(reply.substr(inner, std::min<std::size_t>(length, 120)));
    scan = (tag == 0x30 || tag == 0xa2) ? inner : inner + length;
  }
  return match;
}

}  // namespace

std::optional<ServiceMatch> read_udp_reply(std::uint16_t port, std::string_view reply) {
  switch (port) {
    case 53:
    case 5353:
      return read_dns(reply);
    case 123:
      return read_ntp(reply);
    case 161:
      return read_snmp(reply);
    default:
      return std::nullopt;
  }
}

}  // namespace portkit

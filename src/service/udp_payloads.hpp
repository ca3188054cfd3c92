#pragma once
// Protocol payloads for UDP probes: a service that ignores an empty datagram still answers
// a well-formed request (DNS, NTP, SNMP), which tells open from open|filtered.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "portkit/service/service_identity.hpp"

namespace portkit {

// The request to send to `port`; empty when no protocol is known (send an empty datagram).
std::string udp_payload(std::uint16_t port);

// What the reply to that request says: a DNS answer to our query id, an NTP server packet, an
// SNMP GetResponse (with sysDescr as the product). Nothing when it is none of these.
std::optional<ServiceMatch> read_udp_reply(std::uint16_t port, std::string_view reply);

}  // namespace portkit

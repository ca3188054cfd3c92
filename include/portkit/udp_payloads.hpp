#pragma once
// Protocol payloads for UDP probes: a service that ignores an empty datagram still answers
// a well-formed request (DNS, NTP, SNMP), which tells open from open|filtered.
#include <cstdint>
#include <string>
#include <string_view>

namespace portkit {

// The request to send to `port`; empty when no protocol is known (send an empty datagram).
std::string udp_payload(std::uint16_t port);

}  // namespace portkit

#include <cerrno>

#include "portkit/probe/probe.hpp"

namespace portkit {

std::string_view port_state_name(PortState state) {
  switch (state) {
    case PortState::open:
      return "open";
    case PortState::closed:
      return "closed";
    case PortState::filtered:
      return "filtered";
    case PortState::open_filtered:
      return "open|filtered";
  }
  return "unknown";
}

std::string_view probe_reason_name(ProbeReason reason) {
  switch (reason) {
    case ProbeReason::syn_ack:
      return "syn-ack";
    case ProbeReason::conn_refused:
      return "conn-refused";
    case ProbeReason::no_response:
      return "no-response";
    case ProbeReason::host_unreach:
      return "host-unreach";
    case ProbeReason::net_unreach:
      return "net-unreach";
    case ProbeReason::admin_prohibited:
      return "admin-prohibited";
    case ProbeReason::port_unreach:
      return "port-unreach";
    case ProbeReason::udp_response:
      return "udp-response";
    case ProbeReason::local_error:
      return "local-error";
    case ProbeReason::reset:
      return "reset";
  }
  return "unknown";
}

Verdict classify_connect_errno(int error_number) {
  switch (error_number) {
    case 0:
      return {PortState::open, ProbeReason::syn_ack};
    case ECONNREFUSED:
      return {PortState::closed, ProbeReason::conn_refused};
    case EHOSTUNREACH:
      // Linux reports ICMP host unreachable and administratively prohibited alike here.
      return {PortState::filtered, ProbeReason::host_unreach};
    case ENETUNREACH:
      return {PortState::filtered, ProbeReason::net_unreach};
    case EACCES:
    case EPERM:
      return {PortState::filtered, ProbeReason::admin_prohibited};
    case ETIMEDOUT:
      return {PortState::filtered, ProbeReason::no_response};
    default:
      return {PortState::filtered, ProbeReason::local_error};
  }
}

Verdict classify_udp_icmp(bool is_v6, std::uint8_t type, std::uint8_t code) {
  if (!is_v6) {
    if (type != 3) return {PortState::filtered, ProbeReason::host_unreach};  // not unreachable
    switch (code) {
      case 3:
        return {PortState::closed, ProbeReason::port_unreach};
      case 0:
      case 6:
        return {PortState::filtered, ProbeReason::net_unreach};
      case 9:
      case 10:
      case 13:
        return {PortState::filtered, ProbeReason::admin_prohibited};
      default:
        return {PortState::filtered, ProbeReason::host_unreach};
    }
  }
  if (type != 1) return {PortState::filtered, ProbeReason::host_unreach};  // ICMPv6 unreachable
  switch (code) {
    case 4:
      return {PortState::closed, ProbeReason::port_unreach};
    case 0:
      return {PortState::filtered, ProbeReason::net_unreach};
    case 1:
    case 5:
    case 6:
      return {PortState::filtered, ProbeReason::admin_prohibited};
    default:
      return {PortState::filtered, ProbeReason::host_unreach};
  }
}

}  // namespace portkit

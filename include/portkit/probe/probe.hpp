#pragma once
// One TCP connect or UDP probe, classified as nmap does, with the reason it saw.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "portkit/base/proto.hpp"
#include "portkit/service/service_identity.hpp"

namespace portkit {

enum class PortState : std::uint8_t { open, closed, filtered, open_filtered };
std::string_view port_state_name(PortState state);  // "open", "closed", "filtered", "open|filtered"

// nmap's --reason vocabulary.
enum class ProbeReason : std::uint8_t {
  syn_ack,       // connected
  conn_refused,  // RST, or ICMP port unreachable to a TCP connect
  no_response,   // silence until the deadline
  host_unreach,  // ICMP host (or network) unreachable
  net_unreach,
  admin_prohibited,  // ICMP communication administratively prohibited
  port_unreach,      // ICMP port unreachable to a UDP probe
  udp_response,      // a datagram came back
  local_error,       // this host could not even send (no route, no fd)
  reset,             // a SYN scan's RST (nmap -sS's word; a connect scan says conn-refused)
};
std::string_view probe_reason_name(ProbeReason reason);  // "syn-ack", "conn-refused", ...

struct Verdict {
  PortState state;
  ProbeReason reason;
};

// Pure classification of what the kernel reported.
Verdict classify_connect_errno(int error_number);  // for a TCP connect() that failed
// An ICMP or ICMPv6 error read from the error queue (sock_extended_err) of a UDP socket.
Verdict classify_udp_icmp(bool is_v6, std::uint8_t type, std::uint8_t code);

struct ProbeOptions {
  std::chrono::milliseconds timeout{1000};  // per attempt
  int retries = 1;                          // extra attempts after no response
  bool banner = false;                      // TCP: read what the server says first
  bool identify = false;                    // UDP: name the service from its reply
  std::chrono::milliseconds banner_timeout{800};
};

struct ProbeResult {
  std::string address;  // numeric, without brackets
  std::uint16_t port = 0;
  Proto proto = Proto::tcp;
  PortState state = PortState::filtered;
  ProbeReason reason = ProbeReason::no_response;
  std::optional<double> latency_ms;  // time to the answer that decided the state
  int attempts = 0;
  std::string banner;
  std::string error;                        // for local_error: what the kernel said
  int sys_errno = 0;                        // and its errno
  std::optional<ServiceIdentity> identity;  // what answers, when identification was asked
};

}  // namespace portkit

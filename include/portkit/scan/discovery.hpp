#pragma once
// Host discovery: which addresses of a scan are hosts, asked of all of them at once before any
// port is probed (nmap's ping scan). Each address gets an ICMP echo (a raw socket as root, a
// ping socket where net.ipv4.ping_group_range allows, else none) and TCP connects to a few
// common ports; any answer (echo reply, SYN-ACK, reset, the host's own "port unreachable")
// marks it up, an ICMP unreachable for it marks it down at once, silence marks it down after
// a timeout that follows the round trips of the hosts that answered.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/result.hpp"
#include "portkit/scan/scan_targets.hpp"

namespace portkit {

// How the host status of a scan is decided (-Pn, -sn, or by default).
enum class DiscoveryMode : std::uint8_t {
  automatic,  // discover when the targets hold more than one address
  off,        // -Pn: every address is scanned
  only,       // -sn: discover, scan no port
};

struct DiscoveryOptions {
  // Ports connected to (-PS); with 22 and 3389, the hosts that drop ping and the web ports
  // but serve SSH or RDP are found too.
  std::vector<std::uint16_t> tcp_ports{80, 443, 22, 3389};
  bool icmp = true;
  std::chrono::milliseconds timeout{1000};     // before any host has answered
  std::chrono::milliseconds min_timeout{250};  // floor of the adaptive timeout
  int retries = 1;                             // further echoes to a silent host
  std::size_t max_inflight = 0;                // sockets; 0 = from RLIMIT_NOFILE
  const std::atomic<bool>* stop = nullptr;
};

struct HostStatus {
  ScanHost host;
  bool up = false;
  HostReason reason = HostReason::no_response;
  std::optional<double> rtt_ms;  // time to the answer that decided it
};

struct DiscoverySummary {
  std::uint64_t addresses = 0;
  std::uint64_t up = 0;
  std::vector<std::pair<HostReason, std::uint64_t>> down;  // counts per reason
  std::string icmp_method;  // "raw socket", "ping socket", or why there was none
  std::uint64_t probes_sent = 0;
  double elapsed_ms = 0;
  bool interrupted = false;

  [[nodiscard]] std::uint64_t down_total() const;
};

// Asks every host of `hosts` (from where it stands) and reports each as it is decided, up or
// down, in no particular order. Errors only when no probe can be sent at all.
Result<DiscoverySummary> discover_hosts(HostSource& hosts, const DiscoveryOptions& options,
                                        const std::function<void(const HostStatus&)>& on_host);

}  // namespace portkit

#pragma once
// `scan`: TCP connect and UDP probes over hosts x ports on one event loop, classified as
// nmap does (state and reason), with adaptive timeouts, retries for unanswered probes, a rate
// limit and bounded in-flight probes. The engine never prints: results go to a ScanSink.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/result.hpp"
#include "portkit/probe/probe.hpp"
#include "portkit/scan/discovery.hpp"
#include "portkit/scan/scan_targets.hpp"

namespace portkit {

struct ScanOptions {
  std::vector<std::uint16_t> tcp_ports;
  std::vector<std::uint16_t> udp_ports;
  std::chrono::milliseconds timeout{1000};     // ceiling of the adaptive per-host timeout
  std::chrono::milliseconds min_timeout{100};  // floor of the adaptive timeout
  int max_retries = 6;           // cap on extra attempts; a host earns them by answering retries
  double rate = 0;               // probes per second; 0 = unlimited
  std::size_t max_inflight = 0;  // 0 = sized from RLIMIT_NOFILE
  unsigned workers = 0;          // engine threads; 0 = from the cores and the scan's size
  std::size_t max_active_hosts = 256;  // hosts scanned side by side
  bool sequential = false;             // ports in ascending order, not shuffled
  bool banner = false;                 // read banners of open TCP ports
  bool identify_udp = false;           // name UDP services from their replies (--service)
  std::chrono::milliseconds banner_timeout{800};
  std::chrono::milliseconds udp_retry_spacing{1100};  // per host, under an ICMP rate limit
  std::uint64_t seed = 0;                             // port order key; 0 = random
  const std::atomic<bool>* stop = nullptr;            // set (e.g. by SIGINT) to end early
  // Raw SYN probes (nmap -sS) instead of connects: TCP only, needs CAP_NET_RAW.
  bool syn = false;
  DiscoveryMode discovery = DiscoveryMode::automatic;
  DiscoveryOptions discovery_options;  // its `stop` is this `stop`
};

struct PortOutcome {
  std::uint16_t port = 0;
  Proto proto = Proto::tcp;
  PortState state = PortState::filtered;
  ProbeReason reason = ProbeReason::no_response;
  std::uint8_t attempts = 0;
  float latency_ms = -1;  // negative: no answer to time

  [[nodiscard]] std::optional<double> latency() const {
    if (latency_ms < 0) return std::nullopt;
    return latency_ms;
  }
};

struct HostReport {
  ScanHost host;
  std::vector<PortOutcome> ports;  // sorted by (proto, port) once the host is done
  std::vector<std::pair<std::uint16_t, std::string>> banners;  // TCP port -> banner
  // What answers on a port (scan --service): TCP from the identification, UDP from the reply
  // to the protocol payload; filled before the host is reported.
  struct PortIdentity {
    std::uint16_t port = 0;
    Proto proto = Proto::tcp;
    ServiceIdentity identity;
  };
  std::vector<PortIdentity> identities;
  std::optional<double> srtt_ms;  // smoothed round trip
  // The fastest answer: the path's latency, free of the queueing a busy scan adds to srtt.
  std::optional<double> min_rtt_ms;
  double rttvar_ms = 0;
  double timeout_ms = 0;  // the adaptive timeout at the end
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point finished;
  bool complete = true;  // false when the scan was stopped before this host was done

  [[nodiscard]] std::size_t count(PortState state) const;
  [[nodiscard]] bool answered() const;  // any port open or closed, or any ICMP from it
  [[nodiscard]] std::string_view banner_for(std::uint16_t port) const;
  [[nodiscard]] const ServiceIdentity* identity_for(std::uint16_t port, Proto proto) const;
  void sort_ports();  // by (proto, port)
};

struct ScanProgress {
  std::uint64_t done = 0;   // ports decided
  std::uint64_t total = 0;  // ports to decide (an estimate when excludes apply)
  double elapsed_s = 0;
  double rate = 0;  // probes per second so far
};

struct ScanSummary {
  std::uint64_t hosts = 0;
  std::uint64_t hosts_answered = 0;
  std::uint64_t probes_sent = 0;
  std::uint64_t open = 0;
  std::uint64_t closed = 0;
  std::uint64_t filtered = 0;
  std::uint64_t open_filtered = 0;
  double elapsed_ms = 0;
  bool interrupted = false;
  std::size_t max_inflight = 0;      // the window used
  std::size_t resource_waits = 0;    // times EMFILE/ENFILE/EADDRNOTAVAIL shrank the window
  unsigned workers = 1;              // engine threads that ran (each on a share of the ports)
  std::vector<std::string> notices;  // e.g. "file descriptor limit is low: ..."
  // Host discovery, when it ran: addresses it asked, found down (skipped) and why, and how.
  std::optional<DiscoverySummary> discovery;

  void count(PortState state);  // one more port decided in `state`
};

class ScanSink {
 public:
  virtual ~ScanSink() = default;
  virtual void on_port(const ScanHost& host, const PortOutcome& outcome,
                       std::string_view banner) = 0;
  virtual void on_host(const HostReport& report) = 0;
  virtual void on_progress(const ScanProgress& /*progress*/) {}
};

// Raises the soft RLIMIT_NOFILE to the hard limit and returns how many probes may be in flight
// (the soft limit minus a reserve), with a notice when that is low.
struct FdBudget {
  std::size_t inflight = 0;
  std::optional<std::string> notice;
};
FdBudget raise_fd_limit();

// Discovers the hosts first (unless options.discovery is off, or the targets are one address),
// then scans the ports of those that are up; with DiscoveryMode::only, reports each host up
// to the sink (a report without ports) and scans nothing.
Result<ScanSummary> run_scan(HostSource& hosts, const ScanOptions& options, ScanSink& sink);

}  // namespace portkit

#pragma once
// The scanner's state machine, pure and fed events with the caller's clock: which probe goes
// out next (round-robin across hosts, each host's ports in a keyed random order, retries
// first), how long to wait for each (per-host adaptive timeout), and what an answer or a
// silence means (a final outcome or a retry). UDP retries to a host that rate-limits its ICMP
// errors are spaced out so that a suppressed "port unreachable" is not taken for silence.
// As nmap does, a host earns retries: silence is retried once more than the highest attempt
// that ever got an answer from it (up to max_retries), so a firewall costs one retry per port
// while a lossy path gets as many as it needs.
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "portkit/scan/scan.hpp"
#include "scan/scan_order.hpp"
#include "scan/scan_timing.hpp"

namespace portkit {

struct ProbeTask {
  std::uint32_t host = 0;  // id from ScanScheduler::add_host
  std::uint16_t port = 0;
  Proto proto = Proto::tcp;
  std::uint8_t attempt = 1;
  std::uint32_t first_sent = 0;  // the host's probe count when attempt 1 went out
};

struct SchedulerConfig {
  std::vector<std::uint16_t> tcp_ports;
  std::vector<std::uint16_t> udp_ports;
  int max_retries = 2;
  TimeoutBounds bounds;
  bool sequential = false;
  std::uint64_t seed = 1;
  Micros udp_retry_spacing{1'100'000};
  // Per-host congestion window (probes in flight): starts small, doubles each round trip
  // while answers come back, halves when an answer shows an earlier attempt was lost.
  double initial_window = 16;
  double max_window = 5000;
};

class ScanScheduler {
 public:
  explicit ScanScheduler(SchedulerConfig config);

  // `icmp_rate_limited`: the host may suppress ICMP errors (any host but this one's loopback).
  std::uint32_t add_host(ScanHost host, bool icmp_rate_limited);

  // The next probe to send, or nothing when every active host is waiting.
  std::optional<ProbeTask> next(ScanClock::time_point now);
  // When a paced retry becomes due, if one is waiting.
  [[nodiscard]] std::optional<ScanClock::time_point> next_due() const;

  // An attempt's verdict (rtt: time to the answer, when there was one). Returns the port's
  // final outcome, or nothing when a retry was queued.
  std::optional<PortOutcome> record(const ProbeTask& task, Verdict verdict,
                                    std::optional<Micros> rtt);
  // The task could not be sent (no fd, no local port): it goes back, not counted as an attempt.
  void give_back(const ProbeTask& task);

  [[nodiscard]] Micros timeout_for(const ProbeTask& task) const;
  [[nodiscard]] bool host_done(std::uint32_t host) const;
  [[nodiscard]] const ScanHost& host(std::uint32_t host) const;
  HostReport& report(std::uint32_t host);
  // Hands over a host's report (ports sorted) and forgets the host.
  HostReport finish_host(std::uint32_t host, bool complete);
  [[nodiscard]] const std::vector<std::uint32_t>& active_hosts() const { return active_; }
  [[nodiscard]] std::size_t ports_per_host() const { return total_ports_; }
  [[nodiscard]] double window(std::uint32_t host) const { return hosts_[host].cwnd; }
  [[nodiscard]] int retries_earned(std::uint32_t host) const;

 private:
  struct HostState {
    HostState(PortOrder port_order, RttEstimator estimator) : order(port_order), rtt(estimator) {}
    HostReport report;
    PortOrder order;
    RttEstimator rtt;
    std::uint32_t next_step = 0;
    std::uint32_t in_flight = 0;
    std::uint32_t udp_first_in_flight = 0;
    std::deque<ProbeTask> retries;
    std::deque<ProbeTask> paced_retries;
    // TCP retries after the first: sent once every port had its first probe, when the path
    // carries least, so a loss that comes in bursts does not take every attempt of a port.
    std::deque<ProbeTask> late_retries;
    ScanClock::time_point next_paced{};
    bool icmp_rate_limited = false;
    bool saw_udp_icmp = false;
    bool paced_armed = false;
    bool live = false;
    double cwnd = 0;
    double ssthresh = 0;
    std::uint8_t highest_answered_attempt = 1;
    std::uint32_t sent = 0;
    std::uint32_t no_cut_before = 0;  // a loss among probes older than this was answered already
  };

  void on_answer(HostState& state, const ProbeTask& task);
  void grow(HostState& state, double slow_start_step = 1.0) const;

  [[nodiscard]] ProbeTask fresh_task(std::uint32_t id, const HostState& state) const;
  std::optional<ProbeTask> take_from(std::uint32_t id, ScanClock::time_point now);

  SchedulerConfig config_;
  std::size_t total_ports_ = 0;
  std::size_t leading_ = 0;  // tcp_ports[0, leading_) go first, in order
  std::vector<HostState> hosts_;
  std::vector<std::uint32_t> free_ids_;
  std::vector<std::uint32_t> active_;
  std::size_t cursor_ = 0;
};

}  // namespace portkit

#pragma once
// One host of the SYN scan: its ports' outcomes, their send order and times, and its round-trip
// estimate (RFC 6298's smoothing), from which its timeout and its report come.
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "portkit/scan/scan.hpp"

namespace portkit {

struct SynHost {
  ScanHost host;
  IpAddress source;                   // our address toward it (the checksum covers it)
  std::vector<std::uint32_t> order;   // send order: indices into the scan's ports
  std::size_t next = 0;               // into order
  std::vector<PortOutcome> outcomes;  // one per port, in port order
  std::vector<bool> decided;
  std::vector<std::uint32_t> sent_us;  // per port: its last send, in µs since the scan began
  std::size_t remaining = 0;
  bool routable = false;
  std::optional<double> srtt_ms;
  std::optional<double> min_rtt_ms;
  double rttvar_ms = 0;
  std::chrono::system_clock::time_point started;
  unsigned generation = 0;
  bool active = false;

  // Takes `next_host` with `ports` (sorted), in a random order keyed by `seed` unless
  // `sequential`.
  void begin(ScanHost next_host, const std::vector<std::uint16_t>& ports, std::uint64_t seed,
             bool sequential);
  void record_rtt(double rtt_ms);
  // srtt + 4 rttvar within [floor, ceiling]; the ceiling until the host has answered.
  [[nodiscard]] std::chrono::duration<double, std::milli> timeout(
      std::chrono::milliseconds floor, std::chrono::milliseconds ceiling) const;
  // The host's report: every port when `complete`, else the ones decided.
  HostReport report(bool complete, double timeout_ms);
};

}  // namespace portkit

#include "scan/syn_host.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace portkit {

void SynHost::begin(ScanHost next_host, const std::vector<std::uint16_t>& ports, std::uint64_t seed,
                    bool sequential) {
  host = std::move(next_host);
  outcomes.assign(ports.size(), PortOutcome{});
  for (std::size_t i = 0; i < ports.size(); ++i) outcomes[i].port = ports[i];
  decided.assign(ports.size(), false);
  sent_us.assign(ports.size(), 0);
  routable = false;
  remaining = ports.size();
  order.resize(ports.size());
  std::iota(order.begin(), order.end(), 0u);
  if (!sequential) {
    std::mt19937_64 shuffle(seed ^ (host.sequence * 0x9e3779b97f4a7c15ULL + 1));
    std::shuffle(order.begin(), order.end(), shuffle);
  }
  next = 0;
  srtt_ms.reset();
  min_rtt_ms.reset();
  rttvar_ms = 0;
  started = std::chrono::system_clock::now();
  ++generation;
  active = true;
}

void SynHost::record_rtt(double rtt_ms) {
  if (!srtt_ms) {
    srtt_ms = rtt_ms;
    rttvar_ms = rtt_ms / 2;
  } else {
    rttvar_ms = 0.75 * rttvar_ms + 0.25 * std::abs(*srtt_ms - rtt_ms);
    srtt_ms = 0.875 * *srtt_ms + 0.125 * rtt_ms;
  }
  min_rtt_ms = std::min(min_rtt_ms.value_or(rtt_ms), rtt_ms);
}

std::chrono::duration<double, std::milli> SynHost::timeout(
    std::chrono::milliseconds floor, std::chrono::milliseconds ceiling) const {
  const auto high = static_cast<double>(ceiling.count());
  if (!srtt_ms) return std::chrono::duration<double, std::milli>(high);
  return std::chrono::duration<double, std::milli>(
      std::clamp(*srtt_ms + 4 * rttvar_ms, static_cast<double>(floor.count()), high));
}

HostReport SynHost::report(bool complete, double timeout_ms) {
  HostReport out;
  out.host = host;
  if (complete) {
    out.ports = std::move(outcomes);
  } else {
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (decided[i]) out.ports.push_back(outcomes[i]);
    }
  }
  out.srtt_ms = srtt_ms;
  out.min_rtt_ms = min_rtt_ms;
  out.rttvar_ms = rttvar_ms;
  out.timeout_ms = timeout_ms;
  out.started = started;
  out.finished = std::chrono::system_clock::now();
  out.complete = complete;
  out.sort_ports();
  return out;
}

}  // namespace portkit

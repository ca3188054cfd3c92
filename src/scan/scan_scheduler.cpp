#include "scan/scan_scheduler.hpp"

#include <algorithm>

namespace portkit {
namespace {

constexpr std::uint16_t kLeadPorts[] = {80,  443, 22,  21,   25,   23,   53,   3389, 445,
                                        139, 110, 143, 8080, 3306, 5432, 6379, 6443, 8443};

constexpr double kBackoff = 0.7;
// Past the first loss the window still grows by a tenth per round trip: a scan lasts a few
// hundred round trips, too few for TCP's one probe per round trip to matter.
constexpr double kAvoidanceGrowth = 0.1;
// A probe that times out frees its slot a whole timeout (100 ms or more) after it was sent,
// where an answer frees it after one round trip: in slow start, silence opens the window by
// two, so a filtered host's probes still triple per timeout as answers double per round trip.
constexpr double kSilenceGrowth = 2.0;

double to_ms(Micros value) {
  return static_cast<double>(value.count()) / 1000.0;
}

bool is_udp_icmp(ProbeReason reason) {
  return reason == ProbeReason::port_unreach || reason == ProbeReason::host_unreach ||
         reason == ProbeReason::net_unreach || reason == ProbeReason::admin_prohibited;
}

}  // namespace

ScanScheduler::ScanScheduler(SchedulerConfig config)
    : config_(std::move(config)),
      total_ports_(config_.tcp_ports.size() + config_.udp_ports.size()) {
  if (config_.sequential) return;
  // As nmap does, the ports most likely open go first: their answers teach the round-trip
  // time early, which decides how long every silent port of a firewalled host is waited for.
  auto& ports = config_.tcp_ports;
  for (const auto lead : kLeadPorts) {
    const auto found =
        std::find(ports.begin() + static_cast<std::ptrdiff_t>(leading_), ports.end(), lead);
    if (found == ports.end()) continue;
    std::rotate(ports.begin() + static_cast<std::ptrdiff_t>(leading_), found, found + 1);
    ++leading_;
  }
}

std::uint32_t ScanScheduler::add_host(ScanHost host, bool icmp_rate_limited) {
  std::uint32_t id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = static_cast<std::uint32_t>(hosts_.size());
    hosts_.emplace_back(PortOrder(0, 0, false), RttEstimator(config_.bounds));
  }
  // Each host gets its own order: the key mixes the scan's seed with the address.
  std::uint64_t key = config_.seed;
  for (const auto byte : host.address.bytes) key = key * 1099511628211ULL + byte;
  auto& state = hosts_[id];
  state = HostState(
      PortOrder(static_cast<std::uint32_t>(total_ports_ - leading_), key, !config_.sequential),
      RttEstimator(config_.bounds));
  state.report.host = std::move(host);
  state.report.started = std::chrono::system_clock::now();
  state.report.ports.reserve(total_ports_);
  state.icmp_rate_limited = icmp_rate_limited;
  state.live = true;
  state.cwnd = std::min(config_.initial_window, config_.max_window);
  state.ssthresh = config_.max_window;
  active_.push_back(id);
  return id;
}

ProbeTask ScanScheduler::fresh_task(std::uint32_t id, const HostState& state) const {
  const auto index =
      state.next_step < leading_
          ? state.next_step
          : static_cast<std::uint32_t>(leading_) +
                state.order.at(state.next_step - static_cast<std::uint32_t>(leading_));
  const auto tcp_count = config_.tcp_ports.size();
  if (index < tcp_count) return {id, config_.tcp_ports[index], Proto::tcp, 1};
  return {id, config_.udp_ports[index - tcp_count], Proto::udp, 1};
}

std::optional<ProbeTask> ScanScheduler::take_from(std::uint32_t id, ScanClock::time_point now) {
  auto& state = hosts_[id];
  if (static_cast<double>(state.in_flight) >= state.cwnd) return std::nullopt;
  if (!state.retries.empty()) {
    const auto task = state.retries.front();
    state.retries.pop_front();
    ++state.in_flight;
    if (task.proto == Proto::udp && task.attempt == 1) ++state.udp_first_in_flight;
    return task;
  }
  if (state.next_step < total_ports_) {
    auto task = fresh_task(id, state);
    task.first_sent = state.sent++;
    ++state.next_step;
    ++state.in_flight;
    if (task.proto == Proto::udp) ++state.udp_first_in_flight;
    return task;
  }
  if (!state.late_retries.empty()) {
    const auto task = state.late_retries.front();
    state.late_retries.pop_front();
    ++state.in_flight;
    return task;
  }
  // Paced UDP retries wait until the first pass is over, so that they alone spend the
  // host's ICMP budget, one per spacing.
  if (!state.paced_retries.empty() && state.udp_first_in_flight == 0 && !state.paced_armed) {
    // The first pass may have spent the whole ICMP budget: the first retry waits a spacing too.
    state.paced_armed = true;
    state.next_paced = now + config_.udp_retry_spacing;
    return std::nullopt;
  }
  if (!state.paced_retries.empty() && state.udp_first_in_flight == 0 && now >= state.next_paced) {
    const auto task = state.paced_retries.front();
    state.paced_retries.pop_front();
    state.next_paced = now + config_.udp_retry_spacing;
    ++state.in_flight;
    return task;
  }
  return std::nullopt;
}

std::optional<ProbeTask> ScanScheduler::next(ScanClock::time_point now) {
  for (std::size_t tried = 0; tried < active_.size(); ++tried) {
    if (cursor_ >= active_.size()) cursor_ = 0;
    const auto id = active_[cursor_++];
    if (auto task = take_from(id, now)) return task;
  }
  return std::nullopt;
}

std::optional<ScanClock::time_point> ScanScheduler::next_due() const {
  std::optional<ScanClock::time_point> due;
  for (const auto id : active_) {
    const auto& state = hosts_[id];
    if (state.paced_retries.empty() || state.udp_first_in_flight > 0) continue;
    if (!due || state.next_paced < *due) due = state.next_paced;
  }
  return due;
}

std::optional<PortOutcome> ScanScheduler::record(const ProbeTask& task, Verdict verdict,
                                                 std::optional<Micros> rtt) {
  auto& state = hosts_[task.host];
  --state.in_flight;
  if (task.proto == Proto::udp && task.attempt == 1) --state.udp_first_in_flight;
  if (rtt) {
    state.rtt.add_sample(*rtt);
    const auto ms = to_ms(*rtt);
    auto& fastest = state.report.min_rtt_ms;
    if (!fastest || ms < *fastest) fastest = ms;
  }
  if (task.proto == Proto::udp && is_udp_icmp(verdict.reason)) state.saw_udp_icmp = true;
  if (verdict.reason != ProbeReason::no_response && verdict.reason != ProbeReason::local_error) {
    on_answer(state, task);
  }

  if (verdict.reason == ProbeReason::no_response) {
    // Silence is what a firewall says, not a sign of congestion: the window still opens, or a
    // filtered host would be scanned a handful of probes per timeout. Congestion shows
    // itself as a retry that gets answered.
    grow(state, kSilenceGrowth);
    const bool paced = task.proto == Proto::udp && state.icmp_rate_limited && state.saw_udp_icmp;
    // A paced retry is sure of the host's ICMP budget: one is enough to hear "closed".
    const int earned = std::min(config_.max_retries, int{state.highest_answered_attempt});
    const int retries_allowed = paced ? std::min(earned, 1) : earned;
    if (task.attempt <= retries_allowed) {
      auto retry = task;
      ++retry.attempt;
      auto& queue = paced                                           ? state.paced_retries
                    : task.proto == Proto::tcp && retry.attempt > 2 ? state.late_retries
                                                                    : state.retries;
      queue.push_back(retry);
      return std::nullopt;
    }
  }
  PortOutcome outcome{task.port,      task.proto,   verdict.state,
                      verdict.reason, task.attempt, rtt ? static_cast<float>(to_ms(*rtt)) : -1.0F};
  state.report.ports.push_back(outcome);
  return outcome;
}

void ScanScheduler::on_answer(HostState& state, const ProbeTask& task) {
  if (task.attempt > state.highest_answered_attempt) state.highest_answered_attempt = task.attempt;
  // An answer to a retry means the path lost something: back off, once per window of probes
  // (losses among probes sent before the last cut were caused by the old window).
  if (task.attempt > 1) {
    if (task.first_sent >= state.no_cut_before) {
      state.ssthresh = std::max(config_.initial_window, state.cwnd * kBackoff);
      state.cwnd = state.ssthresh;
      state.no_cut_before = state.sent;
    }
    return;
  }
  grow(state);
}

void ScanScheduler::grow(HostState& state, double slow_start_step) const {
  state.cwnd += state.cwnd < state.ssthresh ? slow_start_step : kAvoidanceGrowth;
  state.cwnd = std::min(state.cwnd, config_.max_window);
}

int ScanScheduler::retries_earned(std::uint32_t host) const {
  return std::min(config_.max_retries, int{hosts_[host].highest_answered_attempt});
}

void ScanScheduler::give_back(const ProbeTask& task) {
  auto& state = hosts_[task.host];
  --state.in_flight;
  if (task.proto == Proto::udp && task.attempt == 1) --state.udp_first_in_flight;
  state.retries.push_front(task);
}

Micros ScanScheduler::timeout_for(const ProbeTask& task) const {
  return hosts_[task.host].rtt.timeout();
}

bool ScanScheduler::host_done(std::uint32_t host) const {
  const auto& state = hosts_[host];
  return state.in_flight == 0 && state.retries.empty() && state.paced_retries.empty() &&
         state.late_retries.empty() && state.next_step >= total_ports_;
}

const ScanHost& ScanScheduler::host(std::uint32_t host) const {
  return hosts_[host].report.host;
}

HostReport& ScanScheduler::report(std::uint32_t host) {
  return hosts_[host].report;
}

HostReport ScanScheduler::finish_host(std::uint32_t host, bool complete) {
  auto& state = hosts_[host];
  auto report = std::move(state.report);
  report.complete = complete;
  report.finished = std::chrono::system_clock::now();
  if (const auto srtt = state.rtt.smoothed()) report.srtt_ms = to_ms(*srtt);
  report.rttvar_ms = to_ms(state.rtt.variation());
  report.timeout_ms = to_ms(state.rtt.timeout());
  report.sort_ports();
  state = HostState(PortOrder(0, 0, false), RttEstimator(config_.bounds));
  active_.erase(std::remove(active_.begin(), active_.end(), host), active_.end());
  free_ids_.push_back(host);
  return report;
}

}  // namespace portkit

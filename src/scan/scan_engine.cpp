// The scan driver: Asio's event loop feeding the ScanScheduler. TCP connects are issued from a
// pool of sockets (one slot per probe in flight) and timed out by one sweep timer against the
// host's current adaptive timeout, so a timeout learned late still shortens earlier probes.
// UDP attempts and banner reads reuse the probes of the asynchronous core.
#include "scan/scan_engine.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <asio/ip/address.hpp>
#include <asio/steady_timer.hpp>
#include <cerrno>

#include "portkit/registry/registry.hpp"
#include "probe/async_probe.hpp"
#include "scan/connect_pool.hpp"
#include "scan/probe_slots.hpp"
#include "scan/scan_scheduler.hpp"

namespace portkit {
namespace {

using std::chrono::duration_cast;

constexpr auto kTick = std::chrono::milliseconds(10);
constexpr auto kProgressEvery = std::chrono::milliseconds(250);
// Before a host has answered anything (nmap -T4 uses the same first guess).
constexpr Micros kInitialTimeout{500'000};
constexpr double kInitialWindow = 128;

asio::ip::address to_asio(const IpAddress& address) {
  if (!address.is_v6) {
    return asio::ip::address_v4(asio::ip::address_v4::bytes_type{
        address.bytes[0], address.bytes[1], address.bytes[2], address.bytes[3]});
  }
  asio::ip::address_v6::bytes_type bytes;
  std::copy(address.bytes.begin(), address.bytes.end(), bytes.begin());
  return asio::ip::address_v6(bytes);
}

class ScanEngine {
 public:
  ScanEngine(HostFeed& hosts, const ScanOptions& options, ScanSink& sink, std::size_t window)
      : hosts_(hosts),
        options_(options),
        sink_(sink),
        scheduler_(SchedulerConfig{
            options.tcp_ports, options.udp_ports, options.max_retries,
            TimeoutBounds{std::min(kInitialTimeout, duration_cast<Micros>(options.timeout)),
                          duration_cast<Micros>(options.min_timeout),
                          duration_cast<Micros>(options.timeout)},
            options.sequential, options.seed, duration_cast<Micros>(options.udp_retry_spacing),
            kInitialWindow, static_cast<double>(window)}),
        tick_(io_),
        connections_(io_,
                     [this](std::uint64_t key, std::uint32_t events) { on_ready(key, events); }),
        bucket_(options.rate, std::max(1.0, options.rate / 100.0), ScanClock::now()),
        slots_(connections_),
        window_(window),
        max_window_(window) {
    summary_.max_inflight = window;
  }
  ScanEngine(const ScanEngine&) = delete;
  ScanEngine& operator=(const ScanEngine&) = delete;

  ScanSummary run() {
    started_ = ScanClock::now();
    last_progress_ = started_;
    fill();
    if (!all_decided()) arm_tick();
    io_.run();
    summary_.elapsed_ms =
        std::chrono::duration<double, std::milli>(ScanClock::now() - started_).count();
    return std::move(summary_);
  }

 private:
  void activate_hosts() {
    while (!sources_done_ && scheduler_.active_hosts().size() < options_.max_active_hosts) {
      auto host = hosts_.next();
      if (!host) {
        sources_done_ = true;
        break;
      }
      ++summary_.hosts;
      const bool local = to_asio(host->address).is_loopback();
      const auto id = scheduler_.add_host(std::move(*host), !local);
      if (id >= pending_banners_.size()) pending_banners_.resize(id + 1, 0);
      if (scheduler_.ports_per_host() == 0) finish_if_done(id);
    }
  }

  void release_slot(std::uint32_t index, bool connected = false, bool keep_socket = false) {
    slots_.release(index, connected, keep_socket);
    --in_flight_;
  }

  void fill() {
    // A probe that fails at once calls back inside launch(): the outer loop goes on.
    if (stopping_ || filling_) return;
    filling_ = true;
    activate_hosts();
    while (in_flight_ < window_) {
      // Read per probe: a burst of launches takes long enough to skew round-trip samples.
      const auto now = ScanClock::now();
      if (!bucket_.unlimited() && bucket_.next_token(now) > now) break;
      const auto task = scheduler_.next(now);
      if (!task) break;
      (void)bucket_.try_take(now);
      ++summary_.probes_sent;
      if (!launch(*task, now)) break;
    }
    filling_ = false;
    // All decided: the loop ends now rather than at the next tick, up to 10 ms away.
    if (all_decided()) tick_.cancel();
  }

  [[nodiscard]] bool all_decided() const {
    return in_flight_ == 0 && sources_done_ && scheduler_.active_hosts().empty();
  }

  // False when the system is out of resources and filling should pause.
  bool launch(const ProbeTask& task, ScanClock::time_point now) {
    const auto index = slots_.take();
    auto& slot = slots_[index];
    slot.task = task;
    slot.sent = now;
    slot.busy = true;
    slot.tcp = task.proto == Proto::tcp;
    ++in_flight_;
    const auto generation = slot.generation;
    if (!slot.tcp) {
      ProbeOptions probe;
      probe.timeout =
          std::max(std::chrono::milliseconds(1),
                   duration_cast<std::chrono::milliseconds>(scheduler_.timeout_for(task)));
      probe.retries = 0;
      probe.identify = options_.identify_udp;
      start_probe(io_, to_asio(scheduler_.host(task.host).address), task.port, Proto::udp, probe,
                  [this, index, generation](ProbeResult result) {
                    on_udp_answer(index, generation, std::move(result));
                  });
      return true;
    }
    const auto& address = scheduler_.host(task.host).address;
    if (slot.fd >= 0 && slot.fd_v6 != address.is_v6) {
      connections_.close_socket(slot.fd, false, false);
      slot.fd = -1;
    }
    const bool reused = slot.fd >= 0;
    int result = connections_.connect(address, task.port, index, slot.fd);
    if (reused && (result == EISCONN || result == EALREADY || result == EINVAL)) {
      // A kept socket that cannot connect again after all: a fresh one.
      connections_.close_socket(slot.fd, false, false);
      slot.fd = -1;
      result = connections_.connect(address, task.port, index, slot.fd);
    }
    slot.fd_v6 = address.is_v6;
    if (result == EINPROGRESS) {
      slot.watched = true;
      return true;
    }
    if (ConnectPool::is_resource_shortage(result)) {
      release_slot(index, false, true);
      shortage(task);
      return false;
    }
    if (slot.fd < 0) {
      release_slot(index);
      complete(task, {PortState::filtered, ProbeReason::local_error}, std::nullopt);
      return true;
    }
    // Finished at once (a local refusal, an unreachable network): answered like any other.
    on_connect_result(index, result);
    return true;
  }

  void shortage(const ProbeTask& task) {
    scheduler_.give_back(task);
    --summary_.probes_sent;
    ++summary_.resource_waits;
    window_ = std::max<std::size_t>(1, std::min(window_, in_flight_ + 1) * 3 / 4);
    successes_since_shrink_ = 0;
  }

  void on_success_grow() {
    if (window_ < max_window_ && ++successes_since_shrink_ >= window_) {
      ++window_;
      successes_since_shrink_ = 0;
    }
  }

  void on_ready(std::uint64_t key, std::uint32_t events) {
    const auto index = static_cast<std::uint32_t>(key);
    if (index >= slots_.size()) return;
    auto& slot = slots_[index];
    // An edge also comes from a kept socket's own reset: only a watched connect is asked.
    if (!slot.busy || !slot.tcp || !slot.watched) return;
    int outcome = connections_.collect(slot.fd, slot.fd_v6);
    if (outcome == EALREADY) {
      // An ICMP unreachable reports an error while the connect goes on trying: the answer,
      // and a socket that cannot be kept.
      if (!(events & EPOLLERR) || (outcome = ConnectPool::take_error(slot.fd)) == 0) return;
      on_connect_result(index, outcome, false);
    } else {
      slot.watched = false;
      on_connect_result(index, outcome);
    }
    if (!filling_) fill();
  }

  // `reusable`: the socket was reset by its outcome and may connect again.
  void on_connect_result(std::uint32_t index, int error, bool reusable = true) {
    auto& slot = slots_[index];
    const auto now = ScanClock::now();
    const auto task = slot.task;
    const auto rtt = duration_cast<Micros>(now - slot.sent);
    if (error == 0 && ConnectPool::connected_to_itself(slot.fd)) {
      // Try again from another source port: nobody listens there.
      release_slot(index, true);
      scheduler_.give_back(task);
      return;
    }
    if (ConnectPool::is_resource_shortage(error)) {
      release_slot(index, false, reusable);
      shortage(task);
      return;
    }
    release_slot(index, error == 0, error != 0 && reusable);
    on_success_grow();
    const auto verdict = classify_connect_errno(error);
    const bool timed = verdict.reason != ProbeReason::local_error;
    complete(task, verdict, timed ? std::optional<Micros>(rtt) : std::nullopt);
  }

  void on_udp_answer(std::uint32_t index, unsigned generation, ProbeResult result) {
    auto& slot = slots_[index];
    if (!slot.busy || slot.generation != generation) return;
    const auto task = slot.task;
    release_slot(index);
    if (result.reason == ProbeReason::local_error &&
        ConnectPool::is_resource_shortage(result.sys_errno)) {
      shortage(task);
      return fill();
    }
    on_success_grow();
    if (result.identity && result.state == PortState::open) {
      scheduler_.report(task.host).identities.push_back(
          {task.port, Proto::udp, std::move(*result.identity)});
    }
    std::optional<Micros> rtt;
    if (result.latency_ms) rtt = Micros(static_cast<std::int64_t>(*result.latency_ms * 1000.0));
    complete(task, {result.state, result.reason}, rtt);
    fill();
  }

  void complete(const ProbeTask& task, Verdict verdict, std::optional<Micros> rtt) {
    const auto outcome = scheduler_.record(task, verdict, rtt);
    if (outcome) {
      ++decided_;
      summary_.count(outcome->state);
      if (outcome->state == PortState::open && outcome->proto == Proto::tcp && options_.banner) {
        read_banner(task.host, *outcome);
      } else {
        sink_.on_port(scheduler_.host(task.host), *outcome, {});
      }
    }
    finish_if_done(task.host);
  }

  void read_banner(std::uint32_t host, PortOutcome outcome) {
    ++pending_banners_[host];
    ++in_flight_;
    ProbeOptions probe;
    probe.timeout = options_.timeout;
    probe.retries = 0;
    probe.banner = true;
    probe.banner_timeout = options_.banner_timeout;
    start_probe(io_, to_asio(scheduler_.host(host).address), outcome.port, Proto::tcp, probe,
                [this, host, outcome](const ProbeResult& result) {
                  --in_flight_;
                  --pending_banners_[host];
                  if (stopping_) return;
                  if (!result.banner.empty()) {
                    scheduler_.report(host).banners.emplace_back(outcome.port, result.banner);
                  }
                  sink_.on_port(scheduler_.host(host), outcome, result.banner);
                  finish_if_done(host);
                  fill();
                });
  }

  void finish_if_done(std::uint32_t host) {
    if (!scheduler_.host_done(host) || pending_banners_[host] > 0) return;
    auto report = scheduler_.finish_host(host, true);
    if (report.answered()) ++summary_.hosts_answered;
    sink_.on_host(report);
  }

  void arm_tick() {
    tick_.expires_after(kTick);
    tick_.async_wait([this](const asio::error_code& error) {
      if (!error) on_tick();
    });
  }

  void on_tick() {
    if (options_.stop != nullptr && options_.stop->load()) return stop();
    connections_.poll();
    const auto now = ScanClock::now();
    for (std::uint32_t index = 0; index < slots_.size(); ++index) {
      auto& slot = slots_[index];
      if (!slot.busy || !slot.tcp) continue;
      if (now - slot.sent < scheduler_.timeout_for(slot.task)) continue;
      const auto task = slot.task;
      release_slot(index);
      complete(task, {PortState::filtered, ProbeReason::no_response}, std::nullopt);
    }
    fill();
    if (now - last_progress_ >= kProgressEvery) {
      last_progress_ = now;
      report_progress(now);
    }
    if (in_flight_ > 0 || !scheduler_.active_hosts().empty() || !sources_done_) arm_tick();
  }

  void report_progress(ScanClock::time_point now) {
    ScanProgress progress;
    progress.done = decided_;
    progress.total = hosts_.total() * scheduler_.ports_per_host();
    progress.elapsed_s = std::chrono::duration<double>(now - started_).count();
    if (progress.elapsed_s > 0) {
      progress.rate = static_cast<double>(summary_.probes_sent) / progress.elapsed_s;
    }
    sink_.on_progress(progress);
  }

  // Ctrl-C: what was decided so far is reported, each unfinished host marked incomplete.
  void stop() {
    stopping_ = true;
    summary_.interrupted = true;
    for (std::uint32_t index = 0; index < slots_.size(); ++index) {
      if (slots_[index].busy) release_slot(index);
    }
    const auto active = scheduler_.active_hosts();
    for (const auto host : active) {
      auto report = scheduler_.finish_host(host, false);
      if (report.answered()) ++summary_.hosts_answered;
      sink_.on_host(report);
    }
    io_.stop();
  }

  HostFeed& hosts_;
  const ScanOptions& options_;
  ScanSink& sink_;
  asio::io_context io_;
  ScanScheduler scheduler_;
  asio::steady_timer tick_;
  ConnectPool connections_;
  TokenBucket bucket_;
  ProbeSlots slots_;
  std::vector<std::uint32_t> pending_banners_;
  std::size_t in_flight_ = 0;
  std::size_t window_;
  std::size_t max_window_;
  std::size_t successes_since_shrink_ = 0;
  std::uint64_t decided_ = 0;
  bool sources_done_ = false;
  bool stopping_ = false;
  bool filling_ = false;
  ScanClock::time_point started_;
  ScanClock::time_point last_progress_;
  ScanSummary summary_;
};

}  // namespace

ScanSummary run_engine(HostFeed& hosts, const ScanOptions& options, ScanSink& sink,
                       std::size_t window) {
  ScanEngine engine(hosts, options, sink, window);
  return engine.run();
}

}  // namespace portkit

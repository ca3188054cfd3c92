// The SYN scan (--syn, nmap -sS): raw TCP SYNs from one source port, no socket per probe. One
// raw TCP socket per family receives, filtered in the kernel to that port (tcp_port_filter);
// a raw ICMP socket reads the errors that quote our probes. A SYN-ACK is open (the kernel,
// knowing no socket there, resets it, as it does for nmap), a RST closed, an ICMP error or
// silence after the retries filtered. Hosts are scanned side by side, each with the timeout
// of its own round trips; probes in flight are bounded, not descriptors.
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <numeric>
#include <random>
#include <unordered_map>

#include "scan/raw_sockets.hpp"
#include "scan/scan_engine.hpp"
#include "scan/socket_address.hpp"
#include "scan/syn_host.hpp"

namespace portkit {
namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::duration<double, std::milli>;

constexpr std::size_t kDefaultInflight = 16384;  // the congestion window's ceiling
constexpr int kSynRetries = 2;
constexpr double kInitialWindow =
    64;  // nmap -T4 retransmits an unanswered SYN at most about as often

std::uint64_t mix(std::uint64_t value) {  // splitmix64's finaliser
  value ^= value >> 30;
  value *= 0xbf58476d1ce4e5b9ULL;
  value ^= value >> 27;
  value *= 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

struct Sent {
  Clock::time_point at;
  std::uint32_t slot;
  std::uint32_t index;
  unsigned generation;
  std::uint8_t attempt;
};

class SynScan {
 public:
  SynScan(HostSource& hosts, const ScanOptions& options, ScanSink& sink)
      : hosts_(hosts), options_(options), sink_(sink), ports_(options.tcp_ports) {
    std::sort(ports_.begin(), ports_.end());
    ports_.erase(std::unique(ports_.begin(), ports_.end()), ports_.end());
    std::random_device random;
    secret_ = (static_cast<std::uint64_t>(random()) << 32) | random();
    // A source port above the usual ephemeral range, so no connection of ours owns it.
    source_port_ = static_cast<std::uint16_t>(61000 + secret_ % 4000);
    inflight_cap_ = options.max_inflight != 0 ? options.max_inflight : kDefaultInflight;
    retries_ = std::min(options.max_retries, kSynRetries);
    // Each host in the window holds its ports' outcomes: at most ~4 M ports' worth at once.
    max_active_ =
        std::clamp<std::size_t>((std::size_t{1} << 22) / std::max<std::size_t>(1, ports_.size()), 1,
                                std::max<std::size_t>(1, options.max_active_hosts));
  }

  ~SynScan() {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
  }

  Result<ScanSummary> run() {
    const auto started = Clock::now();
    if (ports_.empty()) return make_error("--syn scans TCP ports: none given");
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return make_error(std::string("epoll: ") + std::strerror(errno));
    auto last_progress = started;
    while (true) {
      if (options_.stop != nullptr && options_.stop->load()) {
        summary_.interrupted = true;
        break;
      }
      while (active_ < max_active_ && !exhausted_) {
        auto host = hosts_.next();
        if (!host) {
          exhausted_ = true;
          break;
        }
        if (auto started_host = start(std::move(*host)); !started_host) {
          return started_host.error();
        }
      }
      if (active_ == 0) break;
      send_some();
      wait_for_answers();
      expire();
      if (Clock::now() - last_progress > std::chrono::milliseconds(250)) {
        last_progress = Clock::now();
        sink_.on_progress(
            {done_, hosts_.total() * ports_.size(),
             std::chrono::duration<double>(last_progress - started).count(),
             static_cast<double>(summary_.probes_sent) /
                 std::max(1e-3, std::chrono::duration<double>(last_progress - started).count())});
      }
    }
    if (summary_.interrupted) {
      for (std::size_t slot = 0; slot < slots_.size(); ++slot) {
        if (slots_[slot].active) finish(slot, false);
      }
    }
    summary_.elapsed_ms = Millis(Clock::now() - started).count();
    summary_.max_inflight = inflight_cap_;
    summary_.workers = 1;
    return summary_;
  }

 private:
  Result<bool> open_family(bool is_v6) {
    auto& tcp = is_v6 ? tcp6_ : tcp4_;
    if (tcp.fd() >= 0) return true;
    auto opened = open_syn_socket(is_v6, source_port_);
    if (!opened) return opened.error();
    tcp = std::move(*opened);
    add_to_epoll(tcp.fd(), is_v6 ? 1 : 0);
    auto& icmp = is_v6 ? icmp6_ : icmp4_;
    icmp = open_icmp(is_v6, true, true);
    if (icmp.socket.fd() >= 0) add_to_epoll(icmp.socket.fd(), is_v6 ? 3 : 2);
    return true;
  }

  void add_to_epoll(int fd, std::uint64_t key) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = key;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }

  Result<bool> start(ScanHost host) {
    if (auto opened = open_family(host.address.is_v6); !opened) return opened.error();
    std::size_t slot = slots_.size();
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slots_.emplace_back();
    }
    auto& state = slots_[slot];
    state.begin(std::move(host), ports_, options_.seed, options_.sequential);
    ++active_;
    const auto key = address_key(state.host.address);
    const auto source = route_source(state.host.address);
    if (!source || by_address_.count(key) != 0) {
      // No route here, or the same address twice at once: every port says so without a probe.
      for (std::size_t i = 0; i < ports_.size(); ++i) {
        decide(static_cast<std::uint32_t>(slot), static_cast<std::uint32_t>(i), PortState::filtered,
               source ? ProbeReason::no_response : ProbeReason::local_error, std::nullopt);
      }
      return true;
    }
    state.source = *source;
    state.routable = true;
    by_address_.emplace(key, slot);
    return true;
  }

  std::uint32_t cookie(const IpAddress& address, std::uint16_t port) const {
    std::uint64_t value = secret_ ^ port;
    for (std::size_t i = 0; i < (address.is_v6 ? 16u : 4u); i += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, address.bytes.data() + i, std::min<std::size_t>(8, address.is_v6 ? 8 : 4));
      value = mix(value ^ word);
    }
    return static_cast<std::uint32_t>(mix(value));
  }

  void send_probe(std::uint32_t slot, std::uint32_t index, std::uint8_t attempt) {
    auto& state = slots_[slot];
    const auto& address = state.host.address;
    const auto port = ports_[index];
    const auto segment = tcp_syn(state.source, address, source_port_, port, cookie(address, port));
    sockaddr_storage storage;
    const auto length = sockaddr_of(address, 0, storage);
    const int fd = address.is_v6 ? tcp6_.fd() : tcp4_.fd();
    if (::sendto(fd, segment.data(), segment.size(), 0, reinterpret_cast<const sockaddr*>(&storage),
                 length) < 0) {
      if (errno == ENOBUFS || errno == EAGAIN) {
        retry_queue_.push_front({Clock::now(), slot, index, state.generation, attempt});
        send_blocked_ = true;
        return;
      }
      return decide(slot, index, PortState::filtered, ProbeReason::local_error, std::nullopt);
    }
    ++summary_.probes_sent;
    ++inflight_;
    const auto now = Clock::now();
    state.outcomes[index].attempts = static_cast<std::uint8_t>(attempt + 1);
    state.sent_us[index] = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - epoch_).count());
    sent_.push_back({now, slot, index, state.generation, attempt});
  }

  void send_some() {
    send_blocked_ = false;
    // A congestion window, as nmap's: it starts small (a first burst of thousands fills the
    // neighbour table's queue of unresolved packets, 101 on Linux, and the rest are lost),
    // grows by one per answer (doubling each round trip), and halves on a timeout.
    const auto window = std::min(inflight_cap_, static_cast<std::size_t>(congestion_window_));
    std::size_t budget = window > inflight_ ? window - inflight_ : 0;
    if (options_.rate > 0) {
      const auto now = Clock::now();
      tokens_ = std::min(
          options_.rate / 10 + 1,
          tokens_ + options_.rate * std::chrono::duration<double>(now - last_refill_).count());
      last_refill_ = now;
      budget = std::min(budget, static_cast<std::size_t>(tokens_));
    }
    std::size_t sent = 0;
    while (sent < budget && !retry_queue_.empty() && !send_blocked_) {
      const auto retry = retry_queue_.front();
      retry_queue_.pop_front();
      const auto& state = slots_[retry.slot];
      if (!state.active || state.generation != retry.generation || state.decided[retry.index]) {
        continue;
      }
      send_probe(retry.slot, retry.index, retry.attempt);
      ++sent;
    }
    // New probes round-robin over the hosts, so each host's first answers (and its timeout)
    // come early.
    bool any = true;
    while (sent < budget && any && !send_blocked_) {
      any = false;
      for (std::uint32_t slot = 0; slot < slots_.size() && sent < budget; ++slot) {
        auto& state = slots_[slot];
        if (!state.active || !state.routable || state.next >= state.order.size()) continue;
        send_probe(slot, state.order[state.next++], 0);
        ++sent;
        any = true;
      }
    }
    if (options_.rate > 0) tokens_ -= static_cast<double>(sent);
  }

  [[nodiscard]] std::chrono::duration<double, std::milli> timeout_for(const SynHost& state) const {
    return state.timeout(options_.min_timeout, options_.timeout);
  }

  void wait_for_answers() {
    int wait_ms = 10;
    if (!sent_.empty()) {
      const auto& oldest = sent_.front();
      const auto due = oldest.at + timeout_for(slots_[oldest.slot]);
      wait_ms = static_cast<int>(std::clamp<double>(Millis(due - Clock::now()).count(), 0, 10));
    }
    if (inflight_ < inflight_cap_ && has_unsent()) wait_ms = 0;
    std::array<epoll_event, 8> events;
    const int count =
        ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_ms);
    for (int i = 0; i < count; ++i) {
      switch (events[static_cast<std::size_t>(i)].data.u64) {
        case 0:
          read_tcp(tcp4_.fd(), false);
          break;
        case 1:
          read_tcp(tcp6_.fd(), true);
          break;
        case 2:
          read_icmp(icmp4_, false);
          break;
        default:
          read_icmp(icmp6_, true);
          break;
      }
    }
  }

  [[nodiscard]] bool has_unsent() const {
    if (!retry_queue_.empty()) return true;
    return std::any_of(slots_.begin(), slots_.end(), [](const SynHost& state) {
      return state.active && state.next < state.order.size();
    });
  }

  // The slot and port index a received answer is about, when it is one of ours.
  std::optional<std::pair<std::uint32_t, std::uint32_t>> probe_of(const IpAddress& address,
                                                                  std::uint16_t port) const {
    const auto found = by_address_.find(address_key(address));
    if (found == by_address_.end()) return std::nullopt;
    const auto at = std::lower_bound(ports_.begin(), ports_.end(), port);
    if (at == ports_.end() || *at != port) return std::nullopt;
    return std::pair{static_cast<std::uint32_t>(found->second),
                     static_cast<std::uint32_t>(at - ports_.begin())};
  }

  void read_tcp(int fd, bool is_v6) {
    drain_tcp(fd, is_v6, [&](const TcpAnswer& answer) {
      if (answer.to_port != source_port_) return;
      const auto probe = probe_of(answer.from, answer.from_port);
      if (!probe) return;
      // An answer to our SYN acknowledges its sequence number (a RST to a SYN carries the ACK
      // too); a stray segment to our port does not.
      if (answer.ack && answer.acknowledged != cookie(answer.from, answer.from_port) + 1) return;
      if (answer.syn && answer.ack) {
        decide(probe->first, probe->second, PortState::open, ProbeReason::syn_ack, Clock::now());
      } else if (answer.rst) {
        decide(probe->first, probe->second, PortState::closed, ProbeReason::reset, Clock::now());
      }
    });
  }

  void read_icmp(const IcmpChannel& channel, bool is_v6) {
    drain_icmp(channel, is_v6, 0, [&](const IcmpReading& reading) {
      if (reading.verdict == IcmpVerdict::echo_reply || reading.quoted_protocol != IPPROTO_TCP ||
          reading.quoted_source_port != source_port_) {
        return;
      }
      const auto probe = probe_of(reading.about, reading.quoted_destination_port);
      if (!probe) return;
      // To TCP, even "port unreachable" leaves the port filtered (nmap -sS: port-unreach).
      const auto verdict = classify_udp_icmp(is_v6, reading.type, reading.code);
      decide(probe->first, probe->second, PortState::filtered, verdict.reason, Clock::now());
    });
  }

  void expire() {
    const auto now = Clock::now();
    while (!sent_.empty()) {
      const auto oldest = sent_.front();
      auto& state = slots_[oldest.slot];
      const bool stale =
          !state.active || state.generation != oldest.generation || state.decided[oldest.index];
      if (!stale && oldest.at + timeout_for(state) > now) break;
      sent_.pop_front();
      if (inflight_ > 0) --inflight_;
      if (stale) continue;
      if (oldest.attempt < retries_) {
        // Once per round trip at most: a burst of timeouts is one loss event.
        if (now - last_backoff_ > timeout_for(state)) {
          congestion_window_ = std::max(kInitialWindow, congestion_window_ / 2);
          last_backoff_ = now;
        }
        retry_queue_.push_back({now, oldest.slot, oldest.index, oldest.generation,
                                static_cast<std::uint8_t>(oldest.attempt + 1)});
      } else {
        decide(oldest.slot, oldest.index, PortState::filtered, ProbeReason::no_response,
               std::nullopt);
      }
    }
  }

  void decide(std::uint32_t slot, std::uint32_t index, PortState port_state, ProbeReason reason,
              std::optional<Clock::time_point> answered) {
    auto& state = slots_[slot];
    if (!state.active || state.decided[index]) return;
    state.decided[index] = true;
    auto& outcome = state.outcomes[index];
    outcome.state = port_state;
    outcome.reason = reason;
    if (answered) {
      congestion_window_ = std::min(static_cast<double>(inflight_cap_), congestion_window_ + 1);
      // Timed from the last send of this port (an answer to an earlier one reads short).
      const auto since_epoch_us =
          std::chrono::duration_cast<std::chrono::microseconds>(*answered - epoch_).count();
      const std::optional<double> rtt =
          state.outcomes[index].attempts == 0
              ? std::nullopt
              : std::optional<double>(static_cast<double>(since_epoch_us - state.sent_us[index]) /
                                      1000.0);
      if (rtt) {
        outcome.latency_ms = static_cast<float>(*rtt);
        state.record_rtt(*rtt);
      }
    }
    summary_.count(port_state);
    ++done_;
    sink_.on_port(state.host, outcome, {});
    if (--state.remaining == 0) finish(slot, true);
  }

  void finish(std::size_t slot, bool complete) {
    auto& state = slots_[slot];
    const auto report = state.report(complete, timeout_for(state).count());
    ++summary_.hosts;
    if (report.answered()) ++summary_.hosts_answered;
    state.active = false;
    --active_;
    const auto key = address_key(state.host.address);
    if (const auto found = by_address_.find(key);
        found != by_address_.end() && found->second == slot) {
      by_address_.erase(found);
    }
    free_slots_.push_back(slot);
    sink_.on_host(report);
  }

  HostSource& hosts_;
  const ScanOptions& options_;
  ScanSink& sink_;
  std::vector<std::uint16_t> ports_;
  std::uint64_t secret_ = 0;
  std::uint16_t source_port_ = 0;
  std::size_t inflight_cap_ = 0;
  int retries_ = 0;
  int epoll_fd_ = -1;
  RawSocket tcp4_, tcp6_;
  IcmpChannel icmp4_, icmp6_;
  std::vector<SynHost> slots_;
  std::vector<std::size_t> free_slots_;
  std::unordered_map<std::string, std::size_t> by_address_;
  std::deque<Sent> sent_;
  std::deque<Sent> retry_queue_;
  std::size_t inflight_ = 0;
  std::size_t active_ = 0;
  bool exhausted_ = false;
  bool send_blocked_ = false;
  double tokens_ = 0;
  Clock::time_point last_refill_ = Clock::now();
  std::uint64_t done_ = 0;
  Clock::time_point epoch_ = Clock::now();
  double congestion_window_ = kInitialWindow;
  Clock::time_point last_backoff_{};
  std::size_t max_active_ = 0;
  ScanSummary summary_;
};

}  // namespace

Result<ScanSummary> syn_scan(HostSource& hosts, const ScanOptions& options, ScanSink& sink) {
  SynScan scan(hosts, options, sink);
  return scan.run();
}

}  // namespace portkit

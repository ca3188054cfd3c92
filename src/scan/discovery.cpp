// Host discovery's engine: one epoll set over an ICMP socket per family and the TCP connects of
// every address in the window; a heap of deadlines decides the silent ones. The bytes of ICMP
// are read in icmp_packets.cpp.
#include "portkit/scan/discovery.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <queue>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "scan/neighbours.hpp"
#include "scan/raw_sockets.hpp"
#include "scan/socket_address.hpp"
#include "sys/fd_limit.hpp"

namespace portkit {
namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::duration<double, std::milli>;

constexpr std::uint64_t kIcmpKey4 = ~std::uint64_t{0};
constexpr std::uint64_t kIcmpKey6 = ~std::uint64_t{0} - 1;
constexpr std::size_t kMaxWindow = 16384;  // addresses asked side by side

struct Pending {
  ScanHost host;
  Clock::time_point first_sent;
  Clock::time_point last_sent;
  std::vector<int> fds;  // TCP connects still in flight, -1 once done
  int echoes_left = 0;
  unsigned generation = 0;
  bool active = false;
  std::optional<HostReason> refused_reason;  // a connect error that is not an answer
};

struct Deadline {
  Clock::time_point at;
  std::size_t slot;
  unsigned generation;
  bool operator>(const Deadline& other) const { return at > other.at; }
};

class Discovery {
 public:
  Discovery(HostSource& hosts, const DiscoveryOptions& options,
            const std::function<void(const HostStatus&)>& on_host)
      : hosts_(hosts), options_(options), on_host_(on_host) {
    std::random_device random;
    identifier_ = static_cast<std::uint16_t>(random());
  }

  ~Discovery() {
    for (auto& slot : slots_) close_probes(slot, false);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
  }

  Result<DiscoverySummary> run() {
    const auto started = Clock::now();
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return make_error(std::string("epoll: ") + std::strerror(errno));
    std::size_t inflight = options_.max_inflight;
    if (inflight == 0) {
      const auto limit = sys::raise_descriptor_limit();
      inflight = limit > 64 ? static_cast<std::size_t>(limit) - 64 : 32;
    }
    const auto per_host = std::max<std::size_t>(1, options_.tcp_ports.size());
    window_ = std::clamp<std::size_t>(inflight / per_host, 16, kMaxWindow);

    while (true) {
      if (options_.stop != nullptr && options_.stop->load()) {
        summary_.interrupted = true;
        break;
      }
      while (active_ < window_ && !exhausted_) {
        auto host = hosts_.next();
        if (!host) {
          exhausted_ = true;
          break;
        }
        start(std::move(*host));
      }
      if (active_ == 0) break;
      wait_for_events();
      expire();
    }
    summary_.elapsed_ms = Millis(Clock::now() - started).count();
    for (const auto& [reason, count] : down_counts_) summary_.down.emplace_back(reason, count);
    summary_.icmp_method =
        icmp4_.socket.fd() >= 0 || icmp6_.socket.fd() < 0 ? icmp4_.method : icmp6_.method;
    if (!options_.icmp) summary_.icmp_method = "not asked";
    if (summary_.probes_sent == 0 && summary_.addresses > 0 && !summary_.interrupted) {
      return make_error("host discovery could send no probe: " + summary_.icmp_method +
                        ", and no TCP connect could start (use -Pn to scan without it)");
    }
    return summary_;
  }

 private:
  IcmpChannel& icmp_for(bool is_v6) {
    auto& socket = is_v6 ? icmp6_ : icmp4_;
    bool& opened = is_v6 ? opened6_ : opened4_;
    if (!opened && options_.icmp) {
      opened = true;
      socket = open_icmp(is_v6, false, false);
      if (socket.socket.fd() >= 0) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = is_v6 ? kIcmpKey6 : kIcmpKey4;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket.socket.fd(), &event);
      }
    }
    return socket;
  }

  std::size_t take_slot() {
    if (!free_slots_.empty()) {
      const auto slot = free_slots_.back();
      free_slots_.pop_back();
      return slot;
    }
    slots_.emplace_back();
    return slots_.size() - 1;
  }

  void start(ScanHost host) {
    ++summary_.addresses;
    const auto key = address_key(host.address);
    if (by_address_.count(key) != 0) {
      // The same address twice in the targets: it is asked once, and reported the same way.
      duplicates_.emplace(key, std::move(host));
      return;
    }
    const auto index = take_slot();
    auto& slot = slots_[index];
    slot.host = std::move(host);
    slot.first_sent = slot.last_sent = Clock::now();
    slot.echoes_left = options_.retries;
    slot.fds.assign(options_.tcp_ports.size(), -1);
    slot.active = true;
    slot.refused_reason.reset();
    ++slot.generation;
    ++active_;
    by_address_.emplace(key, index);
    send_echo(slot);
    for (std::size_t i = 0; i < options_.tcp_ports.size() && slot.active; ++i) {
      start_connect(index, i);
    }
    if (slot.active) {
      deadlines_.push({slot.first_sent + options_.min_timeout, index, slot.generation});
    }
  }

  void send_echo(Pending& slot) {
    const auto& socket = icmp_for(slot.host.address.is_v6);
    if (socket.socket.fd() < 0) return;
    const auto packet = icmp_echo_request(slot.host.address.is_v6, identifier_,
                                          static_cast<std::uint16_t>(slot.host.sequence));
    sockaddr_storage storage;
    const auto length = sockaddr_of(slot.host.address, 0, storage);
    if (::sendto(socket.socket.fd(), packet.data(), packet.size(), 0,
                 reinterpret_cast<const sockaddr*>(&storage), length) >= 0) {
      ++summary_.probes_sent;
    }
  }

  void start_connect(std::size_t index, std::size_t port_index) {
    auto& slot = slots_[index];
    const auto& address = slot.host.address;
    const int fd =
        ::socket(address.is_v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return;  // out of descriptors: the other probes still ask
    sockaddr_storage storage;
    const auto length = sockaddr_of(address, options_.tcp_ports[port_index], storage);
    ++summary_.probes_sent;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&storage), length) == 0) {
      slot.fds[port_index] = fd;
      return decide(index, true, HostReason::syn_ack);
    }
    const int error = errno;
    if (error != EINPROGRESS) {
      ::close(fd);
      return connect_failed(index, error);
    }
    epoll_event event{};
    event.events = EPOLLOUT;
    event.data.u64 = (static_cast<std::uint64_t>(fd) << 32) | index;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      ::close(fd);
      return;
    }
    slot.fds[port_index] = fd;
  }

  void connect_failed(std::size_t index, int error) {
    if (error == ECONNREFUSED) return decide(index, true, HostReason::reset);
    // An unreachable from the kernel or a router: remembered as the reason the host is down if
    // nothing answers, not decided on, since it cannot tell who said it (the ICMP socket can).
    if (error == EHOSTUNREACH) slots_[index].refused_reason = HostReason::host_unreach;
    if (error == ENETUNREACH) slots_[index].refused_reason = HostReason::net_unreach;
    if (error == EACCES || error == EPERM) {
      slots_[index].refused_reason = HostReason::admin_prohibited;
    }
  }

  void wait_for_events() {
    int wait_ms = 50;
    if (!deadlines_.empty()) {
      const auto until =
          std::chrono::ceil<std::chrono::milliseconds>(deadlines_.top().at - Clock::now());
      wait_ms = static_cast<int>(std::clamp<std::int64_t>(until.count(), 0, 50));
    }
    std::array<epoll_event, 256> events;
    const int count =
        ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_ms);
    for (int i = 0; i < count; ++i) {
      const auto key = events[static_cast<std::size_t>(i)].data.u64;
      if (key == kIcmpKey4) {
        read_icmp(icmp4_, false);
      } else if (key == kIcmpKey6) {
        read_icmp(icmp6_, true);
      } else {
        connect_ready(static_cast<std::size_t>(key & 0xffffffffu), static_cast<int>(key >> 32));
      }
    }
  }

  void connect_ready(std::size_t index, int fd) {
    if (index >= slots_.size() || !slots_[index].active) return;
    auto& slot = slots_[index];
    const auto found = std::find(slot.fds.begin(), slot.fds.end(), fd);
    if (found == slot.fds.end()) return;  // a stale event of a socket already closed
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == 0) return decide(index, true, HostReason::syn_ack);
    ::close(fd);
    *found = -1;
    connect_failed(index, error);
  }

  void read_icmp(const IcmpChannel& channel, bool is_v6) {
    drain_icmp(channel, is_v6, identifier_, [&](const IcmpReading& reading) {
      const auto found = by_address_.find(address_key(reading.about));
      if (found == by_address_.end()) return;
      const auto slot = found->second;
      switch (reading.verdict) {
        case IcmpVerdict::echo_reply:
          return decide(slot, true, HostReason::echo_reply);
        case IcmpVerdict::host_answered:
          return decide(slot, true, HostReason::port_unreach);
        case IcmpVerdict::host_refused:
          return decide(slot, true, HostReason::admin_prohibited);
        case IcmpVerdict::host_unreachable:
          return decide(slot, false, HostReason::host_unreach);
        case IcmpVerdict::net_unreachable:
          return decide(slot, false, HostReason::net_unreach);
        case IcmpVerdict::admin_prohibited:
          return decide(slot, false, HostReason::admin_prohibited);
      }
    });
  }

  [[nodiscard]] std::chrono::milliseconds current_timeout() const {
    if (!max_rtt_) return options_.timeout;
    // Four times the slowest answer so far: a host slower than that is rare on one network,
    // and its retry still has the same time again.
    const auto adaptive = std::chrono::milliseconds(static_cast<std::int64_t>(*max_rtt_ * 4));
    return std::clamp(adaptive, options_.min_timeout, options_.timeout);
  }

  void expire() {
    const auto now = Clock::now();
    while (!deadlines_.empty() && deadlines_.top().at <= now) {
      const auto due = deadlines_.top();
      deadlines_.pop();
      auto& slot = slots_[due.slot];
      if (!slot.active || slot.generation != due.generation) continue;
      const auto expires = slot.last_sent + current_timeout();
      if (expires > now) {
        deadlines_.push({std::min(expires, now + options_.min_timeout), due.slot, due.generation});
        continue;
      }
      if (slot.echoes_left > 0) {
        --slot.echoes_left;
        slot.last_sent = now;
        send_echo(slot);
        deadlines_.push({now + options_.min_timeout, due.slot, due.generation});
        continue;
      }
      // Silent, but on a directly attached link it may have answered the kernel's ARP (or
      // neighbour solicitation) for our probes: then it is there, and drops everything.
      if (neighbours_answered(slot.host.address)) {
        decide(due.slot, true,
               slot.host.address.is_v6 ? HostReason::nd_response : HostReason::arp_response);
        continue;
      }
      decide(due.slot, false, slot.refused_reason.value_or(HostReason::no_response));
    }
  }

  // The neighbour table, read at most every 50 ms while silent hosts are being decided.
  bool neighbours_answered(const IpAddress& address) {
    const auto now = Clock::now();
    if (now - neighbours_read_ > std::chrono::milliseconds(50)) {
      neighbours_ = resolved_neighbours();
      neighbours_read_ = now;
    }
    return neighbours_.count(address_key(address)) != 0;
  }

  void close_probes(Pending& slot, bool reset) {
    for (auto& fd : slot.fds) {
      if (fd < 0) continue;
      if (reset) {
        // A connect that succeeded is reset, not closed: no TIME_WAIT left behind.
        const linger abort{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
      }
      ::close(fd);
      fd = -1;
    }
  }

  void decide(std::size_t index, bool up, HostReason reason) {
    auto& slot = slots_[index];
    if (!slot.active) return;
    slot.active = false;
    --active_;
    close_probes(slot, true);
    HostStatus status{std::move(slot.host), up, reason, std::nullopt};
    const bool neighbour = reason == HostReason::arp_response || reason == HostReason::nd_response;
    if (up) ++summary_.up;
    if (up && !neighbour) {  // a neighbour entry has no time of its own to report
      const auto rtt = Millis(Clock::now() - slot.first_sent).count();
      status.rtt_ms = rtt;
      // An answer to a retry is timed from the retry.
      const auto since_last = Millis(Clock::now() - slot.last_sent).count();
      max_rtt_ = std::max(max_rtt_.value_or(0), since_last);
    } else if (!up) {
      ++down_counts_[reason];
    }
    const auto key = address_key(status.host.address);
    by_address_.erase(key);
    free_slots_.push_back(index);
    on_host_(status);
    for (auto [first, last] = duplicates_.equal_range(key); first != last; ++first) {
      auto copy = status;
      copy.host = std::move(first->second);
      if (up) {
        ++summary_.up;
      } else {
        ++down_counts_[reason];
      }
      on_host_(copy);
    }
    duplicates_.erase(key);
  }

  HostSource& hosts_;
  const DiscoveryOptions& options_;
  const std::function<void(const HostStatus&)>& on_host_;
  int epoll_fd_ = -1;
  IcmpChannel icmp4_, icmp6_;
  bool opened4_ = false, opened6_ = false;
  std::uint16_t identifier_ = 0;
  std::vector<Pending> slots_;
  std::vector<std::size_t> free_slots_;
  std::unordered_map<std::string, std::size_t> by_address_;
  std::unordered_multimap<std::string, ScanHost> duplicates_;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::map<HostReason, std::uint64_t> down_counts_;
  std::optional<double> max_rtt_;
  std::unordered_set<std::string> neighbours_;
  Clock::time_point neighbours_read_{};
  std::size_t active_ = 0;
  std::size_t window_ = 0;
  bool exhausted_ = false;
  DiscoverySummary summary_;
};

}  // namespace

std::string_view host_reason_name(HostReason reason) {
  switch (reason) {
    case HostReason::user_set:
      return "user-set";
    case HostReason::echo_reply:
      return "echo-reply";
    case HostReason::syn_ack:
      return "syn-ack";
    case HostReason::reset:
      return "reset";
    case HostReason::port_unreach:
      return "port-unreach";
    case HostReason::no_response:
      return "no-response";
    case HostReason::host_unreach:
      return "host-unreach";
    case HostReason::net_unreach:
      return "net-unreach";
    case HostReason::admin_prohibited:
      return "admin-prohibited";
    case HostReason::arp_response:
      return "arp-response";
    case HostReason::nd_response:
      return "nd-response";
  }
  return "unknown";
}

std::uint64_t DiscoverySummary::down_total() const {
  std::uint64_t total = 0;
  for (const auto& [reason, count] : down) total += count;
  return total;
}

Result<DiscoverySummary> discover_hosts(HostSource& hosts, const DiscoveryOptions& options,
                                        const std::function<void(const HostStatus&)>& on_host) {
  Discovery discovery(hosts, options, on_host);
  return discovery.run();
}

}  // namespace portkit

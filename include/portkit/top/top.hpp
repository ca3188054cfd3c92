#pragma once
// portkit top: what each listening TCP port is doing now (connections, their rate, the accept
// queue, bytes per second from tcp_info deltas, the busiest peers), the states summary, and
// ephemeral-port use per destination with its trend. TopTracker is pure: samples of sockets in,
// a view out. TopSampler (top_sampler.cpp) takes the samples from the kernel.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "portkit/base/result.hpp"
#include "portkit/inventory/inventory.hpp"
#include "portkit/inventory/sockets.hpp"
#include "portkit/ranges/ranges.hpp"

namespace portkit {

struct PeerCount {
  IpAddress peer;
  std::uint32_t connections = 0;
};

struct PortActivity {
  std::uint16_t port = 0;
  std::vector<IpAddress> addresses;            // where it listens: 0.0.0.0, ::, 127.0.0.1...
  std::vector<std::uint64_t> listener_inodes;  // to find the owner (the sampler does)
  std::string service;                 // the owner's service where known, else the registry's
  std::vector<ProcessInfo> processes;  // owners of its listening sockets
  std::uint32_t established = 0;       // ESTABLISHED now
  std::uint32_t connections = 0;       // in any state but LISTEN, TIME_WAIT included
  std::uint32_t new_connections = 0;   // not in the previous sample
  double new_per_second = 0;
  std::uint32_t accept_queue = 0;  // connections waiting for accept(), over its listeners
  std::uint32_t accept_limit = 0;  // the backlog those listeners were given
  std::uint64_t bytes_in = 0;      // received over the interval (tcp_info bytes_received)
  std::uint64_t bytes_out = 0;     // delivered over the interval (tcp_info bytes_acked)
  double bytes_in_per_second = 0;
  double bytes_out_per_second = 0;
  std::vector<PeerCount> top_peers;  // most connections first, at most kTopPeers

  static constexpr std::size_t kTopPeers = 3;
  [[nodiscard]] double accept_fill() const {
    return accept_limit ? static_cast<double>(accept_queue) / accept_limit : 0;
  }
};

struct DestinationTrend {
  PortPressure pressure;
  std::int64_t change = 0;  // local ports towards it, against the previous sample
  double change_per_second = 0;
};

struct TopView {
  double interval_seconds = 0;  // since the previous sample; 0 for the first (no rates yet)
  std::uint32_t sockets = 0;    // TCP sockets in the sample
  std::array<std::uint32_t, 13> states{};      // TCP sockets per SocketState number
  std::vector<PortActivity> ports;             // by port number
  std::vector<DestinationTrend> destinations;  // most local ports first
  PortRange ephemeral;
};

// Folds samples into views. Connections are told apart by their addresses and ports, so a
// connection is new when its four were not in the previous sample; its bytes are the growth of
// its counters, or all of them when it is new. A connection that opens and closes between two
// samples is not seen, and a closed connection's last bytes are lost: tcp_info is read from
// live sockets only (no packet capture).
class TopTracker {
 public:
  explicit TopTracker(HostPortConfig host, std::size_t top_destinations = 10);

  // A connection's byte counters from tcp_info (none for TIME_WAIT, a listener, or a dump
  // without tcp_info).
  struct ByteCounters {
    std::uint64_t received = 0;
    std::uint64_t acked = 0;
    bool known = false;
  };
  static ByteCounters counters_of(const SocketRecord& socket);

  // Folds one sample of TCP sockets (with tcp_info) taken `seconds` after the previous one.
  TopView update(const std::vector<SocketRecord>& sockets, double seconds);
  // The same with each socket's counters given beside it (counters[i] for sockets[i]): the
  // sampler keeps only these, not every socket's tcp_info.
  TopView update(const std::vector<SocketRecord>& sockets, std::span<const ByteCounters> counters,
                 double seconds);

 private:
  struct Key {
    IpAddress local;
    IpAddress peer;
    std::uint16_t local_port = 0;
    std::uint16_t peer_port = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept;
  };
  struct Counters {
    std::uint64_t received = 0;
    std::uint64_t acked = 0;
  };
  HostPortConfig host_;
  std::size_t top_destinations_;
  bool first_ = true;
  std::unordered_map<Key, Counters, KeyHash> previous_;  // connections on listened ports
  std::unordered_map<Key, std::uint32_t, KeyHash> previous_destinations_;  // peer and port only
};

// How the screen orders its rows; the key `s` steps through them in this order.
enum class TopSort : std::uint8_t {
  new_rate,
  established,
  bytes_in,
  bytes_out,
  accept_queue,
  port
};
std::string_view top_sort_name(TopSort sort);  // "new/s", "estab", ...
std::optional<TopSort> parse_top_sort(std::string_view name);
TopSort next_top_sort(TopSort sort);
void sort_ports(std::vector<PortActivity>& ports, TopSort sort);

// A screen filter: a port number selects that port; other text, a port whose owner's command
// or service contains it (case-insensitive). Empty keeps everything.
bool port_matches(const PortActivity& port, std::string_view filter);

// The ports a screen or a JSON line shows: those matching `filter`, in `sort`'s order.
std::vector<PortActivity> shown_ports(const std::vector<PortActivity>& ports,
                                      std::string_view filter, TopSort sort);

// Takes samples from the kernel: TCP sockets with tcp_info by netlink, owners of the listening
// sockets remembered between samples (only new listeners cost a walk of /proc).
class TopSampler {
 public:
  explicit TopSampler(std::size_t top_destinations = 10);
  TopSampler(const TopSampler&) = delete;
  TopSampler& operator=(const TopSampler&) = delete;
  ~TopSampler();
  Result<TopView> sample();

 private:
  TopTracker tracker_;
  std::vector<SocketRecord> sockets_;  // without their tcp_info: counters_ holds what is used
  std::vector<TopTracker::ByteCounters> counters_;
  std::chrono::steady_clock::time_point last_{};
  std::unique_ptr<OwnerCache> owners_;
};

}  // namespace portkit

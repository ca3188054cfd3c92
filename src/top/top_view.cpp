// TopTracker: samples of TCP sockets folded into per-port activity (pure).
#include <algorithm>
#include <charconv>
#include <limits>
#include <unordered_set>

#include "base/text_util.hpp"
#include "inventory/owner_service.hpp"
#include "portkit/top/top.hpp"

namespace portkit {

namespace {

std::size_t hash_address(const IpAddress& address, std::size_t seed) {
  // FNV-1a over the bytes that matter: a v4 address only has four.
  const std::size_t length = address.is_v6 ? 16 : 4;
  std::size_t hash = seed ^ (address.is_v6 ? 0x9e3779b97f4a7c15ULL : 0);
  for (std::size_t i = 0; i < length; ++i) {
    hash = (hash ^ address.bytes[i]) * 0x100000001b3ULL;
  }
  return hash;
}

std::uint64_t growth(std::uint64_t now, std::uint64_t before) {
  return now > before ? now - before : 0;
}

double per_second(double amount, double seconds) {
  return seconds > 0 ? amount / seconds : 0;
}

template <typename PeerMap>
void keep_top_peers(PortActivity& port, const PeerMap& peers) {
  std::vector<PeerCount> ranked;
  ranked.reserve(peers.size());
  for (const auto& [key, count] : peers) ranked.push_back(count);
  const auto most = std::min(ranked.size(), PortActivity::kTopPeers);
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(most),
                    ranked.end(), [](const PeerCount& a, const PeerCount& b) {
                      if (a.connections != b.connections) return a.connections > b.connections;
                      return a.peer.to_string() < b.peer.to_string();
                    });
  ranked.resize(most);
  port.top_peers = std::move(ranked);
}

}  // namespace

std::size_t TopTracker::KeyHash::operator()(const Key& key) const noexcept {
  auto hash = hash_address(key.local, 0xcbf29ce484222325ULL);
  hash = hash_address(key.peer, hash);
  return (hash ^ (std::size_t{key.local_port} << 16 | key.peer_port)) * 0x100000001b3ULL;
}

TopTracker::TopTracker(HostPortConfig host, std::size_t top_destinations)
    : host_(std::move(host)), top_destinations_(top_destinations) {}

TopTracker::ByteCounters TopTracker::counters_of(const SocketRecord& socket) {
  if (!socket.details || !socket.details->tcp) return {};
  return {socket.details->tcp->bytes_received, socket.details->tcp->bytes_acked, true};
}

TopView TopTracker::update(const std::vector<SocketRecord>& sockets, double seconds) {
  std::vector<ByteCounters> counters;
  counters.reserve(sockets.size());
  for (const auto& socket : sockets) counters.push_back(counters_of(socket));
  return update(sockets, counters, seconds);
}

TopView TopTracker::update(const std::vector<SocketRecord>& sockets,
                           std::span<const ByteCounters> byte_counters, double seconds) {
  TopView view;
  view.interval_seconds = first_ ? 0 : seconds;
  view.ephemeral = host_.ephemeral;

  // The listened ports first: a connection belongs to the port it was accepted on.
  std::unordered_map<std::uint16_t, std::size_t> port_index;
  for (const auto& socket : sockets) {
    if (socket.proto != Proto::tcp) continue;
    ++view.sockets;
    const auto state = static_cast<std::size_t>(socket.state);
    if (state < view.states.size()) ++view.states[state];
    if (socket.state != SocketState::listen) continue;
    auto [where, added] = port_index.try_emplace(socket.local_port, view.ports.size());
    if (added) view.ports.push_back({.port = socket.local_port});
    auto& port = view.ports[where->second];
    if (std::find(port.addresses.begin(), port.addresses.end(), socket.local) ==
        port.addresses.end()) {
      port.addresses.push_back(socket.local);
    }
    port.listener_inodes.push_back(socket.inode);
    port.accept_queue += socket.receive_queue;
    port.accept_limit += socket.send_queue;
  }

  std::unordered_map<Key, Counters, KeyHash> current;
  current.reserve(previous_.size() + 16);
  std::vector<std::unordered_map<Key, PeerCount, KeyHash>> peers(view.ports.size());
  for (std::size_t at = 0; at < sockets.size(); ++at) {
    const auto& socket = sockets[at];
    if (socket.proto != Proto::tcp || socket.state == SocketState::listen) continue;
    const auto found = port_index.find(socket.local_port);
    if (found == port_index.end()) continue;
    auto& port = view.ports[found->second];
    ++port.connections;
    if (socket.state == SocketState::established) {
      ++port.established;
      auto& peer = peers[found->second][Key{.peer = socket.peer}];
      peer.peer = socket.peer;
      ++peer.connections;
    }
    const Key key{socket.local, socket.peer, socket.local_port, socket.peer_port};
    const auto& known = byte_counters[at];
    Counters counters{known.received, known.acked};
    const auto before = previous_.find(key);
    if (before == previous_.end()) {
      if (!first_) {
        ++port.new_connections;
        port.bytes_in += counters.received;
        port.bytes_out += counters.acked;
      }
    } else {
      port.bytes_in += growth(counters.received, before->second.received);
      port.bytes_out += growth(counters.acked, before->second.acked);
      // A TIME_WAIT socket has no tcp_info: keep its last counters, so the connection's bytes
      // are not counted again should it be reported with them once more.
      if (!known.known) counters = before->second;
    }
    current.insert_or_assign(key, counters);
  }
  for (std::size_t index = 0; index < view.ports.size(); ++index) {
    auto& port = view.ports[index];
    port.new_per_second = per_second(port.new_connections, view.interval_seconds);
    port.bytes_in_per_second =
        per_second(static_cast<double>(port.bytes_in), view.interval_seconds);
    port.bytes_out_per_second =
        per_second(static_cast<double>(port.bytes_out), view.interval_seconds);
    keep_top_peers(port, peers[index]);
  }
  std::sort(view.ports.begin(), view.ports.end(),
            [](const PortActivity& a, const PortActivity& b) { return a.port < b.port; });
  previous_ = std::move(current);

  // Ephemeral use per destination, every destination kept for the next trend.
  auto stats = compute_stats(sockets, host_, std::numeric_limits<std::size_t>::max());
  std::unordered_map<Key, std::uint32_t, KeyHash> destinations;
  destinations.reserve(stats.pressure.size());
  for (const auto& pressure : stats.pressure) {
    const Key key{.peer = pressure.peer, .peer_port = pressure.peer_port};
    destinations.emplace(key, pressure.connections);
    if (view.destinations.size() >= top_destinations_) continue;
    DestinationTrend trend{.pressure = pressure};
    if (!first_) {
      const auto before = previous_destinations_.find(key);
      const std::int64_t was = before == previous_destinations_.end() ? 0 : before->second;
      trend.change = static_cast<std::int64_t>(pressure.connections) - was;
      trend.change_per_second =
          per_second(static_cast<double>(trend.change), view.interval_seconds);
    }
    view.destinations.push_back(trend);
  }
  previous_destinations_ = std::move(destinations);
  first_ = false;
  return view;
}

std::string_view top_sort_name(TopSort sort) {
  switch (sort) {
    case TopSort::new_rate:
      return "new/s";
    case TopSort::established:
      return "estab";
    case TopSort::bytes_in:
      return "in/s";
    case TopSort::bytes_out:
      return "out/s";
    case TopSort::accept_queue:
      return "accept-q";
    case TopSort::port:
      return "port";
  }
  return "port";
}

std::optional<TopSort> parse_top_sort(std::string_view name) {
  for (auto sort = TopSort::new_rate;; sort = next_top_sort(sort)) {
    if (iequals(name, top_sort_name(sort))) return sort;
    if (sort == TopSort::port) return std::nullopt;
  }
}

TopSort next_top_sort(TopSort sort) {
  return sort == TopSort::port ? TopSort::new_rate
                               : static_cast<TopSort>(static_cast<int>(sort) + 1);
}

void sort_ports(std::vector<PortActivity>& ports, TopSort sort) {
  const auto figure = [sort](const PortActivity& port) -> double {
    switch (sort) {
      case TopSort::new_rate:
        return port.new_per_second;
      case TopSort::established:
        return port.established;
      case TopSort::bytes_in:
        return port.bytes_in_per_second;
      case TopSort::bytes_out:
        return port.bytes_out_per_second;
      case TopSort::accept_queue:
        return port.accept_fill();
      case TopSort::port:
        return 0;
    }
    return 0;
  };
  // Busiest first; ties (and the port order) by port number, so rows do not jump about.
  std::stable_sort(ports.begin(), ports.end(), [&](const PortActivity& a, const PortActivity& b) {
    const auto fa = figure(a);
    const auto fb = figure(b);
    if (fa != fb) return fa > fb;
    return a.port < b.port;
  });
}

bool port_matches(const PortActivity& port, std::string_view filter) {
  if (filter.empty()) return true;
  unsigned number = 0;
  const auto* end = filter.data() + filter.size();
  if (const auto [at, error] = std::from_chars(filter.data(), end, number);
      error == std::errc{} && at == end) {
    return number == port.port;
  }
  const auto wanted = to_lower(filter);
  const auto has = [&](std::string_view text) {
    return to_lower(text).find(wanted) != std::string::npos;
  };
  return has(port.service) ||
         std::any_of(port.processes.begin(), port.processes.end(),
                     [&](const ProcessInfo& p) { return has(p.command) || has(program_name(p)); });
}

std::vector<PortActivity> shown_ports(const std::vector<PortActivity>& ports,
                                      std::string_view filter, TopSort sort) {
  std::vector<PortActivity> shown;
  for (const auto& port : ports) {
    if (port_matches(port, filter)) shown.push_back(port);
  }
  sort_ports(shown, sort);
  return shown;
}

}  // namespace portkit

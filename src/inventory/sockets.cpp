#include "portkit/inventory/sockets.hpp"

#include <pwd.h>

#include <algorithm>
#include <cstring>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "base/text_util.hpp"
#include "inventory/owner_service.hpp"
#include "inventory/owner_walk.hpp"
#include "portkit/inventory/socket_expression.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {
namespace {

constexpr std::uint32_t bit(SocketState state) {
  return 1u << static_cast<unsigned>(state);
}

constexpr std::uint32_t kAllStates = 0x1ffe;  // states 1..12
constexpr std::uint32_t kConnected =
    kAllStates & ~(bit(SocketState::listen) | bit(SocketState::close));
constexpr std::uint32_t kBucket = bit(SocketState::syn_recv) | bit(SocketState::time_wait);

bool in_ranges(std::uint16_t port, const std::vector<PortRange>& ranges) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](PortRange range) { return range.contains(port); });
}

// Interned per uid: rows keep views, so tens of thousands of sockets share a few strings.
std::string_view user_name(std::uint32_t uid, bool numeric) {
  static std::unordered_map<std::uint64_t, std::string> cache;  // node-based: stable storage
  const auto key = (std::uint64_t{numeric} << 32) | uid;
  if (const auto it = cache.find(key); it != cache.end()) return it->second;
  std::string name = std::to_string(uid);
  if (!numeric) {
    passwd entry{};
    passwd* found = nullptr;
    char buffer[4096];
    if (getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found) name = found->pw_name;
  }
  return cache.emplace(key, std::move(name)).first->second;
}

}  // namespace

std::string_view service_source_name(ServiceSource source) {
  switch (source) {
    case ServiceSource::registry:
      return "registry";
    case ServiceSource::process:
      return "process";
    case ServiceSource::none:
      break;
  }
  return "";
}

Result<std::uint32_t> resolve_user(std::string_view text) {
  if (text.empty()) return make_error("an empty user name");
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto uid = text.size() > 10 ? ~0ull : std::stoull(std::string(text));
    if (uid > 0xFFFFFFFEull) return make_error("uid " + std::string(text) + " is out of range");
    return static_cast<std::uint32_t>(uid);
  }
  passwd entry{};
  passwd* found = nullptr;
  char buffer[4096];
  const std::string name(text);
  if (getpwnam_r(name.c_str(), &entry, buffer, sizeof buffer, &found) != 0 || found == nullptr) {
    return make_error("no such user " + single_quoted(text));
  }
  return static_cast<std::uint32_t>(found->pw_uid);
}

Result<std::uint32_t> parse_state_filter(std::string_view text) {
  const auto name = to_lower(text);
  if (name == "all") return kAllStates;
  if (name == "connected") return kConnected;
  if (name == "synchronized") return kConnected & ~bit(SocketState::syn_sent);
  if (name == "bucket") return kBucket;
  if (name == "big") return kAllStates & ~kBucket;
  // ss spells them established, syn-sent, fin-wait-1...; netstat ESTABLISHED, SYN_SENT, FIN_WAIT1.
  std::string canonical;
  for (const char c : name) {
    if (c != '-' && c != '_') canonical += c;
  }
  const std::pair<std::string_view, SocketState> names[] = {
      {"established", SocketState::established},
      {"estab", SocketState::established},
      {"synsent", SocketState::syn_sent},
      {"synrecv", SocketState::syn_recv},
      {"finwait1", SocketState::fin_wait1},
      {"finwait2", SocketState::fin_wait2},
      {"timewait", SocketState::time_wait},
      {"closed", SocketState::close},
      {"close", SocketState::close},
      {"unconn", SocketState::close},
      {"closewait", SocketState::close_wait},
      {"lastack", SocketState::last_ack},
      {"listen", SocketState::listen},
      {"listening", SocketState::listen},
      {"closing", SocketState::closing}};
  for (const auto& [known, state] : names) {
    if (canonical == known) return bit(state);
  }
  return make_error("unknown state " + single_quoted(text) +
                    " (use a state such as listen or established, or all, connected, "
                    "synchronized, bucket, big)");
}

bool is_listening(const SocketRecord& socket) {
  return socket.proto == Proto::tcp ? socket.state == SocketState::listen
                                    : socket.state == SocketState::close;
}

bool passes(const SocketRecord& socket, const SocketFilter& filter) {
  if (filter.states != 0) {
    if (!(filter.states & bit(socket.state))) return false;
  } else if (!filter.all_states) {
    const bool listening = socket.proto == Proto::tcp ? socket.state == SocketState::listen
                                                      : socket.state == SocketState::close;
    if (!listening) return false;
  }
  if (!filter.any_port.empty() && !in_ranges(socket.local_port, filter.any_port) &&
      !in_ranges(socket.peer_port, filter.any_port)) {
    return false;
  }
  if (!filter.local_port.empty() && !in_ranges(socket.local_port, filter.local_port)) return false;
  if (!filter.peer_port.empty() && !in_ranges(socket.peer_port, filter.peer_port)) return false;
  return !filter.expression || expression_matches(*filter.expression, socket);
}

namespace {

SocketRow make_row(const SocketRecord& socket, bool numeric, const Owners* owners,
                   std::string_view netns) {
  SocketRow row;
  row.socket = socket;
  row.netns = netns;
  row.exposure = exposure_of(socket.local);
  row.user = user_name(socket.uid, numeric);
  if (owners) row.processes = owners->find(socket.inode);
  if (numeric) return row;
  // The owner's program says what it serves, whatever the port; else the registry's name.
  for (const auto* process : row.processes) {
    if (const auto* entry = service_of_process(*process, socket.local_port, socket.proto)) {
      row.owner_service = entry;
      row.service = entry->name;
      row.service_source = ServiceSource::process;
      return row;
    }
  }
  row.service = registry::service_name(socket.local_port, socket.proto);
  if (!row.service.empty()) row.service_source = ServiceSource::registry;
  return row;
}

bool user_matches(const SocketRow& row, std::uint32_t uid) {
  return row.socket.uid == uid;
}

bool owner_matches(const SocketRow& row, const SocketFilter& filter) {
  const auto& processes = row.processes;
  return (!filter.pid ||
          std::any_of(processes.begin(), processes.end(),
                      [&](const ProcessInfo* p) { return p->pid == *filter.pid; })) &&
         (!filter.process ||
          std::any_of(processes.begin(), processes.end(),
                      [&](const ProcessInfo* p) { return p->command == *filter.process; }));
}

// The kernel asked only for the states and local ports the view shows: the default listening
// view then never sees the (possibly tens of thousands of) connected sockets.
InventoryQuery narrowed_query(const ListOptions& options) {
  auto query = options.query;
  const auto& filter = options.filter;
  if (filter.states != 0) {
    query.tcp_states = filter.states;
  } else if (!filter.all_states) {
    query.tcp_states = bit(SocketState::listen) | bit(SocketState::close);
  }
  if (query.local_ports.empty()) query.local_ports = filter.local_port;
  if (filter.expression) {
    // The kernel narrows the dump; the expression still decides each socket (passes()).
    auto kernel = kernel_filter(*filter.expression);
    query.tcp_states &= kernel.states;
    query.bytecode = std::move(kernel.bytecode);
  }
  return query;
}

}  // namespace

SocketRow SocketListing::row(std::size_t index) const {
  std::string_view netns;
  for (const auto& [name, start] : namespace_starts) {
    if (index >= start) netns = name;
  }
  return make_row(sockets[index], numeric, owners.get(), netns);
}

Result<StreamSummary> stream_sockets(const ListOptions& options, const RowVisitor& emit) {
  const auto query = narrowed_query(options);
  const auto& filter = options.filter;
  StreamSummary summary;
  std::optional<Owners> owners;
  if (options.owners || filter.pid || filter.process) {
    owners = find_owners({});
    summary.owners_hidden_for_lack_of_privilege = owners->hidden_for_lack_of_privilege;
  }
  const auto offer = [&](const SocketRecord& socket, std::string_view netns) {
    if (!passes(socket, filter)) return;
    auto row = make_row(socket, options.numeric, owners ? &*owners : nullptr, netns);
    if (filter.uid && !user_matches(row, *filter.uid)) return;
    if (!owner_matches(row, filter)) return;
    if (!options.owners) row.processes = {};
    ++summary.sockets;
    emit(row);
  };
  auto backend = visit_inventory(query, [&](const SocketRecord& socket) { offer(socket, {}); });
  if (!backend) return backend.error();
  summary.backend = *backend;
  if (options.all_netns) {
    auto others = read_other_namespaces(query);
    if (!others) return others.error();
    for (const auto& other : *others) {
      for (const auto& socket : other.inventory.sockets) offer(socket, other.name);
    }
  }
  return summary;
}

std::vector<SocketRow> SocketListing::rows() const {
  std::vector<SocketRow> all;
  all.reserve(sockets.size());
  for (std::size_t index = 0; index < sockets.size(); ++index) all.push_back(row(index));
  return all;
}

namespace {

// By transport, local port, family, peer port, then addresses: the order ss users expect.
void sort_sockets(std::vector<SocketRecord>::iterator first,
                  std::vector<SocketRecord>::iterator last) {
  const auto key = [](const SocketRecord& s) {
    return (std::uint64_t{s.proto == Proto::udp} << 40) | (std::uint64_t{s.local_port} << 24) |
           (std::uint64_t{s.local.is_v6} << 16) | s.peer_port;
  };
  std::sort(first, last, [&](const SocketRecord& a, const SocketRecord& b) {
    const auto ka = key(a);
    const auto kb = key(b);
    if (ka != kb) return ka < kb;
    const auto local = std::memcmp(a.local.bytes.data(), b.local.bytes.data(), 16);
    if (local != 0) return local < 0;
    return std::memcmp(a.peer.bytes.data(), b.peer.bytes.data(), 16) < 0;
  });
}

struct JoinAtExit {
  std::vector<std::thread>& threads;
  ~JoinAtExit() {
    for (auto& thread : threads) thread.join();
  }
};

}  // namespace

Result<SocketListing> list_sockets(const ListOptions& options) {
  const auto query = narrowed_query(options);
  const auto& filter = options.filter;
  // The /proc walk starts before the socket list is known: every usable core but this one
  // begins on it while this one takes the kernel's dump, then joins. A walk for a few sockets
  // (`who`) keeps everything until the list arrives, then narrows to it and stops early.
  const bool need_owners = options.owners || filter.pid || filter.process;
  const bool few_wanted = options.owners_stop_early;
  std::optional<OwnerWalk> early_walk;
  std::vector<std::thread> walkers;
  const JoinAtExit join_at_exit{walkers};
  if (need_owners && !(few_wanted && options.owner_cache)) {
    early_walk.emplace(std::span<const std::uint64_t>{}, few_wanted);
    try {
      for (unsigned i = 0; i < std::max(1u, owner_walk_threads() - 1); ++i) {
        walkers.emplace_back([&early_walk] { early_walk->work(); });
      }
    } catch (const std::system_error&) {
      // No thread to spare: this one walks after the dump.
    }
  }
  auto inventory = read_inventory(query);
  if (!inventory) return inventory.error();
  SocketListing listing;
  listing.backend = inventory->used;
  listing.numeric = options.numeric;
  listing.sockets = std::move(inventory->sockets);
  std::erase_if(listing.sockets,
                [&](const SocketRecord& socket) { return !passes(socket, filter); });
  sort_sockets(listing.sockets.begin(), listing.sockets.end());
  // Rows from other namespaces carry its name, kept by the listing (and its copies).
  if (options.all_netns) {
    auto others = read_other_namespaces(query);
    if (!others) return others.error();
    auto names = std::make_shared<std::vector<std::string>>();
    for (const auto& other : *others) names->push_back(other.name);
    listing.namespace_names = names;
    for (std::size_t n = 0; n < others->size(); ++n) {
      const auto& other = (*others)[n];
      const auto start = listing.sockets.size();
      listing.namespace_starts.emplace_back((*names)[n], start);
      for (const auto& socket : other.inventory.sockets) {
        if (passes(socket, filter)) listing.sockets.push_back(socket);
      }
      sort_sockets(listing.sockets.begin() + static_cast<std::ptrdiff_t>(start),
                   listing.sockets.end());
    }
  }
  if (filter.uid)
    listing.keep_if([&](const SocketRow& row) { return user_matches(row, *filter.uid); });
  if (!need_owners) return listing;
  std::vector<std::uint64_t> inodes;
  if (few_wanted) {
    inodes.reserve(listing.sockets.size());
    // TIME_WAIT and other orphaned sockets have inode 0: no process can hold them.
    for (const auto& socket : listing.sockets) {
      if (socket.inode != 0) inodes.push_back(socket.inode);
    }
  }
  std::shared_ptr<Owners> owners;
  if (early_walk) {
    if (few_wanted) early_walk->narrow(inodes);
    early_walk->work();
    for (auto& walker : walkers) walker.join();
    walkers.clear();
    auto found = early_walk->take_found();
    if (few_wanted) found = add_relatives(std::move(found), early_walk->completed_pids());
    owners =
        std::make_shared<Owners>(owners_from(found, early_walk->hidden_for_lack_of_privilege()));
  } else {
    owners = std::make_shared<Owners>(options.owner_cache->find(inodes));
  }
  listing.owners_shown = options.owners;
  listing.owners_hidden_for_lack_of_privilege = owners->hidden_for_lack_of_privilege;
  listing.owners = owners;
  if (filter.pid || filter.process) {
    listing.keep_if([&](const SocketRow& row) { return owner_matches(row, filter); });
  }
  return listing;
}

SocketStats compute_stats(const std::vector<SocketRecord>& sockets, const HostPortConfig& host,
                          std::size_t top_destinations) {
  SocketStats stats;
  stats.ephemeral = host.ephemeral;
  // Hashed, not ordered: `top` asks every refresh, with tens of thousands of connections.
  struct Destination {
    std::array<std::uint8_t, 17> peer{};  // address bytes, then the family
    std::uint16_t port = 0;
    bool operator==(const Destination&) const = default;
  };
  struct DestinationHash {
    std::size_t operator()(const Destination& key) const noexcept {
      std::size_t hash = 0xcbf29ce484222325ULL ^ key.port;
      for (const auto byte : key.peer) hash = (hash ^ byte) * 0x100000001b3ULL;
      return hash;
    }
  };
  std::unordered_map<Destination, PortPressure, DestinationHash> by_peer;
  // A connection on a listened port was accepted, not made from an ephemeral port, even when
  // the listened port lies inside the ephemeral range.
  std::vector<bool> listened(65536);
  for (const auto& socket : sockets) {
    if (socket.proto == Proto::tcp && socket.state == SocketState::listen) {
      listened[socket.local_port] = true;
    }
  }
  for (const auto& socket : sockets) {
    const auto proto_index = socket.proto == Proto::tcp ? 0 : 1;
    const auto state = static_cast<std::size_t>(socket.state);
    if (state < 13) ++stats.by_state[proto_index][state];
    (socket.proto == Proto::tcp ? stats.total_tcp : stats.total_udp) += 1;
    const bool outgoing = socket.proto == Proto::tcp && socket.state != SocketState::listen &&
                          socket.peer_port != 0 && host.in_ephemeral(socket.local_port) &&
                          !listened[socket.local_port];
    if (!outgoing) continue;
    Destination key{.port = socket.peer_port};
    std::copy(socket.peer.bytes.begin(), socket.peer.bytes.end(), key.peer.begin());
    key.peer[16] = socket.peer.is_v6;
    auto& pressure = by_peer[key];
    pressure.peer = socket.peer;
    pressure.peer_port = socket.peer_port;
    pressure.ephemeral_size = host.ephemeral.size();
    ++pressure.connections;
  }
  stats.pressure.reserve(by_peer.size());
  for (auto& [key, pressure] : by_peer) stats.pressure.push_back(pressure);
  // Most used first; ties by address and port, so the order does not depend on the hash.
  const auto busier = [](const PortPressure& a, const PortPressure& b) {
    if (a.connections != b.connections) return a.connections > b.connections;
    if (a.peer.is_v6 != b.peer.is_v6) return !a.peer.is_v6;
    if (a.peer.bytes != b.peer.bytes) return a.peer.bytes < b.peer.bytes;
    return a.peer_port < b.peer_port;
  };
  if (top_destinations >= stats.pressure.size()) {
    std::sort(stats.pressure.begin(), stats.pressure.end(), busier);  // all of them (top)
  } else {
    std::partial_sort(stats.pressure.begin(),
                      stats.pressure.begin() + static_cast<std::ptrdiff_t>(top_destinations),
                      stats.pressure.end(), busier);
    stats.pressure.resize(top_destinations);
  }
  return stats;
}

}  // namespace portkit

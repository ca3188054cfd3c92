#pragma once
// `ls`, `who` and `stats` over the inventory: filters, owners, users, and the views.
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "portkit/inventory/inventory.hpp"
#include "portkit/ranges/ranges.hpp"

namespace portkit {

struct SocketExpression;

struct SocketFilter {
  bool all_states = false;            // -a; default: listening TCP and unconnected UDP
  std::uint32_t states = 0;           // --state: bit per SocketState (0 = not given)
  std::vector<PortRange> any_port;    // --port: local or peer
  std::vector<PortRange> local_port;  // --sport
  std::vector<PortRange> peer_port;   // --dport
  std::optional<int> pid;
  std::optional<std::uint32_t> uid;    // sockets of this user (resolve_user turns a name into it)
  std::optional<std::string> process;  // command name
  std::shared_ptr<const SocketExpression> expression;  // ls FILTER... (socket_expression.hpp)
};

// ss's state names and groups: a state, or all, connected, synchronized, bucket, big.
// A user name or a numeric uid, as --user takes it: an unknown name is an error naming it.
Result<std::uint32_t> resolve_user(std::string_view text);

Result<std::uint32_t> parse_state_filter(std::string_view text);

// One socket with what a listing knows about it; a value computed from the listing, whose
// Owners keep `processes` alive.
struct CuratedEntry;

// Where a row's service name comes from: its owner's program (redis-server on 16379), or the
// registry's name for the port number.
enum class ServiceSource : std::uint8_t { none, registry, process };
std::string_view service_source_name(ServiceSource source);  // "registry", "process"

struct SocketRow {
  SocketRecord socket;
  std::span<const ProcessInfo* const> processes;
  std::string_view user;     // interned for the life of the process
  std::string_view service;  // the owner's service where known, else the registry's
  ServiceSource service_source = ServiceSource::none;
  const CuratedEntry* owner_service = nullptr;  // the owner's entry, when it names one
  std::string_view netns;  // empty for this host's namespace; else its name or net:[inode]
  Exposure exposure = Exposure::one_address;
};

// The sockets a listing shows, sorted, in about 64 bytes each: rows are computed when asked
// for, so tens of thousands of sockets cost no more than their records and owners.
class SocketListing {
 public:
  std::vector<SocketRecord> sockets;
  std::shared_ptr<const Owners> owners;  // null when owners were not looked up
  // Blocks of sockets from other namespaces (--all-netns): name, first index; in order. The
  // names live in namespace_names, shared by copies of the listing.
  std::vector<std::pair<std::string_view, std::size_t>> namespace_starts;
  std::shared_ptr<const std::vector<std::string>> namespace_names;
  InventoryBackend backend = InventoryBackend::netlink;
  bool owners_shown = false;
  bool owners_hidden_for_lack_of_privilege = false;
  bool numeric = false;  // no user or service names

  [[nodiscard]] std::size_t size() const { return sockets.size(); }
  [[nodiscard]] bool empty() const { return sockets.empty(); }
  [[nodiscard]] SocketRow row(std::size_t index) const;
  [[nodiscard]] std::vector<SocketRow> rows() const;  // every row: for small listings
  // Drops the sockets whose rows fail `keep`.
  template <typename Keep>
  void keep_if(Keep keep) {
    std::size_t kept = 0;
    std::size_t block = 0;
    auto starts = namespace_starts;
    for (std::size_t index = 0; index < sockets.size(); ++index) {
      // A block starts where its first kept socket lands (an emptied block is harmless).
      for (; block < starts.size() && namespace_starts[block].second <= index; ++block) {
        starts[block].second = kept;
      }
      if (!keep(row(index))) continue;
      sockets[kept++] = sockets[index];
    }
    for (; block < starts.size(); ++block) starts[block].second = kept;
    sockets.resize(kept);
    namespace_starts = std::move(starts);
  }
};

struct ListOptions {
  InventoryQuery query;
  SocketFilter filter;
  bool owners = true;  // walk /proc for processes
  // `who`: few sockets wanted, so walk after the dump and stop once each has an owner,
  // instead of collecting every socket's owners on a second core during the dump.
  bool owners_stop_early = false;
  bool all_netns = false;             // also every other network namespace (needs root)
  OwnerCache* owner_cache = nullptr;  // with owners_stop_early: owners remembered across calls
  bool numeric = false;               // -n: no service names, numeric users
};

Result<SocketListing> list_sockets(const ListOptions& options);

// The streaming form of list_sockets: each socket that passes the filter, as the kernel
// reports it (unsorted), kept nowhere, so memory stays flat however many sockets the host has
// (the owner table aside, about 24 bytes per owned socket). A row lives for the call only.
struct StreamSummary {
  InventoryBackend backend = InventoryBackend::netlink;
  bool owners_hidden_for_lack_of_privilege = false;
  std::size_t sockets = 0;
};
using RowVisitor = std::function<void(const SocketRow&)>;
Result<StreamSummary> stream_sockets(const ListOptions& options, const RowVisitor& emit);

// A listening TCP socket or a bound, unconnected UDP socket: what `ss -l` shows.
bool is_listening(const SocketRecord& socket);

// Pure: whether a record passes the state, port and family parts of a filter.
bool passes(const SocketRecord& socket, const SocketFilter& filter);

struct PortPressure {
  IpAddress peer;
  std::uint16_t peer_port = 0;
  std::uint32_t connections = 0;  // local ports in use towards it, TIME_WAIT included
  std::uint32_t ephemeral_size = 0;
  [[nodiscard]] double used_fraction() const {
    return ephemeral_size ? static_cast<double>(connections) / ephemeral_size : 0;
  }
};

struct SocketStats {
  // [proto][state] counts, state by SocketState number.
  std::array<std::array<std::uint32_t, 13>, 2> by_state{};
  std::uint32_t total_tcp = 0;
  std::uint32_t total_udp = 0;
  std::vector<PortPressure> pressure;  // destinations with the most local ports, descending
  PortRange ephemeral;
};

// Pure: counts and the ephemeral-port pressure per destination.
SocketStats compute_stats(const std::vector<SocketRecord>& sockets, const HostPortConfig& host,
                          std::size_t top_destinations);

}  // namespace portkit

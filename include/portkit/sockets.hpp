#pragma once
// `ls`, `who` and `stats` over the inventory: filters, owners, users, and the views.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "portkit/inventory.hpp"
#include "portkit/ranges.hpp"

namespace portkit {

struct SocketFilter {
  bool all_states = false;            // -a; default: listening TCP and unconnected UDP
  std::uint32_t states = 0;           // --state: bit per SocketState (0 = not given)
  std::vector<PortRange> any_port;    // --port: local or peer
  std::vector<PortRange> local_port;  // --sport
  std::vector<PortRange> peer_port;   // --dport
  std::optional<int> pid;
  std::optional<std::string> user;     // name or uid
  std::optional<std::string> process;  // command name
};

// ss's state names and groups: a state, or all, connected, synchronized, bucket, big.
Result<std::uint32_t> parse_state_filter(std::string_view text);

struct SocketRow {
  SocketRecord socket;
  std::vector<const ProcessInfo*> processes;  // owned by SocketListing::owners
  std::string_view user;                      // interned for the life of the process
  std::string_view service;                   // from the compiled-in registry
  std::string_view netns;  // empty for this host\'s namespace; else its name or net:[inode]
  Exposure exposure = Exposure::one_address;
};

struct SocketListing {
  std::vector<SocketRow> rows;
  std::shared_ptr<const Owners> owners;
  InventoryBackend backend = InventoryBackend::netlink;
  bool owners_shown = false;
  bool owners_hidden_for_lack_of_privilege = false;
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

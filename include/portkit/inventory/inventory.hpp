#pragma once
// Local sockets: records from netlink NETLINK_SOCK_DIAG (what ss uses) or /proc/net, and the
// processes that own them. Decoding is pure (bytes or text in, records out); src/sys-style
// fetching lives in inventory_sys.cpp.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "portkit/base/proto.hpp"
#include "portkit/base/result.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {

// Kernel TCP state numbers (include/net/tcp_states.h); UDP uses ESTABLISHED and CLOSE.
enum class SocketState : std::uint8_t {
  established = 1,
  syn_sent,
  syn_recv,
  fin_wait1,
  fin_wait2,
  time_wait,
  close,
  close_wait,
  last_ack,
  listen,
  closing,
  new_syn_recv,
};

// "LISTEN", "ESTABLISHED", "TIME_WAIT"... as the issue and netstat name them; an unconnected
// UDP socket is "UNCONN" as ss says.
std::string_view socket_state_name(SocketState state, Proto proto);
std::optional<SocketState> parse_socket_state(std::string_view name, Proto proto);

// TCP's own view of a connection (struct tcp_info, INET_DIAG_INFO), as `ss -i` shows it.
struct TcpInfo {
  double rtt_ms = 0;              // smoothed round-trip time
  double rttvar_ms = 0;           // its variation
  std::uint32_t cwnd = 0;         // congestion window, in segments
  std::uint32_t ssthresh = 0;     // slow-start threshold (kernel's "infinite" is 2^31 - 1)
  std::uint32_t mss = 0;          // sender's maximum segment size
  std::uint32_t retransmits = 0;  // segments retransmitted over the connection's life
  std::uint64_t bytes_sent = 0;   // including retransmissions
  std::uint64_t bytes_acked = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t delivery_rate = 0;    // bytes per second, the kernel's latest estimate
  std::uint32_t last_send_ms = 0;     // since data was last sent
  std::uint32_t last_receive_ms = 0;  // since data was last received
};

// Socket memory (INET_DIAG_SKMEMINFO), ss -m's skmem:(r,rb,t,tb,f,w,o,bl,d).
struct SocketMemory {
  std::uint32_t receive_allocated = 0;  // r: bytes held for received data
  std::uint32_t receive_buffer = 0;     // rb: its limit
  std::uint32_t send_allocated = 0;     // t: bytes held for data being sent
  std::uint32_t send_buffer = 0;        // tb: its limit
  std::uint32_t forward_allocated = 0;  // f: memory reserved but not used yet
  std::uint32_t send_queued = 0;        // w: queued for sending
  std::uint32_t option_memory = 0;      // o
  std::uint32_t backlog = 0;            // bl: packets waiting while the socket was busy
  std::uint32_t drops = 0;              // d: packets dropped before reaching the socket
};

// What -i and -m ask the kernel for; absent unless asked (a dump of 40k sockets stays small).
struct SocketDetails {
  std::optional<TcpInfo> tcp;
  std::optional<SocketMemory> memory;
};

struct SocketRecord {
  Proto proto = Proto::tcp;
  IpAddress local;
  std::uint16_t local_port = 0;
  IpAddress peer;
  std::uint16_t peer_port = 0;
  SocketState state = SocketState::close;
  std::uint32_t uid = 0;
  std::uint64_t inode = 0;
  std::uint32_t receive_queue = 0;
  std::uint32_t send_queue = 0;
  std::shared_ptr<const SocketDetails> details;  // netlink, with InventoryQuery's info/memory
};

// One netlink message payload (struct inet_diag_msg and its attributes).
std::optional<SocketRecord> parse_inet_diag_message(std::span<const std::uint8_t> payload,
                                                    Proto proto);

// /proc/net/{tcp,tcp6,udp,udp6} text; lines that do not parse are skipped.
std::vector<SocketRecord> parse_proc_net(std::string_view text, Proto proto, bool is_v6);

// Sockets in use from /proc/net/sockstat{,6} text (TCP and UDP in use, TIME_WAIT): a size
// hint, so the dump's records are allocated once instead of copied as they grow.
std::size_t parse_sockstat_sockets(std::string_view text);
// The same read from this host's /proc/net/sockstat and sockstat6; 0 when unreadable.
std::size_t sockets_in_use();

enum class InventoryBackend : std::uint8_t { automatic, netlink, procfs };

struct InventoryQuery {
  bool tcp = true;
  bool udp = true;
  bool ipv4 = true;
  bool ipv6 = true;
  std::uint32_t tcp_states = ~0u;  // bit per SocketState: ask the kernel only for these
  InventoryBackend backend = InventoryBackend::automatic;
  // Netlink only: the kernel returns only sockets whose local port is in one of these (the
  // caller still filters; /proc has no such filter).
  std::vector<PortRange> local_ports;
  // Netlink only: a further filter the kernel applies (joined to local_ports by "and"); the
  // caller still filters.
  std::vector<std::uint8_t> bytecode;
  // Netlink only: ask for TCP's tcp_info (ls -i) and socket memory (ls -m) with each socket.
  bool tcp_info = false;
  bool memory = false;
};

// inet_diag bytecode (INET_DIAG_REQ_BYTECODE) accepting a local port in any of `ranges`;
// empty for no ranges. At most a few thousand ranges fit the 16-bit jumps.
std::vector<std::uint8_t> local_port_bytecode(std::span<const PortRange> ranges);

// Pieces of inet_diag bytecode and ss's way of joining them. A program accepts a socket by
// running off its end and rejects it by jumping 4 bytes past it; a condition falls through
// when true and jumps when false. Jumps are 16 bits: the joins refuse (nullopt) a program
// past kMaxBytecode bytes.
namespace diag_bytecode {
using Program = std::vector<std::uint8_t>;
constexpr std::size_t kMaxBytecode = 16384;
enum class End : std::uint8_t { local, peer };
enum class PortOp : std::uint8_t { at_least, at_most, equal };
Program port_condition(End end, PortOp op, std::uint16_t port);
std::optional<Program> all_of(const Program& first, const Program& second);
std::optional<Program> any_of(const Program& first, const Program& second);
std::optional<Program> negation(const Program& program);
}  // namespace diag_bytecode

struct Inventory {
  std::vector<SocketRecord> sockets;
  InventoryBackend used = InventoryBackend::netlink;
};

Result<Inventory> read_inventory(const InventoryQuery& query);

// Closes one socket as `ss -K` does (netlink SOCK_DESTROY): a TCP connection is aborted (its
// peer gets a reset, its owner ECONNABORTED). Needs CAP_NET_ADMIN and a kernel built with
// CONFIG_INET_DIAG_DESTROY; the error says which of them is missing, or that the socket is gone.
Result<bool> destroy_socket(const SocketRecord& socket);

// Each socket as the kernel reports it, kept nowhere: the streaming form of read_inventory.
using SocketVisitor = std::function<void(const SocketRecord&)>;
Result<InventoryBackend> visit_inventory(const InventoryQuery& query, const SocketVisitor& visit);

// The sockets of every other network namespace on the host, found through /proc/PID/ns/net
// and /run/netns (needs CAP_SYS_ADMIN to enter them). Named after /run/netns where a name
// exists, else "net:[INODE]".
struct NamespaceInventory {
  std::string name;
  Inventory inventory;
};
Result<std::vector<NamespaceInventory>> read_other_namespaces(const InventoryQuery& query);

struct ProcessInfo {
  int pid = 0;
  std::string command;  // /proc/PID/comm
  std::string cmdline;
  std::string container;  // short container id from the cgroup, if any
};

struct Owners {
  struct Entry {
    std::uint64_t inode = 0;
    std::uint32_t first = 0;  // into owner_list
    std::uint32_t count = 0;
  };
  // Each process described once (a node map keeps the addresses stable); per socket inode,
  // sorted, a run of owner_list (several processes when a socket is shared after fork).
  std::unordered_map<int, ProcessInfo> processes;
  std::vector<Entry> by_inode;
  std::vector<const ProcessInfo*> owner_list;
  bool hidden_for_lack_of_privilege = false;  // some /proc/PID/fd could not be read

  Owners() = default;
  Owners(const Owners&) = delete;  // owner_list points into processes
  Owners& operator=(const Owners&) = delete;
  Owners(Owners&&) = default;
  Owners& operator=(Owners&&) = default;

  // Empty when no process we can see holds it.
  [[nodiscard]] std::span<const ProcessInfo* const> find(std::uint64_t inode) const;
};

// One pass over /proc/*/fd on every usable core. No wanted inodes means every socket. With
// `stop_when_all_found` the walk stops once each socket has an owner, then looks only at those
// owners' ancestors and descendants for further owners (sockets are shared after fork).
Owners find_owners(std::span<const std::uint64_t> wanted_inodes, bool stop_when_all_found = false);

// Owners remembered between calls (the exporter asks every scrape): a remembered owner is
// checked with one readlink of its fd, and only sockets that are new or moved cost a walk,
// which stops once they are all found. Sockets no process holds are remembered as such.
class OwnerCache {
 public:
  struct Location {
    int pid = 0;
    int fd = -1;
  };
  Owners find(std::span<const std::uint64_t> inodes);

 private:
  std::unordered_map<std::uint64_t, std::vector<Location>> known_;
  bool hidden_ = false;
};

// Container id from /proc/PID/cgroup text (docker, containerd, cri-o, podman); empty if none.
std::string container_from_cgroup(std::string_view cgroup_text);

}  // namespace portkit

// The kernel side of the inventory: a NETLINK_SOCK_DIAG dump (libmnl), or /proc/net text.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "portkit/inventory/inventory.hpp"
#include "sys/file.hpp"

namespace portkit {
namespace {

struct SocketCloser {
  void operator()(mnl_socket* socket) const { mnl_socket_close(socket); }
};
using NetlinkSocket = std::unique_ptr<mnl_socket, SocketCloser>;

// A NETLINK_SOCK_DIAG socket bound to a port of its own: the dump and SOCK_DESTROY both talk
// to the kernel through one.
Result<NetlinkSocket> open_sock_diag() {
  NetlinkSocket socket(mnl_socket_open(NETLINK_SOCK_DIAG));
  if (!socket) return make_error(std::string("netlink socket: ") + std::strerror(errno), errno);
  if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return make_error(std::string("netlink bind: ") + std::strerror(errno), errno);
  }
  return socket;
}

struct DumpContext {
  Proto proto;
  const SocketVisitor* visit;
};

int on_message(const nlmsghdr* header, void* data) {
  auto* context = static_cast<DumpContext*>(data);
  const auto* payload = static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(header));
  const auto length = mnl_nlmsg_get_payload_len(header);
  if (auto record = parse_inet_diag_message({payload, length}, context->proto)) {
    (*context->visit)(*record);
  }
  return MNL_CB_OK;
}

// `family` AF_UNSPEC (TCP only) asks for IPv4 and IPv6 at once through the older
// TCPDIAG_GETSOCK request: the kernel walks its one TCP hash table once instead of once per
// family, which is most of the dump's cost when there are tens of thousands of sockets.
Result<bool> dump(mnl_socket* socket, std::uint8_t family, Proto proto, const InventoryQuery& query,
                  std::span<const std::uint8_t> bytecode, const SocketVisitor& visit) {
  const auto states = query.tcp_states;
  // Extensions are bits (1 << (attribute - 1)) of idiag_ext.
  std::uint8_t extensions = 0;
  if (query.tcp_info && proto == Proto::tcp) extensions |= 1U << (INET_DIAG_INFO - 1);
  if (query.memory) extensions |= 1U << (INET_DIAG_SKMEMINFO - 1);
  // Sized for the filter: ~20 bytes a port range, thousands of ranges (a fixed page overflowed).
  std::vector<std::uint64_t> request(
      (MNL_NLMSG_HDRLEN + sizeof(inet_diag_req_v2) + MNL_ATTR_HDRLEN + bytecode.size()) / 8 + 8);
  auto* header = mnl_nlmsg_put_header(request.data());
  header->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  const auto sequence = static_cast<unsigned>(time(nullptr)) + family * 2 + (proto == Proto::udp);
  header->nlmsg_seq = sequence;
  if (family == AF_UNSPEC) {
    header->nlmsg_type = TCPDIAG_GETSOCK;
    auto* diag =
        static_cast<inet_diag_req*>(mnl_nlmsg_put_extra_header(header, sizeof(inet_diag_req)));
    diag->idiag_states = states;
    diag->idiag_ext = extensions;
  } else {
    header->nlmsg_type = SOCK_DIAG_BY_FAMILY;
    auto* diag = static_cast<inet_diag_req_v2*>(
        mnl_nlmsg_put_extra_header(header, sizeof(inet_diag_req_v2)));
    diag->sdiag_family = family;
    diag->sdiag_protocol = proto == Proto::tcp ? IPPROTO_TCP : IPPROTO_UDP;
    diag->idiag_states = states;
    diag->idiag_ext = extensions;
  }
  if (!bytecode.empty()) {
    mnl_attr_put(header, INET_DIAG_REQ_BYTECODE, bytecode.size(), bytecode.data());
  }
  if (mnl_socket_sendto(socket, header, header->nlmsg_len) < 0) {
    return make_error(std::string("netlink send: ") + std::strerror(errno), errno);
  }
  const auto port_id = mnl_socket_get_portid(socket);
  // Big reads: a dump of tens of thousands of sockets arrives in few system calls.
  static thread_local std::vector<char> buffer(1 << 17);
  DumpContext context{proto, &visit};
  while (true) {
    const auto got = mnl_socket_recvfrom(socket, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return make_error(std::string("netlink receive: ") + std::strerror(errno), errno);
    }
    const int status = mnl_cb_run(buffer.data(), static_cast<size_t>(got), sequence, port_id,
                                  on_message, &context);
    if (status == MNL_CB_STOP) return true;
    if (status == MNL_CB_ERROR) {
      return make_error(std::string("netlink dump: ") + std::strerror(errno), errno);
    }
  }
}

Result<bool> visit_netlink(const InventoryQuery& query, const SocketVisitor& visit) {
  auto opened = open_sock_diag();
  if (!opened) return opened.error();
  auto& socket = *opened;
  // 16-bit jumps: beyond ~3,000 ranges the caller's own filter does the work alone.
  auto bytecode = query.local_ports.size() <= 3000 ? local_port_bytecode(query.local_ports)
                                                   : std::vector<std::uint8_t>{};
  if (bytecode.empty()) {
    bytecode = query.bytecode;
  } else if (!query.bytecode.empty()) {
    // Both, or (past the jumps' reach) the ports alone: the caller filters again anyway.
    if (auto both = diag_bytecode::all_of(bytecode, query.bytecode)) bytecode = std::move(*both);
  }
  const auto run = [&](std::uint8_t family, Proto proto) {
    return dump(socket.get(), family, proto, query, bytecode, visit);
  };
  if (query.tcp) {
    if (query.ipv4 && query.ipv6) {
      auto done = run(AF_UNSPEC, Proto::tcp);
      // A kernel without the older request answers EINVAL/ENOENT: one dump per family then.
      if (!done && !run(AF_INET, Proto::tcp)) return done.error();
      if (!done && !run(AF_INET6, Proto::tcp)) return done.error();
    } else {
      auto done = run(query.ipv4 ? AF_INET : AF_INET6, Proto::tcp);
      if (!done) return done.error();
    }
  }
  if (query.udp) {
    for (const auto family : {std::uint8_t{AF_INET}, std::uint8_t{AF_INET6}}) {
      if ((family == AF_INET && !query.ipv4) || (family == AF_INET6 && !query.ipv6)) continue;
      auto done = run(family, Proto::udp);
      if (!done) return done.error();
    }
  }
  return true;
}

Result<bool> visit_procfs(const InventoryQuery& query, const SocketVisitor& visit) {
  for (const auto& [name, proto, is_v6] :
       {std::tuple{"tcp", Proto::tcp, false}, std::tuple{"tcp6", Proto::tcp, true},
        std::tuple{"udp", Proto::udp, false}, std::tuple{"udp6", Proto::udp, true}}) {
    if ((proto == Proto::tcp && !query.tcp) || (proto == Proto::udp && !query.udp)) continue;
    if ((is_v6 && !query.ipv6) || (!is_v6 && !query.ipv4)) continue;
    const auto text = sys::read_text_file(std::string("/proc/net/") + name);
    if (!text) {
      if (text.error().sys_errno == ENOENT) continue;  // no IPv6 on this host
      return text.error();
    }
    for (auto& record : parse_proc_net(*text, proto, is_v6)) {
      if (query.tcp_states & (1u << static_cast<unsigned>(record.state))) visit(record);
    }
  }
  return true;
}

Inventory with_reserved_room() {
  // Untouched capacity costs no memory; copying tens of thousands of records as the vector
  // grows does, and showed in profiles.
  Inventory inventory;
  const auto expected = sockets_in_use();
  inventory.sockets.reserve(expected + expected / 8 + 256);
  return inventory;
}

std::optional<std::uint64_t> namespace_inode(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return info.st_ino;
}

}  // namespace

std::size_t sockets_in_use() {
  std::size_t total = 0;
  for (const char* path : {"/proc/net/sockstat", "/proc/net/sockstat6"}) {
    if (const auto text = sys::read_text_file(path)) total += parse_sockstat_sockets(*text);
  }
  return total;
}

Result<std::vector<NamespaceInventory>> read_other_namespaces(const InventoryQuery& query) {
  const auto own = namespace_inode("/proc/self/ns/net");
  if (!own)
    return make_error("cannot read /proc/self/ns/net: " + std::string(std::strerror(errno)), errno);
  std::map<std::uint64_t, std::string> names;  // inode -> /run/netns name
  std::map<std::uint64_t, std::string> paths;  // inode -> a path that enters it
  if (DIR* dir = opendir("/run/netns")) {
    while (const auto* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      const auto path = std::string("/run/netns/") + entry->d_name;
      if (const auto inode = namespace_inode(path)) {
        names.emplace(*inode, entry->d_name);
        paths.emplace(*inode, path);
      }
    }
    closedir(dir);
  }
  if (DIR* proc = opendir("/proc")) {
    while (const auto* entry = readdir(proc)) {
      if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
      const auto path = std::string("/proc/") + entry->d_name + "/ns/net";
      if (const auto inode = namespace_inode(path)) paths.emplace(*inode, path);
    }
    closedir(proc);
  }
  std::vector<NamespaceInventory> found;
  for (const auto& [inode, entry_path] : paths) {
    if (inode == *own) continue;
    const std::string path = entry_path;  // clang 14 cannot capture a structured binding
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // the process ended, or no permission
    const sys::Fd namespace_fd(fd);
    // setns changes only the calling thread, so a short-lived thread enters the namespace
    // and the netlink socket it opens there sees that namespace's sockets.
    Result<Inventory> inventory = make_error("not entered");
    std::thread visitor([&] {
      if (::setns(namespace_fd.get(), CLONE_NEWNET) != 0) {
        inventory = make_error("cannot enter " + path + ": " + std::strerror(errno), errno);
        return;
      }
      Inventory seen;
      seen.used = InventoryBackend::netlink;
      auto done =
          visit_netlink(query, [&](const SocketRecord& socket) { seen.sockets.push_back(socket); });
      if (done) {
        inventory = std::move(seen);
      } else {
        inventory = done.error();
      }
    });
    visitor.join();
    if (!inventory) {
      if (inventory.error().sys_errno == EPERM) return inventory.error();
      continue;
    }
    const auto name = names.count(inode) ? names[inode] : "net:[" + std::to_string(inode) + "]";
    found.push_back({name, std::move(inventory).value()});
  }
  return found;
}

Result<InventoryBackend> visit_inventory(const InventoryQuery& query, const SocketVisitor& visit) {
  if (query.backend == InventoryBackend::procfs) {
    auto done = visit_procfs(query, visit);
    if (!done) return done.error();
    return InventoryBackend::procfs;
  }
  std::size_t visited = 0;
  auto netlink = visit_netlink(query, [&](const SocketRecord& socket) {
    ++visited;
    visit(socket);
  });
  if (netlink) return InventoryBackend::netlink;
  // Netlink unavailable (old kernel, seccomp): fall back, unless sockets were already given.
  if (query.backend == InventoryBackend::netlink || visited > 0) return netlink.error();
  auto done = visit_procfs(query, visit);
  if (!done) return done.error();
  return InventoryBackend::procfs;
}

Result<bool> destroy_socket(const SocketRecord& socket) {
  auto opened = open_sock_diag();
  if (!opened) return opened.error();
  auto& netlink = *opened;
  std::array<std::uint64_t, 64> request{};
  auto* header = mnl_nlmsg_put_header(request.data());
  header->nlmsg_type = SOCK_DESTROY;
  header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  header->nlmsg_seq = static_cast<unsigned>(time(nullptr));
  auto* diag =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(header, sizeof(inet_diag_req_v2)));
  const bool is_v6 = socket.local.is_v6;
  diag->sdiag_family = is_v6 ? AF_INET6 : AF_INET;
  diag->sdiag_protocol = socket.proto == Proto::tcp ? IPPROTO_TCP : IPPROTO_UDP;
  diag->idiag_states = ~0U;
  diag->id.idiag_sport = htons(socket.local_port);
  diag->id.idiag_dport = htons(socket.peer_port);
  std::memcpy(diag->id.idiag_src, socket.local.bytes.data(), is_v6 ? 16 : 4);
  std::memcpy(diag->id.idiag_dst, socket.peer.bytes.data(), is_v6 ? 16 : 4);
  // No cookie: the kernel finds the socket by its addresses and ports, as ss -K's does.
  diag->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  diag->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  if (mnl_socket_sendto(netlink.get(), header, header->nlmsg_len) < 0) {
    return make_error(std::string("netlink send: ") + std::strerror(errno), errno);
  }
  std::array<char, 8192> buffer;
  const auto got = mnl_socket_recvfrom(netlink.get(), buffer.data(), buffer.size());
  if (got < 0) return make_error(std::string("netlink receive: ") + std::strerror(errno), errno);
  const int status = mnl_cb_run(buffer.data(), static_cast<size_t>(got), header->nlmsg_seq,
                                mnl_socket_get_portid(netlink.get()), nullptr, nullptr);
  if (status != MNL_CB_ERROR) return true;
  const int error = errno;
  switch (error) {
    case EPERM:
    case EACCES:
      return make_error("the kernel refused: closing sockets needs CAP_NET_ADMIN (root)", error);
    case EOPNOTSUPP:
      return make_error(
          "the kernel refused: it cannot close sockets (built without CONFIG_INET_DIAG_DESTROY)",
          error);
    case ENOENT:
      return make_error("the socket is already gone", error);
    default:
      return make_error(std::string("the kernel refused: ") + std::strerror(error), error);
  }
}

Result<Inventory> read_inventory(const InventoryQuery& query) {
  auto inventory = with_reserved_room();
  auto used = visit_inventory(
      query, [&](const SocketRecord& socket) { inventory.sockets.push_back(socket); });
  if (!used) return used.error();
  inventory.used = *used;
  return inventory;
}

}  // namespace portkit

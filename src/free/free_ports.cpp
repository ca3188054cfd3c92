#include "portkit/free/free_ports.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "portkit/registry/registry.hpp"

namespace portkit {

void SocketHolder::close_all() {
  for (const int fd : fds_) ::close(fd);
  fds_.clear();
}

std::vector<std::uint16_t> free_port_candidates(const FreeQuery& query, const HostPortConfig& host,
                                                std::mt19937_64& random, FreeExclusions* left_out) {
  FreeExclusions ignored;
  auto& excluded = left_out != nullptr ? *left_out : ignored;
  const bool default_range = query.ranges.empty();
  // Asked for ports near one inside the ephemeral range, the user has chosen that region.
  const bool skip_ephemeral = default_range && !(query.near && host.in_ephemeral(*query.near));
  const std::vector<PortRange> ranges =
      default_range ? std::vector<PortRange>{{1024, 65535}} : query.ranges;
  std::vector<bool> seen(65536, false);
  // Ports of the knowledge base for the wanted transports, marked once (a registry query per
  // candidate costs more than the whole search).
  std::vector<bool> known(65536, false);
  if (query.skip_known_services) {
    const ProtoMask wanted_protocols = (query.tcp ? kProtoTcp : 0) | (query.udp ? kProtoUdp : 0);
    for (const auto& entry : registry::curated()) {
      if (!(entry.protocols & wanted_protocols)) continue;
      for (std::uint32_t port = entry.ports.low; port <= entry.ports.high; ++port)
        known[port] = true;
    }
  }
  std::vector<std::uint16_t> ports;
  for (const auto range : ranges) {
    for (std::uint32_t port = std::max<std::uint32_t>(range.low, 1); port <= range.high; ++port) {
      const auto p = static_cast<std::uint16_t>(port);
      if (seen[p]) continue;
      seen[p] = true;
      if (host.is_reserved(p)) {
        ++excluded.reserved;
      } else if (skip_ephemeral && host.in_ephemeral(p)) {
        ++excluded.ephemeral;
      } else if (known[p]) {
        if (excluded.known_examples.size() < 3) excluded.known_examples.push_back(p);
        ++excluded.known_services;
      } else {
        ports.push_back(p);
      }
    }
  }
  if (query.near) {
    const int near = *query.near;
    std::stable_sort(ports.begin(), ports.end(), [near](std::uint16_t a, std::uint16_t b) {
      return std::abs(int{a} - near) < std::abs(int{b} - near);
    });
  } else if (query.order == FreeOrder::random) {
    std::shuffle(ports.begin(), ports.end(), random);
  } else {
    std::sort(ports.begin(), ports.end());
  }
  return ports;
}

namespace {

struct BindAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool v6_only = false;
};

// No address given: [::] dual-stack, which conflicts with any IPv4 or IPv6 use of the port;
// 0.0.0.0 when the host has IPv6 off.
BindAddress bind_address(const std::optional<IpAddress>& address, std::uint16_t port,
                         bool ipv6_available) {
  BindAddress bind;
  if (address ? !address->is_v6 : !ipv6_available) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&bind.storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    if (address) std::memcpy(&v4->sin_addr, address->bytes.data(), 4);  // else INADDR_ANY (0)
    bind.length = sizeof(sockaddr_in);
    return bind;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&bind.storage);
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(port);
  if (address) std::memcpy(&v6->sin6_addr, address->bytes.data(), 16);
  bind.length = sizeof(sockaddr_in6);
  bind.v6_only = address.has_value();
  return bind;
}

// A bound socket, or -1 with errno set.
int bind_socket(const BindAddress& address, int type) {
  const int fd = ::socket(address.storage.ss_family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (address.storage.ss_family == AF_INET6) {
    const int v6_only = address.v6_only ? 1 : 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof v6_only);
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

bool ipv6_available() {
  const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace

Result<FreeResult> find_free_ports(const FreeQuery& query, const HostPortConfig& host, bool hold) {
  std::random_device seed;
  std::mt19937_64 random(seed());
  FreeResult result;
  const bool has_v6 = ipv6_available();
  for (const auto port : free_port_candidates(query, host, random, &result.left_out)) {
    if (result.ports.size() >= query.count) break;
    ++result.tried;
    FreePort found{port, {}};
    const auto address = bind_address(query.address, port, has_v6);
    bool all_bound = true;
    for (const int type : {SOCK_STREAM, SOCK_DGRAM}) {
      if ((type == SOCK_STREAM && !query.tcp) || (type == SOCK_DGRAM && !query.udp)) continue;
      const int fd = bind_socket(address, type);
      if (fd < 0) {
        if (errno == EADDRINUSE || errno == EACCES) {
          all_bound = false;
          break;
        }
        if (errno == EADDRNOTAVAIL)
          return make_error("cannot bind to that address: it is not on this host", errno);
        if (errno == EMFILE || errno == ENFILE)
          return make_error("out of file descriptors while holding ports", errno);
        return make_error(std::string("bind failed: ") + std::strerror(errno), errno);
      }
      found.holder.add(fd);
    }
    if (!all_bound) continue;
    if (!hold) found.holder.close_all();
    result.ports.push_back(std::move(found));
  }
  return result;
}

std::string describe_shortfall(const FreeResult& result, std::size_t wanted) {
  std::vector<std::string> reasons;
  const auto in_use = result.tried - result.ports.size();
  if (in_use > 0) reasons.push_back(fmt::format("{} in use", in_use));
  const auto& left_out = result.left_out;
  if (left_out.known_services > 0) {
    std::string examples;
    for (const auto port : left_out.known_examples) {
      auto name = registry::service_name(port, Proto::tcp);
      if (name.empty()) name = registry::service_name(port, Proto::udp);
      examples += fmt::format("{}{} ({})", examples.empty() ? "" : ", ", port, name);
    }
    if (left_out.known_services > left_out.known_examples.size()) examples += ", ...";
    reasons.push_back(
        left_out.known_services == 1
            ? fmt::format("{} left out as a known service: --include-known offers it", examples)
            : fmt::format("{} ports of known services left out, {}: --include-known "
                          "offers them",
                          left_out.known_services, examples));
  }
  if (left_out.reserved > 0) {
    reasons.push_back(
        fmt::format("{} reserved (net.ipv4.ip_local_reserved_ports)", left_out.reserved));
  }
  if (left_out.ephemeral > 0) {
    reasons.push_back(
        fmt::format("{} in the ephemeral range (give --range to search it)", left_out.ephemeral));
  }
  std::string text = fmt::format("found {} of {} free ports", result.ports.size(), wanted);
  if (!reasons.empty()) text += " (" + fmt::format("{}", fmt::join(reasons, "; ")) + ")";
  return text;
}

}  // namespace portkit

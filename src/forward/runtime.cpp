#include "forward/runtime.hpp"

#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace portkit::forward {
namespace {

// A target that failed is tried last for this long (it is still tried when all fail).
constexpr auto kDownTime = std::chrono::seconds(2);

}  // namespace

Result<std::vector<Upstream>> resolve_upstreams(const ForwardRule& rule) {
  std::vector<Upstream> upstreams;
  for (const auto& target : rule.targets) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = rule.proto == Proto::udp ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = target.host.kind == HostKind::name ? 0 : AI_NUMERICHOST;
    addrinfo* found = nullptr;
    const auto port_text = std::to_string(target.port);
    const int status = ::getaddrinfo(target.host.text.c_str(), port_text.c_str(), &hints, &found);
    const auto configured = format_endpoint(target.host, target.port);
    if (status != 0) {
      return make_error("cannot resolve target " + configured + ": " + ::gai_strerror(status));
    }
    for (const auto* entry = found; entry; entry = entry->ai_next) {
      Upstream upstream;
      std::memcpy(&upstream.address, entry->ai_addr, entry->ai_addrlen);
      upstream.length = entry->ai_addrlen;
      upstream.name = target.host.kind == HostKind::name
                          ? configured + " (" + endpoint_text(upstream.address) + ")"
                          : configured;
      const bool duplicate =
          std::any_of(upstreams.begin(), upstreams.end(), [&](const Upstream& u) {
            return u.length == upstream.length &&
                   std::memcmp(&u.address, &upstream.address, u.length) == 0;
          });
      if (!duplicate) upstreams.push_back(std::move(upstream));
    }
    ::freeaddrinfo(found);
  }
  return upstreams;
}

std::vector<std::size_t> RuleState::upstream_order(Clock::time_point now) {
  std::vector<std::size_t> order(upstreams.size());
  const std::size_t start = rule.settings.balance == Balance::round_robin && !upstreams.empty()
                                ? next_upstream++ % upstreams.size()
                                : 0;
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = (start + i) % upstreams.size();
  std::stable_partition(order.begin(), order.end(),
                        [&](std::size_t index) { return upstreams[index].down_until <= now; });
  return order;
}

void RuleState::mark_down(std::size_t index, Clock::time_point now) {
  if (index < upstreams.size()) upstreams[index].down_until = now + kDownTime;
}

IpAddress ip_of(const sockaddr_storage& address) {
  IpAddress ip;
  if (address.ss_family == AF_INET6) {
    ip.is_v6 = true;
    std::memcpy(ip.bytes.data(), &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, 16);
  } else {
    std::memcpy(ip.bytes.data(), &reinterpret_cast<const sockaddr_in&>(address).sin_addr, 4);
  }
  return unmap_v4(ip);
}

std::uint16_t port_of(const sockaddr_storage& address) {
  return ntohs(address.ss_family == AF_INET6
                   ? reinterpret_cast<const sockaddr_in6&>(address).sin6_port
                   : reinterpret_cast<const sockaddr_in&>(address).sin_port);
}

std::string endpoint_text(const sockaddr_storage& address) {
  const auto ip = ip_of(address);
  const auto text = ip.to_string();
  return (ip.is_v6 ? "[" + text + "]" : text) + ":" + std::to_string(port_of(address));
}

}  // namespace portkit::forward

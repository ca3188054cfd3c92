#pragma once
// IpAddress <-> sockaddr for the scanner's own sockets (connects, raw TCP and ICMP), and the
// byte key its hash maps find a host by.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "portkit/spec/spec.hpp"

namespace portkit {

inline socklen_t sockaddr_of(const IpAddress& address, std::uint16_t port,
                             sockaddr_storage& storage) {
  std::memset(&storage, 0, sizeof storage);
  if (address.is_v6) {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&v6.sin6_addr, address.bytes.data(), 16);
    return sizeof v6;
  }
  auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  std::memcpy(&v4.sin_addr, address.bytes.data(), 4);
  return sizeof v4;
}

inline IpAddress address_of(const sockaddr_storage& storage) {
  IpAddress address;
  if (storage.ss_family == AF_INET6) {
    address.is_v6 = true;
    std::memcpy(address.bytes.data(), &reinterpret_cast<const sockaddr_in6&>(storage).sin6_addr,
                16);
  } else {
    std::memcpy(address.bytes.data(), &reinterpret_cast<const sockaddr_in&>(storage).sin_addr, 4);
  }
  return address;
}

// The address's bytes (4 or 16), as a hash key.
inline std::string address_key(const IpAddress& address) {
  return {reinterpret_cast<const char*>(address.bytes.data()), address.is_v6 ? 16u : 4u};
}

}  // namespace portkit

#pragma once
// Sockets the operations tests hold open on purpose (listeners tagged as databases, ports a
// free-port search must skip).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace portkit::testing_support {

class HeldSocket {
 public:
  // Binds ADDRESS:PORT (numeric, IPv4 or IPv6; port 0 = any) and listens when TCP.
  HeldSocket(const std::string& address, int port, int type = SOCK_STREAM) {
    const bool v6 = address.find(':') != std::string::npos;
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (v6) {
      const int one = 1;
      ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(static_cast<std::uint16_t>(port));
      ::inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr);
      length = sizeof *sin6;
    } else {
      auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
      sin->sin_family = AF_INET;
      sin->sin_port = htons(static_cast<std::uint16_t>(port));
      ::inet_pton(AF_INET, address.c_str(), &sin->sin_addr);
      length = sizeof *sin;
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
        (type == SOCK_STREAM && ::listen(fd_, 16) != 0)) {
      ::close(fd_);
      throw std::runtime_error("cannot hold " + address + ":" + std::to_string(port));
    }
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length);
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  }
  ~HeldSocket() { ::close(fd_); }
  HeldSocket(const HeldSocket&) = delete;
  HeldSocket& operator=(const HeldSocket&) = delete;
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Whether PORT can be bound right now on every address (no SO_REUSEADDR).
inline bool bindable(int port, int type = SOCK_STREAM) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace portkit::testing_support

#include "scan/connect_pool.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "scan/socket_address.hpp"

namespace portkit {
namespace {

constexpr int kEventsPerWait = 256;

bool is_loopback(const IpAddress& address) {
  static constexpr std::array<std::uint8_t, 16> kLoopback6{0, 0, 0, 0, 0, 0, 0, 0,
                                                           0, 0, 0, 0, 0, 0, 0, 1};
  return address.is_v6 ? address.bytes == kLoopback6 : address.bytes[0] == 127;
}

int make_pool_epoll() {
  const int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  return fd;
}

}  // namespace

ConnectPool::ConnectPool(asio::io_context& io, ReadyHandler on_ready)
    : epoll_fd_(make_pool_epoll()), watch_(io, epoll_fd_), on_ready_(std::move(on_ready)) {}

ConnectPool::~ConnectPool() {
  closing_ = true;
  asio::error_code ignored;
  watch_.close(ignored);  // closes epoll_fd_
}

int ConnectPool::connect(const IpAddress& address, std::uint16_t port, std::uint64_t key, int& fd) {
  sockaddr_storage storage;
  const auto length = sockaddr_of(address, port, storage);
  if (fd < 0) {
    fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    // Edge-triggered: a kept socket sits idle between probes, and level-triggered it would
    // report itself writable (closed) on every wait.
    epoll_event event{};
    event.events = EPOLLOUT | EPOLLET;
    event.data.u64 = key;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      const int error = errno;
      ::close(fd);
      fd = -1;
      return error;
    }
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&storage), length) == 0) return 0;
  const int error = errno;
  if (error != EINPROGRESS) return error;
  ++watched_;
  if (is_loopback(address)) {
    // On loopback the answer came back inside connect(): the peer's SYN-ACK or RST waits on
    // the socket's backlog, which the kernel runs as connect() releases the socket.
    if (const int outcome = collect(fd, address.is_v6); outcome != EALREADY) return outcome;
  }
  if (!armed_) arm();
  return EINPROGRESS;
}

int ConnectPool::collect(int fd, bool is_v6) {
  // A second connect() on a socket whose connect is under way reports how it ended, and on a
  // failure also disconnects it (Linux), so the socket can connect again. The address is not
  // looked at in that state, only its family.
  sockaddr_storage storage{};
  storage.ss_family = is_v6 ? AF_INET6 : AF_INET;
  const auto length = static_cast<socklen_t>(is_v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  const int outcome =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&storage), length) == 0 ? 0 : errno;
  if (outcome == EALREADY || outcome == EINPROGRESS) return EALREADY;
  stop_watching();
  return outcome == EISCONN ? 0 : outcome;
}

void ConnectPool::stop_watching() {
  if (watched_ > 0 && --watched_ == 0 && armed_) {
    // Nothing left to wait for: a pending wait would keep the loop from ever running dry.
    armed_ = false;
    ++arm_id_;
    asio::error_code ignored;
    watch_.cancel(ignored);
  }
}

int ConnectPool::take_error(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

bool ConnectPool::connected_to_itself(int fd) {
  sockaddr_storage local{};
  sockaddr_storage remote{};
  socklen_t local_length = sizeof local;
  socklen_t remote_length = sizeof remote;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) return false;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remote_length) != 0) return false;
  return local_length == remote_length && std::memcmp(&local, &remote, local_length) == 0;
}

void ConnectPool::close_socket(int fd, bool connected, bool watched) {
  if (fd < 0) return;
  if (watched) stop_watching();
  if (connected) {
    const linger reset{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  ::close(fd);
}

void ConnectPool::arm() {
  armed_ = true;
  const auto id = ++arm_id_;
  watch_.async_wait(asio::posix::stream_descriptor::wait_read,
                    [this, id](const asio::error_code& error) {
                      if (closing_ || id != arm_id_)
                        return;  // a cancelled wait, superseded by a newer one
                      armed_ = false;
                      if (error) return;
                      drain();
                      if (watched_ > 0 && !armed_) arm();
                    });
}

void ConnectPool::poll() {
  if (watched_ > 0) drain();
}

void ConnectPool::drain() {
  std::array<epoll_event, kEventsPerWait> events;
  for (;;) {
    const int count = epoll_wait(epoll_fd_, events.data(), kEventsPerWait, 0);
    if (count <= 0) return;
    for (int i = 0; i < count; ++i) {
      const auto& event = events[static_cast<std::size_t>(i)];
      on_ready_(event.data.u64, event.events);
    }
    if (count < kEventsPerWait) return;
  }
}

}  // namespace portkit

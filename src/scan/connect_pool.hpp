#pragma once
// The scanner's hot path: non-blocking TCP connects on raw sockets, watched by one epoll set
// that Asio's loop waits on. Measured on loopback, Asio's socket objects cost 9 syscalls per
// port (open + FIONBIO, register, modify, connect, poll, SO_ERROR, close); this costs 5
// (socket, connect, epoll_ctl, SO_ERROR, close), with one epoll_wait per batch of answers;
// on loopback, where the answer is there when connect() returns, 4 (socket, connect,
// SO_ERROR, close).
#include <sys/socket.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>

#include "portkit/spec.hpp"

namespace portkit {

class ConnectPool {
 public:
  // Called once per socket whose connect finished, with the key given to connect().
  using ReadyHandler = std::function<void(std::uint64_t key)>;

  ConnectPool(asio::io_context& io, ReadyHandler on_ready);
  ~ConnectPool();
  ConnectPool(const ConnectPool&) = delete;
  ConnectPool& operator=(const ConnectPool&) = delete;

  // Starts a connect. Returns 0 (connected at once), EINPROGRESS (watched: on_ready fires
  // with `key`), or the errno that ended it at once; `fd` is the socket, or -1 when socket()
  // itself failed.
  int connect(const IpAddress& address, std::uint16_t port, std::uint64_t key, int& fd);

  // Collects answers now: Asio's loop is edge-triggered, and an edge that comes while no wait
  // is pending is not repeated, so the scanner's sweep timer calls this as a safety net.
  void poll();

  // The outcome of a finished connect: 0 when connected, else the errno.
  static int take_error(int fd);
  // A connect to a port of this host from that same port (TCP simultaneous open) "succeeds"
  // with nobody listening.
  static bool connected_to_itself(int fd);
  // Closes a socket from connect(); a connected one with a reset, so that a scan leaves no
  // TIME_WAIT behind. `watched`: connect() returned EINPROGRESS for it.
  void close_socket(int fd, bool connected, bool watched);

 private:
  void arm();
  void drain();

  int epoll_fd_ = -1;
  asio::posix::stream_descriptor watch_;
  ReadyHandler on_ready_;
  std::size_t watched_ = 0;  // the loop waits on the epoll set only while it watches sockets
  bool armed_ = false;
  unsigned arm_id_ = 0;
  bool closing_ = false;
};

}  // namespace portkit

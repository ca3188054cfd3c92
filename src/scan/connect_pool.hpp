#pragma once
// The scanner's hot path: non-blocking TCP connects on raw sockets, watched by one epoll set
// that Asio's loop waits on. A socket whose connect was answered with a refusal is reset by
// a second connect() call, which also hands over the outcome, and then connects again to the
// next port: a closed port costs 2 system calls (connect, connect) instead of 5 (socket,
// epoll add, connect, SO_ERROR, close), and its socket stays in the epoll set. Sockets that
// connected, were abandoned at a timeout, or hold a soft error are closed.
#include <sys/socket.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstdint>
#include <functional>

#include "portkit/spec/spec.hpp"

namespace portkit {

class ConnectPool {
 public:
  // Called for each socket that may have finished, with the key it was added with and the
  // epoll events; collect() says whether it did (an edge also comes from a socket's reset).
  using ReadyHandler = std::function<void(std::uint64_t key, std::uint32_t events)>;

  ConnectPool(asio::io_context& io, ReadyHandler on_ready);
  ~ConnectPool();
  ConnectPool(const ConnectPool&) = delete;
  ConnectPool& operator=(const ConnectPool&) = delete;

  // Starts a connect on `fd`, a socket of this pool kept from an earlier probe of the same
  // family, or on a new one when `fd` is -1 (then added to the epoll set with `key`). Returns
  // 0 (connected at once), EINPROGRESS (watched: collect() after on_ready), or the errno that
  // ended it at once (the socket is then ready for another connect). `fd` is -1 only when
  // socket() itself failed.
  int connect(const IpAddress& address, std::uint16_t port, std::uint64_t key, int& fd);

  // The outcome of a watched connect: 0 when connected, EALREADY while still in progress,
  // else the errno, with the socket reset and ready for another connect. Once it is not
  // EALREADY, the socket is no longer watched.
  int collect(int fd, bool is_v6);

  // Out of descriptors or local ports: the probe waits and the window shrinks; not an answer.
  static bool is_resource_shortage(int error_number) {
    return error_number == EMFILE || error_number == ENFILE || error_number == ENOBUFS ||
           error_number == ENOMEM || error_number == EADDRNOTAVAIL || error_number == EAGAIN;
  }

  // A pending socket error (SO_ERROR): an ICMP unreachable leaves the connect trying while
  // it reports EHOSTUNREACH; 0 when there is none.
  static int take_error(int fd);

  // Collects answers now: Asio's loop is edge-triggered, and an edge that comes while no wait
  // is pending is not repeated, so the scanner's sweep timer calls this as a safety net.
  void poll();

  // A connect to a port of this host from that same port (TCP simultaneous open) "succeeds"
  // with nobody listening.
  static bool connected_to_itself(int fd);
  // Closes a socket of this pool; a connected one with a reset, so that a scan leaves no
  // TIME_WAIT behind. `watched`: its connect was still being watched.
  void close_socket(int fd, bool connected, bool watched);

 private:
  void stop_watching();
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

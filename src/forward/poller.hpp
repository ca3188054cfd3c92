#pragma once
// The relay's own epoll set, edge-triggered, each socket added once for reading and writing.
// Asio's async_wait re-arms its epoll entry with an epoll_ctl on every wait (measured: one
// epoll_ctl per three splice calls under wrk); here a wait costs no syscall at all, and
// Asio's loop waits on this one set's descriptor (one re-arm per batch of events).
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>

namespace portkit::forward {

class Poller {
 public:
  class Watcher {
   public:
    virtual void on_ready(std::uint32_t events) = 0;

   protected:
    ~Watcher() = default;
  };

  // `after_batch` runs after each batch of events (the relay frees finished sessions there).
  Poller(asio::io_context& io, std::function<void()> after_batch);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Watches fd until it is closed; false (errno set) when the kernel refuses.
  bool add(int fd, Watcher* watcher);
  // In a forked worker: a set of its own (the parent's is shared with every child).
  void reopen();

 private:
  void arm();
  void drain();

  int epoll_fd_ = -1;
  asio::posix::stream_descriptor watch_;
  std::function<void()> after_batch_;
  unsigned generation_ = 0;
};

}  // namespace portkit::forward

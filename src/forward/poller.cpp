#include "forward/poller.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace portkit::forward {
namespace {

constexpr int kEventsPerCall = 256;

int make_epoll() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  return fd;
}

}  // namespace

Poller::Poller(asio::io_context& io, std::function<void()> after_batch)
    : epoll_fd_(make_epoll()), watch_(io, epoll_fd_), after_batch_(std::move(after_batch)) {
  arm();
}

Poller::~Poller() {
  asio::error_code ignored;
  watch_.close(ignored);
}

bool Poller::add(int fd, Watcher* watcher) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = watcher;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0;
}

void Poller::reopen() {
  asio::error_code ignored;
  watch_.close(ignored);
  epoll_fd_ = make_epoll();
  watch_.assign(epoll_fd_);
  ++generation_;
  arm();
}

void Poller::arm() {
  watch_.async_wait(asio::posix::stream_descriptor::wait_read,
                    [this, generation = generation_](const asio::error_code& ec) {
                      if (ec || generation != generation_) return;
                      drain();
                    });
}

void Poller::drain() {
  std::array<epoll_event, kEventsPerCall> events;
  while (true) {
    const int ready = ::epoll_wait(epoll_fd_, events.data(), kEventsPerCall, 0);
    for (int i = 0; i < ready; ++i) {
      static_cast<Watcher*>(events[i].data.ptr)->on_ready(events[i].events);
    }
    if (ready < kEventsPerCall) break;
  }
  after_batch_();
  // Asio waits on this set edge-triggered: re-arming before returning to its loop is what
  // keeps an event that arrives now from being missed (nothing else runs in between).
  arm();
}

}  // namespace portkit::forward

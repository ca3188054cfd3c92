#include "forward/pipe_pool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace portkit::forward {

PipePool::~PipePool() {
  for (const auto& pipe : idle_) close_pipe(pipe);
}

std::optional<Pipe> PipePool::acquire() {
  Pipe pipe;
  if (!idle_.empty()) {
    pipe = idle_.back();
    idle_.pop_back();
  } else {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return std::nullopt;
    pipe.read_fd = fds[0];
    pipe.write_fd = fds[1];
    // Larger pipes move more per splice call; without privilege the kernel may refuse
    // (pipe-user-pages limits), and the default 64 KiB still works.
    if (wanted_capacity_ > 0)
      ::fcntl(pipe.write_fd, F_SETPIPE_SZ, static_cast<int>(wanted_capacity_));
    const int capacity = ::fcntl(pipe.write_fd, F_GETPIPE_SZ);
    pipe.capacity = capacity > 0 ? static_cast<std::size_t>(capacity) : 65536;
  }
  ++in_use_;
  peak_in_use_ = std::max(peak_in_use_, in_use_);
  return pipe;
}

void PipePool::release(Pipe pipe, bool empty) {
  --in_use_;
  if (empty) {
    idle_.push_back(pipe);
  } else {
    close_pipe(pipe);
  }
}

void PipePool::trim() {
  const auto keep = peak_in_use_ > in_use_ ? peak_in_use_ - in_use_ : 0;
  while (idle_.size() > keep) {
    close_pipe(idle_.back());
    idle_.pop_back();
  }
  peak_in_use_ = in_use_;
}

void PipePool::close_pipe(const Pipe& pipe) {
  ::close(pipe.read_fd);
  ::close(pipe.write_fd);
}

}  // namespace portkit::forward

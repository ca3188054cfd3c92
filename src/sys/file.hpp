#pragma once
// The sys layer: the only place that talks to the kernel.
#include <string>

#include "portkit/result.hpp"

namespace portkit::sys {

// Move-only owner of a file descriptor; close is never retried (Linux closes even on EINTR).
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();

  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Whole small file (procfs, sysfs), EINTR retried.
Result<std::string> read_text_file(const std::string& path);

}  // namespace portkit::sys

#pragma once
// The sys layer: the only place that talks to the kernel.
#include <cstddef>
#include <string>
#include <string_view>

#include "portkit/base/result.hpp"

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

// A file a user named (a config, a manifest, a target list): "-" is standard input. A regular
// file, a pipe or a socket is read up to `max_bytes` (more is an error naming the limit, so
// /dev/zero or a runaway pipe cannot grow the process); a directory or a device is refused before
// any read.
Result<std::string> read_input_file(const std::string& path, std::size_t max_bytes);

// The limits: far above any real file of the kind, far below what would hurt a host.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{4} << 20;       // TOML configs
inline constexpr std::size_t kMaxManifestBytes = std::size_t{32} << 20;    // compose, k8s YAML
inline constexpr std::size_t kMaxTargetListBytes = std::size_t{64} << 20;  // scan -iL

// A whole regular file mapped read-only: a large file (nmap-services, 1 MB) is parsed where it
// lies in the page cache, without a read into a buffer.
class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  [[nodiscard]] std::string_view text() const { return {data_, size_}; }

 private:
  MappedFile(const char* data, std::size_t size) : data_(data), size_(size) {}
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace portkit::sys

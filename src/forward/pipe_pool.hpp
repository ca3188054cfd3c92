#pragma once
// Pipes for splice, kept between connections: making one costs a pipe2 and an fcntl, and
// a relay direction holds one only while bytes sit in it, so idle connections hold none.
#include <cstddef>
#include <optional>
#include <vector>

namespace portkit::forward {

struct Pipe {
  int read_fd = -1;
  int write_fd = -1;
  std::size_t capacity = 0;
  [[nodiscard]] bool valid() const { return read_fd >= 0; }
};

class PipePool {
 public:
  explicit PipePool(std::size_t wanted_capacity) : wanted_capacity_(wanted_capacity) {}
  ~PipePool();
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // An empty pipe, or nullopt when none can be made (descriptor limit).
  std::optional<Pipe> acquire();
  // Back to the pool; a pipe that still holds bytes is closed instead.
  void release(Pipe pipe, bool empty);
  // Closes idle pipes beyond the most that were in use at once since the last trim, so a
  // burst's pipes do not outlive it (and none stay when nothing is relayed).
  void trim();

  [[nodiscard]] std::size_t idle() const { return idle_.size(); }
  [[nodiscard]] std::size_t in_use() const { return in_use_; }

 private:
  static void close_pipe(const Pipe& pipe);

  std::size_t wanted_capacity_;
  std::vector<Pipe> idle_;
  std::size_t in_use_ = 0;
  std::size_t peak_in_use_ = 0;
};

}  // namespace portkit::forward

#pragma once
// Helpers for the forward tests: upstream peers (forward_peer.py), a running forwarder,
// and blocking socket calls with deadlines.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace portkit::testing_support {

struct Peer {
  std::unique_ptr<BackgroundProcess> process;
  int port = 0;
};
// forward_peer.py MODE [TAG]; fails the test when it does not start.
Peer start_peer(const std::string& mode, const std::string& tag = "");

struct RunningForwarder {
  std::unique_ptr<BackgroundProcess> process;
  std::vector<int> ports;  // each rule's bound port, in rule order
};
// `portkit forward ARGS --json`, waiting for `rules` listening events.
// Reads the forwarder's JSON Lines until an event of this name (its line), or "" when none
// came within the deadline: tests wait on what the forwarder says, not on fixed sleeps.
std::string wait_for_event(BackgroundProcess& forwarder, const std::string& name,
                           int timeout_ms = 10000);

RunningForwarder start_forwarder(const std::vector<std::string>& args, std::size_t rules = 1);
// Without --json (nothing to read on stdout): waits until `port` accepts.
std::unique_ptr<BackgroundProcess> start_quiet_forwarder(const std::vector<std::string>& args,
                                                         int port);

bool send_all(int fd, const std::string& data);
// Reads until EOF, error or deadline; `error` gets errno of a failed read (0 on EOF).
std::string read_until_close(int fd, int timeout_ms, int* error = nullptr);
std::string read_exactly(int fd, std::size_t size, int timeout_ms);
std::string read_line_from(int fd, int timeout_ms);

// A fast TCP echo upstream on a thread of this process (the Python peer tops out near 3,000
// connections a second): echoes, and closes after the client's FIN.
class EchoThread {
 public:
  EchoThread();
  ~EchoThread();
  EchoThread(const EchoThread&) = delete;
  EchoThread& operator=(const EchoThread&) = delete;
  [[nodiscard]] int port() const { return port_; }

 private:
  void serve();
  int listener_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// Open descriptors of a process and its children (the forwarder's workers).
int open_descriptors(int pid);

// Deterministic bytes: the same seed gives the same stream, in chunks of any size.
class ByteStream {
 public:
  explicit ByteStream(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  void fill(char* out, std::size_t size);

 private:
  std::uint64_t state_;
  std::uint64_t word_ = 0;
  unsigned left_ = 0;
};

}  // namespace portkit::testing_support

#pragma once
// Runs a real process (portkit or a peer tool) and captures what it says.
#include <chrono>
#include <string>
#include <vector>

namespace portkit::testing_support {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
  double wall_ms = 0;     // from spawn to exit
  long peak_rss_kib = 0;  // the child's maximum resident set (getrusage via wait4)
};

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = "",
                          const std::vector<std::string>& extra_env = {});

// The built portkit binary with these arguments.
ProcessResult run_portkit(const std::vector<std::string>& args, const std::string& input = "",
                          const std::vector<std::string>& extra_env = {});

std::string read_file(const std::string& path);

}  // namespace portkit::testing_support

namespace portkit::testing_support {

// A process left running while the test talks to it (a server, a waiter).
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();  // kills it if still running
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // One line of stdout, or "" when none came within the deadline.
  std::string read_line(int timeout_ms = 5000);
  void signal(int number);
  // Exit code (128 + signal when killed); -1 if it did not end within the deadline.
  int wait(int timeout_ms = 10000);
  std::string rest_of_stdout();
  [[nodiscard]] int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  std::string buffered_;
  int exit_code_ = -1;
};

// The one listening-socket helper of the tests: TCP on an ephemeral port of 127.0.0.1 (or ::1),
// bound and listening when constructed, closed on destruction unless released.
class LoopbackListener {
 public:
  explicit LoopbackListener(bool ipv6 = false, int backlog = 4096, int socket_flags = 0);
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string port_text() const { return std::to_string(port_); }
  int release();  // the descriptor is the caller's from now on

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port on 127.0.0.1 (or ::1) that nothing uses right now, for a server the test starts, which
// binds it itself. It lies outside the ephemeral range, so no outgoing connection can take it in
// between; a test that listens itself uses LoopbackListener.
int free_tcp_port(bool ipv6 = false);
// A connected TCP socket to 127.0.0.1:port (from `source` when given), or -1.
int connect_local(int port, const char* source = nullptr);
int free_udp_port(bool ipv6 = false);

// A simulated remote host from tests/tools/netns-host, torn down on destruction.
class NamespaceHost {
 public:
  explicit NamespaceHost(const std::vector<std::string>& up_args);
  ~NamespaceHost();
  std::string address4;
  std::string address6;

 private:
  std::string name_;
};

}  // namespace portkit::testing_support

namespace portkit::testing_support {

// Clients that connect to 127.0.0.1:port and send the start of a request, never the rest: what
// a slowloris attack or a stuck scraper does. Closed on destruction.
class SlowClients {
 public:
  SlowClients(int port, int count, const std::string& partial_request);
  ~SlowClients();
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;
  [[nodiscard]] int connected() const { return static_cast<int>(fds_.size()); }
  // True when the server closed every one of them (end of stream or reset) within `limit`.
  bool wait_closed(std::chrono::milliseconds limit) const;

 private:
  std::vector<int> fds_;
};

// VmRSS of a process, in KiB (0 when it is gone).
long resident_kib(int pid);

// curl's time_total for one GET, in ms, and the status code it saw (0 when none).
struct TimedGet {
  int status = 0;
  double ms = 0;
};
TimedGet timed_get(const std::string& url);

}  // namespace portkit::testing_support

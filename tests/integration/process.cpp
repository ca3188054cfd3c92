#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace portkit::testing_support {
namespace {

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    read_end = fds[0];
    write_end = fds[1];
  }
};

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input,
                          const std::vector<std::string>& extra_env) {
  Pipe in, out, err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read_end, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write_end, 1);
  posix_spawn_file_actions_adddup2(&actions, err.write_end, 2);

  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // extra_env entries replace inherited ones of the same name.
  const auto overridden = [&](std::string_view entry) {
    for (const auto& e : extra_env) {
      const auto name = e.substr(0, e.find('=') + 1);
      if (entry.substr(0, name.size()) == name) return true;
    }
    return false;
  };
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    if (!overridden(*e)) env_strings.emplace_back(*e);
  }
  for (const auto& e : extra_env) env_strings.push_back(e);
  std::vector<char*> env;
  for (auto& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);

  const auto started = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in.read_end);
  close(out.write_end);
  close(err.write_end);
  ProcessResult result;
  if (spawned != 0) {
    close(in.write_end);
    close(out.read_end);
    close(err.read_end);
    result.err = "spawn failed: " + argv.front();
    result.exit_code = 127;
    return result;
  }
  std::size_t written = 0;
  int in_fd = in.write_end;
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  std::array<pollfd, 3> fds{
      {{out.read_end, POLLIN, 0}, {err.read_end, POLLIN, 0}, {in_fd, POLLOUT, 0}}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_outputs = 2;
  while (open_outputs > 0) {
    if (poll(fds.data(), fds.size(), 30000) <= 0) {  // a hung child: ended, and fails the test
      kill(pid, SIGKILL);
      break;
    }
    for (std::size_t i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buffer[65536];
      const auto got = read(fds[i].fd, buffer, sizeof buffer);
      if (got > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_outputs;
      }
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const auto sent = write(fds[2].fd, input.data() + written, input.size() - written);
      if (sent > 0) written += static_cast<std::size_t>(sent);
      if (sent < 0 && errno != EAGAIN && errno != EINTR) written = input.size();
      if (written == input.size()) {
        close(fds[2].fd);
        fds[2].fd = -1;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  result.peak_rss_kib = usage.ru_maxrss;
  return result;
}

ProcessResult run_portkit(const std::vector<std::string>& args, const std::string& input,
                          const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv{PORTKIT_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, input, extra_env);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace portkit::testing_support

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>
#include <utility>

namespace portkit::testing_support {

// Forked rather than spawned: the child asks the kernel to kill it when the test process dies.
// A test binary that crashed once left its redis-server holding ctest's output pipe, and ctest
// waited for that pipe until its timeout. (A server that changes its user ID, as memcached and
// PostgreSQL do, loses the request; the destructor still kills it on a normal exit.)
BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
  Pipe out;
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before the request took hold
    dup2(out.write_end, 1);
    const int null_input = open("/dev/null", O_RDONLY);
    if (null_input >= 0) dup2(null_input, 0);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out.write_end);
  out.write_end = -1;
  out_fd_ = out.read_end;
}

BackgroundProcess::~BackgroundProcess() {
  if (exit_code_ < 0 && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
}

std::string BackgroundProcess::read_line(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const auto newline = buffered_.find('\n');
    if (newline != std::string::npos) {
      auto line = buffered_.substr(0, newline);
      buffered_.erase(0, newline + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || out_fd_ < 0) return "";
    pollfd fd{out_fd_, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) return "";
    char buffer[4096];
    const auto got = read(out_fd_, buffer, sizeof buffer);
    if (got <= 0) return "";
    buffered_.append(buffer, static_cast<std::size_t>(got));
  }
}

std::string BackgroundProcess::rest_of_stdout() {
  std::string text = std::exchange(buffered_, "");
  char buffer[4096];
  while (out_fd_ >= 0) {
    pollfd fd{out_fd_, POLLIN, 0};
    if (poll(&fd, 1, 2000) <= 0) break;
    const auto got = read(out_fd_, buffer, sizeof buffer);
    if (got <= 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
  }
  return text;
}

void BackgroundProcess::signal(int number) {
  if (pid_ > 0 && exit_code_ < 0) kill(pid_, number);
}

int BackgroundProcess::wait(int timeout_ms) {
  if (exit_code_ >= 0 || pid_ <= 0) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

namespace {

// 127.0.0.1 or ::1 with `port`; the length to pass with it.
socklen_t loopback_address(bool ipv6, int port, sockaddr_storage& storage) {
  storage = {};
  if (ipv6) {
    auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
    address->sin6_family = AF_INET6;
    address->sin6_addr = in6addr_loopback;
    address->sin6_port = htons(static_cast<std::uint16_t>(port));
    return sizeof *address;
  }
  auto* address = reinterpret_cast<sockaddr_in*>(&storage);
  address->sin_family = AF_INET;
  address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address->sin_port = htons(static_cast<std::uint16_t>(port));
  return sizeof *address;
}

int port_of(const sockaddr_storage& storage) {
  return storage.ss_family == AF_INET6
             ? ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port)
             : ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

bool can_bind(int type, bool ipv6, int port) {
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_storage storage;
  const auto length = loopback_address(ipv6, port, storage);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) == 0;
  ::close(fd);
  return bound;
}

// A port above the kernel's ephemeral range (below it when the range reaches 65535), which no
// connect() and no bind to port 0 is ever given: a port closed before the server binds it can
// then be taken only by another test picking the same number, and each test process walks its
// own sequence (from its pid) to make that unlikely too. The kernel's choice of an ephemeral
// port was taken by parallel tests' outgoing connections in between (seen as "address in use"
// from a server started on it). Above the range lies IANA's dynamic range, where nothing is
// registered, so no test sees a known service's name on it.
int free_port(int type, bool ipv6) {
  int ephemeral_low = 32768;
  int ephemeral_high = 60999;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) {
    range >> ephemeral_low >> ephemeral_high;
  }
  int lowest = ephemeral_high + 1;
  int span = 65536 - lowest;
  if (span < 1000) {
    lowest = 10000;
    span = ephemeral_low - lowest;
  }
  if (span >= 1000) {
    static int next = static_cast<int>(getpid()) * 97;
    for (int tries = 0; tries < span; ++tries) {
      const int port = lowest + (next++ % span);
      // Free for both protocols, so a server that binds both (dnsmasq) finds it free too.
      if (can_bind(SOCK_STREAM, ipv6, port) && can_bind(SOCK_DGRAM, ipv6, port)) return port;
    }
  }
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_storage storage;
  socklen_t length = loopback_address(ipv6, 0, storage);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    throw std::runtime_error(std::string("no free loopback port: ") + std::strerror(errno));
  }
  ::close(fd);
  return port_of(storage);
}

}  // namespace

LoopbackListener::LoopbackListener(bool ipv6, int backlog, int socket_flags) {
  fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | socket_flags, 0);
  sockaddr_storage storage;
  socklen_t length = loopback_address(ipv6, 0, storage);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(fd_, backlog) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    throw std::runtime_error(std::string("cannot listen on loopback: ") + std::strerror(errno));
  }
  port_ = port_of(storage);
}

LoopbackListener::~LoopbackListener() {
  if (fd_ >= 0) ::close(fd_);
}

int LoopbackListener::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

int connect_local(int port, const char* source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (source) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &local.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int free_tcp_port(bool ipv6) {
  return free_port(SOCK_STREAM, ipv6);
}
int free_udp_port(bool ipv6) {
  return free_port(SOCK_DGRAM, ipv6);
}

NamespaceHost::NamespaceHost(const std::vector<std::string>& up_args) {
  std::vector<std::string> argv{PORTKIT_TEST_TOOLS "/netns-host", "up"};
  argv.insert(argv.end(), up_args.begin(), up_args.end());
  const auto up = run_process(argv);
  if (up.exit_code != 0) throw std::runtime_error("netns-host up failed: " + up.err + up.out);
  std::map<std::string, std::string> values;
  std::istringstream lines(up.out);
  for (std::string line; std::getline(lines, line);) {
    const auto equals = line.find('=');
    if (equals != std::string::npos) values[line.substr(0, equals)] = line.substr(equals + 1);
  }
  name_ = values["NAME"];
  address4 = values["ADDR4"];
  address6 = values["ADDR6"];
  if (name_.empty() || address4.empty()) {
    throw std::runtime_error("netns-host up printed no host: " + up.out);
  }
}

NamespaceHost::~NamespaceHost() {
  run_process({PORTKIT_TEST_TOOLS "/netns-host", "down", name_});
}

}  // namespace portkit::testing_support

namespace portkit::testing_support {

SlowClients::SlowClients(int port, int count, const std::string& partial_request) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  const auto wanted = static_cast<rlim_t>(count) + 256;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::send(fd, partial_request.data(), partial_request.size(), MSG_NOSIGNAL) < 0) {
      ::close(fd);
      break;
    }
    fds_.push_back(fd);
  }
}

SlowClients::~SlowClients() {
  for (const int fd : fds_) ::close(fd);
}

bool SlowClients::wait_closed(std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (const int fd : fds_) {
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd readable{fd, POLLIN, 0};
      if (::poll(&readable, 1, static_cast<int>(left.count())) <= 0) continue;
      char byte = 0;
      const auto got = ::recv(fd, &byte, 1, MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno != EAGAIN)) break;  // closed by the server
    }
  }
  return true;
}

long resident_kib(int pid) {
  const auto status = read_file("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find("VmRSS:");
  return at == std::string::npos ? 0 : std::stol(status.substr(at + 6));
}

TimedGet timed_get(const std::string& url) {
  const auto result = run_process({"curl", "-s", "-o", "/dev/null", "--max-time", "5", "-w",
                                   "%{http_code} %{time_total}", url});
  TimedGet got;
  std::istringstream fields(result.out);
  double seconds = 0;
  fields >> got.status >> seconds;
  got.ms = seconds * 1000;
  return got;
}

}  // namespace portkit::testing_support

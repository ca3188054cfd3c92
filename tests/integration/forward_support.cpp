#include "forward_support.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace portkit::testing_support {
namespace {

bool wait_for(int fd, short events, int timeout_ms) {
  pollfd entry{fd, events, 0};
  return ::poll(&entry, 1, timeout_ms) > 0;
}

int count_fds(int pid) {
  int count = 0;
  if (DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (const auto* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
  }
  return count;
}

}  // namespace

Peer start_peer(const std::string& mode, const std::string& tag) {
  std::vector<std::string> argv{"python3", PORTKIT_TEST_DIR "/forward_peer.py", mode};
  if (!tag.empty()) argv.push_back(tag);
  Peer peer;
  peer.process = std::make_unique<BackgroundProcess>(argv);
  const auto line = peer.process->read_line(10000);
  if (line.empty()) throw std::runtime_error("forward_peer.py " + mode + " did not start");
  peer.port = std::stoi(line);
  return peer;
}

std::string wait_for_event(BackgroundProcess& forwarder, const std::string& name, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const auto line = forwarder.read_line(static_cast<int>(std::max<long>(left.count(), 1)));
    if (line.empty()) return "";
    const auto event = nlohmann::json::parse(line, nullptr, false);
    if (!event.is_discarded() && event.value("event", "") == name) return line;
  }
  return "";
}

RunningForwarder start_forwarder(const std::vector<std::string>& args, std::size_t rules) {
  std::vector<std::string> argv{PORTKIT_BINARY, "forward"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.emplace_back("--json");
  RunningForwarder forwarder;
  forwarder.process = std::make_unique<BackgroundProcess>(argv);
  while (forwarder.ports.size() < rules) {
    const auto line = forwarder.process->read_line(10000);
    if (line.empty()) throw std::runtime_error("portkit forward did not report listening");
    const auto event = nlohmann::json::parse(line);
    if (event.value("event", "") != "listening") continue;
    const auto rule = event.at("rule").get<std::string>();  // "127.0.0.1:PORT/tcp"
    const auto colon = rule.rfind(':');
    forwarder.ports.push_back(std::stoi(rule.substr(colon + 1, rule.find('/') - colon - 1)));
  }
  return forwarder;
}

std::unique_ptr<BackgroundProcess> start_quiet_forwarder(const std::vector<std::string>& args,
                                                         int port) {
  std::vector<std::string> argv{PORTKIT_BINARY, "forward"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto process = std::make_unique<BackgroundProcess>(argv);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = connect_local(port);
    if (fd >= 0) {
      ::close(fd);
      return process;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("portkit forward did not start listening");
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string read_until_close(int fd, int timeout_ms, int* error) {
  std::string out;
  if (error) *error = ETIMEDOUT;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char chunk[65536];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0 || !wait_for(fd, POLLIN, static_cast<int>(left))) return out;
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      out.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (error) *error = n == 0 ? 0 : errno;
    return out;
  }
}

std::string read_exactly(int fd, std::size_t size, int timeout_ms) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char chunk[65536];
  while (out.size() < size) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0 || !wait_for(fd, POLLIN, static_cast<int>(left))) break;
    const auto n = ::recv(fd, chunk, std::min(sizeof chunk, size - out.size()), 0);
    if (n <= 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  return out;
}

std::string read_line_from(int fd, int timeout_ms) {
  std::string out;
  char c = 0;
  while (wait_for(fd, POLLIN, timeout_ms) && ::recv(fd, &c, 1, 0) == 1 && c != '\n')
    out.push_back(c);
  return out;
}

int open_descriptors(int pid) {
  int total = count_fds(pid);
  std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                         "/children");
  int child = 0;
  while (children >> child) total += count_fds(child);
  return total;
}

EchoThread::EchoThread() {
  LoopbackListener listener(false, 4096, SOCK_NONBLOCK);
  port_ = listener.port();
  listener_ = listener.release();
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  thread_ = std::thread([this] { serve(); });
}

EchoThread::~EchoThread() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(stop_fd_, &one, sizeof one);
  thread_.join();
  ::close(listener_);
  ::close(stop_fd_);
}

void EchoThread::serve() {
  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{EPOLLIN, {.fd = listener_}};
  ::epoll_ctl(epoll, EPOLL_CTL_ADD, listener_, &event);
  event.data.fd = stop_fd_;
  ::epoll_ctl(epoll, EPOLL_CTL_ADD, stop_fd_, &event);
  std::vector<epoll_event> ready(256);
  char chunk[65536];
  while (true) {
    const int count = ::epoll_wait(epoll, ready.data(), static_cast<int>(ready.size()), -1);
    for (int i = 0; i < count; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == stop_fd_) {
        ::close(epoll);
        return;  // connections still open are the test's to close
      }
      if (fd == listener_) {
        int client = 0;
        while ((client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0) {
          epoll_event added{EPOLLIN, {.fd = client}};
          ::epoll_ctl(epoll, EPOLL_CTL_ADD, client, &added);
        }
        continue;
      }
      const auto n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n > 0) {
        send_all(fd, std::string(chunk, static_cast<std::size_t>(n)));  // small echoes: fits
      } else if (n == 0 || errno != EAGAIN) {
        ::close(fd);
      }
    }
  }
}

void ByteStream::fill(char* out, std::size_t size) {
  std::size_t i = 0;
  while (left_ == 0 && size - i >= 8) {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    const std::uint64_t word = state_ * 0x2545F4914F6CDD1DULL;  // little-endian, as below
    std::memcpy(out + i, &word, 8);
    i += 8;
  }
  for (; i < size; ++i) {
    if (left_ == 0) {
      state_ ^= state_ >> 12;  // xorshift64*
      state_ ^= state_ << 25;
      state_ ^= state_ >> 27;
      word_ = state_ * 0x2545F4914F6CDD1DULL;
      left_ = 8;
    }
    out[i] = static_cast<char>(word_ & 0xff);
    word_ >>= 8;
    --left_;
  }
}

}  // namespace portkit::testing_support

// portkit forward, the relay itself: bytes intact both ways at once, half-close, resets,
// upstream death, 10,000 concurrent connections, descriptors after 100,000 connections.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "forward_support.hpp"

namespace portkit::testing_support {
namespace {

using Clock = std::chrono::steady_clock;

// The sanitizer run (CMakePresets: asan) sets PORTKIT_TEST_LIGHT: the same checks on fewer
// bytes and connections; the release run carries the full sizes.
std::size_t scaled(std::size_t full, std::size_t light) {
  return std::getenv("PORTKIT_TEST_LIGHT") ? light : full;
}

TEST(ForwardRelay, EchoesThroughAndReportsTheConnection) {
  auto peer = start_peer("echo");
  auto forwarder = start_forwarder({"0", "127.0.0.1:" + std::to_string(peer.port)});
  const int fd = connect_local(forwarder.ports[0]);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, "hello through portkit"));
  EXPECT_EQ(read_exactly(fd, 21, 5000), "hello through portkit");
  ::close(fd);
  const auto closed = nlohmann::json::parse(forwarder.process->read_line(5000));
  EXPECT_EQ(closed.at("event"), "closed");
  EXPECT_EQ(closed.at("upstream"), "127.0.0.1:" + std::to_string(peer.port));
  EXPECT_EQ(closed.at("bytes_up"), 21);
  EXPECT_EQ(closed.at("bytes_down"), 21);
  forwarder.process->signal(SIGTERM);
  EXPECT_EQ(forwarder.process->wait(), 0);
}

// One connection, `size` bytes each way at the same time; the upstream here is this test
// (a source and a sink thread), so each byte is checked against its seeded stream.
void transfer_both_ways(const std::vector<std::string>& extra_args, std::size_t size) {
  const LoopbackListener upstream_listener(false, 4);
  const int listener = upstream_listener.fd();
  std::vector<std::string> args{"0", "127.0.0.1:" + upstream_listener.port_text()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  auto forwarder = start_forwarder(args);

  const auto send_stream = [size](int fd, std::uint64_t seed) {
    ByteStream stream(seed);
    std::vector<char> chunk(1 << 20);
    for (std::size_t sent = 0; sent < size;) {
      const auto n = std::min(chunk.size(), size - sent);
      stream.fill(chunk.data(), n);
      if (!send_all(fd, std::string(chunk.data(), n))) return;
      sent += n;
    }
    ::shutdown(fd, SHUT_WR);
  };
  // Returns the number of bytes that matched before the first difference or the end.
  const auto check_stream = [](int fd, std::uint64_t seed) {
    ByteStream stream(seed);
    std::vector<char> got(1 << 20);
    std::vector<char> expected(1 << 20);
    std::size_t matched = 0;
    while (true) {
      const auto n = ::recv(fd, got.data(), got.size(), 0);
      if (n <= 0) return matched;
      stream.fill(expected.data(), static_cast<std::size_t>(n));
      if (!std::equal(got.begin(), got.begin() + n, expected.begin())) return matched;
      matched += static_cast<std::size_t>(n);
    }
  };

  const int client = connect_local(forwarder.ports[0]);
  ASSERT_GE(client, 0);
  const int upstream = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(upstream, 0);
  std::size_t upstream_got = 0;
  std::size_t client_got = 0;
  std::thread client_sender(send_stream, client, 1);
  std::thread upstream_sender(send_stream, upstream, 2);
  std::thread upstream_checker([&] { upstream_got = check_stream(upstream, 1); });
  client_got = check_stream(client, 2);
  client_sender.join();
  upstream_sender.join();
  upstream_checker.join();
  EXPECT_EQ(upstream_got, size) << "client to upstream";
  EXPECT_EQ(client_got, size) << "upstream to client";
  ::close(client);
  ::close(upstream);
}

TEST(ForwardRelay, GibibyteEachWayAtOnceArrivesIntact) {
  transfer_both_ways({}, scaled(std::size_t{1} << 30, std::size_t{128} << 20));
}

TEST(ForwardRelay, PlainReadWritePathIsIntactToo) {
  transfer_both_ways({"--no-splice"}, std::size_t{64} << 20);
}

// The peer answers a second after the client's FIN: a forwarder that drops half-close, or
// closes soon after one (socat's 0.5 s -t default), loses the reply.
TEST(ForwardRelay, HalfCloseStillDeliversTheWholeReply) {
  auto peer = start_peer("late-reverse");
  auto forwarder = start_forwarder({"0", "127.0.0.1:" + std::to_string(peer.port)});
  std::string payload(4 << 20, '\0');
  ByteStream(7).fill(payload.data(), payload.size());
  const int fd = connect_local(forwarder.ports[0]);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, payload));
  ASSERT_EQ(::shutdown(fd, SHUT_WR), 0);
  int error = -1;
  const auto reply = read_until_close(fd, 20000, &error);
  ::close(fd);
  EXPECT_EQ(error, 0) << "the reply must end with a FIN";
  ASSERT_EQ(reply.size(), payload.size());
  EXPECT_TRUE(std::equal(reply.begin(), reply.end(), payload.rbegin()));
}

TEST(ForwardRelay, UpstreamResetReachesTheClientAsEconnreset) {
  auto peer = start_peer("reset");
  auto forwarder = start_forwarder({"0", "127.0.0.1:" + std::to_string(peer.port)});
  const int fd = connect_local(forwarder.ports[0]);
  ASSERT_GE(fd, 0);
  const linger abortive{1, 0};  // as the issue asks: the client side lingers 0 too
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  ASSERT_TRUE(send_all(fd, "trigger"));
  int error = -1;
  read_until_close(fd, 5000, &error);
  ::close(fd);
  EXPECT_EQ(error, ECONNRESET) << "got "
                               << (error == 0 ? "an orderly close" : std::strerror(error));
}

TEST(ForwardRelay, UpstreamKilledMidTransferClosesTheClient) {
  auto peer = start_peer("stream");
  auto forwarder = start_forwarder({"0", "127.0.0.1:" + std::to_string(peer.port)});
  const int fd = connect_local(forwarder.ports[0]);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(read_exactly(fd, 1 << 20, 5000).size(), std::size_t{1} << 20);
  // The client keeps reading (as a real one would), so little is in flight at the kill and
  // the time measured is the relay's reaction, not the draining of full buffers.
  int error = -1;
  Clock::time_point closed;
  std::thread reader([&] {
    read_until_close(fd, 5000, &error);
    closed = Clock::now();
  });
  const auto killed = Clock::now();
  peer.process->signal(SIGKILL);
  // The client sees the end of its stream, then the forwarder reports the connection closed.
  reader.join();
  peer.process->wait();
  ::close(fd);
  EXPECT_NE(wait_for_event(*forwarder.process, "closed"), "") << "no closed event";
  EXPECT_NE(error, ETIMEDOUT);
  // A generous bound, only against hanging: the reaction is ~1 ms here (ASan: a few ms).
  const auto reaction_ms = std::chrono::duration<double, std::milli>(closed - killed).count();
  EXPECT_LT(reaction_ms, 3000.0);
}

// Resident memory of a process and its children, in KiB.
long tree_rss_kib(int pid) {
  long total = 0;
  const auto add = [&](int id) {
    std::ifstream status("/proc/" + std::to_string(id) + "/status");
    std::string key;
    long value = 0;
    while (status >> key) {
      if (key == "VmRSS:" && status >> value) total += value;
    }
  };
  add(pid);
  std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                         "/children");
  int child = 0;
  while (children >> child) add(child);
  return total;
}

// The upstream sends 64 MB a second to a client that does not read: the forwarder must stop
// reading the upstream (TCP pushes back) rather than buffer it.
TEST(ForwardRelay, ASlowReaderStopsReadsOnTheOtherSideAndMemoryStaysBounded) {
  auto peer = start_peer("stream");
  auto forwarder = start_forwarder({"0", "127.0.0.1:" + std::to_string(peer.port)});
  const int fd = connect_local(forwarder.ports[0]);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(read_exactly(fd, 1 << 16, 5000).size(), std::size_t{1} << 16);
  // The baseline once the buffers on the way have filled: five equal readings in a row.
  long before = tree_rss_kib(forwarder.process->pid());
  for (int reading = 0, steady = 0; reading < 100 && steady < 5; ++reading) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = tree_rss_kib(forwarder.process->pid());
    steady = now == before ? steady + 1 : 0;
    before = now;
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // ~128 MB offered meanwhile
  const auto after = tree_rss_kib(forwarder.process->pid());
  // ~128 MB was offered meanwhile; ASan's allocator keeps a little more for itself.
  EXPECT_LT(after - before, static_cast<long>(scaled(2048, 4096)))
      << "KiB grown while the client did not read";
  // And the stream resumes intact once the client reads again.
  EXPECT_EQ(read_exactly(fd, 8 << 20, 10000).size(), std::size_t{8} << 20);
  ::close(fd);
}

TEST(ForwardRelay, TenThousandConcurrentConnectionsEchoIntact) {
  constexpr int kConnections = 10'000;
  constexpr std::size_t kPayload = 1024;
  auto peer = start_peer("echo");
  auto forwarder = start_forwarder({"0", "127.0.0.1:" + std::to_string(peer.port)});
  std::vector<int> fds;
  std::vector<std::string> sent(kConnections);
  std::vector<std::string> received(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    const int fd = connect_local(forwarder.ports[0]);
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    sent[i].resize(kPayload);
    ByteStream(static_cast<std::uint64_t>(i) + 100).fill(sent[i].data(), kPayload);
    ASSERT_TRUE(send_all(fd, sent[i]));
    fds.push_back(fd);
  }
  const int epoll = ::epoll_create1(0);
  for (int i = 0; i < kConnections; ++i) {
    epoll_event event{EPOLLIN, {.u64 = static_cast<std::uint64_t>(i)}};
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, fds[i], &event);
  }
  int complete = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(90);
  std::vector<epoll_event> events(512);
  char chunk[4096];
  while (complete < kConnections && Clock::now() < deadline) {
    const int ready = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 1000);
    for (int e = 0; e < ready; ++e) {
      const auto i = events[e].data.u64;
      const auto n = ::recv(fds[i], chunk, sizeof chunk, MSG_DONTWAIT);
      if (n <= 0) continue;
      received[i].append(chunk, static_cast<std::size_t>(n));
      if (received[i].size() == kPayload) ++complete;
    }
  }
  // Every connection is still open here: the forwarder holds both sides of each.
  EXPECT_GE(open_descriptors(forwarder.process->pid()), 2 * kConnections);
  int intact = 0;
  for (int i = 0; i < kConnections; ++i) intact += received[i] == sent[i] ? 1 : 0;
  EXPECT_EQ(intact, kConnections);
  for (const int fd : fds) ::close(fd);
  ::close(epoll);
}

TEST(ForwardRelay, HundredThousandSequentialConnectionsLeaveNoDescriptorsBehind) {
  const int kConnections = static_cast<int>(scaled(100'000, 10'000));
  EchoThread echo;
  const int port = free_tcp_port();
  auto forwarder = start_quiet_forwarder(
      {std::to_string(port), "127.0.0.1:" + std::to_string(echo.port())}, port);
  // The baseline once the start-up probe connection's pipes are trimmed: the count stops falling.
  int baseline = open_descriptors(forwarder->pid());
  for (int reading = 0, steady = 0; reading < 100 && steady < 10; ++reading) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int now = open_descriptors(forwarder->pid());
    steady = now < baseline ? 0 : steady + 1;
    baseline = std::min(baseline, now);
  }
  int echoed = 0;
  for (int i = 0; i < kConnections; ++i) {
    const int fd = connect_local(port);
    if (fd < 0) continue;
    if (send_all(fd, "x") && read_exactly(fd, 1, 5000) == "x") ++echoed;
    ::close(fd);
  }
  EXPECT_EQ(echoed, kConnections);
  int after = 0;
  // Closes finish and the pipe pool trims: a pool keeps the pipes of the busiest moment of one
  // 2 s window, so the last pipes go within two windows; a loaded CI machine delays sweeps.
  for (int attempt = 0; attempt < 120; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = open_descriptors(forwarder->pid());
    if (after <= baseline) break;
  }
  EXPECT_LE(after, baseline);
}

}  // namespace
}  // namespace portkit::testing_support

// portkit forward, the rules around the relay: allow/deny, balancing and failover, PROXY
// headers, --max-conns, idle timeout, UDP sessions, SIGHUP reload, SIGTERM drain, bad input.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "forward_support.hpp"

namespace portkit::testing_support {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string target(const Peer& peer) {
  return "127.0.0.1:" + std::to_string(peer.port);
}

// What a client gets from a connection: the echo of a probe, or "" when it was turned away.
std::string echo_of(int port, const char* source = nullptr) {
  const int fd = connect_local(port, source);
  if (fd < 0) return "";
  send_all(fd, "ping");
  auto reply = read_exactly(fd, 4, 3000);
  ::close(fd);
  return reply;
}

TEST(ForwardRules, AllowListRefusesAnUnlistedSourceAndDenyWins) {
  auto peer = start_peer("echo");
  auto allowed = start_forwarder({"0", target(peer), "--allow", "127.0.0.1/32"});
  EXPECT_EQ(echo_of(allowed.ports[0], "127.0.0.1"), "ping");
  EXPECT_EQ(echo_of(allowed.ports[0], "127.0.0.2"), "");
  auto denied =
      start_forwarder({"0", target(peer), "--allow", "127.0.0.0/8", "--deny", "127.0.0.2"});
  EXPECT_EQ(echo_of(denied.ports[0], "127.0.0.3"), "ping");
  EXPECT_EQ(echo_of(denied.ports[0], "127.0.0.2"), "");
}

TEST(ForwardRules, RoundRobinSpreadsAndARefusingTargetIsSkipped) {
  auto first = start_peer("tag", "first");
  auto second = start_peer("tag", "second");
  const auto dead = "127.0.0.1:" + std::to_string(free_tcp_port());
  auto forwarder = start_forwarder({"0", target(first) + "," + dead + "," + target(second)});
  std::map<std::string, int> seen;
  for (int i = 0; i < 12; ++i) {
    const int fd = connect_local(forwarder.ports[0]);
    ASSERT_GE(fd, 0);
    ++seen[read_line_from(fd, 3000)];
    ::close(fd);
  }
  EXPECT_EQ(seen.size(), 2U) << "only the two live targets answer";
  EXPECT_GE(seen["first"], 4);
  EXPECT_GE(seen["second"], 4);
}

TEST(ForwardRules, FirstHealthyStaysOnTheFirstLiveTarget) {
  auto first = start_peer("tag", "first");
  auto second = start_peer("tag", "second");
  const auto dead = "127.0.0.1:" + std::to_string(free_tcp_port());
  auto forwarder = start_forwarder(
      {"0", dead + "," + target(first) + "," + target(second), "--balance", "first-healthy"});
  for (int i = 0; i < 5; ++i) {
    const int fd = connect_local(forwarder.ports[0]);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(read_line_from(fd, 3000), "first");
    ::close(fd);
  }
}

TEST(ForwardRules, NoReachableTargetClosesTheClientPromptly) {
  const auto dead = "127.0.0.1:" + std::to_string(free_tcp_port());
  auto forwarder = start_forwarder({"0", dead});
  const int fd = connect_local(forwarder.ports[0]);
  ASSERT_GE(fd, 0);
  const auto start = Clock::now();
  int error = -1;
  read_until_close(fd, 5000, &error);
  ::close(fd);
  EXPECT_EQ(error, ECONNRESET);
  EXPECT_LT(ms_since(start), 500.0);
  const auto event = nlohmann::json::parse(forwarder.process->read_line(3000));
  EXPECT_EQ(event.at("event"), "upstream_failed");
}

// The upstream is this test: it reads the PROXY header the forwarder sends first.
std::string proxy_header_seen(const std::string& version, int& client_port) {
  const LoopbackListener upstream_listener(false, 4);
  const int listener = upstream_listener.fd();
  auto forwarder = start_forwarder(
      {"0", "127.0.0.1:" + upstream_listener.port_text(), "--proxy-protocol", version});
  const int client = connect_local(forwarder.ports[0], "127.0.0.2");
  sockaddr_in local{};
  socklen_t length = sizeof local;
  ::getsockname(client, reinterpret_cast<sockaddr*>(&local), &length);
  client_port = ntohs(local.sin_port);
  send_all(client, "after");
  const int upstream = ::accept(listener, nullptr, nullptr);
  const auto expected_size = version == "v1" ? 0 : 16 + 12;
  std::string seen = version == "v1" ? read_line_from(upstream, 3000) + "\n"
                                     : read_exactly(upstream, expected_size, 3000);
  seen += "|" + read_exactly(upstream, 5, 3000);
  ::close(upstream);
  ::close(client);
  return seen + "|" + std::to_string(forwarder.ports[0]);
}

TEST(ForwardRules, ProxyProtocolHeadersNameTheRealClient) {
  int client_port = 0;
  auto v1 = proxy_header_seen("v1", client_port);
  const auto v1_port = v1.substr(v1.rfind('|') + 1);
  EXPECT_EQ(v1.substr(0, v1.rfind('|')), "PROXY TCP4 127.0.0.2 127.0.0.1 " +
                                             std::to_string(client_port) + " " + v1_port +
                                             "\r\n|after");
  auto v2 = proxy_header_seen("v2", client_port);
  const auto v2_port = std::stoi(v2.substr(v2.rfind('|') + 1));
  const std::string signature("\r\n\r\n\0\r\nQUIT\n", 12);
  ASSERT_GE(v2.size(), 28U);
  EXPECT_EQ(v2.substr(0, 12), signature);
  EXPECT_EQ(static_cast<unsigned char>(v2[12]), 0x21);  // version 2, PROXY
  EXPECT_EQ(static_cast<unsigned char>(v2[13]), 0x11);  // TCP over IPv4
  EXPECT_EQ(v2.substr(14, 2), std::string("\0\x0c", 2));
  EXPECT_EQ(v2.substr(16, 8), std::string("\x7f\0\0\x02\x7f\0\0\x01", 8));
  EXPECT_EQ((static_cast<unsigned char>(v2[24]) << 8) | static_cast<unsigned char>(v2[25]),
            client_port);
  EXPECT_EQ((static_cast<unsigned char>(v2[26]) << 8) | static_cast<unsigned char>(v2[27]),
            v2_port);
  EXPECT_EQ(v2.substr(28, 6), "|after");
}

TEST(ForwardRules, MaxConnsMakesTheNextClientWaitItsTurn) {
  auto peer = start_peer("echo");
  auto forwarder = start_forwarder({"0", target(peer), "--max-conns", "1", "--workers", "1"});
  const int first = connect_local(forwarder.ports[0]);
  ASSERT_TRUE(send_all(first, "one!"));
  ASSERT_EQ(read_exactly(first, 4, 3000), "one!");
  const int second = connect_local(forwarder.ports[0]);  // the kernel's backlog takes it
  ASSERT_GE(second, 0);
  ASSERT_TRUE(send_all(second, "two!"));
  EXPECT_EQ(read_exactly(second, 4, 500), "") << "served past --max-conns 1";
  ::close(first);
  EXPECT_EQ(read_exactly(second, 4, 3000), "two!");
  ::close(second);
}

TEST(ForwardRules, IdleTimeoutClosesAQuietConnection) {
  auto peer = start_peer("echo");
  auto forwarder = start_forwarder({"0", target(peer), "--idle-timeout", "400ms"});
  const int fd = connect_local(forwarder.ports[0]);
  ASSERT_TRUE(send_all(fd, "ping"));
  ASSERT_EQ(read_exactly(fd, 4, 3000), "ping");
  const auto start = Clock::now();
  int error = -1;
  read_until_close(fd, 5000, &error);
  const auto waited = ms_since(start);
  ::close(fd);
  EXPECT_EQ(error, 0);
  EXPECT_GE(waited, 300.0);
  EXPECT_LT(waited, 1500.0);
}

TEST(ForwardRules, UdpSessionsRouteEveryReplyToItsClient) {
  auto peer = start_peer("udp", "echoed");
  auto forwarder = start_forwarder({"0/udp", target(peer)});
  constexpr int kClients = 50;
  constexpr int kDatagrams = 20;
  std::vector<int> clients;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(forwarder.ports[0]));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < kClients; ++i) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    clients.push_back(fd);
  }
  int right = 0;
  for (int round = 0; round < kDatagrams; ++round) {
    for (int i = 0; i < kClients; ++i) {
      const auto text = "client " + std::to_string(i) + " datagram " + std::to_string(round);
      ::send(clients[i], text.data(), text.size(), 0);
    }
    for (int i = 0; i < kClients; ++i) {
      pollfd entry{clients[i], POLLIN, 0};
      char reply[256];
      if (::poll(&entry, 1, 2000) <= 0) continue;
      const auto n = ::recv(clients[i], reply, sizeof reply, 0);
      const auto text = "echoed:client " + std::to_string(i) + " datagram " + std::to_string(round);
      if (n > 0 && std::string(reply, static_cast<std::size_t>(n)) == text) ++right;
    }
  }
  for (const int fd : clients) ::close(fd);
  EXPECT_EQ(right, kClients * kDatagrams);
  forwarder.process->signal(SIGTERM);
  EXPECT_EQ(forwarder.process->wait(), 0);
  const auto rest = forwarder.process->rest_of_stdout();
  const auto summary = nlohmann::json::parse(rest.substr(rest.rfind("{\"event\":\"summary\"")));
  EXPECT_EQ(summary.at("rules").at(0).at("connections"), kClients);
}

// A burst from one client moves as batches: every size up to near the UDP maximum must come
// back whole, in order, to the client that sent it.
TEST(ForwardRules, UdpBurstsOfEverySizeComeBackWholeAndInOrder) {
  auto peer = start_peer("udp", "e");
  auto forwarder = start_forwarder({"0/udp", target(peer)});
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(forwarder.ports[0]));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::vector<std::size_t> sizes = {1, 100, 1400, 8972, 30000, 0, 65000, 512, 1472, 3};
  constexpr int kClients = 3;
  constexpr int kBurst = 40;  // more than one batch of 16
  std::vector<char> reply(65536);
  std::vector<int> clients;
  for (int client = 0; client < kClients; ++client) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    const auto payload = [&](int index) {
      return std::string(sizes[static_cast<std::size_t>(index) % sizes.size()],
                         static_cast<char>('a' + (client * kBurst + index) % 26));
    };
    // UDP has no flow control: a burst bigger than a queue on the path (208 KiB each, the
    // forwarder's and the Python peer's) is lost however fast the relay is. Up to 70,000 bytes
    // are in flight at once, many datagrams when they are small, so batches still form.
    int whole = 0;
    int answered = 0;
    std::size_t in_flight = 0;
    const auto collect = [&] {
      for (; answered < kBurst && in_flight > 0; ++answered) {
        pollfd entry{fd, POLLIN, 0};
        if (::poll(&entry, 1, 5000) <= 0) return;
        const auto n = ::recv(fd, reply.data(), reply.size(), 0);
        const auto expected = payload(answered);
        if (n >= 0 && std::string(reply.data(), static_cast<std::size_t>(n)) == "e:" + expected)
          ++whole;
        in_flight -= std::min(in_flight, expected.size() + 1);
      }
    };
    for (int index = 0; index < kBurst; ++index) {
      const auto text = payload(index);
      if (in_flight > 0 && in_flight + text.size() > 70000) collect();
      ASSERT_EQ(::send(fd, text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
      in_flight += text.size() + 1;
    }
    collect();
    // Kept open to the end: a closed client's port may be the next client's, and the
    // forwarder would rightly see one session where the test counts two.
    clients.push_back(fd);
    EXPECT_EQ(whole, kBurst) << "client " << client;
  }
  for (const int client_fd : clients) ::close(client_fd);
  forwarder.process->signal(SIGTERM);
  EXPECT_EQ(forwarder.process->wait(), 0);
  const auto rest = forwarder.process->rest_of_stdout();
  const auto summary = nlohmann::json::parse(rest.substr(rest.rfind("{\"event\":\"summary\"")));
  const auto& rule = summary.at("rules").at(0);
  EXPECT_EQ(rule.at("connections"), kClients);
  EXPECT_EQ(rule.at("dropped"), 0);
  std::uint64_t sent_bytes = 0;
  for (int index = 0; index < kBurst; ++index) sent_bytes += sizes[index % sizes.size()];
  EXPECT_EQ(rule.at("bytes_up"), kClients * sent_bytes);
  EXPECT_EQ(rule.at("bytes_down"), kClients * (sent_bytes + 2 * kBurst));
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(ForwardRules, SighupReloadAppliesNewRulesAndKeepsOpenConnections) {
  auto old_peer = start_peer("tag", "old");
  auto new_peer = start_peer("tag", "new");
  const int port_a = free_tcp_port();
  const int port_b = free_tcp_port();
  const auto config = ::testing::TempDir() + "forward_reload.toml";
  write_file(config, "[[rule]]\nlisten = " + std::to_string(port_a) + "\ntarget = \"" +
                         target(old_peer) + "\"\n");
  // Two workers, each reloading on its own: both must say so before the new rules are sure.
  auto forwarder = start_forwarder({"--config", config, "--workers", "2"});
  // Each says which worker it is.
  const auto wait_for_both = [&](const std::string& event) {
    std::set<std::string> workers;
    std::string line;
    while (workers.size() < 2 && !(line = forwarder.process->read_line(5000)).empty()) {
      if (line.find("\"event\":\"" + event + "\"") == std::string::npos) continue;
      for (const auto* worker : {"\"worker\":1", "\"worker\":2"}) {
        if (line.find(worker) != std::string::npos) workers.insert(worker);
      }
    }
    return line;
  };
  const int held = connect_local(port_a);
  ASSERT_EQ(read_line_from(held, 3000), "old");

  write_file(config, "[[rule]]\nlisten = " + std::to_string(port_a) + "\ntarget = \"" +
                         target(new_peer) + "\"\n[[rule]]\nlisten = \"127.0.0.1:" +
                         std::to_string(port_b) + "\"\ntargets = [\"" + target(old_peer) + "\"]\n");
  forwarder.process->signal(SIGHUP);
  ASSERT_NE(wait_for_both("reloaded"), "") << "no reloaded event from each worker";
  const int fresh = connect_local(port_a);
  EXPECT_EQ(read_line_from(fresh, 3000), "new");
  ::close(fresh);
  const int added = connect_local(port_b);
  EXPECT_EQ(read_line_from(added, 3000), "old");
  ::close(added);
  ASSERT_TRUE(send_all(held, "still"));
  EXPECT_EQ(read_exactly(held, 5, 3000), "still") << "the connection open across the reload";
  ::close(held);

  write_file(config, "[[rule]]\nlisten = 99999\ntarget = \"127.0.0.1:9\"\n");
  forwarder.process->signal(SIGHUP);
  const auto line = wait_for_both("reload_failed");
  EXPECT_NE(line.find("99999"), std::string::npos) << line;
  const int after_failure = connect_local(port_a);
  EXPECT_EQ(read_line_from(after_failure, 3000), "new") << "a bad config leaves the rules running";
  ::close(after_failure);
}

TEST(ForwardRules, SigtermStopsAcceptingDrainsThenExitsZero) {
  auto peer = start_peer("echo");
  // One worker: its "draining" event says the only listening socket is closed.
  auto forwarder = start_forwarder({"0", target(peer), "--drain", "5s", "--workers", "1"});
  const int port = forwarder.ports[0];
  const int held = connect_local(port);
  ASSERT_TRUE(send_all(held, "ping"));
  ASSERT_EQ(read_exactly(held, 4, 3000), "ping");
  forwarder.process->signal(SIGTERM);
  ASSERT_NE(wait_for_event(*forwarder.process, "draining"), "");
  EXPECT_LT(connect_local(port), 0) << "still accepting while draining";
  ASSERT_TRUE(send_all(held, "more"));
  EXPECT_EQ(read_exactly(held, 4, 3000), "more") << "an established connection finishes";
  const auto closed = Clock::now();
  ::close(held);
  EXPECT_EQ(forwarder.process->wait(3000), 0);
  EXPECT_LT(ms_since(closed), 1500.0);
}

TEST(ForwardRules, DrainTimeoutClosesWhatIsLeftAndExitsZero) {
  auto peer = start_peer("echo");
  auto forwarder = start_forwarder({"0", target(peer), "--drain", "300ms"});
  const int held = connect_local(forwarder.ports[0]);
  ASSERT_TRUE(send_all(held, "ping"));
  ASSERT_EQ(read_exactly(held, 4, 3000), "ping");
  forwarder.process->signal(SIGINT);
  int error = -1;
  read_until_close(held, 3000, &error);
  ::close(held);
  EXPECT_NE(error, ETIMEDOUT) << "the held connection must be closed at the drain's end";
  EXPECT_EQ(forwarder.process->wait(3000), 0);
}

TEST(ForwardRules, AllInterfacesIsSaidAtStartUp) {
  const auto result = run_process({"timeout", "--preserve-status", "-s", "INT", "1", PORTKIT_BINARY,
                                   "forward", "0.0.0.0:0", "127.0.0.1:9", "--drain", "0s"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("ALL interfaces"), std::string::npos) << result.err;
  const auto local = run_process({"timeout", "--preserve-status", "-s", "INT", "1", PORTKIT_BINARY,
                                  "forward", "0", "127.0.0.1:9"});
  EXPECT_EQ(local.err.find("ALL interfaces"), std::string::npos) << local.err;
}

TEST(ForwardRules, BadInputIsOneLineAndExitTwo) {
  const std::vector<std::vector<std::string>> cases{
      {"forward"},
      {"forward", "8080"},
      {"forward", "70000", "127.0.0.1:80"},
      {"forward", "8080", "127.0.0.1"},
      {"forward", "8080/udp", "127.0.0.1:53/tcp"},
      {"forward", "8080", "127.0.0.1:80", "--allow", "example.com"},
      {"forward", "8080", "127.0.0.1:80", "--balance", "random"},
      {"forward", "8080/udp", "127.0.0.1:53", "--proxy-protocol", "v1"},
      {"forward", "--config", "/nonexistent/rules.toml"},
  };
  for (const auto& args : cases) {
    const auto result = run_portkit(args);
    EXPECT_EQ(result.exit_code, 2) << args.back() << ": " << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_EQ(result.err.rfind("portkit: forward: ", 0), 0U) << result.err;
  }
  const auto config = ::testing::TempDir() + "forward_bad.toml";
  write_file(config,
             "[[rule]]\nlisten = 8080\ntarget = \"127.0.0.1:80\"\n\n[[rule]]\nlisten = "
             "8081\ntargte = \"x\"\n");
  const auto result = run_portkit({"forward", "--config", config});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("forward_bad.toml:7: unknown key 'targte'"), std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace portkit::testing_support

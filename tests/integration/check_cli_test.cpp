// `portkit check` on loopback (IPv4, IPv6, TCP, UDP), compared with nmap in the same test.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "process.hpp"
#include "reachability_support.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using namespace testing_support;

TEST(CheckCli, LoopbackTcpMatchesNmap) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json"});
  const auto open_port = listening_port(server);
  ASSERT_NE(open_port, 0);
  const auto closed_port = free_tcp_port();
  const auto ours = check_states(
      {"127.0.0.1:" + std::to_string(open_port), "127.0.0.1:" + std::to_string(closed_port)});
  const auto theirs = nmap_states({"-sT"}, "127.0.0.1", {open_port, closed_port});
  EXPECT_EQ(ours.at(open_port), "open");
  EXPECT_EQ(ours.at(closed_port), "closed");
  EXPECT_EQ(ours, theirs);
}

TEST(CheckCli, Ipv6LoopbackMatchesNmap) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--bind", "::1", "--json"});
  const auto open_port = listening_port(server);
  ASSERT_NE(open_port, 0);
  const auto closed_port = free_tcp_port(true);
  const auto ours =
      check_states({"[::1]:" + std::to_string(open_port), "[::1]:" + std::to_string(closed_port)});
  const auto theirs = nmap_states({"-6", "-sT"}, "::1", {open_port, closed_port});
  EXPECT_EQ(ours.at(open_port), "open");
  EXPECT_EQ(ours, theirs);
}

TEST(CheckCli, LoopbackUdpMatchesNmap) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0/udp", "--json"});
  const auto open_port = listening_port(server);
  ASSERT_NE(open_port, 0);
  const auto closed_port = free_udp_port();
  const auto ours = check_states({"127.0.0.1:" + std::to_string(open_port) + "/udp",
                                  "127.0.0.1:" + std::to_string(closed_port) + "/udp"});
  const auto theirs = nmap_states({"-sU"}, "127.0.0.1", {open_port, closed_port});
  EXPECT_EQ(ours.at(open_port), "open");
  EXPECT_EQ(ours.at(closed_port), "closed");
  EXPECT_EQ(ours, theirs);
}

TEST(CheckCli, ExitCodeAndLatency) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json"});
  const auto port = std::to_string(listening_port(server));
  const auto open = run_portkit({"check", "--json", "localhost:" + port});
  EXPECT_EQ(open.exit_code, 0) << open.err;
  const auto result = json::parse(open.out)["results"][0];
  EXPECT_EQ(result["state"], "open");
  EXPECT_EQ(result["reason"], "syn-ack");
  EXPECT_TRUE(result["latency_ms"].is_number());
  EXPECT_EQ(result["port"], std::stoi(port));
  const auto mixed =
      run_portkit({"check", "127.0.0.1:" + port, "127.0.0.1:" + std::to_string(free_tcp_port())});
  EXPECT_EQ(mixed.exit_code, 1);
  EXPECT_NE(mixed.out.find("closed"), std::string::npos);
}

TEST(CheckCli, BannersAreReadAndSanitised) {
  BackgroundProcess ssh_like(
      {PORTKIT_BINARY, "listen", "0", "--banner", "SSH-2.0-portkit\x01test", "--json"});
  const auto ssh_port = std::to_string(listening_port(ssh_like));
  const auto ssh = run_portkit({"check", "--banner", "--json", "127.0.0.1:" + ssh_port});
  EXPECT_EQ(json::parse(ssh.out)["results"][0]["banner"], "SSH-2.0-portkit.test");

  BackgroundProcess http_like({PORTKIT_BINARY, "listen", "0", "--mode", "http", "--json"});
  const auto http_port = std::to_string(listening_port(http_like));
  const auto http = run_portkit({"check", "--banner", "--json", "127.0.0.1:" + http_port});
  const auto banner = json::parse(http.out)["results"][0]["banner"].get<std::string>();
  EXPECT_EQ(banner.rfind("HTTP/1.1 200 OK | ", 0), 0u) << banner;
}

TEST(CheckCli, BadInputIsOneLineAndExit2) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"check", "localhost:0"},
                                             {"check", "host:"},
                                             {"check", "--timeout", "-1", "localhost:22"},
                                             {"check", "--timeout", "5xs", "localhost:22"},
                                             {"check", "[::1:22"},
                                             {"check"}}) {
    const auto result = run_portkit(args);
    EXPECT_EQ(result.exit_code, 2) << args.back() << ": " << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
    EXPECT_EQ(result.err.rfind("portkit: check: ", 0), 0u) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
}

}  // namespace
}  // namespace portkit

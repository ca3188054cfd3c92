// `portkit listen` answered by real clients (curl, nc) in every mode, TCP and UDP.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "process.hpp"
#include "reachability_support.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using namespace testing_support;

TEST(ListenCli, EchoAnswersNc) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json", "--count", "1"});
  const auto port = std::to_string(listening_port(server));
  const auto nc = run_process({"nc", "-N", "127.0.0.1", port}, "ping over tcp\n");
  EXPECT_EQ(nc.out, "ping over tcp\n") << nc.err;
  EXPECT_EQ(server.wait(), 0);  // --count 1 ends it
  const auto events = server.rest_of_stdout();
  EXPECT_NE(events.find("\"event\":\"connected\""), std::string::npos);
  EXPECT_NE(events.find("\"bytes_in\":14"), std::string::npos) << events;
}

TEST(ListenCli, HttpAnswersCurl) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--mode", "http", "--json"});
  const auto port = std::to_string(listening_port(server));
  const auto curl = run_process({"curl", "-sS", "-i", "http://127.0.0.1:" + port + "/anything"});
  ASSERT_EQ(curl.exit_code, 0) << curl.err;
  EXPECT_EQ(curl.out.rfind("HTTP/1.1 200 OK", 0), 0u) << curl.out;
  EXPECT_NE(curl.out.find("port " + port), std::string::npos);
  EXPECT_NE(curl.out.find("your socket is 127.0.0.1:"), std::string::npos);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
}

TEST(ListenCli, BannerAndDiscard) {
  BackgroundProcess banner(
      {PORTKIT_BINARY, "listen", "0", "--banner", "220 portkit test", "--json"});
  const auto banner_port = std::to_string(listening_port(banner));
  const auto greeting = run_process({"nc", "-d", "127.0.0.1", banner_port});
  EXPECT_EQ(greeting.out, "220 portkit test\r\n");

  BackgroundProcess discard(
      {PORTKIT_BINARY, "listen", "0", "--mode", "discard", "--json", "--count", "1"});
  const auto discard_port = std::to_string(listening_port(discard));
  const auto silent = run_process({"nc", "-N", "127.0.0.1", discard_port}, "thrown away\n");
  EXPECT_EQ(silent.out, "");
  EXPECT_EQ(discard.wait(), 0);
  EXPECT_NE(discard.rest_of_stdout().find("\"bytes_in\":12"), std::string::npos);
}

TEST(ListenCli, UdpEchoAndIpv6) {
  BackgroundProcess udp({PORTKIT_BINARY, "listen", "0/udp", "--json", "--count", "1"});
  const auto udp_port = std::to_string(listening_port(udp));
  const auto reply = run_process({"nc", "-u", "-w", "1", "127.0.0.1", udp_port}, "datagram\n");
  EXPECT_EQ(reply.out, "datagram\n") << reply.err;
  EXPECT_EQ(udp.wait(), 0);

  BackgroundProcess v6({PORTKIT_BINARY, "listen", "0", "--bind", "::1", "--json", "--count", "1"});
  const auto v6_port = std::to_string(listening_port(v6));
  const auto nc6 = run_process({"nc", "-N", "::1", v6_port}, "six\n");
  EXPECT_EQ(nc6.out, "six\n");
  EXPECT_EQ(v6.wait(), 0);
}

// A server that served one client at a time would hold the second until the first hangs up
// (10 s here): the second must be answered while the first is still connected.
TEST(ListenCli, ConcurrentClientsAndCleanStop) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json", "--duration", "20s"});
  const auto port = std::to_string(listening_port(server));
  BackgroundProcess holder({"sh", "-c", "(echo first; sleep 10) | nc -N 127.0.0.1 " + port});
  EXPECT_EQ(holder.read_line(), "first") << "the first client was served";
  EXPECT_NE(server.read_line().find("\"event\":\"connected\""), std::string::npos);
  const auto start = std::chrono::steady_clock::now();
  const auto quick = run_process({"timeout", "5", "nc", "-N", "127.0.0.1", port}, "second\n");
  EXPECT_EQ(quick.out, "second\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(holder.wait(0), -1) << "the first client is still connected";
  EXPECT_NE(server.read_line().find("\"event\":\"connected\""), std::string::npos);
  EXPECT_NE(server.read_line().find("\"event\":\"closed\""), std::string::npos);
  server.signal(SIGINT);
  EXPECT_EQ(server.wait(), 0);
  EXPECT_NE(server.rest_of_stdout().find("\"reason\":\"signal\""), std::string::npos);
}

TEST(ListenCli, DurationEndsItEvenWithAClientConnected) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json", "--duration", "1s"});
  const auto port = std::to_string(listening_port(server));
  BackgroundProcess idle({"sh", "-c", "sleep 5 | nc 127.0.0.1 " + port});
  EXPECT_NE(server.read_line().find("\"event\":\"connected\""), std::string::npos)
      << "the idle client connected";
  EXPECT_EQ(server.wait(3000), 0) << "a connected client kept the server alive";
  EXPECT_NE(server.rest_of_stdout().find("\"reason\":\"duration\""), std::string::npos);
}

// As the exporter: 1,000 clients holding half a request must not keep the page from others.
TEST(ListenCli, HttpAnswersWithAThousandSlowClients) {
  // Its events go to /dev/null: a thousand "connected" lines would fill an unread pipe.
  const int port = free_tcp_port();
  BackgroundProcess server({"sh", "-c",
                            std::string("exec ") + PORTKIT_BINARY + " listen " +
                                std::to_string(port) + " --mode http --json >/dev/null"});
  int first_status = 0;
  for (int attempt = 0; attempt < 100 && first_status != 200; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    first_status = timed_get("http://127.0.0.1:" + std::to_string(port) + "/").status;
  }
  ASSERT_EQ(first_status, 200);
  const long resident_before = resident_kib(server.pid());
  const SlowClients slow(port, 1000, "GET / HTTP/1.1\r\nHost: listen\r\n");
  ASSERT_EQ(slow.connected(), 1000);
  std::vector<double> times;
  for (int request = 0; request < 5; ++request) {
    const auto got = timed_get("http://127.0.0.1:" + std::to_string(port) + "/");
    EXPECT_EQ(got.status, 200);
    times.push_back(got.ms);
  }
  std::sort(times.begin(), times.end());
  // 100 ms in the release run; the sanitizer run (PORTKIT_TEST_LIGHT) is about 3x slower.
  EXPECT_LT(times[2], std::getenv("PORTKIT_TEST_LIGHT") ? 300.0 : 100.0) << "median ms";
  EXPECT_LT(resident_kib(server.pid()) - resident_before, 32 * 1024) << "KiB";
}

TEST(ListenCli, BusyPortAndBadInput) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json"});
  const auto port = std::to_string(listening_port(server));
  const auto busy = run_portkit({"listen", port});
  EXPECT_EQ(busy.exit_code, 3);
  EXPECT_NE(busy.err.find("Address already in use"), std::string::npos) << busy.err;
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"listen", "70000"},
                                             {"listen", "80", "--mode", "chat"},
                                             {"listen", "80", "--bind", "nothere"},
                                             {"listen", "80/udp", "--mode", "http"},
                                             {"listen", "80", "--duration", "-1"}}) {
    const auto result = run_portkit(args);
    EXPECT_EQ(result.exit_code, 2) << args.back() << ": " << result.err;
    EXPECT_EQ(result.err.rfind("portkit: listen: ", 0), 0u) << result.err;
  }
}

}  // namespace
}  // namespace portkit

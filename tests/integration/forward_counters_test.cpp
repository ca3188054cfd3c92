// portkit forward, counters while it runs: SIGUSR1 makes each worker tell its own, like dd.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "forward_support.hpp"

namespace portkit::testing_support {
namespace {

TEST(ForwardCounters, Sigusr1MakesEachWorkerTellItsCountersAndTheyAddUp) {
  EchoThread echo;
  auto forwarder =
      start_forwarder({"0", "127.0.0.1:" + std::to_string(echo.port()), "--workers", "2"});
  constexpr int kConnections = 12;
  for (int i = 0; i < kConnections; ++i) {
    const int fd = connect_local(forwarder.ports[0]);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd, "ping"));
    ASSERT_EQ(read_exactly(fd, 4, 3000), "ping");
    ::close(fd);
  }
  const int held = connect_local(forwarder.ports[0]);
  ASSERT_TRUE(send_all(held, "held"));
  ASSERT_EQ(read_exactly(held, 4, 3000), "held");

  forwarder.process->signal(SIGUSR1);
  std::map<int, nlohmann::json> by_worker;
  while (by_worker.size() < 2) {
    const auto line = forwarder.process->read_line(5000);
    ASSERT_FALSE(line.empty()) << "each worker must answer SIGUSR1";
    const auto event = nlohmann::json::parse(line);
    if (event.at("event") == "counters") by_worker[event.at("worker").get<int>()] = event;
  }
  std::uint64_t connections = 0, active = 0, bytes_up = 0, bytes_down = 0;
  for (const auto& [worker, event] : by_worker) {
    EXPECT_EQ(event.at("rule"), "127.0.0.1:0/tcp");  // the rule as given
    connections += event.at("connections").get<std::uint64_t>();
    active += event.at("active").get<std::uint64_t>();
    bytes_up += event.at("bytes_up").get<std::uint64_t>();
    bytes_down += event.at("bytes_down").get<std::uint64_t>();
  }
  EXPECT_EQ(connections, kConnections + 1);
  // The held one, and any of the closed ones whose end the relay has not seen yet.
  EXPECT_GE(active, 1u);
  EXPECT_LE(active, kConnections + 1u);
  EXPECT_EQ(bytes_up, 4u * (kConnections + 1));
  EXPECT_EQ(bytes_down, 4u * (kConnections + 1));

  // The forwarder runs on after telling.
  const int after = connect_local(forwarder.ports[0]);
  ASSERT_TRUE(send_all(after, "more"));
  EXPECT_EQ(read_exactly(after, 4, 3000), "more");
  ::close(after);
  ::close(held);
  forwarder.process->signal(SIGTERM);
  EXPECT_EQ(forwarder.process->wait(), 0);
}

}  // namespace
}  // namespace portkit::testing_support

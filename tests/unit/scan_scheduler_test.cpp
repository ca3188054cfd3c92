// The scan state machine, driven with a fake clock: what goes out when, and what silence means.
#include "scan/scan_scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace portkit {
namespace {

using std::chrono::milliseconds;

const Verdict kClosed{PortState::closed, ProbeReason::conn_refused};
const Verdict kOpen{PortState::open, ProbeReason::syn_ack};
const Verdict kSilence{PortState::filtered, ProbeReason::no_response};
const Verdict kPortUnreach{PortState::closed, ProbeReason::port_unreach};

ScanHost host_at(const char* address) {
  return ScanHost{"", *parse_ip_address(address)};
}

SchedulerConfig config_for(std::vector<std::uint16_t> tcp, std::vector<std::uint16_t> udp = {}) {
  SchedulerConfig config;
  config.tcp_ports = std::move(tcp);
  config.udp_ports = std::move(udp);
  config.bounds = TimeoutBounds{Micros{500'000}, Micros{100'000}, Micros{1'000'000}};
  config.seed = 7;
  config.initial_window = 1000;
  config.max_window = 1000;
  return config;
}

std::vector<ProbeTask> drain(ScanScheduler& scheduler, ScanClock::time_point now) {
  std::vector<ProbeTask> tasks;
  while (auto task = scheduler.next(now)) tasks.push_back(*task);
  return tasks;
}

TEST(ScanScheduler, HandsOutEveryPortOnceAndFinishesSorted) {
  std::vector<std::uint16_t> ports;
  for (std::uint16_t port = 1; port <= 300; ++port) ports.push_back(port);
  ScanScheduler scheduler(config_for(ports));
  const auto id = scheduler.add_host(host_at("127.0.0.1"), false);
  const auto now = ScanClock::now();
  const auto tasks = drain(scheduler, now);
  ASSERT_EQ(tasks.size(), 300U);
  std::set<std::uint16_t> unique;
  for (const auto& task : tasks) unique.insert(task.port);
  EXPECT_EQ(unique.size(), 300U);
  EXPECT_FALSE(std::is_sorted(tasks.begin(), tasks.end(),
                              [](const auto& a, const auto& b) { return a.port < b.port; }));
  for (const auto& task : tasks) {
    const auto outcome = scheduler.record(task, task.port == 80 ? kOpen : kClosed, Micros{50});
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->attempts, 1);
  }
  ASSERT_TRUE(scheduler.host_done(id));
  const auto report = scheduler.finish_host(id, true);
  ASSERT_EQ(report.ports.size(), 300U);
  EXPECT_TRUE(std::is_sorted(report.ports.begin(), report.ports.end(),
                             [](const auto& a, const auto& b) { return a.port < b.port; }));
  EXPECT_EQ(report.count(PortState::open), 1U);
  ASSERT_TRUE(report.min_rtt_ms);
  EXPECT_DOUBLE_EQ(*report.min_rtt_ms, 0.05);
  EXPECT_TRUE(scheduler.active_hosts().empty());
}

TEST(ScanScheduler, LikelyOpenPortsGoFirstUnlessSequential) {
  std::vector<std::uint16_t> ports;
  for (std::uint16_t port = 1; port <= 1000; ++port) ports.push_back(port);
  ScanScheduler shuffled(config_for(ports));
  shuffled.add_host(host_at("127.0.0.1"), false);
  const auto tasks = drain(shuffled, ScanClock::now());
  EXPECT_EQ(tasks[0].port, 80);
  EXPECT_EQ(tasks[1].port, 443);
  EXPECT_EQ(tasks[2].port, 22);

  auto config = config_for(ports);
  config.sequential = true;
  ScanScheduler sequential(config);
  sequential.add_host(host_at("127.0.0.1"), false);
  const auto in_order = drain(sequential, ScanClock::now());
  for (std::size_t i = 0; i < in_order.size(); ++i) ASSERT_EQ(in_order[i].port, i + 1);
}

TEST(ScanScheduler, SilenceEarnsOneRetryUntilTheHostAnswersARetry) {
  ScanScheduler scheduler(config_for({1, 2, 3}));
  const auto id = scheduler.add_host(host_at("198.18.0.2"), true);
  const auto now = ScanClock::now();
  auto first = drain(scheduler, now);
  ASSERT_EQ(first.size(), 3U);
  for (const auto& task : first) EXPECT_FALSE(scheduler.record(task, kSilence, std::nullopt));
  auto second = drain(scheduler, now);
  ASSERT_EQ(second.size(), 3U);
  for (const auto& task : second) EXPECT_EQ(task.attempt, 2);
  EXPECT_EQ(scheduler.retries_earned(id), 1);
  // One retry is answered: the path loses probes, so silence now earns a second retry.
  ASSERT_TRUE(scheduler.record(second[0], kClosed, Micros{20'000}));
  EXPECT_EQ(scheduler.retries_earned(id), 2);
  EXPECT_FALSE(scheduler.record(second[1], kSilence, std::nullopt));
  EXPECT_FALSE(scheduler.record(second[2], kSilence, std::nullopt));
  auto third = drain(scheduler, now);
  ASSERT_EQ(third.size(), 2U);
  for (const auto& task : third) {
    EXPECT_EQ(task.attempt, 3);
    const auto outcome = scheduler.record(task, kSilence, std::nullopt);
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->state, PortState::filtered);
    EXPECT_EQ(outcome->reason, ProbeReason::no_response);
    EXPECT_EQ(outcome->attempts, 3);
  }
  EXPECT_TRUE(scheduler.host_done(id));
}

// Loss on a busy path comes in bursts: the first retry goes out at once, later ones wait until
// every port had its first probe, when the path carries least.
TEST(ScanScheduler, LaterTcpRetriesWaitForTheFirstPass) {
  auto config = config_for({1, 2, 3, 4, 5});
  config.initial_window = 2;
  config.max_window = 2;
  config.sequential = true;
  ScanScheduler scheduler(config);
  const auto id = scheduler.add_host(host_at("198.18.0.2"), true);
  const auto now = ScanClock::now();
  const auto first = drain(scheduler, now);  // ports 1 and 2, both unanswered
  ASSERT_EQ(first.size(), 2U);
  for (const auto& task : first) EXPECT_FALSE(scheduler.record(task, kSilence, std::nullopt));
  const auto retries = drain(scheduler, now);  // first retries go out at once, before port 3
  ASSERT_EQ(retries.size(), 2U);
  for (const auto& task : retries) EXPECT_EQ(task.attempt, 2);
  ASSERT_TRUE(scheduler.record(retries[0], kClosed, Micros{20'000}));  // a loss: 2 retries now
  EXPECT_FALSE(scheduler.record(retries[1], kSilence, std::nullopt));
  const auto middle = drain(scheduler, now);  // the first pass goes on: ports 3 and 4
  ASSERT_EQ(middle.size(), 2U);
  for (const auto& task : middle) {
    EXPECT_EQ(task.attempt, 1);
    ASSERT_TRUE(scheduler.record(task, kClosed, Micros{20'000}));
  }
  const auto last = drain(scheduler, now);  // port 5, then the third attempt
  ASSERT_EQ(last.size(), 2U);
  EXPECT_EQ(last[0].port, 5);
  EXPECT_EQ(last[1].port, retries[1].port);
  EXPECT_EQ(last[1].attempt, 3);
  for (const auto& task : last) ASSERT_TRUE(scheduler.record(task, kClosed, Micros{20'000}));
  EXPECT_TRUE(scheduler.host_done(id));
}

TEST(ScanScheduler, MaxRetriesZeroMeansOneAttempt) {
  auto config = config_for({5});
  config.max_retries = 0;
  ScanScheduler scheduler(config);
  scheduler.add_host(host_at("198.18.0.2"), true);
  const auto task = scheduler.next(ScanClock::now());
  ASSERT_TRUE(task);
  const auto outcome = scheduler.record(*task, kSilence, std::nullopt);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->attempts, 1);
}

TEST(ScanScheduler, GivenBackTaskIsNotAnAttemptAndComesBackFirst) {
  ScanScheduler scheduler(config_for({10, 11, 12}));
  scheduler.add_host(host_at("127.0.0.1"), false);
  const auto now = ScanClock::now();
  const auto task = scheduler.next(now);
  ASSERT_TRUE(task);
  scheduler.give_back(*task);
  const auto again = scheduler.next(now);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->port, task->port);
  EXPECT_EQ(again->attempt, 1);
}

TEST(ScanScheduler, AlternatesBetweenHosts) {
  ScanScheduler scheduler(config_for({1, 2, 3, 4}));
  const auto a = scheduler.add_host(host_at("127.0.0.1"), false);
  const auto b = scheduler.add_host(host_at("127.0.0.2"), false);
  const auto tasks = drain(scheduler, ScanClock::now());
  ASSERT_EQ(tasks.size(), 8U);
  for (std::size_t i = 0; i + 1 < tasks.size(); ++i) EXPECT_NE(tasks[i].host, tasks[i + 1].host);
  EXPECT_NE(a, b);
}

TEST(ScanScheduler, WindowOpensOnAnswersAndShrinksOnAnsweredRetries) {
  std::vector<std::uint16_t> ports;
  for (std::uint16_t port = 1000; port < 3000; ++port) ports.push_back(port);
  auto config = config_for(ports);
  config.initial_window = 10;
  ScanScheduler scheduler(config);
  const auto id = scheduler.add_host(host_at("198.18.0.2"), true);
  const auto now = ScanClock::now();
  auto batch = drain(scheduler, now);
  ASSERT_EQ(batch.size(), 10U);  // the initial window
  for (const auto& task : batch) scheduler.record(task, kClosed, Micros{1000});
  EXPECT_DOUBLE_EQ(scheduler.window(id), 20.0);  // slow start: one more per answer
  batch = drain(scheduler, now);
  ASSERT_EQ(batch.size(), 20U);
  // Silence does not close the window (a firewall is not congestion); in slow start it opens
  // it by two, since a silent probe held its slot a whole timeout ...
  scheduler.record(batch[0], kSilence, std::nullopt);
  EXPECT_DOUBLE_EQ(scheduler.window(id), 22.0);
  // ... but an answer to a retry does: something was lost on the way.
  auto retry = drain(scheduler, now);
  ASSERT_FALSE(retry.empty());
  ASSERT_EQ(retry[0].attempt, 2);
  scheduler.record(retry[0], kClosed, Micros{1000});
  EXPECT_DOUBLE_EQ(scheduler.window(id), 22.0 * 0.7);
  // Past that loss, silence opens it by a tenth only, as answers do.
  scheduler.record(batch[1], kSilence, std::nullopt);
  EXPECT_DOUBLE_EQ(scheduler.window(id), 22.0 * 0.7 + 0.1);
}

TEST(ScanScheduler, UdpRetriesToARateLimitedHostWaitForTheFirstPassAndArePaced) {
  auto config = config_for({}, {100, 101, 102});
  config.sequential = true;
  config.udp_retry_spacing = Micros{1'000'000};
  ScanScheduler scheduler(config);
  const auto id = scheduler.add_host(host_at("198.18.0.2"), true);
  auto now = ScanClock::now();
  auto first = drain(scheduler, now);
  ASSERT_EQ(first.size(), 3U);
  EXPECT_TRUE(scheduler.record(first[0], kPortUnreach, Micros{500}));  // the host sends ICMP
  EXPECT_FALSE(scheduler.record(first[1], kSilence, std::nullopt));
  EXPECT_TRUE(drain(scheduler, now).empty()) << "port 102 is still in its first pass";
  EXPECT_FALSE(scheduler.record(first[2], kSilence, std::nullopt));
  EXPECT_TRUE(drain(scheduler, now).empty()) << "the first pass may have spent the ICMP budget";
  now += milliseconds(1000);
  auto paced = drain(scheduler, now);
  ASSERT_EQ(paced.size(), 1U);  // one per spacing
  EXPECT_EQ(paced[0].attempt, 2);
  EXPECT_TRUE(drain(scheduler, now + milliseconds(500)).empty());
  ASSERT_TRUE(scheduler.next_due());
  now += milliseconds(1000);
  const auto second = drain(scheduler, now);
  ASSERT_EQ(second.size(), 1U);
  // A paced retry is the last: its silence means open|filtered, as it would for nmap.
  const auto outcome =
      scheduler.record(second[0], {PortState::open_filtered, ProbeReason::no_response}, {});
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->state, PortState::open_filtered);
  EXPECT_FALSE(scheduler.host_done(id));
}

}  // namespace
}  // namespace portkit

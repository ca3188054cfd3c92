#include <gtest/gtest.h>

#include <algorithm>

#include "portkit/free/free_ports.hpp"

namespace portkit {
namespace {

HostPortConfig free_host() {
  HostPortConfig host;
  host.ephemeral = {32768, 60999};
  host.reserved = {{20000, 20009}};
  return host;
}

bool has(const std::vector<std::uint16_t>& ports, std::uint16_t port) {
  return std::find(ports.begin(), ports.end(), port) != ports.end();
}

TEST(FreeCandidates, DefaultRangeLeavesOutEphemeralReservedAndKnownPorts) {
  std::mt19937_64 random(1);
  const auto ports = free_port_candidates({}, free_host(), random);
  EXPECT_FALSE(has(ports, 40000));  // ephemeral
  EXPECT_FALSE(has(ports, 20005));  // reserved
  EXPECT_FALSE(has(ports, 5432));   // PostgreSQL
  EXPECT_FALSE(has(ports, 80));     // below 1024
  EXPECT_TRUE(has(ports, 61000));
  EXPECT_TRUE(has(ports, 20010));
  EXPECT_TRUE(std::all_of(ports.begin(), ports.end(), [](auto p) { return p >= 1024; }));
  EXPECT_FALSE(std::is_sorted(ports.begin(), ports.end()));  // random order
}

TEST(FreeCandidates, GivenRangeMayUseTheEphemeralRangeButNeverReservedPorts) {
  std::mt19937_64 random(1);
  FreeQuery query;
  query.ranges = {{40000, 40004}, {20008, 20011}, {40002, 40003}};
  query.order = FreeOrder::lowest;
  const auto ports = free_port_candidates(query, free_host(), random);
  EXPECT_EQ(ports, (std::vector<std::uint16_t>{20010, 20011, 40000, 40001, 40002, 40003, 40004}));
}

TEST(FreeCandidates, NearestFirstWithTiesToTheLowerPort) {
  std::mt19937_64 random(1);
  FreeQuery query;
  query.ranges = {{2995, 3005}};
  query.near = 3000;
  query.skip_known_services = false;
  const auto ports = free_port_candidates(query, free_host(), random);
  ASSERT_GE(ports.size(), 5u);
  EXPECT_EQ(ports[0], 3000);
  EXPECT_EQ(ports[1], 2999);
  EXPECT_EQ(ports[2], 3001);
  EXPECT_EQ(ports[3], 2998);
}

TEST(FreeCandidates, KnownServicePortsAreSkippedOnlyWhenAsked) {
  std::mt19937_64 random(1);
  FreeQuery query;
  query.ranges = {{6379, 6380}};
  query.order = FreeOrder::lowest;
  EXPECT_EQ(free_port_candidates(query, free_host(), random), std::vector<std::uint16_t>{6380});
  query.skip_known_services = false;
  EXPECT_EQ(free_port_candidates(query, free_host(), random),
            (std::vector<std::uint16_t>{6379, 6380}));
}

// A port left out is said, with the reason: "found 0 of 1" alone left the user guessing.
TEST(FreeCandidates, PortsLeftOutAreCountedAndNamed) {
  std::mt19937_64 random(1);
  FreeQuery query;
  query.ranges = {{5432, 5432}};
  FreeExclusions left_out;
  EXPECT_TRUE(free_port_candidates(query, free_host(), random, &left_out).empty());
  EXPECT_EQ(left_out.known_services, 1u);
  EXPECT_EQ(left_out.known_examples, std::vector<std::uint16_t>{5432});
  FreeResult result;
  result.left_out = left_out;
  const auto message = describe_shortfall(result, 1);
  EXPECT_EQ(message,
            "found 0 of 1 free ports (5432 (postgresql) left out as a known service: "
            "--include-known offers it)");
}

TEST(FreeCandidates, UdpOnlyQueryKeepsPortsKnownOnlyForTcp) {
  std::mt19937_64 random(1);
  FreeQuery query;
  query.ranges = {{5432, 5432}};
  query.tcp = false;
  query.udp = true;
  // PostgreSQL is TCP only: the port is fair game for a UDP service.
  EXPECT_EQ(free_port_candidates(query, free_host(), random), std::vector<std::uint16_t>{5432});
}

}  // namespace
}  // namespace portkit

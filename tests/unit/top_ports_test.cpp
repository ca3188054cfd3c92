#include "portkit/top_ports.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "portkit/registry.hpp"

namespace portkit {
namespace {

bool contains(const std::vector<std::uint16_t>& ports, std::uint16_t port) {
  return std::find(ports.begin(), ports.end(), port) != ports.end();
}

TEST(NmapServices, ParsesAndSkipsWhatDoesNotFit) {
  const auto table = parse_nmap_services(
      "# header\n"
      "http\t80/tcp\t0.484143\t# World Wide Web HTTP\n"
      "domain\t53/udp\t0.213496\n"
      "sctp-thing\t9/sctp\t0.1\n"
      "broken\n"
      "neg\t7/tcp\t-1\n"
      "big\t70000/tcp\t0.5\n");
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[0].port, 80);
  EXPECT_EQ(table[0].proto, Proto::tcp);
  EXPECT_DOUBLE_EQ(table[0].frequency, 0.484143);
  EXPECT_EQ(table[1].proto, Proto::udp);
}

TEST(TopPorts, FollowsMeasuredFrequencyAfterCuratedRanks) {
  // Frequencies invented so that their order differs from port order.
  const std::vector<PortFrequency> measured{{7777, Proto::tcp, 0.9},
                                            {7778, Proto::tcp, 0.1},
                                            {7779, Proto::tcp, 0.5},
                                            {7780, Proto::udp, 0.99}};
  const auto ranked = std::count_if(
      registry::curated().begin(), registry::curated().end(), [](const CuratedEntry& e) {
        return e.rank > 0 && e.rank <= 500 && e.ports.low == e.ports.high &&
               (e.protocols & kProtoTcp);
      });
  const auto top = top_ports(500, Proto::tcp, measured);
  ASSERT_EQ(top.size(), 500u);
  const auto at = [&](std::uint16_t port) {
    return std::find(top.begin(), top.end(), port) - top.begin();
  };
  EXPECT_EQ(at(7777), ranked);
  EXPECT_EQ(at(7779), ranked + 1);
  EXPECT_EQ(at(7778), ranked + 2);
  EXPECT_FALSE(contains(top, 7780));  // a UDP frequency does not rank a TCP port
}

TEST(TopPorts, InfrastructurePortsAreInTheDefaultThousand) {
  const auto top = top_ports(1000, Proto::tcp, load_nmap_services());
  ASSERT_EQ(top.size(), 1000u);
  for (const std::uint16_t port : {6443, 10250, 2379, 2380, 22, 80, 443, 5432}) {
    EXPECT_TRUE(contains(top, port)) << port;
  }
  std::vector<std::uint16_t> sorted = top;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());  // no repeats
}

TEST(TopPorts, WithoutNmapFallsBackToOurOrderAndTheRegistry) {
  const auto top = top_ports(2000, Proto::udp, {});
  ASSERT_EQ(top.size(), 2000u);
  EXPECT_TRUE(contains(top, 53));
  EXPECT_TRUE(contains(top, 123));
  EXPECT_TRUE(contains(top, 51820));
  EXPECT_EQ(top_ports(0, Proto::tcp, {}).size(), 0u);
  EXPECT_EQ(top_ports(70000, Proto::tcp, {}).size(), 65535u);
}

}  // namespace
}  // namespace portkit

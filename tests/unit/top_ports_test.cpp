#include "portkit/registry/top_ports.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "portkit/registry/registry.hpp"

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

TEST(NmapServices, OneTransportIsTheSameRowsAsFilteringAll) {
  const std::string text =
      "a\t1/tcp\t0.5\nb\t2/udp\t0.4\nc#x\t3/tcp\t0.3\nd\t4/tcp\t0.2#x\n"
      "e 5/tcp 0.1 # spaces\n#f\t6/tcp\t0.9\n";
  const auto tcp = parse_nmap_services(text, Proto::tcp);
  // '#' ends a line wherever it stands: "c#x" has one field left, "0.2#x" is "0.2".
  ASSERT_EQ(tcp.size(), 3u);
  EXPECT_EQ(tcp[0].port, 1);
  EXPECT_EQ(tcp[1].port, 4);
  EXPECT_DOUBLE_EQ(tcp[1].frequency, 0.2);
  EXPECT_EQ(tcp[2].port, 5);
  for (const auto proto : {Proto::tcp, Proto::udp}) {
    const auto all = load_nmap_services();
    std::vector<PortFrequency> expected;
    std::copy_if(all.begin(), all.end(), std::back_inserter(expected),
                 [&](const PortFrequency& row) { return row.proto == proto; });
    const auto only = load_nmap_services(kNmapServicesPath, proto);
    ASSERT_EQ(only.size(), expected.size());
    EXPECT_GT(only.size(), 1000u) << "nmap-services must be installed (scripts/install-deps)";
    for (std::size_t i = 0; i < only.size(); ++i) {
      EXPECT_EQ(only[i].port, expected[i].port);
      EXPECT_EQ(only[i].frequency, expected[i].frequency);
    }
  }
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

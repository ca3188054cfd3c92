// `portkit scan` against simulated remote hosts (tests/tools/netns-host): open, dropped,
// rejected and ICMP-prohibited ports, a 20 ms path, UDP, several hosts; each compared port by
// port with nmap run in the same test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "scan_support.hpp"

namespace portkit {
namespace {

using namespace testing_support;

TEST(NetnsScan, RejectedAndProhibitedPortsCarryNmapsReasons) {
  ASSERT_EQ(geteuid(), 0u) << "network namespaces need root (CI runs as root)";
  NamespaceHost host({"--tcp-open", "22,80", "--tcp-drop", "81,3000-3099", "--tcp-reject", "25",
                      "--tcp-prohibit", "26,27"});
  const std::string ports = "1-4000";
  const auto ours = portkit_scan({host.address4, "-p", ports});
  PortStates nmap_reasons;
  const auto theirs = nmap_scan({"-sT", "-T4", "-p", ports, host.address4}, &nmap_reasons);
  ASSERT_EQ(theirs.size(), 4000U) << "nmap gave no verdicts";
  EXPECT_EQ(ours.states, theirs) << differences(ours.states, theirs);
  EXPECT_EQ(ours.reasons, nmap_reasons) << differences(ours.reasons, nmap_reasons);
  EXPECT_EQ(ours.states.at("25/tcp"), "closed");
  EXPECT_EQ(ours.reasons.at("25/tcp"), "conn-refused");
  EXPECT_EQ(ours.states.at("26/tcp"), "filtered");
  // A connect() sees ICMP "communication prohibited" as EHOSTUNREACH, for nmap -sT as for us.
  EXPECT_EQ(ours.reasons.at("26/tcp"), nmap_reasons.at("26/tcp"));
  EXPECT_EQ(ours.reasons.at("81/tcp"), "no-response");
}

TEST(NetnsScan, TcpStatesAndReasonsMatchNmapOverADelayedPath) {
  ASSERT_EQ(geteuid(), 0u) << "network namespaces need root (CI runs as root)";
  NamespaceHost host(
      {"--delay", "20ms", "--tcp-open", "22,80,443,6443", "--tcp-drop", "1000-1299,2379"});
  const std::string ports = "1-3000,6443";
  const auto ours = portkit_scan({host.address4, "-p", ports});
  ASSERT_EQ(ours.process.exit_code, 0) << ours.process.err;
  PortStates nmap_reasons;
  const auto theirs = nmap_scan({"-sT", "-T4", "-p", ports, host.address4}, &nmap_reasons);
  ASSERT_EQ(theirs.size(), 3001U) << "nmap gave no verdicts";
  EXPECT_EQ(ours.states, theirs) << differences(ours.states, theirs);
  EXPECT_EQ(ours.reasons, nmap_reasons) << differences(ours.reasons, nmap_reasons);
  EXPECT_EQ(ours.states.at("6443/tcp"), "open");
  EXPECT_EQ(ours.states.at("1000/tcp"), "filtered");
  EXPECT_EQ(ours.reasons.at("1000/tcp"), "no-response");
  EXPECT_EQ(ours.states.at("25/tcp"), "closed");
}

TEST(NetnsScan, FirewalledHostFindsTheTwoOpenPortsOfTopThousand) {
  ASSERT_EQ(geteuid(), 0u);
  NamespaceHost host(
      {"--delay", "20ms", "--tcp-open", "22,6443", "--tcp-drop", "1-21,23-6442,6444-65535"});
  const auto ours = portkit_scan({host.address4});
  ASSERT_EQ(ours.process.exit_code, 0) << ours.process.err;
  ASSERT_EQ(ours.states.size(), 1000U);
  std::size_t filtered = 0;
  for (const auto& [port, state] : ours.states) filtered += state == "filtered" ? 1 : 0;
  EXPECT_EQ(filtered, 998U);
  EXPECT_EQ(ours.states.at("22/tcp"), "open");
  EXPECT_EQ(ours.states.at("6443/tcp"), "open") << "the top 1000 must hold Kubernetes' port";
}

// A set small enough for the host's ICMP burst, where nmap -sU is reliable.
TEST(NetnsScan, UdpStatesMatchNmap) {
  ASSERT_EQ(geteuid(), 0u);
  NamespaceHost host({"--udp-open", "53,123", "--udp-drop", "54,161"});
  const std::string ports = "53-56,123,161";
  const auto ours = portkit_scan({host.address4, "-u", "-p", ports});
  const auto theirs = nmap_scan({"-sU", "-p", ports, host.address4});
  ASSERT_EQ(theirs.size(), 6U) << "nmap gave no verdicts";
  EXPECT_EQ(ours.states, theirs) << differences(ours.states, theirs);
  EXPECT_EQ(ours.states.at("53/udp"), "open");
  EXPECT_EQ(ours.states.at("54/udp"), "open|filtered");
  EXPECT_EQ(ours.states.at("55/udp"), "closed");
}

// Past the burst the host answers one ICMP error per second (icmp_ratelimit): nmap -sU then
// calls some closed ports open|filtered; the paced retries must still hear every "closed".
TEST(NetnsScan, UdpSweepPastTheIcmpRateLimitFindsEveryClosedPort) {
  ASSERT_EQ(geteuid(), 0u);
  NamespaceHost host({"--udp-open", "53", "--udp-drop", "54"});
  const auto ours = portkit_scan({host.address4, "-u", "-p", "50-65"});
  ASSERT_EQ(ours.states.size(), 16U) << ours.process.out << ours.process.err;
  for (int port = 50; port <= 65; ++port) {
    const auto key = std::to_string(port) + "/udp";
    const std::string expected = port == 53 ? "open" : port == 54 ? "open|filtered" : "closed";
    EXPECT_EQ(ours.states.at(key), expected) << key;
  }
}

TEST(NetnsScan, Ipv6HostMatchesNmap) {
  ASSERT_EQ(geteuid(), 0u);
  NamespaceHost host({"--tcp-open", "443", "--tcp-drop", "444", "--tcp-reject", "445"});
  const std::string ports = "400-500";
  const auto ours = portkit_scan({host.address6, "-p", ports});
  const auto theirs = nmap_scan({"-6", "-sT", "-p", ports, host.address6});
  ASSERT_EQ(theirs.size(), 101U);
  EXPECT_EQ(ours.states, theirs) << differences(ours.states, theirs);
  EXPECT_EQ(ours.states.at("443/tcp"), "open");
  EXPECT_EQ(ours.states.at("444/tcp"), "filtered");
  EXPECT_EQ(ours.states.at("445/tcp"), "closed");
}

TEST(NetnsScan, CidrRangesAndTargetFileOverSeveralHostsWithExclude) {
  ASSERT_EQ(geteuid(), 0u);
  NamespaceHost first({"--tcp-open", "80"});
  NamespaceHost second({"--tcp-open", "8080"});
  // first/31 holds the host (.2) and an address nobody answers for (.3).
  const auto block = first.address4 + "/31";
  const auto list = std::filesystem::temp_directory_path() /
                    ("portkit-netns-targets-" + std::to_string(getpid()));
  std::ofstream(list) << block << "\n" << second.address4 << " # the second host\n";
  // -Pn: the address nobody answers for is scanned too (as by nmap -Pn below).
  const auto ours =
      run_portkit({"scan", "-Pn", "-iL", list.string(), "-p", "79-81,8080", "--json"});
  const auto excluded = run_portkit(
      {"scan", "-Pn", "-iL", list.string(), "--exclude", second.address4, "-p", "80", "--json"});
  std::filesystem::remove(list);
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_NE(ours.out.find("\"hosts\":3"), std::string::npos) << ours.out;
  for (const auto& [address, port] :
       {std::pair{first.address4, 80}, std::pair{second.address4, 8080}}) {
    const auto needle = "\"address\":\"" + address + "\",\"port\":" + std::to_string(port) +
                        ",\"proto\":\"tcp\",\"state\":\"open\"";
    EXPECT_NE(ours.out.find(needle), std::string::npos) << needle << "\n" << ours.out;
  }
  const auto nmap = run_process(
      {"nmap", "-n", "-Pn", "-sT", "-p", "79-81,8080", "-oG", "-", block, second.address4});
  EXPECT_NE(nmap.out.find("80/open/tcp"), std::string::npos);
  EXPECT_EQ(excluded.out.find(second.address4), std::string::npos) << excluded.out;
  EXPECT_NE(excluded.out.find("\"hosts\":2"), std::string::npos) << excluded.out;
}

}  // namespace
}  // namespace portkit

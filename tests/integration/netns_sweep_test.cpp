// Host discovery and sweeps against namespace hosts: a sparse subnet (AnyIP, most addresses
// dropping everything) compared with nmap -sn and nmap -Pn, a host that hides from ping and the
// web ports, -Pn over dead addresses, nmap's XML status, and ICMPv6.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "process.hpp"
#include "scan_support.hpp"

namespace portkit {
namespace {

using namespace testing_support;
using Clock = std::chrono::steady_clock;

struct Sweep {
  ProcessResult process;
  std::set<std::string> up;                        // addresses reported up
  std::map<std::string, std::string> reasons;      // address -> status_reason
  std::map<std::string, std::string> port_states;  // "address port/proto" -> state
  nlohmann::json summary;
  double seconds = 0;
};

Sweep portkit_sweep(std::vector<std::string> args) {
  args.insert(args.begin(), {"scan", "--json"});
  Sweep sweep;
  const auto started = Clock::now();
  sweep.process = run_portkit(args);
  sweep.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::istringstream lines(sweep.process.out);
  for (std::string line; std::getline(lines, line);) {
    const auto value = nlohmann::json::parse(line, nullptr, false);
    if (value.is_discarded() || !value.contains("event")) continue;
    if (value["event"] == "host") {
      sweep.up.insert(value["address"].get<std::string>());
      sweep.reasons[value["address"]] = value["status_reason"];
    } else if (value["event"] == "port") {
      sweep.port_states[value["address"].get<std::string>() + " " +
                        std::to_string(value["port"].get<int>()) + "/" +
                        value["proto"].get<std::string>()] = value["state"];
    } else if (value["event"] == "summary") {
      sweep.summary = value;
    }
  }
  return sweep;
}

// The addresses nmap's XML lists as up.
std::set<std::string> nmap_up(const std::string& xml) {
  static const std::regex up(R"re(<status state="up"[^>]*/>\s*<address addr="([^"]+)")re");
  std::set<std::string> hosts;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), up); it != std::sregex_iterator();
       ++it) {
    hosts.insert((*it)[1]);
  }
  return hosts;
}

// "address port/proto" -> state from nmap's XML of a scan of several hosts.
std::map<std::string, std::string> nmap_port_states(const std::string& xml) {
  std::map<std::string, std::string> states;
  static const std::regex host_block(R"re(<address addr="([^"]+)"[\s\S]*?</host>)re");
  static const std::regex port(
      R"re(protocol="(tcp|udp)" portid="(\d+)"><state state="([a-z|]+)")re");
  for (auto host = std::sregex_iterator(xml.begin(), xml.end(), host_block);
       host != std::sregex_iterator(); ++host) {
    const auto block = (*host)[0].str();
    for (auto it = std::sregex_iterator(block.begin(), block.end(), port);
         it != std::sregex_iterator(); ++it) {
      states[(*host)[1].str() + " " + (*it)[2].str() + "/" + (*it)[1].str()] = (*it)[3];
    }
  }
  return states;
}

const std::vector<std::string> kLive{"198.19.0.5", "198.19.0.77", "198.19.0.130", "198.19.0.200",
                                     "198.19.0.254"};

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

TEST(NetnsSweep, SparseSubnetLiveSetEqualsNmapsAndItsOpenPortsEqualNmapPns) {
  ASSERT_EQ(geteuid(), 0u) << "network namespaces need root (CI runs as root)";
  NamespaceHost host({"--delay", "20ms", "--anyip", "198.19.0.0/24", "--anyip-live", joined(kLive),
                      "--tcp-open", "22,80", "--tcp-drop", "8080"});
  const auto ours = portkit_sweep({"198.19.0.0/24", "-sn"});
  ASSERT_EQ(ours.process.exit_code, 0) << ours.process.err;
  const auto nmap = run_process({"nmap", "-n", "-sn", "-oX", "-", "198.19.0.0/24"});
  const auto theirs = nmap_up(nmap.out);
  const std::set<std::string> expected(kLive.begin(), kLive.end());
  EXPECT_EQ(theirs, expected) << nmap.out;
  EXPECT_EQ(ours.up, expected) << ours.process.out;
  for (const auto& address : kLive) EXPECT_EQ(ours.reasons.at(address), "echo-reply");
  const auto& discovery = ours.summary["discovery"];
  EXPECT_EQ(discovery["addresses"], 256);
  EXPECT_EQ(discovery["down"], 251);
  EXPECT_EQ(discovery["down_reasons"]["no-response"], 251);
  EXPECT_EQ(discovery["icmp"], "raw socket");
  // Every address at once: one timeout and one retry, not 251 of them one after another.
  EXPECT_LT(ours.seconds, 4.0);

  const std::string ports = "21-23,79-81,443,8080";
  const auto scanned = portkit_sweep({"198.19.0.0/24", "-p", ports});
  ASSERT_EQ(scanned.process.exit_code, 0) << scanned.process.err;
  EXPECT_EQ(scanned.up, expected);
  std::vector<std::string> nmap_args{"nmap", "-n",  "-Pn", "-sT", "-T4",
                                     "-p",   ports, "-d3", "-oX", "-"};
  nmap_args.insert(nmap_args.end(), kLive.begin(), kLive.end());
  const auto pn = nmap_port_states(run_process(nmap_args).out);
  ASSERT_EQ(pn.size(), kLive.size() * 8) << "nmap gave no verdicts";
  EXPECT_EQ(scanned.port_states, pn);
  EXPECT_EQ(scanned.port_states.at("198.19.0.77 22/tcp"), "open");
  EXPECT_EQ(scanned.port_states.at("198.19.0.77 8080/tcp"), "filtered");
  EXPECT_EQ(scanned.summary["hosts"], 5);
}

// nmap -sn asks ICMP echo and timestamp, 443 (SYN) and 80 (ACK) of a routed host, and calls this
// one down; portkit's discovery also connects to 22 and 3389, so the SSH server answers for it.
// (On a directly attached link nmap asks ARP, which finds any host.)
TEST(NetnsSweep, RoutedHostThatDropsPingAndWebPortsIsFoundThroughItsSshPort) {
  ASSERT_EQ(geteuid(), 0u);
  NamespaceHost host({"--drop-ping", "--anyip", "198.19.2.0/30", "--anyip-live", "198.19.2.2",
                      "--tcp-open", "22", "--tcp-drop", "80,443,3389"});
  const auto ours = portkit_sweep({"198.19.2.0/30", "-p", "22,80"});
  ASSERT_EQ(ours.process.exit_code, 0) << ours.process.err << ours.process.out;
  EXPECT_EQ(ours.up, std::set<std::string>{"198.19.2.2"});
  EXPECT_EQ(ours.reasons.at("198.19.2.2"), "syn-ack");
  EXPECT_EQ(ours.port_states.at("198.19.2.2 22/tcp"), "open");
  EXPECT_EQ(ours.port_states.at("198.19.2.2 80/tcp"), "filtered");
  const auto nmap = run_process({"nmap", "-n", "-sn", "-oX", "-", "198.19.2.0/30"});
  EXPECT_TRUE(nmap_up(nmap.out).empty()) << "nmap -sn now finds it too:\n" << nmap.out;
}

// On a directly attached link a host that drops ping and every discovery port still answers the
// kernel's ARP (and IPv6 neighbour solicitation): discovery reads the neighbour table, as nmap
// -sn asks ARP itself, and both see the same hosts.
TEST(NetnsSweep, OnLinkHostThatDropsEveryProbeIsFoundByArpAndNdp) {
  ASSERT_EQ(geteuid(), 0u);
  NamespaceHost host({"--drop-ping", "--tcp-open", "8080", "--tcp-drop", "22,80,443,3389"});
  const auto block = host.address4.substr(0, host.address4.rfind('.')) + ".0/29";
  const auto ours = portkit_sweep({block, "-sn"});
  ASSERT_EQ(ours.process.exit_code, 0) << ours.process.err;
  const auto nmap = run_process({"nmap", "-n", "-sn", "-oX", "-", block});
  EXPECT_EQ(ours.up, nmap_up(nmap.out)) << ours.process.out << nmap.out;
  EXPECT_EQ(ours.reasons.at(host.address4), "arp-response");
  const auto v6 = portkit_sweep({host.address6, "-sn"});
  EXPECT_EQ(v6.up, std::set<std::string>{host.address6}) << v6.process.out;
  EXPECT_EQ(v6.reasons.at(host.address6), "nd-response");
}

TEST(NetnsSweep, NoPingScansEveryAddressAndPingOnlyWritesNmapsStatus) {
  ASSERT_EQ(geteuid(), 0u);
  NamespaceHost host(
      {"--anyip", "198.19.1.0/29", "--anyip-live", "198.19.1.2", "--tcp-open", "22"});
  const auto all = portkit_sweep({"198.19.1.0/29", "-Pn", "-p", "22", "--timeout", "300ms"});
  EXPECT_EQ(all.process.exit_code, 0) << all.process.err;
  EXPECT_EQ(all.summary["hosts"], 8) << all.process.out;
  EXPECT_TRUE(all.summary["discovery"].is_null());
  EXPECT_EQ(all.port_states.at("198.19.1.3 22/tcp"), "filtered");
  EXPECT_EQ(all.port_states.at("198.19.1.2 22/tcp"), "open");

  const auto xml = run_portkit({"scan", "198.19.1.0/29", "-sn", "-oX", "-"});
  ASSERT_EQ(xml.exit_code, 0) << xml.err;
  EXPECT_NE(xml.out.find("<status state=\"up\" reason=\"echo-reply\""), std::string::npos)
      << xml.out;
  EXPECT_EQ(xml.out.find("<ports>"), std::string::npos) << "-sn scans no port";
  EXPECT_NE(xml.out.find("<hosts up=\"1\" down=\"7\" total=\"8\"/>"), std::string::npos) << xml.out;
  EXPECT_EQ(nmap_up(xml.out), std::set<std::string>{"198.19.1.2"});
  const auto grepable = run_portkit({"scan", "198.19.1.0/29", "-sn", "-oG", "-"});
  EXPECT_NE(grepable.out.find("Host: 198.19.1.2 ()\tStatus: Up"), std::string::npos)
      << grepable.out;
  EXPECT_EQ(grepable.out.find("Ports:"), std::string::npos);
  // Nobody up: exit 1, as a scan with no open port.
  const auto nobody = run_portkit({"scan", "198.19.1.4/30", "-sn"});
  EXPECT_EQ(nobody.exit_code, 1) << nobody.out << nobody.err;
}

TEST(NetnsSweep, Icmpv6EchoFindsTheIpv6HostAndItsMissingNeighbourIsDown) {
  ASSERT_EQ(geteuid(), 0u);
  NamespaceHost host({"--tcp-open", "22"});
  // ::2 is the host; ::3 is on the same link and does not exist (neighbour discovery fails).
  const auto neighbour = host.address6.substr(0, host.address6.size() - 1) + "3";
  const auto ours = portkit_sweep({host.address6, neighbour, "-sn"});
  ASSERT_EQ(ours.process.exit_code, 0) << ours.process.err;
  EXPECT_EQ(ours.up, std::set<std::string>{host.address6}) << ours.process.out;
  EXPECT_EQ(ours.reasons.at(host.address6), "echo-reply");
  EXPECT_EQ(ours.summary["discovery"]["down"], 1);
}

}  // namespace
}  // namespace portkit

namespace portkit {
namespace {

using namespace testing_support;

// The mixed host: open, closed, dropped, rejected with a reset, and ICMP-prohibited ports, over
// a 20 ms path; every port's state and reason equal nmap -sS's.
TEST(NetnsSynScan, StatesAndReasonsEqualNmapSynScanOverIpv4AndIpv6) {
  ASSERT_EQ(geteuid(), 0u);
  NamespaceHost host({"--delay", "20ms", "--tcp-open", "22,80,443", "--tcp-drop", "81,3000-3099",
                      "--tcp-reject", "25", "--tcp-prohibit", "26,27"});
  const std::string ports = "1-3200";
  for (const auto& address : {host.address4, host.address6}) {
    const bool v6 = address.find(':') != std::string::npos;
    const auto ours = portkit_scan({"--syn", address, "-p", ports});
    ASSERT_EQ(ours.process.exit_code, 0) << ours.process.err;
    PortStates nmap_reasons;
    std::vector<std::string> args{"-sS", "-T4", "-p", ports, address};
    if (v6) args.insert(args.begin(), "-6");
    const auto theirs = nmap_scan(args, &nmap_reasons);
    ASSERT_EQ(theirs.size(), 3200U) << "nmap gave no verdicts";
    EXPECT_EQ(ours.states, theirs) << address << "\n" << differences(ours.states, theirs);
    EXPECT_EQ(ours.reasons, nmap_reasons) << address << "\n"
                                          << differences(ours.reasons, nmap_reasons);
    EXPECT_EQ(ours.states.at("443/tcp"), "open");
    EXPECT_EQ(ours.reasons.at("25/tcp"), "reset");
    EXPECT_EQ(ours.reasons.at("26/tcp"), "admin-prohibited");
    EXPECT_EQ(ours.reasons.at("3000/tcp"), "no-response");
    // No socket per probe: a scan of 3,200 ports sent about that many SYNs, plus retries of
    // the 102 dropped ones.
    EXPECT_LT(ours.summary["probes"].get<int>(), 3200 + 102 * 3 + 50);
  }
}

TEST(NetnsSynScan, WithoutRawSocketsItSaysWhyAndExitsThree) {
  ASSERT_EQ(geteuid(), 0u);
  const auto refused = run_process({"setpriv", "--reuid=nobody", "--regid=nogroup",
                                    "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                                    PORTKIT_BINARY, "scan", "--syn", "127.0.0.1", "-p", "22"});
  EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("--syn needs raw sockets (root, or CAP_NET_RAW)"), std::string::npos)
      << refused.err;
  const auto with_udp = run_portkit({"scan", "-sS", "-u", "127.0.0.1", "-p", "53"});
  EXPECT_EQ(with_udp.exit_code, 2);
  EXPECT_NE(with_udp.err.find("--syn (-sS) probes TCP"), std::string::npos) << with_udp.err;
}

}  // namespace
}  // namespace portkit

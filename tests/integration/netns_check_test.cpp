// `portkit check` against a simulated remote host (tests/tools/netns-host) with open,
// dropped, rejected and ICMP-prohibited ports, compared with nmap -sT / -sU in the same test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "reachability_support.hpp"

namespace portkit {
namespace {

using namespace testing_support;

TEST(NetnsCheck, TcpAndUdpStatesMatchNmap) {
  ASSERT_EQ(geteuid(), 0u) << "network namespaces need root (CI runs as root)";
  NamespaceHost host({"--tcp-open", "22,80", "--tcp-drop", "81", "--tcp-reject", "82",
                      "--tcp-prohibit", "83", "--udp-open", "53,123", "--udp-drop", "54"});
  const std::vector<int> tcp_ports{22, 80, 81, 82, 83, 84};
  std::vector<std::string> endpoints;
  for (const auto port : tcp_ports) endpoints.push_back(host.address4 + ":" + std::to_string(port));
  const auto ours = check_states(endpoints);
  const auto theirs = nmap_states({"-sT"}, host.address4, tcp_ports);
  ASSERT_EQ(theirs.size(), tcp_ports.size()) << "nmap gave no verdicts";
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(ours.at(22), "open");
  EXPECT_EQ(ours.at(81), "filtered");
  EXPECT_EQ(ours.at(82), "closed");
  EXPECT_EQ(ours.at(83), "filtered");

  const std::vector<int> udp_ports{53, 54, 55, 123};
  std::vector<std::string> udp_endpoints;
  for (const auto port : udp_ports)
    udp_endpoints.push_back(host.address4 + ":" + std::to_string(port) + "/udp");
  const auto ours_udp = check_states(udp_endpoints);
  const auto theirs_udp = nmap_states({"-sU"}, host.address4, udp_ports);
  ASSERT_EQ(theirs_udp.size(), udp_ports.size()) << "nmap gave no verdicts";
  EXPECT_EQ(ours_udp, theirs_udp);
  EXPECT_EQ(ours_udp.at(54), "open|filtered");
  EXPECT_EQ(ours_udp.at(55), "closed");
}

TEST(NetnsCheck, Ipv6HostMatchesNmap) {
  ASSERT_EQ(geteuid(), 0u) << "network namespaces need root (CI runs as root)";
  NamespaceHost host({"--tcp-open", "443", "--tcp-drop", "444", "--tcp-reject", "445"});
  ASSERT_FALSE(host.address6.empty());
  const std::vector<int> ports{443, 444, 445, 446};
  std::vector<std::string> endpoints;
  for (const auto port : ports)
    endpoints.push_back("[" + host.address6 + "]:" + std::to_string(port));
  const auto ours = check_states(endpoints);
  const auto theirs = nmap_states({"-6", "-sT"}, host.address6, ports);
  ASSERT_EQ(theirs.size(), ports.size());
  EXPECT_EQ(ours, theirs);
}

}  // namespace
}  // namespace portkit

namespace portkit {
namespace {

using namespace testing_support;

// `ls --all-netns` enters every other network namespace and names it on each row.
TEST(NetnsSockets, AllNetnsListsAnotherNamespacesListener) {
  ASSERT_EQ(geteuid(), 0u) << "network namespaces need root (CI runs as root)";
  const std::string name = "pkls" + std::to_string(getpid() % 1000);
  ASSERT_EQ(run_process({"ip", "netns", "add", name}).exit_code, 0);
  struct Cleanup {
    std::string name;
    ~Cleanup() { run_process({"ip", "netns", "del", name}); }
  } cleanup{name};
  run_process({"ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"});
  BackgroundProcess server({"ip", "netns", "exec", name, PORTKIT_BINARY, "listen", "0", "--json"});
  const auto port = listening_port(server);
  ASSERT_NE(port, 0);

  const auto everywhere =
      run_portkit({"ls", "--all-netns", "--json", "--sport", std::to_string(port)});
  ASSERT_EQ(everywhere.exit_code, 0) << everywhere.err;
  const auto document = nlohmann::json::parse(everywhere.out);
  bool found = false;
  for (const auto& socket : document["sockets"]) {
    if (socket["netns"] != name) continue;
    found = true;
    EXPECT_EQ(socket["state"], "listen");
    ASSERT_FALSE(socket["processes"].empty());
    EXPECT_EQ(socket["processes"][0]["command"], "portkit");
  }
  EXPECT_TRUE(found) << everywhere.out;

  const auto here = run_portkit({"ls", "--json", "--sport", std::to_string(port)});
  const auto only_here = nlohmann::json::parse(here.out);
  for (const auto& socket : only_here["sockets"]) EXPECT_TRUE(socket["netns"].is_null());
}

}  // namespace
}  // namespace portkit

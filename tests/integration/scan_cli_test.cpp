// `portkit scan` on loopback, checked port by port against nmap -sT run in the same test, and
// its output formats read by nmap's own tools (ndiff, xsltproc with nmap.xsl).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

#include "scan_support.hpp"

namespace portkit {
namespace {

using namespace testing_support;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("portkit-scan-" + std::to_string(getpid()) + "-" + name))
      .string();
}

// Ports below the ephemeral range (other tests' listeners come and go above it) plus ours.
TEST(ScanCli, LoopbackStatesAndReasonsMatchNmapPortByPort) {
  LoopbackListener first;
  LoopbackListener second;
  const auto ports = "1-20000," + first.port_text() + "," + second.port_text();
  const auto ours = portkit_scan({"127.0.0.1", "-p", ports});
  ASSERT_EQ(ours.process.exit_code, 0) << ours.process.err;
  PortStates nmap_reasons;
  const auto theirs = nmap_scan({"-sT", "-p", ports, "127.0.0.1"}, &nmap_reasons);
  ASSERT_EQ(theirs.size(), 20002U) << "nmap gave no verdicts";
  EXPECT_EQ(ours.states, theirs) << differences(ours.states, theirs);
  EXPECT_EQ(ours.reasons, nmap_reasons) << differences(ours.reasons, nmap_reasons);
  EXPECT_EQ(ours.states.at(first.port_text() + "/tcp"), "open");
  EXPECT_EQ(ours.states.at(second.port_text() + "/tcp"), "open");
  EXPECT_EQ(ours.summary["hosts"], 1);
  EXPECT_EQ(ours.summary["interrupted"], false);
}

TEST(ScanCli, Ipv6LoopbackMatchesNmap) {
  LoopbackListener listener(true);
  const auto ports = "1-3000," + listener.port_text();
  const auto ours = portkit_scan({"::1", "-p", ports});
  ASSERT_EQ(ours.process.exit_code, 0) << ours.process.err;
  const auto theirs = nmap_scan({"-6", "-sT", "-p", ports, "::1"});
  ASSERT_EQ(theirs.size(), 3001U);
  EXPECT_EQ(ours.states, theirs) << differences(ours.states, theirs);
  EXPECT_EQ(ours.states.at(listener.port_text() + "/tcp"), "open");
}

TEST(ScanCli, LowDescriptorLimitSlowsTheScanButLosesNothing) {
  LoopbackListener listener;
  const auto ports = "1-4000," + listener.port_text();
  const auto normal = portkit_scan({"127.0.0.1", "-p", ports});
  ASSERT_EQ(normal.states.size(), 4001U);
  // ulimit -n sets the hard limit too: the scanner cannot raise it and must live with ~8 fds.
  const auto starved =
      portkit_scan({"127.0.0.1", "-p", ports}, {"sh", "-c", "ulimit -n 40 && exec \"$0\" \"$@\""});
  ASSERT_EQ(starved.process.exit_code, 0) << starved.process.err;
  EXPECT_EQ(starved.states, normal.states) << differences(starved.states, normal.states);
  EXPECT_NE(starved.process.err.find("descriptor"), std::string::npos)
      << "no notice of the low limit: " << starved.process.err;
}

TEST(ScanCli, NmapXmlIsReadByNdiffAndTheNmapStylesheet) {
  LoopbackListener listener;
  const auto ports = "20-30," + listener.port_text();
  const auto xml = temp_path("a.xml");
  const auto again = temp_path("b.xml");
  const auto nmap_xml = temp_path("nmap.xml");
  ASSERT_EQ(run_portkit({"scan", "127.0.0.1", "-p", ports, "-oX", xml}).exit_code, 0);
  ASSERT_EQ(run_portkit({"scan", "127.0.0.1", "-p", ports, "-oX", again}).exit_code, 0);
  run_process({"nmap", "-n", "-Pn", "-sT", "-p", ports, "-oX", nmap_xml, "127.0.0.1"});

  const auto same = run_process({"ndiff", xml, again});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  // Against nmap: readable (exit 1 = differences, 2 = error), and no port changes state.
  const auto versus = run_process({"ndiff", nmap_xml, xml});
  EXPECT_NE(versus.exit_code, 2) << versus.err;
  // ndiff prints changed ports as a "-" (nmap) and a "+" (portkit) line: states must agree
  // (service names may not: ours come from the knowledge base).
  std::map<char, PortStates> sides;
  static const std::regex changed(R"re(^([-+])(\d+/tcp)\s+(\S+))re");
  std::istringstream lines(versus.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_search(line, match, changed)) sides[match[1].str()[0]][match[2]] = match[3];
  }
  EXPECT_EQ(sides['-'], sides['+']) << versus.out;
  const auto html = run_process({"xsltproc", "/usr/share/nmap/nmap.xsl", xml});
  EXPECT_EQ(html.exit_code, 0) << html.err;
  EXPECT_NE(html.out.find(listener.port_text()), std::string::npos);
  EXPECT_NE(html.out.find("open"), std::string::npos);
  for (const auto& path : {xml, again, nmap_xml}) std::filesystem::remove(path);
}

TEST(ScanCli, GrepableToStdoutAndOpenOnly) {
  LoopbackListener listener;
  const auto grepable =
      run_portkit({"scan", "127.0.0.1", "-p", "1-100," + listener.port_text(), "-oG", "-"});
  ASSERT_EQ(grepable.exit_code, 0) << grepable.err;
  EXPECT_NE(grepable.out.find("Host: 127.0.0.1 ()\tStatus: Up"), std::string::npos) << grepable.out;
  EXPECT_NE(grepable.out.find(listener.port_text() + "/open/tcp//"), std::string::npos)
      << grepable.out;
  EXPECT_EQ(grepable.out.find("Scan report"), std::string::npos) << "text mixed into -oG -";

  const auto open_only =
      portkit_scan({"127.0.0.1", "-p", "1-100," + listener.port_text(), "--open"});
  ASSERT_EQ(open_only.process.exit_code, 0);
  for (const auto& [port, state] : open_only.states) EXPECT_EQ(state, "open") << port;
  EXPECT_EQ(open_only.states.count(listener.port_text() + "/tcp"), 1U);
}

TEST(ScanCli, TextReportAndExitCodeWhenNothingIsOpen) {
  LoopbackListener listener;
  const auto found = run_portkit({"scan", "127.0.0.1", "-p", listener.port_text()});
  EXPECT_EQ(found.exit_code, 0);
  EXPECT_NE(found.out.find("Scan report for 127.0.0.1"), std::string::npos) << found.out;
  EXPECT_NE(found.out.find(listener.port_text() + "/tcp"), std::string::npos) << found.out;
  EXPECT_NE(found.out.find("syn-ack"), std::string::npos) << found.out;
  const auto closed_port = std::to_string(free_tcp_port());
  const auto none = run_portkit({"scan", "127.0.0.1", "-p", closed_port});
  EXPECT_EQ(none.exit_code, 1) << none.out << none.err;
  EXPECT_NE(none.out.find("closed"), std::string::npos) << none.out;
}

TEST(ScanCli, TargetListWithExcludesAndUdp) {
  const auto list = temp_path("targets.txt");
  std::ofstream(list) << "# lab hosts\n127.0.0.1 127.0.0.2\n127.0.0.3 # spare\n";
  const auto run = run_portkit({"scan", "-iL", list, "--exclude", "127.0.0.2", "-p",
                                std::to_string(free_tcp_port()), "--json"});
  std::filesystem::remove(list);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.out.find("\"address\":\"127.0.0.1\""), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"address\":\"127.0.0.3\""), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("127.0.0.2"), std::string::npos) << run.out;

  // UDP on loopback: a closed port answers ICMP port unreachable at once, as for nmap -sU.
  const auto udp_port = std::to_string(free_udp_port());
  const auto udp = portkit_scan({"127.0.0.1", "-u", "-p", udp_port});
  EXPECT_EQ(udp.states.at(udp_port + "/udp"), "closed") << udp.process.out;
  EXPECT_EQ(udp.reasons.at(udp_port + "/udp"), "port-unreach");
}

TEST(ScanCli, BadInputIsOneLineAndExitTwoWithNothingWritten) {
  const auto xml = temp_path("never.xml");
  const std::vector<std::vector<std::string>> cases{
      {"scan", "127.0.0.1", "-p", "70000"},         {"scan", "127.0.0.1/99"},
      {"scan", "127.0.0.1", "--rate", "fast"},      {"scan", "-iL", "/nonexistent/targets"},
      {"scan", "127.0.0.1", "--max-retries", "-3"}, {"scan", "no-such-host.invalid", "-oX", xml},
      {"scan", "127.0.0.1", "--timeout", "0s"},     {"scan"},
  };
  for (const auto& args : cases) {
    const auto run = run_portkit(args);
    EXPECT_EQ(run.exit_code, 2) << args[1] << ": " << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
  }
  EXPECT_FALSE(std::filesystem::exists(xml)) << "output file written for bad input";
}

TEST(ScanCli, InterruptPrintsWhatWasFoundAndExits130) {
  BackgroundProcess scan({PORTKIT_BINARY, "scan", "127.0.0.1", "--json", "--rate", "300",
                          "--sequential", "-p", "1-65535"});
  const auto first = scan.read_line();
  ASSERT_NE(first.find("\"event\":\"port\""), std::string::npos) << first;
  usleep(300'000);
  scan.signal(SIGINT);
  EXPECT_EQ(scan.wait(), 130);
  const auto rest = scan.rest_of_stdout();
  EXPECT_NE(rest.find("\"interrupted\":true"), std::string::npos) << rest;
  EXPECT_NE(rest.find("\"complete\":false"), std::string::npos) << rest;
}

// Big enough to be split across cores: each host's report must still be whole and right.
TEST(ScanCli, ShardedScanOfTwoHostsReportsEachHostWhole) {
  LoopbackListener listener;  // on 127.0.0.1 only: 127.0.0.2 has it closed
  const auto ports = "1-9000," + listener.port_text();
  // Two workers whatever the cores: the merge of their shares is what this test checks.
  const auto run =
      run_portkit({"scan", "127.0.0.1", "127.0.0.2", "-p", ports, "--json", "--workers", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::map<std::string, nlohmann::json> hosts;
  std::map<std::string, std::size_t> port_lines;
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    const auto value = nlohmann::json::parse(line);
    if (value["event"] == "host") hosts[value["address"]] = value;
    if (value["event"] == "port") ++port_lines[value["address"]];
    if (value["event"] == "summary") {
      EXPECT_EQ(value["workers"], 2) << "the scan was sharded";
    }
  }
  ASSERT_NE(run.out.find("\"event\":\"summary\""), std::string::npos);
  ASSERT_EQ(hosts.size(), 2U) << run.out.substr(0, 500);
  for (const auto& [address, host] : hosts) {
    EXPECT_EQ(host["ports"], 9001) << address;
    EXPECT_EQ(host["complete"], true) << address;
    EXPECT_EQ(port_lines[address], 9001U) << address;
  }
  const auto nmap = nmap_scan({"-sT", "-p", ports, "127.0.0.2"});
  EXPECT_EQ(nmap.at(listener.port_text() + "/tcp"), "closed");
  EXPECT_EQ(hosts["127.0.0.1"]["open"].get<int>(), hosts["127.0.0.2"]["open"].get<int>() + 1);
}

}  // namespace
}  // namespace portkit

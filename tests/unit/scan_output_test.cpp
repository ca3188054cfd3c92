// Scan report writers: folding of uninteresting states, port lists, and the formats other
// tools read (nmap XML, grepable, JSON Lines), rendered into memory.
#include "portkit/output/scan_output.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

namespace portkit {
namespace {

HostReport sample_report() {
  HostReport report;
  report.host = ScanHost{"db.example", *parse_ip_address("198.18.5.2")};
  for (std::uint16_t port = 1; port <= 40; ++port) {
    report.ports.push_back(
        {port, Proto::tcp, PortState::closed, ProbeReason::conn_refused, 1, 0.2F});
  }
  report.ports.push_back({5432, Proto::tcp, PortState::open, ProbeReason::syn_ack, 1, 0.3F});
  report.ports.push_back({9000, Proto::tcp, PortState::filtered, ProbeReason::no_response, 2, -1});
  report.ports.push_back(
      {53, Proto::udp, PortState::open_filtered, ProbeReason::no_response, 2, -1});
  report.srtt_ms = 0.25;
  report.started = std::chrono::system_clock::now();
  report.finished = report.started;
  return report;
}

ScanInfo sample_info() {
  ScanInfo info;
  info.args = "portkit scan 198.18.5.2 -p 1-40,5432,9000,U:53";
  for (std::uint16_t port = 1; port <= 40; ++port) info.tcp_ports.push_back(port);
  info.tcp_ports.push_back(5432);
  info.tcp_ports.push_back(9000);
  info.udp_ports.push_back(53);
  info.started = std::chrono::system_clock::now();
  return info;
}

ScanSummary sample_summary() {
  ScanSummary summary;
  summary.hosts = 1;
  summary.hosts_answered = 1;
  summary.open = 1;
  summary.closed = 40;
  summary.filtered = 1;
  summary.open_filtered = 1;
  summary.elapsed_ms = 12.5;
  return summary;
}

template <class Make>
std::string render_with(Make make) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  {
    auto writer = make(out);
    const auto report = sample_report();
    writer->begin(sample_info());
    for (const auto& port : report.ports) writer->port(report.host, port, "");
    writer->host(report);
    writer->end(sample_summary());
  }
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(ScanOutput, FoldsStatesAboveTheThreshold) {
  const auto folded = fold_states(sample_report());
  ASSERT_EQ(folded.size(), 1U);
  EXPECT_EQ(folded[0].state, PortState::closed);
  EXPECT_EQ(folded[0].count, 40U);
  ASSERT_EQ(folded[0].reasons.size(), 1U);
  EXPECT_EQ(folded[0].reasons[0].first, ProbeReason::conn_refused);
  EXPECT_TRUE(is_folded(folded, sample_report().ports[0]));
  EXPECT_FALSE(is_folded(folded, sample_report().ports[41]));
}

TEST(ScanOutput, CompressesPortRuns) {
  EXPECT_EQ(compress_ports({1, 2, 3, 5, 7, 8, 65535}), "1-3,5,7-8,65535");
  EXPECT_EQ(compress_ports({}), "");
  EXPECT_EQ(host_label(sample_report().host), "db.example (198.18.5.2)");
}

TEST(ScanOutput, XmlHasTheElementsNmapReadersUse) {
  const auto xml = render_with(make_xml_scan_writer);
  for (const char* needle :
       {"<?xml version=\"1.0\"", "<nmaprun scanner=\"portkit\"", "<scaninfo type=\"connect\"",
        "protocol=\"tcp\"", "<scaninfo type=\"udp\"",
        "<address addr=\"198.18.5.2\" addrtype=\"ipv4\"/>",
        "<hostname name=\"db.example\" type=\"user\"/>",
        "<extraports state=\"closed\" count=\"40\">",
        "<port protocol=\"tcp\" portid=\"5432\"><state state=\"open\" reason=\"syn-ack\"",
        "<service name=\"postgresql\"", "<state state=\"filtered\" reason=\"no-response\"",
        "<state state=\"open|filtered\" reason=\"no-response\"", "<runstats>", "</nmaprun>"}) {
    EXPECT_NE(xml.find(needle), std::string::npos) << "missing " << needle << "\n" << xml;
  }
  EXPECT_EQ(xml.find("portid=\"1\""), std::string::npos) << "folded ports are listed";
}

TEST(ScanOutput, GrepableLineListsPortsAsNmapDoes) {
  const auto text = render_with(make_grepable_scan_writer);
  EXPECT_NE(text.find("Host: 198.18.5.2 (db.example)\tStatus: Up"), std::string::npos) << text;
  EXPECT_NE(text.find("5432/open/tcp//postgresql///"), std::string::npos) << text;
  EXPECT_NE(text.find("53/open|filtered/udp//dns///"), std::string::npos) << text;
  EXPECT_NE(text.find("Ignored State: closed (40)"), std::string::npos) << text;
}

TEST(ScanOutput, JsonLinesEachParse) {
  const auto text = render_with(make_json_scan_writer);
  std::istringstream lines(text);
  std::string line;
  std::map<std::string, int> types;
  while (std::getline(lines, line)) {
    const auto value = nlohmann::json::parse(line);
    ++types[value.at("event").get<std::string>()];
    if (value["event"] == "port" && value["port"] == 5432) {
      EXPECT_EQ(value["state"], "open");
      EXPECT_EQ(value["reason"], "syn-ack");
      EXPECT_EQ(value["address"], "198.18.5.2");
      EXPECT_EQ(value["host"], "db.example");
    }
  }
  EXPECT_EQ(types["port"], 43);
  EXPECT_EQ(types["host"], 1);
  EXPECT_EQ(types["summary"], 1);
}

}  // namespace
}  // namespace portkit

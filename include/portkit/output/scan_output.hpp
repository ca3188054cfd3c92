#pragma once
// Scan output formats behind one interface, one file each: human text, JSON Lines, nmap XML
// (-oX) and nmap grepable (-oG). Writers stream to a FILE* as results arrive.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/output/table.hpp"
#include "portkit/scan/scan.hpp"

namespace portkit {

struct ScanInfo {
  std::string args;  // the command line, for the XML and grepable headers
  std::vector<std::uint16_t> tcp_ports;
  std::vector<std::uint16_t> udp_ports;
  std::chrono::system_clock::time_point started;
  bool open_only = false;  // --open: report open ports only
  bool ping_only = false;  // -sn: hosts up, no ports
};

class ScanWriter {
 public:
  virtual ~ScanWriter() = default;
  virtual void begin(const ScanInfo& info) = 0;
  virtual void port(const ScanHost& host, const PortOutcome& outcome, std::string_view banner) = 0;
  virtual void host(const HostReport& report) = 0;
  virtual void end(const ScanSummary& summary) = 0;
};

std::unique_ptr<ScanWriter> make_text_scan_writer(std::FILE* out, Style style);
std::unique_ptr<ScanWriter> make_json_scan_writer(std::FILE* out);
std::unique_ptr<ScanWriter> make_xml_scan_writer(std::FILE* out);
std::unique_ptr<ScanWriter> make_grepable_scan_writer(std::FILE* out);

// The states a report folds into one "Not shown" line (nmap's extraports): any state but open
// with more than `threshold` ports, with its reasons and counts.
struct FoldedState {
  PortState state;
  Proto proto;
  std::size_t count = 0;
  std::vector<std::pair<ProbeReason, std::size_t>> reasons;
};
std::vector<FoldedState> fold_states(const HostReport& report, std::size_t threshold = 25);
bool is_folded(const std::vector<FoldedState>& folded, const PortOutcome& outcome);

// "1-21,23-79": a sorted port list as ranges.
std::string compress_ports(const std::vector<std::uint16_t>& ports);
// The host as "name (address)" or just the address.
std::string host_label(const ScanHost& host);
// What host discovery did, for a summary: "1008 addresses down and skipped (1008 no-response;
// ICMP by raw socket)"; empty when it did not run.
std::string discovery_text(const ScanSummary& summary);
// Addresses asked and hosts up: the discovery's when it ran, else the hosts reported.
struct HostCounts {
  std::uint64_t addresses = 0;
  std::uint64_t up = 0;
  std::uint64_t down = 0;
};
HostCounts host_counts(const ScanSummary& summary, std::uint64_t hosts_reported);

}  // namespace portkit

#pragma once
// One scan engine: an Asio loop on the calling thread. scan_ports (scan_run.cpp) runs one, or
// one per core over shares of the ports.
#include <optional>

#include "portkit/scan/scan.hpp"

namespace portkit {

// Where an engine takes its hosts from; ScanHost::sequence numbers them in target order.
class HostFeed {
 public:
  virtual ~HostFeed() = default;
  virtual std::optional<ScanHost> next() = 0;
  [[nodiscard]] virtual std::uint64_t total() const = 0;  // hosts to scan (for progress)
};

// The port scan of every host of `hosts`, with no discovery (run_scan, scan_sweep.cpp, adds it).
Result<ScanSummary> scan_ports(HostSource& hosts, const ScanOptions& options, ScanSink& sink);

// The same with raw SYNs (ScanOptions::syn): no socket per probe; needs CAP_NET_RAW.
Result<ScanSummary> syn_scan(HostSource& hosts, const ScanOptions& options, ScanSink& sink);

ScanSummary run_engine(HostFeed& hosts, const ScanOptions& options, ScanSink& sink,
                       std::size_t window);

}  // namespace portkit

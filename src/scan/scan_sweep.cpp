// run_scan: host discovery over every address (discovery.cpp), then the port scan of the hosts
// it found up (scan_run.cpp), or the discovery alone (-sn). A sparse subnet's dead addresses
// then cost one round of probes side by side, instead of every port's retries.
#include <chrono>

#include "scan/scan_engine.hpp"

namespace portkit {

namespace {

Result<ScanSummary> scan_with(HostSource& hosts, const ScanOptions& options, ScanSink& sink) {
  return options.syn ? syn_scan(hosts, options, sink) : scan_ports(hosts, options, sink);
}

}  // namespace

Result<ScanSummary> run_scan(HostSource& hosts, const ScanOptions& options, ScanSink& sink) {
  const bool discover = options.discovery == DiscoveryMode::only ||
                        (options.discovery == DiscoveryMode::automatic && hosts.total() > 1);
  if (!discover) return scan_with(hosts, options, sink);

  auto discovery_options = options.discovery_options;
  discovery_options.stop = options.stop;
  const bool only = options.discovery == DiscoveryMode::only;
  std::vector<KeptHost> up;
  HostSource walk = hosts;  // a copy from the start: discovery walks it, the scan the original
  auto discovered = discover_hosts(walk, discovery_options, [&](const HostStatus& status) {
    if (!status.up) return;
    if (!only) {
      up.push_back({status.host.sequence, status.reason});
      return;
    }
    HostReport report;
    report.host = status.host;
    report.host.status_reason = status.reason;
    if (status.rtt_ms) report.srtt_ms = report.min_rtt_ms = *status.rtt_ms;
    report.started = report.finished = std::chrono::system_clock::now();
    sink.on_host(report);
  });
  if (!discovered) return discovered.error();

  ScanSummary summary;
  if (only || up.empty() || discovered->interrupted) {
    summary.hosts = discovered->addresses;
    summary.hosts_answered = discovered->up;
    summary.probes_sent = discovered->probes_sent;
    summary.elapsed_ms = discovered->elapsed_ms;
    summary.interrupted = discovered->interrupted;
  } else {
    hosts.keep_only(std::move(up));
    auto scanned = scan_with(hosts, options, sink);
    if (!scanned) return scanned.error();
    summary = std::move(*scanned);
    summary.probes_sent += discovered->probes_sent;
    summary.elapsed_ms += discovered->elapsed_ms;
  }
  summary.discovery = std::move(*discovered);
  return summary;
}

}  // namespace portkit

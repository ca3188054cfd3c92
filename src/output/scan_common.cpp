#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "portkit/output/scan_output.hpp"

namespace portkit {

std::vector<FoldedState> fold_states(const HostReport& report, std::size_t threshold) {
  std::map<std::pair<Proto, PortState>, std::map<ProbeReason, std::size_t>> counts;
  for (const auto& port : report.ports) {
    if (port.state == PortState::open) continue;
    ++counts[{port.proto, port.state}][port.reason];
  }
  std::vector<FoldedState> folded;
  for (const auto& [key, reasons] : counts) {
    FoldedState state{key.second, key.first, 0, {}};
    for (const auto& [reason, count] : reasons) {
      state.count += count;
      state.reasons.emplace_back(reason, count);
    }
    if (state.count > threshold) folded.push_back(std::move(state));
  }
  std::sort(folded.begin(), folded.end(),
            [](const FoldedState& a, const FoldedState& b) { return a.count > b.count; });
  return folded;
}

bool is_folded(const std::vector<FoldedState>& folded, const PortOutcome& outcome) {
  return std::any_of(folded.begin(), folded.end(), [&](const FoldedState& state) {
    return state.state == outcome.state && state.proto == outcome.proto;
  });
}

std::string compress_ports(const std::vector<std::uint16_t>& ports) {
  std::string out;
  for (std::size_t i = 0; i < ports.size();) {
    std::size_t j = i;
    while (j + 1 < ports.size() && ports[j + 1] == ports[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(ports[i]);
    if (j > i) out += fmt::format("-{}", ports[j]);
    i = j + 1;
  }
  return out;
}

std::string host_label(const ScanHost& host) {
  auto address = host.address.to_string();
  if (host.name.empty() || host.name == address) return address;
  return fmt::format("{} ({})", host.name, address);
}

std::string discovery_text(const ScanSummary& summary) {
  if (!summary.discovery) return {};
  const auto& discovery = *summary.discovery;
  std::string reasons;
  for (const auto& [reason, count] : discovery.down) {
    if (!reasons.empty()) reasons += ", ";
    reasons += fmt::format("{} {}", count, host_reason_name(reason));
  }
  const auto down = discovery.down_total();
  return fmt::format("{} of {} address{} up, {} down{}{} (host discovery in {:.2f} s; ICMP by {})",
                     discovery.up, discovery.addresses, discovery.addresses == 1 ? "" : "es", down,
                     reasons.empty() ? "" : ": ", reasons, discovery.elapsed_ms / 1000.0,
                     discovery.icmp_method);
}

HostCounts host_counts(const ScanSummary& summary, std::uint64_t hosts_reported) {
  if (!summary.discovery) return {hosts_reported, hosts_reported, 0};
  return {summary.discovery->addresses, summary.discovery->up, summary.discovery->down_total()};
}

}  // namespace portkit

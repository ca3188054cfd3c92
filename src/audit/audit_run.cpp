// `audit` end to end: inventory, files, rules.
#include <fmt/format.h>

#include "audit/manifest.hpp"
#include "portkit/audit/audit.hpp"
#include "sys/file.hpp"

namespace portkit {
namespace {

std::vector<ListeningPort> listening_ports(const SocketListing& listing) {
  std::vector<ListeningPort> ports;
  for (const auto& row : listing.rows()) {  // the default view: listening sockets only
    std::string owner;
    if (!row.processes.empty())
      owner = fmt::format("{} {}", row.processes.front()->pid, row.processes.front()->command);
    ports.push_back(
        {row.socket.proto, row.socket.local_port, std::move(owner), row.socket.local.to_string()});
  }
  return ports;
}

template <class Plan, class Parse>
Result<std::vector<Plan>> read_plans(const std::vector<std::string>& files, Parse parse) {
  std::vector<Plan> plans;
  for (const auto& file : files) {
    auto text = sys::read_input_file(file, sys::kMaxManifestBytes);
    if (!text) return text.error();  // it names the file
    auto plan = parse(*text, file);
    if (!plan) return plan.error();
    plans.push_back(std::move(plan).value());
  }
  return plans;
}

// Where to reach a listener from this host: its own address, loopback for a wildcard.
std::string local_address_of(const SocketRow& row) {
  if (exposure_of(row.socket.local) == Exposure::all_interfaces) {
    return row.socket.local.is_v6 ? "::1" : "127.0.0.1";
  }
  return row.socket.local.to_string();
}

std::vector<Finding> probe_listeners_tls(const SocketListing& listing,
                                         const AuditRequest& request) {
  std::vector<SocketRow> rows;
  std::vector<IdentifyTarget> targets;
  for (const auto& row : listing.rows()) {
    if (row.socket.proto != Proto::tcp) continue;
    rows.push_back(row);
    targets.push_back({local_address_of(row), row.socket.local_port, ""});
  }
  const auto checks = check_tls(targets, request.tls_timeout, true);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return audit_tls(rows, checks, request.settings, now);
}

}  // namespace

Result<std::vector<Finding>> run_audit(const AuditRequest& request) {
  // Listening sockets with their owners (the walk stops once each is named); every socket,
  // without owners, only for the ephemeral-pressure counts.
  ListOptions options;
  options.query.backend = request.backend;
  options.owners = true;
  options.owners_stop_early = true;
  auto listing = list_sockets(options);
  if (!listing) return listing.error();

  std::vector<Finding> findings;
  if (request.host) {
    const auto host = read_host_port_config();
    auto inventory = read_inventory({.backend = request.backend});
    if (!inventory) return inventory.error();
    const auto stats = compute_stats(inventory->sockets, host, 16);
    findings = audit_sockets(listing->rows(), stats, host, request.settings);
    if (request.probe_tls) {
      auto tls = probe_listeners_tls(*listing, request);
      findings.insert(findings.end(), tls.begin(), tls.end());
    }
  }
  const auto listening = listening_ports(*listing);
  if (!request.compose_files.empty()) {
    auto plans = read_plans<ComposePlan>(request.compose_files, parse_compose);
    if (!plans) return plans.error();
    auto more = audit_compose(*plans, listening, request.settings);
    findings.insert(findings.end(), more.begin(), more.end());
  }
  if (!request.k8s_files.empty()) {
    auto plans = read_plans<K8sPlan>(request.k8s_files, parse_k8s);
    if (!plans) return plans.error();
    auto more = audit_k8s(*plans, listening, request.settings);
    findings.insert(findings.end(), more.begin(), more.end());
  }
  finalize_findings(findings, request.settings);
  return findings;
}

}  // namespace portkit

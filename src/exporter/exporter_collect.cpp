// One exporter collection: what a scrape reports.
#include <chrono>

#include "portkit/exporter/exporter.hpp"
#include "portkit/probe/check.hpp"

namespace portkit {
namespace {

// One TLS handshake per open TCP endpoint, without identifying the service (--probe-tls).
void add_tls_facts(std::vector<CheckResult>& results) {
  std::vector<IdentifyTarget> targets;
  std::vector<ProbeResult*> answers;
  for (auto& result : results) {
    if (result.answers.empty()) continue;
    auto& answer = result.answers.front();
    if (answer.proto != Proto::tcp || answer.state != PortState::open) continue;
    const auto& host = result.target.host;
    targets.push_back({answer.address, answer.port, host.kind == HostKind::name ? host.text : ""});
    answers.push_back(&answer);
  }
  const auto checks = check_tls(targets, std::chrono::seconds(2), false);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (!checks[i].facts) continue;
    ServiceIdentity identity;
    identity.tls_facts = checks[i].facts;
    answers[i]->identity = std::move(identity);
  }
}

std::vector<ProbeOutcome> run_probes(const ExporterOptions& options) {
  std::vector<ProbeOutcome> outcomes;
  if (options.probes.empty()) return outcomes;
  CheckOptions check;
  check.probe = options.probe_options;
  check.identify = options.probe_service;
  check.identify_options.want_tls = options.probe_tls;
  auto results = run_checks(options.probe_texts, options.probes, check).results;
  if (options.probe_tls && !options.probe_service) add_tls_facts(results);
  for (std::size_t i = 0; i < options.probes.size(); ++i) {
    ProbeOutcome outcome{.endpoint = options.probe_texts[i], .proto = options.probes[i].proto};
    if (i < results.size() && !results[i].answers.empty()) {
      const auto& answer = results[i].answers.front();
      outcome.state = std::string(port_state_name(answer.state));
      outcome.success = answer.state == PortState::open;
      if (answer.latency_ms) outcome.latency_seconds = *answer.latency_ms / 1000.0;
      if (answer.identity) {
        if (options.probe_service) outcome.identity = answer.identity;
        outcome.tls = answer.identity->tls_facts;
      }
    } else {
      outcome.state = "unresolved";
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

}  // namespace

Result<std::string> collect_metrics(const ExporterOptions& options, std::uint64_t collections,
                                    OwnerCache* owner_cache) {
  const auto started = std::chrono::steady_clock::now();
  auto inventory = read_inventory({.backend = options.backend});
  if (!inventory) return inventory.error();

  // The listening view with owners: a second, state-filtered dump is cheaper than carrying
  // every connected socket through the owner walk, which stops once each listener is named.
  ListOptions listing_options;
  listing_options.query.backend = options.backend;
  listing_options.owners = true;
  listing_options.owners_stop_early = true;
  listing_options.owner_cache = owner_cache;
  auto listing = list_sockets(listing_options);
  if (!listing) return listing.error();

  const auto host = read_host_port_config();
  const auto stats = compute_stats(inventory->sockets, host, options.limits.max_destinations);
  const auto rows = listing->rows();
  auto findings = audit_sockets(rows, stats, host, options.audit);
  finalize_findings(findings, options.audit);
  const auto probes = run_probes(options);

  MetricsInput input;
  input.sockets = inventory->sockets;
  input.listening = rows;
  input.stats = &stats;
  input.findings = findings;
  input.probes = probes;
  input.owners_hidden = listing->owners_hidden_for_lack_of_privilege;
  input.collections = collections;
  input.collect_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return render_metrics(input, options.limits);
}

}  // namespace portkit

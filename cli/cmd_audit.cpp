// portkit audit: exposure findings on this host, and port-plan lint of compose / k8s files.
#include <fmt/format.h>

#include <memory>

#include "cli_common.hpp"
#include "portkit/audit/audit.hpp"
#include "portkit/output/ops_output.hpp"

namespace portkit::cli {
namespace {

struct AuditFlags {
  std::vector<std::string> compose;
  std::vector<std::string> k8s;
  std::vector<std::string> ignore;
  std::vector<std::string> map;
  std::string config;
  std::string fail_on;
  bool host = false;
  bool rules = false;
  bool procfs = false;
  bool probe_tls = false;
  int cert_warn_days = 14;
  bool json = false;
};

int run_audit_command(const AuditFlags& flags, const GlobalOptions& globals) {
  const auto style = resolve_style(globals);
  if (flags.rules) {
    print_out(flags.json ? audit_rules_json().dump(2) + "\n" : render_audit_rules(style));
    return kExitOk;
  }
  AuditRequest request;
  Severity fail_on = Severity::high;
  if (!flags.config.empty()) {
    auto configured = read_audit_config(flags.config, request.settings);
    if (!configured) return fail("audit", configured.error().message);
    if (*configured) fail_on = **configured;
  }
  for (const auto& id : flags.ignore) {
    if (!find_audit_rule(id))
      return fail("audit", fmt::format("--ignore: unknown rule id '{}' (see --rules)", id));
    request.settings.ignore.push_back(id);
  }
  for (const auto& text : flags.map) {
    auto mapping = parse_service_mapping(text);
    if (!mapping) return fail("audit", "--map: " + mapping.error().message);
    request.settings.map[mapping->first] = mapping->second;
  }
  if (!flags.fail_on.empty()) {
    const auto severity = parse_severity(flags.fail_on);
    if (!severity)
      return fail("audit", fmt::format("--fail-on: '{}' is not info, low, medium, high or "
                                       "critical",
                                       flags.fail_on));
    fail_on = *severity;
  }
  request.compose_files = flags.compose;
  request.k8s_files = flags.k8s;
  request.host = flags.host || (flags.compose.empty() && flags.k8s.empty());
  request.backend = flags.procfs ? InventoryBackend::procfs : InventoryBackend::automatic;
  request.probe_tls = flags.probe_tls;
  request.settings.cert_warn_days = flags.cert_warn_days;
  auto findings = run_audit(request);
  if (!findings) {
    const bool bad_input = findings.error().sys_errno == 0 || findings.error().sys_errno == ENOENT;
    return fail("audit", findings.error().message, bad_input ? kExitUsage : kExitRuntime);
  }
  print_out(flags.json ? audit_json(*findings, fail_on).dump(2) + "\n"
                       : render_audit(*findings, style));
  const bool failing = std::any_of(findings->begin(), findings->end(), [&](const Finding& finding) {
    return finding.severity >= fail_on;
  });
  return failing ? kExitNegative : kExitOk;
}

}  // namespace

Command make_audit_command(CLI::App& parent, const GlobalOptions& globals) {
  auto flags = std::make_shared<AuditFlags>();
  auto* app = parent.add_subcommand("audit", "exposure findings on this host; compose/k8s lint");
  complete_file(
      app->add_option("--compose", flags->compose, "docker-compose file to lint (repeatable)"));
  complete_file(
      app->add_option("--k8s", flags->k8s, "Kubernetes manifest, multi-document (repeatable)"));
  app->add_flag("--host", flags->host,
                "also audit this host's sockets when files are given (default without files)");
  complete_values(
      app->add_option("--ignore", flags->ignore, "silence a rule by id (repeatable; see --rules)"),
      audit_rule_ids());
  app->add_option("--map", flags->map, "treat PORT as SERVICE, e.g. 16379=redis (repeatable)");
  complete_file(
      app->add_option("--config", flags->config,
                      "TOML: ignore = [ids], fail_on = \"medium\", [map] 16379 = \"redis\""));
  std::vector<std::string> severities;
  for (auto level = Severity::info; level <= Severity::critical;
       level = static_cast<Severity>(static_cast<int>(level) + 1)) {
    severities.emplace_back(severity_name(level));
  }
  complete_values(app->add_option("--fail-on", flags->fail_on,
                                  "exit 1 when a finding is at least this severe (default: high)")
                      ->check(kNonEmpty),
                  severities);
  app->add_flag("--rules", flags->rules, "list the rules and their ids");
  app->add_flag("--procfs", flags->procfs, "read /proc/net instead of netlink");
  app->add_flag("--probe-tls", flags->probe_tls,
                "handshake locally with every TCP listener: expired or expiring certificates, "
                "self-signed beyond loopback, TLS 1.0/1.1 accepted");
  app->add_option("--cert-warn-days", flags->cert_warn_days,
                  "days before expiry that tls-cert-expiring fires (with --probe-tls)")
      ->check(CLI::Range(0, 3650))
      ->capture_default_str();
  app->add_flag("--json", flags->json, "one JSON document");
  app->footer(
      "Examples:\n"
      "  portkit audit                              this host's listening sockets\n"
      "  portkit audit --compose docker-compose.yml --fail-on medium\n"
      "  portkit audit --k8s deploy.yaml --k8s svc.yaml --json\n"
      "  portkit audit --map 16379=redis --ignore service-in-ephemeral-range\n"
      "  portkit audit --probe-tls --cert-warn-days 30   certificates of local TLS listeners\n"
      "Severities: info, low, medium, high, critical. Exit 1 when a finding reaches\n"
      "--fail-on, so a CI pipeline can gate on it; 2 for a file that is not YAML.");
  return {app, [flags, &globals]() -> int { return run_audit_command(*flags, globals); }};
}

}  // namespace portkit::cli

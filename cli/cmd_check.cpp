// portkit check ENDPOINT...: open / closed / filtered with latency, TCP or UDP.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "portkit/output/probe_output.hpp"
#include "portkit/probe/check.hpp"

namespace portkit::cli {
namespace {

struct CheckFlags {
  std::vector<std::string> endpoints;
  std::string timeout = "1s";
  int retries = 1;
  bool udp = false;
  bool ipv4 = false;
  bool ipv6 = false;
  bool banner = false;
  bool all_addresses = false;
  bool service = false;
  bool tls = false;
  std::string service_timeout;
  bool json = false;
};

int run_check(const CheckFlags& flags, const GlobalOptions& globals) {
  CheckOptions options;
  const auto timeout = duration_flag("--timeout", flags.timeout);
  if (!timeout) return fail("check", timeout.error().message);
  options.probe.timeout = *timeout;
  options.probe.retries = flags.retries;
  options.probe.banner = flags.banner;
  options.family = flags.ipv4   ? FamilyFilter::v4
                   : flags.ipv6 ? FamilyFilter::v6
                                : FamilyFilter::any;
  options.all_addresses = flags.all_addresses;
  options.identify = flags.service || flags.tls;
  options.probe.identify = flags.service;  // UDP: the reply to the protocol payload names it
  options.identify_options.want_tls = flags.tls;
  if (!flags.service_timeout.empty()) {
    const auto budget = duration_flag("--service-timeout", flags.service_timeout);
    if (!budget) return fail("check", budget.error().message);
    options.identify_options.budget = *budget;
  }
  std::vector<Endpoint> endpoints;
  for (const auto& text : flags.endpoints) {
    auto endpoint = parse_endpoint(text, flags.udp ? Proto::udp : Proto::tcp);
    if (!endpoint) return fail("check", endpoint.error().message);
    endpoints.push_back(std::move(endpoint).value());
  }
  options.stop_on_signal = true;
  const auto report = run_checks(flags.endpoints, endpoints, options);
  bool all_open = true;
  for (const auto& result : report.results) {
    all_open =
        all_open && !result.answers.empty() && result.answers.front().state == PortState::open;
  }
  print_out(flags.json ? check_json(report).dump(2) + "\n"
                       : render_checks(report, resolve_style(globals)));
  if (report.interrupted) return kExitInterrupted;
  return all_open ? kExitOk : kExitNegative;
}

}  // namespace

Command make_check_command(CLI::App& parent, const GlobalOptions& globals) {
  auto flags = std::make_shared<CheckFlags>();
  auto* app = parent.add_subcommand("check", "open / closed / filtered with latency, TCP or UDP");
  app->add_option("endpoint", flags->endpoints,
                  "HOST:PORT, [IPv6]:PORT, HOST:SERVICE, HOST:PORT/udp")
      ->required();
  app->add_option("--timeout", flags->timeout, "per attempt (250ms, 2s, ...)")
      ->capture_default_str();
  app->add_option("--retries", flags->retries, "extra attempts when nothing answers")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  app->add_flag("-u,--udp", flags->udp, "UDP probes (also per endpoint with /udp)");
  app->add_flag("-4", flags->ipv4, "IPv4 addresses only");
  app->add_flag("-6", flags->ipv6, "IPv6 addresses only")->excludes("-4");
  app->add_flag("--banner", flags->banner,
                "read what the server says first (SSH, SMTP, Redis, HTTP)");
  app->add_flag("--all-addresses", flags->all_addresses, "one line per resolved address");
  app->add_flag("--service", flags->service,
                "name the service that answers (greeting, TLS, HTTP, Redis, PostgreSQL, ...)");
  app->add_flag("--tls", flags->tls,
                "TLS handshake facts: version, cipher, ALPN, certificate, expiry, chain, name");
  app->add_option("--service-timeout", flags->service_timeout,
                  "budget per port for --service/--tls (default: 12 round trips, 600ms-10s)");
  app->add_flag("--json", flags->json, "one JSON document: {\"results\": [...]}");
  app->footer(
      "Examples:\n"
      "  portkit check localhost:5432\n"
      "  portkit check db:5432 cache:6379 [::1]:22 --timeout 500ms\n"
      "  portkit check 127.0.0.1:53/udp ntp.example:123/udp\n"
      "  portkit check --banner localhost:22\n"
      "  portkit check --service localhost:16379 localhost:5432\n"
      "  portkit check --tls example.internal:443 --json\n"
      "States: open (connected or UDP answer), closed (refused, ICMP port unreachable),\n"
      "filtered (no answer or ICMP unreachable), open|filtered (UDP silence).\n"
      "A name that does not resolve is reported 'unresolved' and the others are still checked.\n"
      "Exit 0 only if every endpoint is open, 1 otherwise (closed, filtered, unresolved),\n"
      "2 on bad input, 130 when interrupted (what was known is printed first).");
  return {app, [flags, &globals] { return run_check(*flags, globals); }};
}

}  // namespace portkit::cli

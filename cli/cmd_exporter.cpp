// portkit exporter: Prometheus /metrics for this host's ports.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "portkit/exporter/exporter.hpp"

namespace portkit::cli {
namespace {

struct ExporterFlags {
  std::string listen = "127.0.0.1:9163";
  std::string min_interval = "1s";
  std::vector<std::string> probes;
  std::string probe_timeout = "1s";
  bool probe_service = false;
  bool probe_tls = false;
  std::size_t max_listening_series = 500;
  std::size_t max_destinations = 20;
  std::vector<std::string> map;
  std::vector<std::string> ignore;
  bool procfs = false;
  bool once = false;
  bool json = false;
};

Result<ExporterOptions> exporter_options(const ExporterFlags& flags) {
  ExporterOptions options;
  // Port 0 (the kernel picks one, reported at start) is not a valid endpoint elsewhere.
  if (!flags.listen.empty() && std::all_of(flags.listen.begin(), flags.listen.end(),
                                           [](char c) { return c >= '0' && c <= '9'; })) {
    return make_error(
        fmt::format("--listen: '{0}' has no address: write 127.0.0.1:{0} (this "
                    "host only) or 0.0.0.0:{0} (every interface)",
                    flags.listen));
  }
  // Port 0 lets the kernel choose (reported at start).
  auto listen = parse_endpoint(flags.listen, EndpointOptions{.allow_zero = true});
  if (!listen) return make_error("--listen: " + listen.error().message);
  if (listen->host.kind == HostKind::name) {
    if (listen->host.text != "localhost")
      return make_error("--listen: give a numeric address, not '" + listen->host.text + "'");
    listen->host = {.text = "127.0.0.1", .kind = HostKind::ipv4};
  }
  options.listen = *listen;
  auto interval = duration_flag("--min-interval", flags.min_interval, true);
  if (!interval) return interval.error();
  options.min_interval = *interval;
  auto timeout = duration_flag("--probe-timeout", flags.probe_timeout);
  if (!timeout) return timeout.error();
  options.probe_options.timeout = *timeout;
  options.probe_options.retries = 0;
  options.probe_service = flags.probe_service;
  options.probe_tls = flags.probe_tls;
  for (const auto& text : flags.probes) {
    auto endpoint = parse_endpoint(text);
    if (!endpoint) return make_error("--probe: " + endpoint.error().message);
    options.probe_texts.push_back(text);
    options.probes.push_back(*endpoint);
  }
  for (const auto& text : flags.map) {
    auto mapping = parse_service_mapping(text);
    if (!mapping) return make_error("--map: " + mapping.error().message);
    options.audit.map[mapping->first] = mapping->second;
  }
  for (const auto& id : flags.ignore) {
    if (!find_audit_rule(id)) return make_error("--ignore: unknown rule id '" + id + "'");
    options.audit.ignore.push_back(id);
  }
  options.limits.max_listening_series = flags.max_listening_series;
  options.limits.max_destinations = flags.max_destinations;
  options.backend = flags.procfs ? InventoryBackend::procfs : InventoryBackend::automatic;
  return options;
}

int serve(const ExporterFlags& flags, const ExporterOptions& options) {
  // Blocked before the server starts its threads, so they inherit the mask and only
  // sigwait below sees SIGINT and SIGTERM.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto exporter = Exporter::start(options);
  if (!exporter) return fail("exporter", exporter.error().message, kExitRuntime);
  const auto url =
      fmt::format("http://{}/metrics", format_endpoint(options.listen.host, (*exporter)->port()));
  if (flags.json) {
    print_out(nlohmann::json{{"event", "listening"},
                             {"address", options.listen.host.text},
                             {"port", (*exporter)->port()},
                             {"url", url}}
                  .dump() +
              "\n");
  } else {
    print_out(fmt::format("portkit exporter: serving {}{}\n", url,
                          exposure_of_address(options.listen.host.text) == Exposure::all_interfaces
                              ? " on ALL interfaces: reachable from other hosts"
                              : ""));
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  // An exporter holds no state worth a graceful stop (a scrape in flight is retried by
  // Prometheus, and a collection may be waiting on probes), so leave at once.
  std::fflush(stdout);
  std::_Exit(kExitOk);
}

}  // namespace

Command make_exporter_command(CLI::App& parent, const GlobalOptions& /*globals*/) {
  auto flags = std::make_shared<ExporterFlags>();
  auto* app = parent.add_subcommand("exporter", "Prometheus /metrics for this host's ports");
  app->add_option("--listen", flags->listen, "address:port to serve on")->capture_default_str();
  app->add_option("--min-interval", flags->min_interval,
                  "scrapes closer than this share one collection")
      ->capture_default_str();
  app->add_option("--probe", flags->probes,
                  "also probe HOST:PORT[/udp] on each collection (repeatable)");
  app->add_option("--probe-timeout", flags->probe_timeout, "per probe")->capture_default_str();
  app->add_flag("--probe-service", flags->probe_service,
                "name what answers on each --probe TCP endpoint: portkit_probe_service_info");
  app->add_flag("--probe-tls", flags->probe_tls,
                "TLS facts of each --probe TCP endpoint: portkit_probe_tls_cert_not_after_seconds, "
                "portkit_probe_tls_version_info, ...");
  app->add_option("--max-listening-series", flags->max_listening_series,
                  "listening series beyond this are summed into port=\"other\"")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  app->add_option("--max-destinations", flags->max_destinations,
                  "busiest destinations in the ephemeral-port metrics")
      ->check(kNotNegative)
      ->capture_default_str();
  app->add_option("--map", flags->map, "audit: treat PORT as SERVICE, e.g. 16379=redis");
  complete_values(app->add_option("--ignore", flags->ignore, "audit: silence a rule by id"),
                  audit_rule_ids());
  app->add_flag("--procfs", flags->procfs, "read /proc/net instead of netlink");
  app->add_flag("--once", flags->once, "print one collection to stdout and exit");
  app->add_flag("--json", flags->json, "start-up line as JSON");
  app->footer(
      "Examples:\n"
      "  portkit exporter                          http://127.0.0.1:9163/metrics\n"
      "  portkit exporter --listen 0.0.0.0:9163 --probe db.internal:5432\n"
      "  portkit exporter --once | promtool check metrics\n"
      "Prometheus scrape config:\n"
      "  scrape_configs:\n"
      "    - job_name: portkit\n"
      "      static_configs: [{targets: ['HOST:9163']}]\n"
      "Metrics: portkit_sockets{proto,family,state}, portkit_listening_sockets{proto,address,\n"
      "port,exposure,process,service}, portkit_ephemeral_ports_in_use{peer_address,peer_port},\n"
      "portkit_audit_findings{severity}, portkit_probe_success / _duration_seconds{endpoint}.\n"
      "SIGINT or SIGTERM stops it (exit 0).");
  return {app, [flags]() -> int {
            auto options = exporter_options(*flags);
            if (!options) return fail("exporter", options.error().message);
            if (flags->once) {
              auto body = collect_metrics(*options, 1);
              if (!body) return fail("exporter", body.error().message, kExitRuntime);
              print_out(*body);
              return kExitOk;
            }
            return serve(*flags, *options);
          }};
}

}  // namespace portkit::cli

// portkit forward [BIND:]PORT[/udp] HOST:PORT[,HOST:PORT...] ...: TCP and UDP forwarding.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "portkit/forward/forwarder.hpp"
#include "portkit/output/event_output.hpp"

namespace portkit::cli {
namespace {

struct ForwardFlags {
  std::vector<std::string> rules;
  std::string config;
  std::string balance = "round-robin";
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  std::size_t max_conns = 0;
  std::string idle_timeout;
  std::string connect_timeout = "5s";
  std::string proxy_protocol = "none";
  std::string drain = "10s";
  bool no_splice = false;
  std::size_t pipe_kib = 256;
  unsigned workers = 0;
  bool verbose = false;
  bool json = false;
};

Result<RuleSettings> settings_from(const ForwardFlags& flags) {
  RuleSettings settings;
  const auto balance = parse_balance(flags.balance);
  if (!balance)
    return make_error("--balance: unknown '" + flags.balance +
                      "' (use round-robin or first-healthy)");
  settings.balance = *balance;
  for (const auto* list : {&flags.allow, &flags.deny}) {
    for (const auto& item : *list) {
      auto block = parse_address_block(item);
      if (!block)
        return make_error((list == &flags.allow ? "--allow: " : "--deny: ") +
                          block.error().message);
      (list == &flags.allow ? settings.allow : settings.deny).push_back(std::move(block).value());
    }
  }
  settings.max_conns = flags.max_conns;
  if (!flags.idle_timeout.empty()) {
    auto idle = duration_flag("--idle-timeout", flags.idle_timeout, true);
    if (!idle) return idle.error();
    settings.idle_timeout = *idle;
  }
  auto connect = duration_flag("--connect-timeout", flags.connect_timeout);
  if (!connect) return connect.error();
  settings.connect_timeout = *connect;
  const auto proxy = parse_proxy_protocol(flags.proxy_protocol);
  if (!proxy)
    return make_error("--proxy-protocol: unknown '" + flags.proxy_protocol + "' (use v1 or v2)");
  settings.proxy = *proxy;
  return settings;
}

// The command line's rules, then the config file's (read again on every reload).
Result<ForwardConfig> load_rules(const ForwardFlags& flags, const RuleSettings& settings) {
  ForwardConfig config;
  if (flags.rules.size() % 2 != 0) {
    return make_error("rule '" + flags.rules.back() + "' has no target: give LISTEN TARGET pairs");
  }
  for (std::size_t i = 0; i < flags.rules.size(); i += 2) {
    auto rule = parse_forward_rule(flags.rules[i], flags.rules[i + 1], settings);
    if (!rule) return rule.error();
    config.rules.push_back(std::move(rule).value());
  }
  if (!flags.config.empty()) {
    auto file = read_forward_config(flags.config, settings);
    if (!file) return file.error();
    config.drain = file->drain;
    for (auto& rule : file->rules) config.rules.push_back(std::move(rule));
  }
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.rules[i].listen_text() == config.rules[j].listen_text() &&
          config.rules[i].port != 0) {
        return make_error("two rules listen on " + config.rules[i].listen_text());
      }
    }
  }
  if (config.rules.empty())
    return make_error("no rule: give LISTEN TARGET (e.g. 8080 127.0.0.1:3000) or --config");
  return config;
}

// One per core (at most 4): together they use every core, and each has its own descriptor
// table, so they hold more connections than one process may open.
unsigned default_workers() {
  const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  return static_cast<unsigned>(std::clamp(cores, 1L, 4L));
}

int run_forward(const ForwardFlags& flags) {
  auto settings = settings_from(flags);
  if (!settings) return fail("forward", settings.error().message);
  auto config = load_rules(flags, *settings);
  if (!config) return fail("forward", config.error().message);
  auto drain = duration_flag("--drain", flags.drain, true);
  if (!drain) return fail("forward", drain.error().message);

  ForwardOptions options;
  options.rules = config->rules;
  options.drain = config->drain.value_or(*drain);
  options.use_splice = !flags.no_splice;
  options.pipe_size = flags.pipe_kib * 1024;
  options.connection_events = flags.verbose || flags.json;
  if (!flags.config.empty()) {
    options.reload = [&flags, settings = *settings]() -> Result<std::vector<ForwardRule>> {
      auto reloaded = load_rules(flags, settings);
      if (!reloaded) return reloaded.error();
      return std::move(reloaded->rules);
    };
  }
  Forwarder forwarder(std::move(options), [&flags](const ForwardEvent& event) {
    if (flags.json) {
      print_out(forward_event_json(event).dump() + "\n");
    } else {
      fmt::print(stderr, "{}", forward_event_text(event, flags.verbose));
    }
  });
  if (auto started = forwarder.start(); !started) {
    return fail("forward", started.error().message,
                started.error().sys_errno ? kExitRuntime : kExitUsage);
  }
  forwarder.run_workers(flags.workers > 0 ? flags.workers : default_workers());
  const auto counters = forwarder.counters();
  if (flags.json) {
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& rule : counters) rules.push_back(forward_counters_json(rule));
    print_out(nlohmann::json{{"event", "summary"}, {"rules", rules}}.dump() + "\n");
  } else {
    for (const auto& rule : counters)
      fmt::print(stderr, "portkit: forward: {}\n", forward_counters_text(rule));
  }
  return kExitOk;
}

}  // namespace

Command make_forward_command(CLI::App& parent, const GlobalOptions&) {
  auto flags = std::make_shared<ForwardFlags>();
  auto* app =
      parent.add_subcommand("forward", "forward TCP and UDP ports (like socat, ssh -L, docker -p)");
  app->add_option("rules", flags->rules,
                  "LISTEN TARGET pairs: [BIND:]PORT[/udp] and HOST:PORT[,HOST:PORT...]");
  complete_file(app->add_option("-c,--config", flags->config,
                                "TOML file of [[rule]] tables; SIGHUP reloads it"));
  complete_values(app->add_option("--balance", flags->balance,
                                  "round-robin or first-healthy over a rule's targets")
                      ->capture_default_str(),
                  {"round-robin", "first-healthy"});
  app->add_option("--allow", flags->allow,
                  "only these sources (CIDR, address or range; repeatable)")
      ->delimiter(',');
  app->add_option("--deny", flags->deny, "refuse these sources (repeatable)")->delimiter(',');
  app->add_option("--max-conns", flags->max_conns,
                  "connections (UDP: sessions) per rule; more wait in the backlog")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}));
  app->add_option("--idle-timeout", flags->idle_timeout,
                  "close after this long without traffic (UDP default 60s)");
  app->add_option("--connect-timeout", flags->connect_timeout,
                  "give up on a target after this long")
      ->capture_default_str();
  app->add_option("--proxy-protocol", flags->proxy_protocol,
                  "send a PROXY header (v1 or v2) to the upstream");
  app->add_option("--drain", flags->drain, "on SIGINT/SIGTERM, let connections finish this long")
      ->capture_default_str();
  app->add_flag("--no-splice", flags->no_splice, "relay through read/write instead of splice");
  app->add_option("--pipe-kib", flags->pipe_kib,
                  "splice pipe size in KiB (the kernel may give less)")
      ->check(CLI::Range(4, 1024))
      ->capture_default_str();
  app->add_option("-w,--workers", flags->workers,
                  "worker processes (default: one per core, at most 4)")
      ->check(CLI::Range(1, 64));
  app->add_flag("-v,--verbose", flags->verbose,
                "log every connection: client, upstream, bytes, duration");
  app->add_flag("--json", flags->json, "events as JSON Lines on stdout, then a summary");
  app->footer(
      "Examples:\n"
      "  portkit forward 8080 127.0.0.1:3000           like docker -p 127.0.0.1:8080:3000\n"
      "  portkit forward 0.0.0.0:8080 10.0.0.5:80      every interface (the start-up line warns)\n"
      "  portkit forward 5353/udp 127.0.0.1:53         UDP, a session per client\n"
      "  portkit forward 8443 a:443,b:443 --balance first-healthy\n"
      "  portkit forward 5432 db:5432 --allow 10.0.0.0/8 --max-conns 100 -v\n"
      "  portkit forward --config rules.toml           kill -HUP reloads it; connections stay\n"
      "BIND defaults to 127.0.0.1. SIGINT/SIGTERM stop accepting and drain (--drain), exit 0.\n"
      "kill -USR1 prints each worker's counters so far (a line per rule; --json: events).");
  return {app, [flags] { return run_forward(*flags); }};
}

}  // namespace portkit::cli

// portkit listen PORT[/udp]: a test server (echo, http, banner, discard).
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "portkit/output/event_output.hpp"
#include "portkit/probe/listen.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit::cli {
namespace {

struct ListenFlags {
  std::string port;
  std::string mode = "echo";
  std::string banner;
  std::string bind = "127.0.0.1";
  std::optional<std::uint64_t> count;
  std::string duration;
  bool udp = false;
  bool quiet = false;
  bool json = false;
};

int run_listen(const ListenFlags& flags) {
  ListenOptions options;
  auto port = parse_single_port(
      flags.port, {.allow_zero = true, .name_proto = flags.udp ? Proto::udp : Proto::tcp});
  if (!port) return fail("listen", port.error().message);
  options.port = port->port;
  options.proto = port->proto.value_or(flags.udp ? Proto::udp : Proto::tcp);
  if (port->proto && flags.udp && *port->proto == Proto::tcp) {
    return fail("listen", "-u/--udp contradicts '" + flags.port + "' (TCP): give one transport");
  }
  if (!flags.banner.empty() && flags.mode != "echo" && flags.mode != "banner") {
    return fail("listen", "--banner goes with --mode banner, not --mode " + flags.mode);
  }
  const auto mode = parse_listen_mode(flags.banner.empty() ? flags.mode : "banner");
  if (!mode)
    return fail("listen",
                "--mode: unknown mode '" + flags.mode + "' (use echo, http, banner or discard)");
  options.mode = *mode;
  if (!flags.banner.empty()) options.banner = flags.banner + "\r\n";
  options.bind = flags.bind;
  if (options.bind.size() > 2 && options.bind.front() == '[' && options.bind.back() == ']') {
    options.bind = options.bind.substr(1, options.bind.size() - 2);
  }
  if (flags.count) {
    if (*flags.count == 0) return fail("listen", "--count: must be at least 1");
    options.count = flags.count;
  }
  if (!flags.duration.empty()) {
    const auto duration = duration_flag("--duration", flags.duration);
    if (!duration) return fail("listen", duration.error().message);
    options.duration = *duration;
  }
  const auto served = run_listener(options, [&](const ListenEvent& event) {
    if (flags.json) return print_out(listen_event_json(event, options.proto).dump() + "\n");
    if (flags.quiet && event.kind != ListenEvent::Kind::listening) return;
    fmt::print(stderr, "{}", listen_event_text(event, flags.mode, options.proto));
  });
  if (!served) {
    return fail("listen", served.error().message,
                served.error().sys_errno ? kExitRuntime : kExitUsage);
  }
  return kExitOk;
}

}  // namespace

Command make_listen_command(CLI::App& parent, const GlobalOptions&) {
  auto flags = std::make_shared<ListenFlags>();
  auto* app = parent.add_subcommand("listen", "a test server: echo, http, banner or discard");
  app->add_option("port", flags->port, "PORT, PORT/udp or a service name; 0 picks a free port")
      ->required();
  complete_values(app->add_option("-m,--mode", flags->mode, "echo, http, banner or discard")
                      ->capture_default_str(),
                  {"echo", "http", "banner", "discard"});
  app->add_option("--banner", flags->banner, "text of --mode banner (implies it)");
  app->add_option("-b,--bind", flags->bind,
                  "address to listen on; 0.0.0.0 or :: for all interfaces")
      ->capture_default_str();
  app->add_option("-c,--count", flags->count, "stop after N connections (UDP: datagrams)")
      ->check(kNotNegative);
  app->add_option("-d,--duration", flags->duration, "stop after this long (30s, 5m)");
  app->add_flag("-u,--udp", flags->udp, "UDP instead of TCP (also PORT/udp)");
  app->add_flag("-q,--quiet", flags->quiet, "log only the listening line");
  app->add_flag("--json", flags->json, "events as JSON Lines on stdout");
  app->footer(
      "Examples:\n"
      "  portkit listen 9999                      echo server on 127.0.0.1:9999\n"
      "  portkit listen 8080 --mode http          answers 200 naming the port and your socket\n"
      "  portkit listen 2525 --banner '220 test'  greets every client, then closes\n"
      "  portkit listen 5353/udp --count 1        echo one datagram, then exit\n"
      "  portkit listen 0 --bind :: --duration 30s --json\n"
      "Connections are logged on stderr; SIGINT or SIGTERM stops it cleanly (exit 0).");
  return {app, [flags] { return run_listen(*flags); }};
}

}  // namespace portkit::cli

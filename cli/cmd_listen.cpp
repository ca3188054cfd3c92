// portkit listen PORT[/udp]: a test server (echo, http, banner, discard).
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "portkit/listen.hpp"
#include "portkit/output/json_units.hpp"
#include "portkit/spec.hpp"

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

std::string peer_text(const std::string& address, std::uint16_t port) {
  return address.find(':') == std::string::npos ? fmt::format("{}:{}", address, port)
                                                : fmt::format("[{}]:{}", address, port);
}

void log_event(const ListenEvent& event, const ListenFlags& flags, Proto proto) {
  if (flags.json) {
    nlohmann::json line{{"event", listen_event_name(event.kind)},
                        {"local_address", event.address},
                        {"local_port", event.port},
                        {"proto", proto_name(proto)}};
    if (!event.peer_address.empty()) {
      line["peer_address"] = event.peer_address;
      line["peer_port"] = event.peer_port;
    }
    if (event.kind == ListenEvent::Kind::closed || event.kind == ListenEvent::Kind::datagram) {
      line["bytes_in"] = event.bytes_in;
      line["bytes_out"] = event.bytes_out;
    }
    if (event.kind == ListenEvent::Kind::closed) line["duration_ms"] = json_ms(event.duration_ms);
    if (!event.reason.empty()) line["reason"] = event.reason;
    print_out(line.dump() + "\n");
    return;
  }
  if (flags.quiet && event.kind != ListenEvent::Kind::listening) return;
  const auto local = peer_text(event.address, event.port);
  switch (event.kind) {
    case ListenEvent::Kind::listening:
      fmt::print(stderr, "portkit: listen: {} on {}/{}{}\n", flags.mode, local, proto_name(proto),
                 exposure_of_address(event.address) == Exposure::all_interfaces
                     ? " (all interfaces)"
                     : "");
      break;
    case ListenEvent::Kind::connected:
      fmt::print(stderr, "portkit: listen: connection from {}\n",
                 peer_text(event.peer_address, event.peer_port));
      break;
    case ListenEvent::Kind::closed:
      fmt::print(stderr, "portkit: listen: {} closed after {:.0f} ms, {} bytes in, {} out\n",
                 peer_text(event.peer_address, event.peer_port), event.duration_ms, event.bytes_in,
                 event.bytes_out);
      break;
    case ListenEvent::Kind::datagram:
      fmt::print(stderr, "portkit: listen: datagram from {}, {} bytes\n",
                 peer_text(event.peer_address, event.peer_port), event.bytes_in);
      break;
    case ListenEvent::Kind::stopped:
      fmt::print(stderr, "portkit: listen: stopped ({})\n", event.reason);
      break;
  }
}

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
  const auto served = run_listener(
      options, [&](const ListenEvent& event) { log_event(event, flags, options.proto); });
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
  app->add_option("-m,--mode", flags->mode, "echo, http, banner or discard")->capture_default_str();
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

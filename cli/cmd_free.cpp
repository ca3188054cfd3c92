// portkit free: ports that are free to bind now, verified by binding them.
#include <fmt/format.h>
#include <unistd.h>

#include <memory>

#include "cli_common.hpp"
#include "portkit/free/free_ports.hpp"
#include "portkit/output/ops_output.hpp"

namespace portkit::cli {
namespace {

struct FreeFlags {
  std::string range;
  std::size_t count = 1;
  std::string proto = "tcp";
  std::string near;
  std::string address;
  bool lowest = false;
  bool include_known = false;
  bool hold = false;
  bool json = false;
};

Result<FreeQuery> free_query(const FreeFlags& flags) {
  FreeQuery query;
  query.count = flags.count;
  query.tcp = flags.proto != "udp";
  query.udp = flags.proto != "tcp";
  query.order = flags.lowest ? FreeOrder::lowest : FreeOrder::random;
  query.skip_known_services = !flags.include_known;
  if (!flags.range.empty()) {
    auto spec = parse_port_spec(flags.range);
    if (!spec) return make_error("--range: " + spec.error().message);
    for (const auto& item : spec->items) {
      if (item.proto) return make_error("--range: use --proto, not a /tcp or /udp suffix");
      query.ranges.push_back(item.ports);
    }
  }
  if (!flags.near.empty()) {
    auto near = parse_single_port(flags.near);
    if (!near) return make_error("--near: " + near.error().message);
    query.near = near->port;
    query.order = FreeOrder::nearest;
    // A dev server asking for "near 3000" wants 3000 itself when it is free.
    query.skip_known_services = false;
  }
  if (!flags.address.empty()) {
    query.address = parse_ip_address(flags.address);
    if (!query.address) return make_error("--address: not an IP address: '" + flags.address + "'");
  }
  return query;
}

}  // namespace

Command make_free_command(CLI::App& parent, const GlobalOptions& /*globals*/) {
  auto flags = std::make_shared<FreeFlags>();
  auto* app = parent.add_subcommand("free", "ports free to bind now, verified by binding");
  app->add_option("--range", flags->range,
                  "where to look, e.g. 3000-3999,8000-8999 (default: 1024-65535 without the "
                  "ephemeral range)")
      ->check(kNonEmpty);
  app->add_option("--count,-c", flags->count, "how many ports")
      ->check(CLI::Range(std::size_t{1}, std::size_t{65535}))
      ->capture_default_str();
  const std::vector<std::string> protocols{"tcp", "udp", "both"};
  complete_values(app->add_option("--proto", flags->proto, "free for tcp, udp or both")
                      ->check(CLI::IsMember(protocols))
                      ->capture_default_str(),
                  protocols);
  app->add_option("--near", flags->near, "the closest free ports to this one (dev servers)")
      ->check(kNonEmpty);
  app->add_option("--address", flags->address,
                  "free on this address only (default: every address, IPv4 and IPv6)");
  app->add_flag("--lowest", flags->lowest, "lowest ports first (default: random order)");
  app->add_flag("--include-known", flags->include_known,
                "also offer ports of well-known services (5432, 6379...)");
  app->add_flag("--hold", flags->hold,
                "keep the ports bound until stdin closes, so nothing else takes them");
  app->add_flag("--json", flags->json, "one JSON document");
  app->footer(
      "Examples:\n"
      "  portkit free                          one free TCP port\n"
      "  portkit free --near 3000              3000 if free, else the closest\n"
      "  portkit free --count 3 --range 8000-8999 --proto both --json\n"
      "  exec 3< <(portkit free --hold)        hold a port while a script sets up\n"
      "Each port is bound (without SO_REUSEADDR) to prove it is free. Left out: this host's\n"
      "ephemeral range (unless --range says otherwise), net.ipv4.ip_local_reserved_ports and\n"
      "ports of well-known services. Exit 1 when fewer than --count ports are free.");
  return {app, [flags]() -> int {
            auto query = free_query(*flags);
            if (!query) return fail("free", query.error().message);
            const auto host = read_host_port_config();
            auto found = find_free_ports(*query, host, flags->hold);
            if (!found) return fail("free", found.error().message, kExitRuntime);
            print_out(flags->json ? free_json(*found, *query).dump(2) + "\n" : render_free(*found));
            if (flags->hold && !found->ports.empty()) {
              char buffer[256];
              while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
              }
            }
            if (found->ports.size() < query->count) {
              fmt::print(stderr, "portkit: free: {}\n", describe_shortfall(*found, query->count));
              return kExitNegative;
            }
            return kExitOk;
          }};
}

}  // namespace portkit::cli

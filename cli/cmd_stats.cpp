// portkit stats: sockets per state, and ephemeral-port pressure per destination.
#include <fmt/format.h>

#include <memory>

#include "cli_common.hpp"
#include "portkit/output/socket_output.hpp"

namespace portkit::cli {

Command make_stats_command(CLI::App& parent, const GlobalOptions& globals) {
  struct StatsFlags {
    double threshold = 50;
    std::size_t top = 10;
    bool procfs = false;
    bool json = false;
  };
  auto flags = std::make_shared<StatsFlags>();
  auto* app =
      parent.add_subcommand("stats", "sockets per state; ephemeral-port use per destination");
  app->add_option("--threshold", flags->threshold,
                  "warn when a destination uses this % of the ephemeral range")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app->add_option("--top", flags->top, "destinations to show")
      ->check(kNotNegative)
      ->capture_default_str();
  app->add_flag("--procfs", flags->procfs, "read /proc/net instead of netlink");
  app->add_flag("--json", flags->json, "one JSON document");
  app->footer(
      "Examples:\n"
      "  portkit stats\n"
      "  portkit stats --threshold 20 --json\n"
      "Counts TIME_WAIT too: a burst of short connections to one backend can exhaust the\n"
      "ephemeral range (net.ipv4.ip_local_port_range) and fail with EADDRNOTAVAIL.");
  return {
      app, [flags, &globals]() -> int {
        const auto inventory = read_inventory(
            {.backend = flags->procfs ? InventoryBackend::procfs : InventoryBackend::automatic});
        if (!inventory) return fail("stats", inventory.error().message, kExitRuntime);
        const auto stats = compute_stats(inventory->sockets, read_host_port_config(), flags->top);
        const double warn = flags->threshold / 100;
        print_out(flags->json ? stats_json(stats, warn).dump(2) + "\n"
                              : render_stats(stats, warn, resolve_style(globals)));
        return kExitOk;
      }};
}

}  // namespace portkit::cli

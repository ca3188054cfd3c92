// portkit ranges: IANA ranges, this host's ephemeral and reserved ports, NodePort range.
#include <memory>

#include "cli_common.hpp"
#include "portkit/output/knowledge.hpp"

namespace portkit::cli {

Command make_ranges_command(CLI::App& parent, const GlobalOptions& globals) {
  auto json = std::make_shared<bool>(false);
  auto* app = parent.add_subcommand(
      "ranges", "IANA ranges, this host's ephemeral and reserved ports, NodePort range");
  app->add_flag("--json", *json, "one JSON document");
  app->footer(
      "Examples:\n"
      "  portkit ranges\n"
      "  portkit ranges --json | jq .ephemeral\n"
      "Reads net.ipv4.ip_local_port_range, ip_local_reserved_ports and\n"
      "ip_unprivileged_port_start (they govern IPv6 too).");
  return {app, [json, &globals] {
            const auto host = read_host_port_config();
            print_out(*json ? ranges_json(host).dump(2) + "\n"
                            : render_ranges(host, resolve_style(globals)));
            return kExitOk;
          }};
}

}  // namespace portkit::cli

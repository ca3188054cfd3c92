// portkit ls [FILTER...]: sockets on this host with state, owner, service and exposure.
#include <fmt/format.h>
#include <unistd.h>

#include <memory>

#include "portkit/output/socket_output.hpp"
#include "socket_flags.hpp"

namespace portkit::cli {
namespace {

int stream_json_lines(const ListOptions& options) {
  std::string line;
  auto summary = stream_sockets(options, [&](const SocketRow& row) {
    line = socket_json(row).dump();
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  });
  std::fflush(stdout);
  if (!summary) return fail("ls", summary.error().message, kExitRuntime);
  if (summary->owners_hidden_for_lack_of_privilege) {
    fmt::print(stderr,
               "portkit: ls: some owners are hidden: other users' processes need root "
               "(sudo portkit ls) or CAP_SYS_PTRACE\n");
  }
  return kExitOk;
}

}  // namespace

Command make_ls_command(CLI::App& parent, const GlobalOptions& globals) {
  auto flags = std::make_shared<SocketFlags>();
  auto* app = parent.add_subcommand(
      "ls", "sockets on this host: proto, local, peer, state, process, service, exposure");
  add_socket_flags(*app, *flags, true);
  app->footer(
      "Examples:\n"
      "  portkit ls                     listening TCP and bound UDP sockets (like ss -tulpn)\n"
      "  portkit ls -a -t --port 5432   every TCP socket on or to port 5432\n"
      "  portkit ls state established '( dport = :443 or sport = :22 )'   ss's filter grammar\n"
      "  portkit ls 5432                every socket on or to 5432 (a bare port: either end)\n"
      "  portkit ls --state established --process nginx\n"
      "  portkit ls -a -t -i --dport 443    rtt, cwnd, bytes of each HTTPS connection (ss -ti)\n"
      "  portkit ls -a --json | jq '.sockets[] | select(.exposure == \"all\")'\n"
      "  portkit ls -a -n --stream | jq -c 'select(.state == \"time_wait\")'   huge hosts\n"
      "Owners come from /proc/*/fd; run as root to see other users' processes.");
  return {app, [flags, &globals]() -> int {
            auto options = socket_options(*flags);
            if (!options) return fail("ls", options.error().message);
            if (flags->stream) return stream_json_lines(*options);
            auto listing = list_sockets(*options);
            if (!listing) return fail("ls", listing.error().message, kExitRuntime);
            const auto to_stdout = [](std::string_view piece) {
              std::fwrite(piece.data(), 1, piece.size(), stdout);
            };
            if (flags->json) {
              write_sockets_json(*listing, to_stdout);
            } else {
              write_sockets(*listing, resolve_style(globals), to_stdout);
            }
            std::fflush(stdout);
            if (listing->owners_hidden_for_lack_of_privilege && !flags->json) {
              fmt::print(stderr,
                         "portkit: ls: some owners are hidden: other users' processes need root "
                         "(sudo portkit ls) or CAP_SYS_PTRACE\n");
            }
            return kExitOk;
          }};
}

}  // namespace portkit::cli

// portkit ls [FILTER...]: sockets on this host with state, owner, service and exposure.
#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <optional>

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

struct KillFlags {
  bool enabled = false;  // --kill-sockets
  bool yes = false;
  bool dry_run = false;
};

bool has_filter(const SocketFlags& flags) {
  return !flags.filter_words.empty() || !flags.ports.empty() || !flags.sports.empty() ||
         !flags.dports.empty() || !flags.states.empty() || flags.pid || flags.user || flags.process;
}

// Arguments are checked before anything is listed or closed.
std::optional<int> check_kill_flags(const SocketFlags& flags, const KillFlags& killing) {
  if (!killing.enabled) {
    if (killing.yes) return fail("ls", "--yes only goes with --kill-sockets");
    if (killing.dry_run) return fail("ls", "--dry-run only goes with --kill-sockets");
    return std::nullopt;
  }
  if (!has_filter(flags)) {
    return fail("ls",
                "--kill-sockets needs a filter (a FILTER expression, --port, --state, --pid, "
                "...): without one it would close every socket shown");
  }
  if (flags.stream) return fail("ls", "--kill-sockets does not go with --stream");
  if (flags.all_netns) return fail("ls", "--kill-sockets closes sockets of this namespace only");
  return std::nullopt;
}

std::string socket_line(const SocketRow& row) {
  const auto& socket = row.socket;
  return fmt::format("{} {} {} {}", proto_name(socket.proto),
                     socket_address_text(socket.local, socket.local_port),
                     socket_address_text(socket.peer, socket.peer_port),
                     socket_state_name(socket.state, socket.proto));
}

// ss -K: closes each socket shown (SOCK_DESTROY), asking first on a terminal as who --kill
// does. Exit 0 when all closed, 1 when none matched, 3 when the kernel refused any.
int kill_sockets(const SocketFlags& flags, const KillFlags& killing, const SocketListing& listing) {
  if (listing.empty()) return fail("ls", "no socket matches: nothing to close", kExitNegative);
  const auto rows = listing.rows();
  nlohmann::json document = {{"sockets", nlohmann::json::array()}};
  if (killing.dry_run) {
    for (const auto& row : rows) {
      if (flags.json) {
        auto entry = socket_json(row);
        entry["closed"] = false;
        document["sockets"].push_back(std::move(entry));
      } else {
        fmt::print("would close {}\n", socket_line(row));
      }
    }
    if (flags.json) print_out(document.dump(2) + "\n");
    return kExitOk;
  }
  if (!killing.yes) {
    if (isatty(STDIN_FILENO) != 1) {
      return fail("ls", "--kill-sockets needs --yes when stdin is not a terminal");
    }
    if (!ask_yes_no(fmt::format("close {} socket{}?", rows.size(), rows.size() == 1 ? "" : "s"))) {
      return fail("ls", "nothing closed", kExitNegative);
    }
  }
  std::size_t failed = 0;
  for (const auto& row : rows) {
    const auto closed = destroy_socket(row.socket);
    if (!closed) ++failed;
    if (flags.json) {
      auto entry = socket_json(row);
      entry["closed"] = closed.ok();
      entry["error"] = closed ? nlohmann::json(nullptr) : nlohmann::json(closed.error().message);
      document["sockets"].push_back(std::move(entry));
    } else if (closed) {
      fmt::print("closed {}\n", socket_line(row));
    } else {
      fmt::print(stderr, "portkit: ls: cannot close {}: {}\n", socket_line(row),
                 closed.error().message);
    }
  }
  document["closed"] = rows.size() - failed;
  document["failed"] = failed;
  if (flags.json) print_out(document.dump(2) + "\n");
  return failed == 0 ? kExitOk : kExitRuntime;
}

}  // namespace

Command make_ls_command(CLI::App& parent, const GlobalOptions& globals) {
  auto flags = std::make_shared<SocketFlags>();
  auto killing = std::make_shared<KillFlags>();
  auto* app = parent.add_subcommand(
      "ls", "sockets on this host: proto, local, peer, state, process, service, exposure");
  add_socket_flags(*app, *flags, true);
  app->add_flag("--kill-sockets", killing->enabled,
                "close the sockets shown, as ss -K (SOCK_DESTROY; root): TCP peers get a reset; "
                "needs a filter, asks first on a terminal");
  app->add_flag("-y,--yes", killing->yes, "do not ask before --kill-sockets");
  app->add_flag("--dry-run", killing->dry_run, "show what --kill-sockets would close");
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
      "  sudo portkit ls --kill-sockets 'dport = :5432' --dry-run   what ss -K would close\n"
      "Owners come from /proc/*/fd; run as root to see other users' processes.");
  return {app, [flags, killing, &globals]() -> int {
            if (const auto refused = check_kill_flags(*flags, *killing)) return *refused;
            auto options = socket_options(*flags);
            if (!options) return fail("ls", options.error().message);
            if (flags->stream) return stream_json_lines(*options);
            auto listing = list_sockets(*options);
            if (!listing) return fail("ls", listing.error().message, kExitRuntime);
            if (killing->enabled) return kill_sockets(*flags, *killing, *listing);
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

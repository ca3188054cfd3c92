// portkit who PORT[/udp]...: which processes own a port, and (--kill) free it.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "portkit/inventory/kill_policy.hpp"
#include "portkit/output/socket_output.hpp"
#include "socket_flags.hpp"

namespace portkit::cli {
namespace {

struct WhoFlags {
  std::vector<std::string> ports;
  SocketFlags sockets;
  bool kill = false;
  std::string signal = "TERM";
  bool yes = false;
  bool dry_run = false;
  bool wait = false;
  std::string grace = "5s";
  bool force = false;
};

// The signals --signal takes by name (also with SIG in front, any case).
constexpr std::pair<const char*, int> kSignals[] = {
    {"TERM", SIGTERM}, {"KILL", SIGKILL}, {"INT", SIGINT},   {"HUP", SIGHUP},  {"QUIT", SIGQUIT},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}};

std::optional<int> parse_signal(std::string text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
    // Digits as kill(1) reads them: no leading zero ("0064" is not 64, nor 6), 1-64.
    if (text.size() > 2 || text.front() == '0') return std::nullopt;
    const int number = std::stoi(text);
    return number > 0 && number < 65 ? std::optional<int>(number) : std::nullopt;
  }
  std::transform(text.begin(), text.end(), text.begin(), ::toupper);
  if (text.rfind("SIG", 0) == 0) text = text.substr(3);
  for (const auto& [name, number] : kSignals) {
    if (text == name) return number;
  }
  return std::nullopt;
}

Result<SocketListing> owners_of(const WhoFlags& flags, const std::vector<PortSpecItem>& items) {
  auto options = socket_options(flags.sockets);
  if (!options) return options.error();
  options->filter.all_states = true;
  options->owners_stop_early = true;
  // Only the asked-for ports reach the owner walk (and the kernel sends only those).
  for (const auto& item : items) options->filter.local_port.push_back(item.ports);
  auto listing = list_sockets(*options);
  if (!listing) return listing;
  listing->keep_if([&](const SocketRow& row) {
    return std::any_of(items.begin(), items.end(), [&](const PortSpecItem& item) {
      return item.ports.contains(row.socket.local_port) &&
             (!item.proto || *item.proto == row.socket.proto);
    });
  });
  return listing;
}

nlohmann::json sockets_json(const SocketListing& listing) {
  auto sockets = nlohmann::json::array();
  for (const auto& row : listing.rows()) sockets.push_back(socket_json(row));
  return sockets;
}

void print_listing(const WhoFlags& flags, const SocketListing& listing,
                   const GlobalOptions& globals) {
  if (flags.sockets.json) {
    print_out(nlohmann::json{{"sockets", sockets_json(listing)}}.dump(2) + "\n");
  } else {
    print_out(render_sockets(listing, resolve_style(globals)));
  }
}

// What --kill did: told line by line as it happens, or with --json one document at the end
// ({"sockets", "signals": [{"pid", "signal", "sent"}], "port_free"}).
class KillLog {
 public:
  KillLog(bool json, const SocketListing& listing) : json_(json) {
    if (!json_) return;
    document_ = {{"sockets", sockets_json(listing)},
                 {"signals", nlohmann::json::array()},
                 {"port_free", nullptr}};
  }
  void would_send(int pid, int signal) {
    if (!json_) return fmt::print("would send signal {} to {}\n", signal, pid);
    document_["signals"].push_back({{"pid", pid}, {"signal", signal}, {"sent", false}});
  }
  void sent(int pid, int signal) {
    if (!json_) return fmt::print("sent signal {} to {}\n", signal, pid);
    document_["signals"].push_back({{"pid", pid}, {"signal", signal}, {"sent", true}});
  }
  void port_free(bool free) {
    if (!json_) {
      if (free) fmt::print("port is free\n");
      return;
    }
    document_["port_free"] = free;
  }
  int finish(int code) {
    if (json_) print_out(document_.dump(2) + "\n");
    return code;
  }

 private:
  bool json_;
  nlohmann::json document_;
};

int kill_owners(const WhoFlags& flags, const std::vector<PortSpecItem>& items,
                const SocketListing& listing, int signal, std::chrono::milliseconds grace) {
  const auto rows = listing.rows();
  const auto plan = plan_kill(rows, getpid(), listing.owners_hidden_for_lack_of_privilege);
  if (plan.targets.empty()) return fail("who", plan.refusal, kExitNegative);
  KillLog log(flags.sockets.json, listing);
  if (flags.dry_run) {
    for (const int pid : plan.targets) log.would_send(pid, signal);
    return log.finish(kExitOk);
  }
  if (!flags.yes) {
    if (isatty(STDIN_FILENO) != 1) {
      return fail("who", "--kill needs --yes when stdin is not a terminal");
    }
    std::string list;
    for (const int pid : plan.targets) list += fmt::format("{}{}", list.empty() ? "" : " ", pid);
    if (!ask_yes_no(fmt::format("send signal {} to {}?", signal, list)))
      return fail("who", "nothing sent", kExitNegative);
  }
  const KillActions actions{
      .send = [](int pid, int number) { return ::kill(pid, number) == 0 ? 0 : errno; },
      .port_free =
          [&] {
            const auto now = owners_of(flags, items);
            return now &&
                   std::none_of(now->sockets.begin(), now->sockets.end(),
                                [](const SocketRecord& socket) { return is_listening(socket); });
          },
      .now = [] { return std::chrono::steady_clock::now(); },
      .sleep = [](std::chrono::milliseconds pause) { std::this_thread::sleep_for(pause); },
      .sent = [&](int pid, int number) { log.sent(pid, number); },
      .refused =
          [](int pid, int error) {
            fmt::print(stderr, "portkit: who: cannot signal {}: {}\n", pid, std::strerror(error));
          }};
  const auto report = run_kill(
      plan.targets, {.signal = signal, .wait = flags.wait, .force = flags.force, .grace = grace},
      actions);
  switch (report.outcome) {
    case KillOutcome::signalled:
      return log.finish(report.failures ? kExitRuntime : kExitOk);
    case KillOutcome::freed:
      return log.port_free(true), log.finish(kExitOk);
    case KillOutcome::still_in_use:
      break;
  }
  log.port_free(false);
  log.finish(kExitNegative);
  return fail("who", "the port is still in use after " + flags.grace, kExitNegative);
}

int run_who(const WhoFlags& flags, const GlobalOptions& globals) {
  // Every argument is checked before anything is listed or printed.
  const auto signal = parse_signal(flags.signal);
  if (!signal) {
    return fail("who", "--signal: unknown signal '" + flags.signal +
                           "' (a name such as TERM, KILL, HUP, or a number 1-64)");
  }
  const auto grace = duration_flag("--grace", flags.grace);
  if (!grace) return fail("who", grace.error().message);
  if (!flags.kill) {
    for (const auto& [given, name] : {std::pair{flags.wait, "--wait"},
                                      {flags.force, "--force"},
                                      {flags.dry_run, "--dry-run"},
                                      {flags.yes, "--yes"},
                                      {flags.signal != "TERM", "--signal"},
                                      {flags.grace != "5s", "--grace"}}) {
      if (given) return fail("who", std::string(name) + " only goes with --kill");
    }
  }
  if (flags.force && !flags.wait) return fail("who", "--force only goes with --wait");
  std::vector<PortSpecItem> items;
  for (const auto& text : flags.ports) {
    auto spec = parse_port_spec(text);
    if (!spec) return fail("who", spec.error().message);
    items.insert(items.end(), spec->items.begin(), spec->items.end());
  }
  auto listing = owners_of(flags, items);
  if (!listing) return fail("who", listing.error().message, kExitRuntime);
  if (!flags.kill) {
    if (listing->empty()) {
      fmt::print(stderr, "portkit: who: nothing owns {}\n", fmt::join(flags.ports, " "));
      return kExitNegative;
    }
    print_listing(flags, *listing, globals);
    return kExitOk;
  }
  if (!flags.sockets.json) print_listing(flags, *listing, globals);
  return kill_owners(flags, items, *listing, *signal, *grace);
}

}  // namespace

Command make_who_command(CLI::App& parent, const GlobalOptions& globals) {
  auto flags = std::make_shared<WhoFlags>();
  auto* app = parent.add_subcommand("who", "which processes own a port; --kill frees it");
  app->add_option("port", flags->ports,
                  "PORT, PORT/udp, a range or a service name; several allowed")
      ->required();
  add_socket_flags(*app, flags->sockets, false);
  app->add_flag("--kill", flags->kill, "signal the listening owners (asks first on a terminal)");
  std::vector<std::string> signal_names;
  for (const auto& [name, number] : kSignals) signal_names.emplace_back(name);
  complete_values(app->add_option("--signal", flags->signal,
                                  "signal for --kill (TERM, KILL, HUP, INT or a number)")
                      ->capture_default_str(),
                  signal_names);
  app->add_flag("-y,--yes", flags->yes, "do not ask before --kill");
  app->add_flag("--dry-run", flags->dry_run, "show what --kill would do");
  app->add_flag("--wait", flags->wait, "after --kill, wait until the port is free");
  app->add_option("--grace", flags->grace, "how long --wait waits")->capture_default_str();
  app->add_flag("--force", flags->force, "after --grace, send SIGKILL");
  app->footer(
      "Examples:\n"
      "  portkit who 8080\n"
      "  portkit who 3000 8080-8090 53/udp --json\n"
      "  portkit who 8080 --kill --yes --wait --force\n"
      "Never signals PID 1 or itself. Exit 1 when nothing owns the port.");
  return {app, [flags, &globals] { return run_who(*flags, globals); }};
}

}  // namespace portkit::cli

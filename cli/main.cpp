// portkit: every port task in one tool. Parses the command line and dispatches.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "cli_common.hpp"
#include "version.hpp"

namespace portkit::cli {
namespace {

constexpr const char* kDescription =
    "portkit: every port task in one tool (ports, ranges, local sockets, reachability, scans,\n"
    "forwarding, audits, metrics).\n"
    "Run `portkit COMMAND --help` for a command's options and examples.";

// The first word that is not an option (nor the value of --color): the command's name.
std::string_view first_command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--color") {
      ++i;
      continue;
    }
    if (!word.empty() && word.front() != '-') return word;
  }
  return {};
}

std::string failing_command(const CLI::App& app) {
  std::string name;
  for (const auto* sub : app.get_subcommands()) name = sub->get_name();
  return name;
}

// Rewrites that CLI11 cannot express, made before it parses, to the command's own words only:
// `scan` takes nmap's spellings (-oX, -oG, -iL, -sV would read as "-o" "X"), and `wait ... -- CMD`
// keeps everything after "--" as the command to exec, untouched. CLI11 reads a word in
// brackets as a list and drops them, so "check [::1]" would complain about "::1": such a word,
// where an endpoint is expected, is answered here. The error names the command and the problem.
Result<bool> prepare_arguments(std::vector<std::string>& args, GlobalOptions& globals) {
  auto command = args.begin();
  while (command != args.end() && command->rfind("-", 0) == 0) {
    command += (*command == "--color" && command + 1 != args.end()) ? 2 : 1;  // global options
  }
  if (command == args.end()) return true;
  const auto separator = std::find(command, args.end(), "--");
  if (*command == "check" || *command == "wait") {
    for (auto arg = command + 1; arg != separator; ++arg) {
      if (arg->size() > 1 && arg->front() == '[' && arg->back() == ']') {
        return make_error(*command + ": endpoint '" + *arg + "' has no port (expected " + *arg +
                          ":PORT)");
      }
    }
  }
  if (*command == "scan") {
    for (auto arg = command; arg != separator; ++arg) {
      if (*arg == "-oX" || *arg == "-oG" || *arg == "-iL" || *arg == "-sV" || *arg == "-Pn" ||
          *arg == "-sn" || *arg == "-PS" || *arg == "-sS") {
        *arg = "-" + *arg;
      } else if (arg->rfind("-PS", 0) == 0) {
        *arg = "--PS=" + arg->substr(3);  // nmap's -PS22,80: the list is attached
      }
    }
  }
  if (*command == "wait" && separator != args.end()) {
    globals.trailing_command.assign(separator + 1, args.end());
    if (globals.trailing_command.empty()) return make_error("wait: no command after '--'");
    args.erase(separator, args.end());
  }
  return true;
}

// The tool's own flags, help text and examples; the commands add themselves.
void describe_tool(CLI::App& app, GlobalOptions& globals) {
  app.set_version_flag("--version", fmt::format("portkit {} (commit {})", version(), commit()),
                       "print the version and the commit built, and exit (with --json: as JSON)");
  app.require_subcommand(1);
  app.fallthrough();
  const std::vector<std::string> colors{"auto", "always", "never"};
  complete_values(app.add_option("--color", globals.color,
                                 "colour: auto (terminal and no NO_COLOR), always, never")
                      ->check(CLI::IsMember(colors))
                      ->capture_default_str(),
                  colors);
  app.footer(
      "Examples:\n"
      "  portkit lookup 5432            what is port 5432?\n"
      "  portkit lookup postgres 53/udp 30000-32767 database\n"
      "  portkit ranges --json          IANA ranges and this host's ephemeral range\n"
      "  portkit ls                     listening sockets with their processes\n"
      "  portkit who 8080 --kill        free a port\n"
      "  portkit check localhost:5432 [::1]:22 127.0.0.1:53/udp\n"
      "  portkit scan 192.0.2.0/28 -p 22,80,443 --open\n"
      "  portkit wait db:5432 -- ./start-app\n"
      "  portkit listen 8080 --mode http\n"
      "  portkit forward 8080 127.0.0.1:3000\n"
      "  portkit free --near 3000           a free port for a dev server\n"
      "  portkit audit --compose docker-compose.yml\n"
      "  portkit exporter                   Prometheus metrics on 127.0.0.1:9163\n"
      "  portkit quiz --count 10\n"
      "  source <(portkit completion bash)  completion (also zsh, fish)\n"
      "Exit codes: 0 ok, 1 negative answer (not found), 2 bad usage or input, 3 runtime failure.");
}

// CLI11's verdicts as portkit's exits: help and version print and exit 0, every usage error
// is one line naming the command, exit 2 (CLI11 would exit 105/109).
int exit_for(const CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
  if (dynamic_cast<const CLI::CallForHelp*>(&error) != nullptr ||
      dynamic_cast<const CLI::CallForAllHelp*>(&error) != nullptr ||
      dynamic_cast<const CLI::CallForVersion*>(&error) != nullptr) {
    return app.exit(error);
  }
  const auto command = failing_command(app);
  if (command.empty() && argc > 1 && argv[1][0] != '-') {
    return fail("", fmt::format("unknown command '{}' (see portkit --help)", argv[1]));
  }
  if (command.empty() && app.get_subcommands().empty() && argc <= 1) {
    return fail("", "no command given (see portkit --help)");
  }
  return fail(command, error.what(), kExitUsage);
}

// Building a command's options costs more than a whole lookup, so when the command is named
// on the command line only that one is built; help and errors see them all.
std::vector<Command> build_commands(CLI::App& app, GlobalOptions& globals, int argc, char** argv) {
  const std::vector<std::pair<std::string_view, CommandFactory>> factories{
      {"lookup", make_lookup_command},   {"ranges", make_ranges_command},
      {"ls", make_ls_command},           {"who", make_who_command},
      {"stats", make_stats_command},     {"top", make_top_command},
      {"check", make_check_command},     {"wait", make_wait_command},
      {"listen", make_listen_command},   {"scan", make_scan_command},
      {"forward", make_forward_command}, {"free", make_free_command},
      {"audit", make_audit_command},     {"exporter", make_exporter_command},
      {"quiz", make_quiz_command},       {"completion", make_completion_command}};
  const auto named = first_command_word(argc, argv);
  // The completion script describes every command.
  const bool known =
      named != "completion" && std::any_of(factories.begin(), factories.end(),
                                           [&](const auto& entry) { return entry.first == named; });
  std::vector<Command> commands;
  for (const auto& [name, factory] : factories) {
    if (!known || name == named) commands.push_back(factory(app, globals));
  }
  // A repeatable flag takes one value each time it is given: "--exclude '' 10.0.0.1" must not
  // take the target as a second exclude (CLI11 lets a list option run on over what follows).
  for (const auto& command : commands) {
    for (auto* option : command.app->get_options()) {
      if (!option->get_positional()) option->allow_extra_args(false);
    }
  }

  return commands;
}

// `portkit --version --json`, both before any command: the version for scripts.
bool wants_json_version(int argc, char** argv) {
  bool version_flag = false;
  bool json = false;
  for (int i = 1; i < argc && argv[i][0] == '-'; ++i) {
    version_flag = version_flag || std::string_view(argv[i]) == "--version";
    json = json || std::string_view(argv[i]) == "--json";
  }
  return version_flag && json;
}

int run(int argc, char** argv) {
  if (wants_json_version(argc, argv)) {
    print_out(fmt::format(R"({{"name": "portkit", "version": "{}", "commit": "{}"}})"
                          "\n",
                          version(), commit()));
    return kExitOk;
  }
  CLI::App app(kDescription, "portkit");
  GlobalOptions globals;
  describe_tool(app, globals);

  const auto commands = build_commands(app, globals, argc, argv);

  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& arg : args) {
    globals.command_line += (globals.command_line.empty() ? "portkit " : " ") + arg;
  }
  if (const auto prepared = prepare_arguments(args, globals); !prepared) {
    const auto& message = prepared.error().message;
    const auto colon = message.find(": ");
    return fail(message.substr(0, colon), message.substr(colon + 2));
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last-first

  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    return exit_for(app, error, argc, argv);
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return fail("", "no command given (see portkit --help)");
}

}  // namespace
}  // namespace portkit::cli

int main(int argc, char** argv) {
  try {
    return portkit::cli::run(argc, argv);
  } catch (const std::exception& error) {
    // Plain stdio: a formatting library could throw again here, out of main.
    std::fputs("portkit: internal error: ", stderr);
    std::fputs(error.what(), stderr);
    std::fputc('\n', stderr);
  } catch (...) {
    std::fputs("portkit: internal error\n", stderr);
  }
  return portkit::cli::kExitRuntime;
}

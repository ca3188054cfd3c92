#pragma once
// What every subcommand shares: exit codes, error lines, colour choice, registration.
#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/result.hpp"
#include "portkit/output/table.hpp"

namespace portkit::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitNegative = 1,       // something closed, not found, findings
  kExitUsage = 2,          // bad usage or bad input
  kExitRuntime = 3,        // permission, resources
  kExitInterrupted = 130,  // SIGINT or SIGTERM, after printing what was known
};

struct GlobalOptions {
  std::string color = "auto";
  std::vector<std::string> trailing_command;  // `wait ... -- CMD ARGS`
  std::string command_line;                   // as typed, for scan's XML and grepable headers
};

// One registered subcommand: its CLI11 node and what runs when it was chosen.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

using CommandFactory = Command (*)(CLI::App& parent, const GlobalOptions& globals);

// Validators for values CLI11 would take silently: an empty string, or "-1" for an unsigned
// number (read as 18446744073709551615).
inline const CLI::Validator kNonEmpty(
    [](const std::string& value) { return value.empty() ? std::string("must not be empty") : ""; },
    "", "non-empty");
inline const CLI::Validator kNotNegative(
    [](const std::string& value) {
      return !value.empty() && value.front() == '-' ? std::string("must not be negative") : "";
    },
    "", "not negative");

// What `portkit completion` offers for an option's value: a path, or one of a fixed set. Given
// where the option is defined, so the scripts follow the definitions.
struct CompletionHint {
  bool file = false;
  std::vector<std::string> values;
};
CLI::Option* complete_file(CLI::Option* option);
CLI::Option* complete_values(CLI::Option* option, std::vector<std::string> values);
const CompletionHint* completion_hint(const CLI::Option* option);
// The audit rules' ids, for --ignore.
std::vector<std::string> audit_rule_ids();

// "portkit: <command>: <message>" on stderr; returns the exit code to use.
int fail(std::string_view command, std::string_view message, int code = kExitUsage);

// auto: colour only when stdout is a terminal and NO_COLOR is unset or empty.
Style resolve_style(const GlobalOptions& globals);

// A duration flag ("--timeout", "250ms") in whole milliseconds, rounded up so that "100us"
// is not zero; the error names the flag.
Result<std::chrono::milliseconds> duration_flag(std::string_view flag, const std::string& text,
                                                bool allow_zero = false);

// Prints a JSON document or text to stdout in one write.
void print_out(std::string_view text);

// Asks on stderr and reads a line from stdin (a terminal): true for y or yes.
bool ask_yes_no(std::string_view question);

Command make_lookup_command(CLI::App& parent, const GlobalOptions& globals);
Command make_ranges_command(CLI::App& parent, const GlobalOptions& globals);
Command make_quiz_command(CLI::App& parent, const GlobalOptions& globals);
Command make_check_command(CLI::App& parent, const GlobalOptions& globals);
Command make_wait_command(CLI::App& parent, const GlobalOptions& globals);
Command make_listen_command(CLI::App& parent, const GlobalOptions& globals);
Command make_ls_command(CLI::App& parent, const GlobalOptions& globals);
Command make_who_command(CLI::App& parent, const GlobalOptions& globals);
Command make_stats_command(CLI::App& parent, const GlobalOptions& globals);
Command make_scan_command(CLI::App& parent, const GlobalOptions& globals);
Command make_forward_command(CLI::App& parent, const GlobalOptions& globals);
Command make_free_command(CLI::App& parent, const GlobalOptions& globals);
Command make_audit_command(CLI::App& parent, const GlobalOptions& globals);
Command make_exporter_command(CLI::App& parent, const GlobalOptions& globals);
Command make_top_command(CLI::App& parent, const GlobalOptions& globals);
Command make_completion_command(CLI::App& parent, const GlobalOptions& globals);

}  // namespace portkit::cli

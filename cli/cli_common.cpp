#include "cli_common.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "portkit/audit/audit.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit::cli {

// An error line stays one line of text whatever it quotes: control bytes from a binary file or
// an argument are shown as \xNN, never sent to the terminal.
namespace {
std::map<const CLI::Option*, CompletionHint>& completion_hints() {
  static std::map<const CLI::Option*, CompletionHint> hints;
  return hints;
}
}  // namespace

CLI::Option* complete_file(CLI::Option* option) {
  completion_hints()[option].file = true;
  return option;
}

CLI::Option* complete_values(CLI::Option* option, std::vector<std::string> values) {
  completion_hints()[option].values = std::move(values);
  return option;
}

const CompletionHint* completion_hint(const CLI::Option* option) {
  const auto found = completion_hints().find(option);
  return found == completion_hints().end() ? nullptr : &found->second;
}

std::vector<std::string> audit_rule_ids() {
  std::vector<std::string> ids;
  for (const auto& rule : audit_rules()) ids.emplace_back(rule.id);
  return ids;
}

int fail(std::string_view command, std::string_view message, int code) {
  if (command.empty()) {
    fmt::print(stderr, "portkit: {}\n", printable(message));
  } else {
    fmt::print(stderr, "portkit: {}: {}\n", command, printable(message));
  }
  return code;
}

Style resolve_style(const GlobalOptions& globals) {
  if (globals.color == "always") return Style{true};
  if (globals.color == "never") return Style{false};
  const char* no_color = std::getenv("NO_COLOR");
  return Style{isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0')};
}

Result<std::chrono::milliseconds> duration_flag(std::string_view flag, const std::string& text,
                                                bool allow_zero) {
  auto duration = parse_duration(text);
  if (!duration) return make_error(std::string(flag) + ": " + duration.error().message);
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*duration);
  if (!allow_zero && ms.count() == 0)
    return make_error(std::string(flag) + ": must be more than 0");
  return ms;
}

void print_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace portkit::cli

namespace portkit::cli {

bool ask_yes_no(std::string_view question) {
  fmt::print(stderr, "{} [y/N] ", question);
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace portkit::cli

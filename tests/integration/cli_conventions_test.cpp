// Conventions every command shares: help with examples, exit codes, colour rules.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "process.hpp"

namespace portkit {
namespace {

using testing_support::run_portkit;
using testing_support::run_process;

// The command names of the top-level help: the first word of each line under "Subcommands:".
std::set<std::string> listed_commands(const std::string& help) {
  std::set<std::string> names;
  std::istringstream lines(help.substr(help.find("Subcommands:")));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line) && line.rfind("  ", 0) == 0) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    names.insert(name);
  }
  return names;
}

TEST(CliConventions, HelpListsCommandsAndShowsExamples) {
  const auto top = run_portkit({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  ASSERT_NE(top.out.find("Subcommands:"), std::string::npos);
  const std::set<std::string> commands{
      "lookup", "ranges", "ls",      "who",  "stats", "top",      "check", "wait",
      "listen", "scan",   "forward", "free", "audit", "exporter", "quiz",  "completion"};
  // Whole names, each once: "ls" must not pass because "tools" or "lookups" holds it.
  EXPECT_EQ(listed_commands(top.out), commands);
  for (const auto& command : commands) {
    const auto help = run_portkit({command, "--help"});
    EXPECT_NE(help.out.find("Usage: portkit " + command + " "), std::string::npos) << command;
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.out.find("Examples:"), std::string::npos) << command;
    EXPECT_NE(help.out.find("--json"), std::string::npos) << command;
  }
  EXPECT_EQ(run_portkit({"--version"}).exit_code, 0);
}

// The version names the commit built: in a git checkout, the one checked out.
TEST(CliConventions, VersionNamesTheCommitAsTextAndJson) {
  const auto text = run_portkit({"--version"});
  EXPECT_EQ(text.exit_code, 0);
  const auto json = run_portkit({"--version", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto document = nlohmann::json::parse(json.out);
  EXPECT_EQ(document["name"], "portkit");
  EXPECT_EQ(text.out, "portkit " + document["version"].get<std::string>() + " (commit " +
                          document["commit"].get<std::string>() + ")\n");
  const auto head =
      run_process({"git", "-C", PORTKIT_SOURCE_DIR, "rev-parse", "--short=12", "HEAD"});
  ASSERT_EQ(head.exit_code, 0) << "the tests run from a git checkout: " << head.err;
  EXPECT_EQ(document["commit"].get<std::string>() + "\n", head.out);
}

TEST(CliConventions, UsageErrorsExit2WithOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"nosuchcommand"}, {"--color=sometimes", "ranges"}, {"ranges", "extra"}}) {
    const auto result = run_portkit(args);
    EXPECT_EQ(result.exit_code, 2) << (args.empty() ? "(none)" : args.front());
    EXPECT_EQ(result.err.rfind("portkit: ", 0), 0u) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_TRUE(result.out.empty());
  }
}

TEST(CliConventions, ColourFollowsTheTerminalAndNoColor) {
  const auto piped = run_portkit({"lookup", "22"});
  EXPECT_EQ(piped.out.find('\x1b'), std::string::npos);
  const auto forced = run_portkit({"--color=always", "lookup", "22"});
  EXPECT_NE(forced.out.find('\x1b'), std::string::npos);
  // A real terminal through script(1): colour on, unless NO_COLOR is set.
  const std::string command = PORTKIT_BINARY " lookup 22";
  const auto tty = run_process({"script", "-qec", command, "/dev/null"}, "", {"NO_COLOR="});
  ASSERT_EQ(tty.exit_code, 0) << tty.err;
  EXPECT_NE(tty.out.find('\x1b'), std::string::npos);
  const auto no_color = run_process({"script", "-qec", command, "/dev/null"}, "", {"NO_COLOR=1"});
  ASSERT_EQ(no_color.exit_code, 0) << no_color.err;
  EXPECT_EQ(no_color.out.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace portkit

// `portkit completion SHELL` run in the real shells: bash through its completion variables
// (COMP_WORDS/COMPREPLY), fish through `complete -C`, zsh typed into a tmux pane. And the man
// page against the command definitions the scripts are written from.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "process.hpp"

namespace portkit::testing_support {
namespace {

namespace fs = std::filesystem;

std::string binary_directory() {
  return fs::path(PORTKIT_BINARY).parent_path().string();
}

// A directory holding targets.txt and rules.toml, for file-name completion.
class CompletionFiles {
 public:
  CompletionFiles() {
    char pattern[] = "/tmp/portkit-completion-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    std::ofstream(dir_ + "/targets.txt") << "127.0.0.1\n";
    std::ofstream(dir_ + "/rules.toml") << "\n";
  }
  ~CompletionFiles() { fs::remove_all(dir_); }
  CompletionFiles(const CompletionFiles&) = delete;
  CompletionFiles& operator=(const CompletionFiles&) = delete;
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

std::string script(const std::string& shell) {
  const auto result = run_portkit({"completion", shell});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

// What bash's completion function offers for the words typed (the last one being completed).
std::string bash_completes(const std::string& words, const std::string& dir) {
  const auto program = "cd " + dir + " && source <(portkit completion bash) && COMP_WORDS=(" +
                       words + ") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && _portkit; " +
                       "for word in \"${COMPREPLY[@]}\"; do echo \"$word\"; done | sort";
  const auto result = run_process({"bash", "--norc", "-c", program}, "",
                                  {"PATH=" + binary_directory() + ":/usr/bin:/bin"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

std::string fish_completes(const std::string& line, const std::string& dir) {
  const auto result = run_process(
      {"fish", "--no-config", "-c",
       "cd " + dir + "; and portkit completion fish | source; and complete -C '" + line + "'"},
      "", {"PATH=" + binary_directory() + ":/usr/bin:/bin", "HOME=" + dir});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::string words;  // the candidates, without fish's descriptions
  std::istringstream lines(result.out);
  for (std::string candidate; std::getline(lines, candidate);) {
    words += candidate.substr(0, candidate.find('\t')) + "\n";
  }
  return words;
}

TEST(CompletionCli, BashCompletesCommandsFlagsValuesAndFiles) {
  const CompletionFiles files;
  EXPECT_EQ(bash_completes("portkit sc", files.dir()), "scan\n");
  EXPECT_EQ(bash_completes("portkit --color always sc", files.dir()), "scan\n");
  EXPECT_EQ(bash_completes("portkit --color a", files.dir()), "always\nauto\n");
  EXPECT_EQ(bash_completes("portkit listen --mode h", files.dir()), "http\n");
  EXPECT_EQ(bash_completes("portkit who --signal K", files.dir()), "KILL\n");
  EXPECT_EQ(bash_completes("portkit audit --fail-on c", files.dir()), "critical\n");
  EXPECT_EQ(bash_completes("portkit audit --ignore datastore-e", files.dir()),
            "datastore-exposed\n");
  EXPECT_EQ(bash_completes("portkit scan --iL tar", files.dir()), "targets.txt\n");
  EXPECT_EQ(bash_completes("portkit forward --config ru", files.dir()), "rules.toml\n");
  EXPECT_EQ(bash_completes("portkit scan --sy", files.dir()), "--syn\n");
  EXPECT_EQ(bash_completes("portkit scan --colo", files.dir()), "--color\n");
  // A value no one can list is not offered flags instead.
  EXPECT_EQ(bash_completes("portkit scan --top -", files.dir()), "");
}

TEST(CompletionCli, FishCompletesCommandsFlagsValuesAndFiles) {
  const CompletionFiles files;
  EXPECT_EQ(fish_completes("portkit sc", files.dir()), "scan\n");
  EXPECT_EQ(fish_completes("portkit --color always sc", files.dir()), "scan\n");
  EXPECT_EQ(fish_completes("portkit listen --mode d", files.dir()), "discard\n");
  EXPECT_EQ(fish_completes("portkit free --proto b", files.dir()), "both\n");
  EXPECT_EQ(fish_completes("portkit scan --iL tar", files.dir()), "targets.txt\n");
  EXPECT_EQ(fish_completes("portkit audit --k8s ru", files.dir()), "rules.toml\n");
  EXPECT_EQ(fish_completes("portkit scan --sy", files.dir()), "--syn\n");
  // Flags of another command are not offered.
  EXPECT_EQ(fish_completes("portkit lookup --sy", files.dir()), "");
}

// zsh has no completion hook to call from a script: it is typed into a terminal (tmux), Tab
// pressed, and the line read back from the pane.
class ZshPane {
 public:
  explicit ZshPane(const std::string& dir) : session_("pkz" + std::to_string(::getpid())) {
    tmux({"new-session", "-d", "-s", session_, "-x", "160", "-y", "40",
          "env -i HOME=" + dir + " PATH=" + binary_directory() +
              ":/usr/bin:/bin TERM=xterm PS1='> ' zsh -f"});
    wait_for_prompt();
    type("autoload -U compinit && compinit -u && source <(portkit completion zsh) && clear",
         "Enter");
    wait_for_prompt();
  }
  ~ZshPane() { tmux({"kill-session", "-t", session_}); }
  ZshPane(const ZshPane&) = delete;
  ZshPane& operator=(const ZshPane&) = delete;

  // The command line after typing `text` and pressing Tab.
  std::string complete(const std::string& text) {
    tmux({"send-keys", "-t", session_, "C-u"});
    type(text, "Tab");
    std::string line;
    for (int attempt = 0; attempt < 40; ++attempt) {  // until the line changes, up to 4 s
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const auto shown = pane();
      const auto at = shown.rfind("> ");
      line = at == std::string::npos ? "" : shown.substr(at + 2, shown.find('\n', at) - at - 2);
      if (line != text) break;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line;
  }

 private:
  ProcessResult tmux(std::vector<std::string> args) {
    args.insert(args.begin(), "tmux");
    return run_process(args);
  }
  std::string pane() { return tmux({"capture-pane", "-p", "-t", session_}).out; }
  void wait_for_prompt() {
    for (int attempt = 0; attempt < 50 && pane().find("> ") == std::string::npos; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  void type(const std::string& keys, const std::string& then) {
    tmux({"send-keys", "-t", session_, "-l", keys});
    if (!then.empty()) tmux({"send-keys", "-t", session_, then});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::string session_;
};

TEST(CompletionCli, ZshInTmuxCompletesCommandsFlagsValuesAndFiles) {
  const CompletionFiles files;
  ZshPane zsh(files.dir());
  EXPECT_EQ(zsh.complete("portkit --color always sc"), "portkit --color always scan");
  EXPECT_EQ(zsh.complete("portkit scan --sy"), "portkit scan --syn");
  EXPECT_EQ(zsh.complete("portkit scan --colo"), "portkit scan --color");
  EXPECT_EQ(zsh.complete("portkit who --signal K"), "portkit who --signal KILL");
  EXPECT_EQ(zsh.complete("portkit audit --fail-on c"), "portkit audit --fail-on critical");
  EXPECT_EQ(zsh.complete("portkit scan --iL ~/tar"), "portkit scan --iL ~/targets.txt");
}

TEST(CompletionCli, UnknownShellIsOneLineAndExit2) {
  const auto result = run_portkit({"completion", "tcsh"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("tcsh"), std::string::npos) << result.err;
}

// Every command and flag the CLI defines, read from the completion script (which is written
// from the definitions), must be in the man page.
TEST(CompletionCli, ManPageNamesEveryCommandAndFlag) {
  const auto man = read_file(std::string(PORTKIT_SOURCE_DIR) + "/docs/portkit.1");
  const auto fish = script("fish");
  std::set<std::string> missing;
  const std::regex command_line(R"(-n 'not __portkit_command' -a '([a-z]+)')");
  for (std::sregex_iterator it(fish.begin(), fish.end(), command_line), end; it != end; ++it) {
    const auto name = (*it)[1].str();
    if (man.find(".B " + name) == std::string::npos &&
        man.find(".BI \"" + name + " ") == std::string::npos) {
      missing.insert(name);
    }
  }
  // A flag is named when any of its names is (-p or --ports), with one dash or two (nmap's
  // spellings, -Pn for --Pn, are written as typed).
  const auto mentioned = [&](const std::string& name) {
    const auto escaped = std::regex_replace(name, std::regex("-"), "\\\\-");
    return std::regex_search(
        man, std::regex("\\\\-(\\\\-)?" + escaped + "([^A-Za-z0-9\\\\]|\\\\[^-]|$)"));
  };
  const std::regex flag_name(R"(-([slo]) '([A-Za-z0-9-]+)')");
  std::istringstream lines(fish);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> names;
    for (std::sregex_iterator it(line.begin(), line.end(), flag_name), end; it != end; ++it) {
      names.push_back((*it)[2].str());
    }
    if (!names.empty() && std::none_of(names.begin(), names.end(), mentioned)) {
      missing.insert((names.back().size() > 1 ? "--" : "-") + names.back());
    }
  }
  std::string list;
  for (const auto& name : missing) list += " " + name;
  EXPECT_TRUE(missing.empty()) << "not in docs/portkit.1:" << list;
  EXPECT_NE(man.find(".SH NAME\nportkit \\- every port task in one tool"), std::string::npos);
}

}  // namespace
}  // namespace portkit::testing_support

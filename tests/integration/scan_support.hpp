#pragma once
// Helpers for scan tests: every port's state from `portkit scan --json` and from nmap's XML
// (at -d3 nmap lists every port instead of folding the common state).
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"

namespace portkit::testing_support {

using PortStates = std::map<std::string, std::string>;  // "80/tcp" -> "open"

struct ScanRun {
  ProcessResult process;
  PortStates states;
  PortStates reasons;
  nlohmann::json summary;
};

inline ScanRun portkit_scan(const std::vector<std::string>& args,
                            const std::vector<std::string>& shell_prefix = {}) {
  std::vector<std::string> argv{"scan", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  ScanRun run;
  if (shell_prefix.empty()) {
    run.process = run_portkit(argv);
  } else {
    std::vector<std::string> full = shell_prefix;
    full.emplace_back(PORTKIT_BINARY);
    full.insert(full.end(), argv.begin(), argv.end());
    run.process = run_process(full);
  }
  std::istringstream lines(run.process.out);
  for (std::string line; std::getline(lines, line);) {
    const auto value = nlohmann::json::parse(line, nullptr, false);
    if (value.is_discarded() || !value.contains("event")) continue;
    if (value["event"] == "port") {
      const auto key =
          std::to_string(value["port"].get<int>()) + "/" + value["proto"].get<std::string>();
      run.states[key] = value["state"];
      run.reasons[key] = value["reason"];
    } else if (value["event"] == "summary") {
      run.summary = value;
    }
  }
  return run;
}

inline PortStates nmap_scan(const std::vector<std::string>& args, PortStates* reasons = nullptr) {
  std::vector<std::string> argv{"nmap", "-n", "-Pn", "-d3", "--reason", "-oX", "-"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_process(argv);
  PortStates states;
  static const std::regex port_state(
      R"re(protocol="(tcp|udp)" portid="(\d+)"><state state="([a-z|]+)" reason="([a-z-]+)")re");
  for (auto it = std::sregex_iterator(result.out.begin(), result.out.end(), port_state);
       it != std::sregex_iterator(); ++it) {
    const auto key = (*it)[2].str() + "/" + (*it)[1].str();
    states[key] = (*it)[3];
    if (reasons != nullptr) (*reasons)[key] = (*it)[4];
  }
  return states;
}

// The ports on which two verdict maps disagree, for a readable failure.
inline std::string differences(const PortStates& ours, const PortStates& theirs) {
  std::string text;
  std::size_t shown = 0;
  for (const auto& [port, state] : theirs) {
    const auto found = ours.find(port);
    const auto mine = found == ours.end() ? std::string("(missing)") : found->second;
    if (mine != state && shown++ < 20)
      text += port + ": portkit " + mine + ", nmap " + state + "\n";
  }
  for (const auto& [port, state] : ours) {
    if (!theirs.count(port) && shown++ < 20) text += port + ": only portkit says " + state + "\n";
  }
  return text;
}

}  // namespace portkit::testing_support

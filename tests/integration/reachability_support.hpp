#pragma once
// Helpers for reachability tests: our states from `portkit check --json`, nmap's from -oX.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "process.hpp"

namespace portkit::testing_support {

// The port a `portkit listen ... --json` reports in its first event.
inline int listening_port(BackgroundProcess& server) {
  const auto line = server.read_line();
  const auto event = nlohmann::json::parse(line, nullptr, false);
  if (event.is_discarded() || !event.contains("local_port")) return 0;
  return event["local_port"].get<int>();
}

// `portkit check --json` states by port. The run must answer for every endpoint, and its exit
// code must agree with the states (0 only when all are open): a failure fails the test.
inline std::map<int, std::string> check_states(const std::vector<std::string>& endpoints,
                                               const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"check", "--json", "--timeout", "500ms"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), endpoints.begin(), endpoints.end());
  const auto result = run_portkit(args);
  std::map<int, std::string> states;
  const auto document = nlohmann::json::parse(result.out, nullptr, false);
  if (document.is_discarded()) {
    ADD_FAILURE() << "check printed no JSON (exit " << result.exit_code << "): " << result.err;
    return states;
  }
  bool all_open = true;
  for (const auto& item : document["results"]) {
    states[item["port"]] = item["state"];
    all_open = all_open && item["state"] == "open";
  }
  EXPECT_EQ(document["results"].size(), endpoints.size()) << result.out;
  EXPECT_EQ(result.exit_code, all_open ? 0 : 1) << result.err;
  return states;
}

// nmap's verdicts for `ports` of `host`, read from its XML output.
inline std::map<int, std::string> nmap_states(const std::vector<std::string>& scan_args,
                                              const std::string& host,
                                              const std::vector<int>& ports) {
  std::string list;
  for (const auto port : ports) list += (list.empty() ? "" : ",") + std::to_string(port);
  std::vector<std::string> argv{"nmap", "-n", "-Pn", "--max-retries", "2", "-oX", "-", "-p", list};
  argv.insert(argv.end(), scan_args.begin(), scan_args.end());
  argv.push_back(host);
  const auto result = run_process(argv);
  std::map<int, std::string> states;
  static const std::regex port_state(R"re(portid="(\d+)"><state state="([a-z|]+)")re");
  for (auto it = std::sregex_iterator(result.out.begin(), result.out.end(), port_state);
       it != std::sregex_iterator(); ++it) {
    states[std::stoi((*it)[1])] = (*it)[2];
  }
  return states;
}

}  // namespace portkit::testing_support

#pragma once
// Runs a real process (portkit or a peer tool) and captures what it says.
#include <string>
#include <vector>

namespace portkit::testing_support {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = "",
                          const std::vector<std::string>& extra_env = {});

// The built portkit binary with these arguments.
ProcessResult run_portkit(const std::vector<std::string>& args, const std::string& input = "",
                          const std::vector<std::string>& extra_env = {});

std::string read_file(const std::string& path);

}  // namespace portkit::testing_support

#pragma once
// Shell completion scripts for bash, zsh and fish, written from a description of the commands
// and their flags. The CLI builds that description from its own command definitions
// (`portkit completion SHELL`), so the scripts cannot drift from what the parser accepts.
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/result.hpp"

namespace portkit {

struct CompletionFlag {
  std::vector<std::string> names;  // as typed: "--ports", "-p"
  std::string description;
  bool takes_value = false;
  bool file = false;                // its value is a path
  std::vector<std::string> values;  // its value is one of these
};

struct CompletionCommand {
  std::string name;
  std::string description;
  std::vector<CompletionFlag> flags;
};

struct CompletionModel {
  std::string program;
  std::vector<CompletionFlag> global_flags;  // accepted before the command and after it
  std::vector<CompletionCommand> commands;
};

// The shells a script can be written for, in the order help lists them.
const std::vector<std::string>& completion_shells();

// The script for `shell` (bash, zsh or fish); an unknown shell is an error naming it.
Result<std::string> completion_script(const CompletionModel& model, std::string_view shell);

}  // namespace portkit

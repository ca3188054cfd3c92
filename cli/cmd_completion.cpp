// portkit completion SHELL: a completion script written from the command definitions themselves
// (every command, flag, and the hints given where a flag is defined), as kubectl and gh do.
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "portkit/output/completion.hpp"

namespace portkit::cli {
namespace {

std::vector<CompletionFlag> flags_of(const CLI::App& app) {
  std::vector<CompletionFlag> flags;
  for (const auto* option : app.get_options()) {
    if (option->get_positional() && !option->nonpositional()) continue;
    CompletionFlag flag;
    for (const auto& name : option->get_snames()) flag.names.push_back("-" + name);
    for (const auto& name : option->get_lnames()) flag.names.push_back("--" + name);
    if (flag.names.empty()) continue;
    flag.description = option->get_description();
    flag.takes_value = option->get_expected_max() > 0;  // a switch expects none
    if (const auto* hint = completion_hint(option)) {
      flag.file = hint->file;
      flag.values = hint->values;
    }
    flags.push_back(std::move(flag));
  }
  return flags;
}

nlohmann::json flags_json(const std::vector<CompletionFlag>& flags) {
  auto out = nlohmann::json::array();
  for (const auto& flag : flags) {
    out.push_back({{"names", flag.names},
                   {"description", flag.description},
                   {"takes_value", flag.takes_value},
                   {"file", flag.file},
                   {"values", flag.values}});
  }
  return out;
}

// The model the scripts are written from, for other tools (and for checking the man page).
nlohmann::json model_json(const CompletionModel& model) {
  auto commands = nlohmann::json::array();
  for (const auto& command : model.commands) {
    commands.push_back({{"name", command.name},
                        {"description", command.description},
                        {"flags", flags_json(command.flags)}});
  }
  return {{"program", model.program},
          {"global_flags", flags_json(model.global_flags)},
          {"commands", commands}};
}

}  // namespace

Command make_completion_command(CLI::App& parent, const GlobalOptions&) {
  auto shell = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* app = parent.add_subcommand("completion",
                                    "print the shell completion script for bash, zsh or fish");
  complete_values(app->add_option("shell", *shell, "bash, zsh or fish")
                      ->check(CLI::IsMember(completion_shells())),
                  completion_shells());
  app->add_flag("--json", *json,
                "instead of a script: the commands, flags and value hints it is written from");
  app->footer(
      "Examples:\n"
      "  source <(portkit completion bash)                       this bash session\n"
      "  portkit completion zsh > \"${fpath[1]}/_portkit\"          zsh, from its next start\n"
      "  portkit completion fish > ~/.config/fish/completions/portkit.fish\n"
      "  portkit completion --json | jq '.commands[].name'\n"
      "The package installs all three. The scripts are written from portkit's own command\n"
      "definitions, so they complete exactly the commands and flags this version accepts: flag\n"
      "values where they are a fixed set (--color, --mode, --signal, --fail-on, --ignore, ...) "
      "and\n"
      "file names where a file is expected (-iL, --oX, --config, --compose, --k8s).");
  return {
      app, [&parent, shell, json] {
        CompletionModel model;
        model.program = parent.get_name();
        model.global_flags = flags_of(parent);
        for (const auto* command : parent.get_subcommands([](const CLI::App*) { return true; })) {
          model.commands.push_back(
              {command->get_name(), command->get_description(), flags_of(*command)});
        }
        if (*json) {
          print_out(model_json(model).dump(2) + "\n");
          return static_cast<int>(kExitOk);
        }
        if (shell->empty()) return fail("completion", "which shell? bash, zsh or fish");
        const auto script = completion_script(model, *shell);
        if (!script) return fail("completion", script.error().message);
        print_out(*script);
        return static_cast<int>(kExitOk);
      }};
}

}  // namespace portkit::cli

#include "portkit/output/completion.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace portkit {
namespace {

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A word in POSIX single quotes (bash, zsh): ' closes, so it becomes '\''.
std::string single_quoted(std::string_view text) {
  return "'" + replace_all(std::string(text), "'", "'\\''") + "'";
}

// fish's single quotes take \' and \\ as escapes.
std::string fish_quoted(std::string_view text) {
  return "'" + replace_all(replace_all(std::string(text), "\\", "\\\\"), "'", "\\'") + "'";
}

// The first line of a description, as a menu shows it.
std::string summary(std::string_view description) {
  auto line = std::string(description.substr(0, description.find('\n')));
  std::replace(line.begin(), line.end(), '\t', ' ');
  return line;
}

std::string joined(const std::vector<std::string>& words, std::string_view separator = " ") {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : std::string(separator)) + word;
  return out;
}

std::vector<std::string> flag_names(const std::vector<CompletionFlag>& flags) {
  std::vector<std::string> names;
  for (const auto& flag : flags) names.insert(names.end(), flag.names.begin(), flag.names.end());
  return names;
}

bool has_name(const std::vector<CompletionFlag>& flags, const std::string& name) {
  return std::any_of(flags.begin(), flags.end(), [&](const CompletionFlag& flag) {
    return std::find(flag.names.begin(), flag.names.end(), name) != flag.names.end();
  });
}

// The flags a command takes: its own, then the global ones (given after the command too) that
// it does not define itself, such as --color.
std::vector<CompletionFlag> with_globals(const CompletionCommand& command,
                                         const CompletionModel& model) {
  auto flags = command.flags;
  for (const auto& global : model.global_flags) {
    if (std::none_of(global.names.begin(), global.names.end(),
                     [&](const std::string& name) { return has_name(command.flags, name); })) {
      flags.push_back(global);
    }
  }
  return flags;
}

// The flags of a command that are not global ones (fish offers those everywhere already).
std::vector<CompletionFlag> without_globals(const CompletionCommand& command,
                                            const CompletionModel& model) {
  std::vector<CompletionFlag> flags;
  for (const auto& flag : command.flags) {
    if (std::none_of(flag.names.begin(), flag.names.end(),
                     [&](const std::string& name) { return has_name(model.global_flags, name); })) {
      flags.push_back(flag);
    }
  }
  return flags;
}

// --- bash -----------------------------------------------------------------------------------

// The `case $prev` arms that complete a flag's value: files, a fixed set, or nothing (a value
// no one can list, which must not be offered the flags instead).
std::string bash_value_arms(const std::vector<CompletionFlag>& flags, std::string_view indent) {
  std::string arms;
  std::vector<std::string> free_values;
  for (const auto& flag : flags) {
    if (!flag.takes_value) continue;
    const auto pattern = joined(flag.names, "|");
    if (flag.file) {
      arms += fmt::format(
          "{}{}) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "
          "\"$cur\"); "
          "return ;;\n",
          indent, pattern);
    } else if (!flag.values.empty()) {
      arms += fmt::format("{}{}) mapfile -t COMPREPLY < <(compgen -W {} -- \"$cur\"); return ;;\n",
                          indent, pattern, single_quoted(joined(flag.values)));
    } else {
      free_values.push_back(pattern);
    }
  }
  if (!free_values.empty())
    arms += fmt::format("{}{}) return ;;\n", indent, joined(free_values, "|"));
  return arms;
}

std::string bash_script(const CompletionModel& model) {
  std::string skip_values;
  for (const auto& flag : model.global_flags) {
    if (flag.takes_value) skip_values += (skip_values.empty() ? "" : "|") + joined(flag.names, "|");
  }
  std::string commands;
  std::vector<std::string> names;
  for (const auto& command : model.commands) {
    names.push_back(command.name);
    const auto flags = with_globals(command, model);
    const auto arms = bash_value_arms(flags, "        ");
    commands += fmt::format("    {})\n{}      flags={}\n      ;;\n", command.name,
                            arms.empty() ? "" : "      case $prev in\n" + arms + "      esac\n",
                            single_quoted(joined(flag_names(flags))));
  }
  const auto& program = model.program;
  return fmt::format(
      R"(# bash completion for {0} (written by `{0} completion bash`, from its command definitions)
_{0}() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev="" command="" flags="" i=1
  ((COMP_CWORD > 0)) && prev=${{COMP_WORDS[COMP_CWORD - 1]}}
  # The command is the first word that is neither a flag nor a global flag's value.
  while ((i < COMP_CWORD)); do
    case ${{COMP_WORDS[i]}} in
      {1}) ((i += 2)) ;;
      -*) ((i += 1)) ;;
      *)
        command=${{COMP_WORDS[i]}}
        break
        ;;
    esac
  done
  case $prev in
{2}  esac
  case $command in
{3}    "")
      flags={4}
      if [[ $cur != -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W {5} -- "$cur")
        return
      fi
      ;;
    *) return ;;
  esac
  [[ $cur == -* ]] && mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
  return 0
}}
complete -F _{0} {0}
)",
      program, skip_values.empty() ? "--" : skip_values,
      bash_value_arms(model.global_flags, "    "), commands,
      single_quoted(joined(flag_names(model.global_flags))), single_quoted(joined(names)));
}

// --- zsh ------------------------------------------------------------------------------------

// Text inside an _arguments spec's [description] or :message: these characters are syntax.
std::string zsh_spec_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '[' || c == ']' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

std::string zsh_flag_specs(const std::vector<CompletionFlag>& flags) {
  std::string specs;
  for (const auto& flag : flags) {
    const bool ends =
        std::find(flag.names.begin(), flag.names.end(), "--help") != flag.names.end() ||
        std::find(flag.names.begin(), flag.names.end(), "--version") != flag.names.end();
    std::string action;
    if (flag.takes_value) {
      action = flag.file              ? ":file:_files"
               : !flag.values.empty() ? ":value:(" + joined(flag.values) + ")"
                                      : ":value: ";
    }
    // --help and --version end the line; a flag with a value may be repeated (lists), a switch
    // is offered until given.
    const std::string prefix = ends ? "(- *)" : flag.takes_value ? "*" : "";
    for (const auto& name : flag.names) {
      specs += " \\\n      " +
               single_quoted(fmt::format("{}{}[{}]{}", prefix, name,
                                         zsh_spec_text(summary(flag.description)), action));
    }
  }
  return specs;
}

std::string zsh_script(const CompletionModel& model) {
  std::string described;
  std::string arms;
  for (const auto& command : model.commands) {
    described += "\n    " + single_quoted(command.name + ":" +
                                          replace_all(summary(command.description), ":", "\\:"));
    // No spec for the command's own words (targets, endpoints): an empty one would turn every
    // unique flag into a menu instead of completing it.
    arms += fmt::format("      ({})\n        _arguments -s{} && ret=0\n        ;;\n", command.name,
                        zsh_flag_specs(with_globals(command, model)));
  }
  return fmt::format(
      R"(#compdef {0}
# zsh completion for {0} (written by `{0} completion zsh`, from its command definitions)
_{0}() {{
  local curcontext=$curcontext state state_descr line ret=1
  typeset -A opt_args
  _arguments -C{1} \
    '1:command:->command' \
    '*::argument:->argument' && ret=0
  case $state in
    command)
      local -a commands
      commands=({2}
      )
      _describe -t commands '{0} command' commands && ret=0
      ;;
    argument)
      curcontext=${{curcontext%:*:*}}:{0}-$words[1]:
      case $words[1] in
{3}      esac
      ;;
  esac
  return ret
}}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _{0} "$@"
else
  compdef _{0} {0}
fi
)",
      model.program, zsh_flag_specs(model.global_flags), described, arms);
}

// --- fish -----------------------------------------------------------------------------------

std::string fish_flag_lines(const std::string& program, const std::vector<CompletionFlag>& flags,
                            const std::string& condition) {
  std::string lines;
  for (const auto& flag : flags) {
    std::string line = "complete -c " + program;
    if (!condition.empty()) line += " -n " + fish_quoted(condition);
    for (const auto& name : flag.names) {
      if (name.rfind("--", 0) == 0) {
        line += " -l " + fish_quoted(name.substr(2));
      } else if (name.size() == 2) {
        line += " -s " + fish_quoted(name.substr(1));
      } else {
        line += " -o " + fish_quoted(name.substr(1));
      }
    }
    if (flag.takes_value) {
      if (flag.file) {
        line += " -r -F";
      } else {
        line += " -x";
        if (!flag.values.empty()) line += " -a " + fish_quoted(joined(flag.values));
      }
    }
    lines += line + " -d " + fish_quoted(summary(flag.description)) + "\n";
  }
  return lines;
}

std::string fish_script(const CompletionModel& model) {
  const auto& program = model.program;
  std::string skip_values;
  for (const auto& flag : model.global_flags) {
    if (flag.takes_value) skip_values += (skip_values.empty() ? "" : " ") + joined(flag.names);
  }
  std::string out = fmt::format(
      R"(# fish completion for {0} (written by `{0} completion fish`, from its command definitions)
# The command is the first word that is neither a flag nor a global flag's value.
function __{0}_command
    set -l tokens (commandline -opc)
    set -e tokens[1]
    while set -q tokens[1]
        switch $tokens[1]
            case {1}
                set -e tokens[1]
            case '-*'
            case '*'
                echo $tokens[1]
                return 0
        end
        set -e tokens[1]
    end
    return 1
end
function __{0}_using
    set -l command (__{0}_command)
    and test "$command" = $argv[1]
end
complete -c {0} -f
)",
      program, skip_values.empty() ? "--" : skip_values);
  for (const auto& command : model.commands) {
    out += fmt::format("complete -c {} -n {} -a {} -d {}\n", program,
                       fish_quoted("not __" + program + "_command"), fish_quoted(command.name),
                       fish_quoted(summary(command.description)));
  }
  out += fish_flag_lines(program, model.global_flags, "");
  for (const auto& command : model.commands) {
    out += fish_flag_lines(program, without_globals(command, model),
                           "__" + program + "_using " + command.name);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& completion_shells() {
  static const std::vector<std::string> shells{"bash", "zsh", "fish"};
  return shells;
}

Result<std::string> completion_script(const CompletionModel& model, std::string_view shell) {
  if (shell == "bash") return bash_script(model);
  if (shell == "zsh") return zsh_script(model);
  if (shell == "fish") return fish_script(model);
  return make_error(fmt::format("unknown shell '{}' (bash, zsh or fish)", shell));
}

}  // namespace portkit

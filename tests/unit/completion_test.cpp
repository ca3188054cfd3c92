// The completion scripts, written from a small command model: the syntax each shell needs for
// quotes, colons and brackets, and the value/file hints. (The shells themselves run them in
// tests/integration/completion_cli_test.cpp.)
#include "portkit/output/completion.hpp"

#include <gtest/gtest.h>

namespace portkit {
namespace {

CompletionModel sample_model() {
  CompletionModel model;
  model.program = "tool";
  model.global_flags = {{{"--color"}, "colour: auto, always", true, false, {"auto", "always"}},
                        {{"-h", "--help"}, "help", false, false, {}}};
  model.commands = {{"scan",
                     "scan: it's [fast]",
                     {{{"-h", "--help"}, "help", false, false, {}},
                      {{"-i", "--iL"}, "targets from FILE", true, true, {}},
                      {{"--top"}, "the N ports", true, false, {}},
                      {{"--syn"}, "raw SYN", false, false, {}}}}};
  return model;
}

TEST(Completion, BashCompletesValuesFilesAndNothingForFreeValues) {
  const auto script = completion_script(sample_model(), "bash");
  ASSERT_TRUE(script);
  EXPECT_NE(script->find("--color) ((i += 2)) ;;"), std::string::npos) << *script;
  EXPECT_NE(script->find("--color) mapfile -t COMPREPLY < <(compgen -W 'auto always'"),
            std::string::npos);
  EXPECT_NE(script->find("-i|--iL) compopt -o filenames"), std::string::npos);
  EXPECT_NE(script->find("--top) return ;;"), std::string::npos);
  // The command's flags, then the global ones it does not define itself.
  EXPECT_NE(script->find("flags='-h --help -i --iL --top --syn --color'"), std::string::npos);
  EXPECT_NE(script->find("complete -F _tool tool"), std::string::npos);
}

TEST(Completion, ZshEscapesItsSpecSyntax) {
  const auto script = completion_script(sample_model(), "zsh");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->rfind("#compdef tool\n", 0), 0U);
  EXPECT_NE(script->find(R"('*--color[colour\: auto, always]:value:(auto always)')"),
            std::string::npos)
      << *script;
  EXPECT_NE(script->find(R"('scan:scan\: it'\''s [fast]')"), std::string::npos);
  EXPECT_NE(script->find("'*--iL[targets from FILE]:file:_files'"), std::string::npos);
  EXPECT_NE(script->find("'--syn[raw SYN]'"), std::string::npos);
  EXPECT_NE(script->find("'(- *)--help[help]'"), std::string::npos);
}

TEST(Completion, FishQuotesAndScopesFlagsToTheirCommand) {
  const auto script = completion_script(sample_model(), "fish");
  ASSERT_TRUE(script);
  EXPECT_NE(script->find(R"(-a 'scan' -d 'scan: it\'s [fast]')"), std::string::npos) << *script;
  EXPECT_NE(script->find("complete -c tool -n '__tool_using scan' -s 'i' -l 'iL' -r -F"),
            std::string::npos);
  EXPECT_NE(script->find("complete -c tool -l 'color' -x -a 'auto always'"), std::string::npos);
  // --help is global here, so the command does not list it again.
  EXPECT_EQ(script->find("__tool_using scan' -s 'h'"), std::string::npos);
}

TEST(Completion, UnknownShellIsAnErrorNamingIt) {
  const auto script = completion_script(sample_model(), "tcsh");
  ASSERT_FALSE(script);
  EXPECT_NE(script.error().message.find("'tcsh'"), std::string::npos);
}

}  // namespace
}  // namespace portkit

// portkit quiz: questions from the knowledge base, answers read from stdin (works piped).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "cli_common.hpp"
#include "portkit/quiz/quiz.hpp"

namespace portkit::cli {
namespace {

struct QuizFlags {
  std::size_t count = 5;
  std::optional<std::uint64_t> seed;
  bool json = false;
};

// Written out because g++ 12 warns (maybe-uninitialized) on the inline optional form.
nlohmann::json given_json(const std::optional<std::size_t>& given) {
  nlohmann::json out = nullptr;
  if (given.has_value()) out = given.value();
  return out;
}

char letter(std::size_t index) {
  return static_cast<char>('a' + index);
}

// Reads until a valid choice or end of input.
std::optional<std::size_t> read_answer(const QuizQuestion& question, bool prompt) {
  std::string line;
  while (true) {
    if (prompt) {
      print_out(fmt::format("answer (a-{}): ", letter(question.choices.size() - 1)));
    }
    if (!std::getline(std::cin, line)) return std::nullopt;
    if (const auto answer = parse_quiz_answer(line, question.choices.size())) return answer;
    if (prompt) print_out(fmt::format("'{}' is not one of the choices\n", line));
  }
}

int run_quiz(const QuizFlags& flags, const GlobalOptions& globals) {
  const auto seed = flags.seed.value_or(std::random_device{}());
  const auto quiz = make_quiz(flags.count, seed);
  const auto style = resolve_style(globals);
  std::size_t score = 0;
  auto report = nlohmann::json::array();
  if (!flags.json) {
    print_out(fmt::format("{} questions (repeat this quiz with --seed {})\n", quiz.size(), seed));
  }
  bool input_open = true;
  for (std::size_t i = 0; i < quiz.size(); ++i) {
    const auto& question = quiz[i];
    if (!flags.json) {
      std::string text = fmt::format(
          "\n{}\n", styled(fmt::format("{}. {}", i + 1, question.prompt), Tone::bold, style));
      for (std::size_t c = 0; c < question.choices.size(); ++c) {
        text += fmt::format("  {}) {}\n", letter(c), question.choices[c]);
      }
      print_out(text);
    }
    const auto given = input_open ? read_answer(question, !flags.json) : std::nullopt;
    input_open = input_open && given.has_value();
    const bool correct = given == question.answer;
    score += correct ? 1 : 0;
    if (flags.json) {
      report.push_back({{"kind", question.kind},
                        {"prompt", question.prompt},
                        {"choices", question.choices},
                        {"answer", question.answer},
                        {"given", given_json(given)},
                        {"correct", correct},
                        {"explanation", question.explanation}});
      continue;
    }
    const auto verdict =
        correct ? styled("correct", Tone::good, style)
                : styled(fmt::format("{}: the answer is {}) {}", given ? "wrong" : "no answer",
                                     letter(question.answer), question.choices[question.answer]),
                         Tone::bad, style);
    print_out(fmt::format("{}{}\n  {}\n", input_open ? "" : "\n", verdict, question.explanation));
  }
  if (flags.json) {
    print_out(nlohmann::json{{"seed", seed},
                             {"questions", std::move(report)},
                             {"score", score},
                             {"total", quiz.size()}}
                  .dump(2) +
              "\n");
  } else {
    print_out(fmt::format("\nscore: {}/{}\n", score, quiz.size()));
  }
  return kExitOk;
}

}  // namespace

Command make_quiz_command(CLI::App& parent, const GlobalOptions& globals) {
  auto flags = std::make_shared<QuizFlags>();
  auto* app = parent.add_subcommand("quiz", "questions drawn from the knowledge base");
  app->add_option("-n,--count", flags->count, "number of questions")
      ->check(CLI::Range(1, 50))
      ->capture_default_str();
  app->add_option("--seed", flags->seed, "seed for a repeatable quiz")->check(kNotNegative);
  app->add_flag("--json", flags->json, "no prompts; one JSON document with answers and score");
  app->footer(
      "Examples:\n"
      "  portkit quiz\n"
      "  portkit quiz --count 10 --seed 42\n"
      "  printf 'a\\nb\\nc\\n' | portkit quiz --count 3 --seed 7 --json\n"
      "Answer with the letter (or number) of a choice; end of input ends the quiz.");
  return {app, [flags, &globals] { return run_quiz(*flags, globals); }};
}

}  // namespace portkit::cli

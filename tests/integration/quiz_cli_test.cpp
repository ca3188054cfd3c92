// `portkit quiz` driven through stdin, as a script or a pipe would.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using testing_support::run_portkit;

TEST(QuizCli, RightAnswersScoreFullWrongAnswersScoreZero) {
  const auto blank = run_portkit({"quiz", "--count", "6", "--seed", "1234", "--json"});
  ASSERT_EQ(blank.exit_code, 0) << blank.err;
  const auto questions = json::parse(blank.out)["questions"];
  ASSERT_EQ(questions.size(), 6u);
  std::string right, wrong;
  for (const auto& question : questions) {
    const auto answer = question["answer"].get<std::size_t>();
    right += static_cast<char>('a' + answer);
    right += '\n';
    wrong += static_cast<char>('a' + (answer + 1) % question["choices"].size());
    wrong += '\n';
  }
  const auto full =
      json::parse(run_portkit({"quiz", "-n", "6", "--seed", "1234", "--json"}, right).out);
  EXPECT_EQ(full["score"], 6);
  EXPECT_EQ(full["total"], 6);
  const auto none =
      json::parse(run_portkit({"quiz", "-n", "6", "--seed", "1234", "--json"}, wrong).out);
  EXPECT_EQ(none["score"], 0);
  EXPECT_EQ(none["questions"][0]["given"], (questions[0]["answer"].get<int>() + 1) %
                                               static_cast<int>(questions[0]["choices"].size()));
}

TEST(QuizCli, PipedHumanQuizIsRepeatableAndScored) {
  const auto first = run_portkit({"quiz", "--count", "3", "--seed", "99"}, "a\nb\nc\n");
  const auto second = run_portkit({"quiz", "--count", "3", "--seed", "99"}, "a\nb\nc\n");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, second.out);
  EXPECT_NE(first.out.find("score: "), std::string::npos);
  EXPECT_NE(first.out.find("/3"), std::string::npos);
  EXPECT_NE(first.out.find("--seed 99"), std::string::npos);
}

TEST(QuizCli, InvalidAnswerAsksAgainAndEndOfInputStops) {
  const auto result = run_portkit({"quiz", "--count", "2", "--seed", "5"}, "zz\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("'zz' is not one of the choices"), std::string::npos);
  EXPECT_NE(result.out.find("score: 0/2"), std::string::npos);
}

TEST(QuizCli, BadCountIsUsageError) {
  for (const auto* count : {"0", "51", "x"}) {
    const auto result = run_portkit({"quiz", "--count", count});
    EXPECT_EQ(result.exit_code, 2) << count;
    EXPECT_EQ(result.err.rfind("portkit: quiz: ", 0), 0u) << result.err;
  }
}

}  // namespace
}  // namespace portkit

#include "portkit/quiz/quiz.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "portkit/ranges/ranges.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {
namespace {

TEST(Quiz, SameSeedSameQuiz) {
  const auto a = make_quiz(10, 42);
  const auto b = make_quiz(10, 42);
  ASSERT_EQ(a.size(), 10u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].prompt, b[i].prompt);
    EXPECT_EQ(a[i].choices, b[i].choices);
    EXPECT_EQ(a[i].answer, b[i].answer);
  }
  const auto c = make_quiz(10, 43);
  bool differs = false;
  for (std::size_t i = 0; i < c.size(); ++i) differs = differs || c[i].prompt != a[i].prompt;
  EXPECT_TRUE(differs);
}

// The marked answer is checked against the registry, independently of how it was built.
TEST(Quiz, AnswersAgreeWithTheKnowledgeBase) {
  std::set<std::string> kinds;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    for (const auto& question : make_quiz(8, seed)) {
      kinds.insert(question.kind);
      ASSERT_LT(question.answer, question.choices.size());
      const std::set<std::string> distinct(question.choices.begin(), question.choices.end());
      EXPECT_EQ(distinct.size(), question.choices.size()) << question.prompt;
      const auto& answer = question.choices[question.answer];
      if (question.kind == "port_to_service") {
        const auto entries = registry::curated_by_name(answer);
        ASSERT_EQ(entries.size(), 1u);
        EXPECT_NE(question.prompt.find(" " + std::to_string(entries.front()->ports.low) + " "),
                  std::string::npos)
            << question.prompt;
      } else if (question.kind == "service_to_port") {
        const auto port = static_cast<std::uint16_t>(std::stoi(answer));
        bool named = false;
        for (const auto* entry : registry::curated_for_port(port)) {
          named = named || question.prompt.find(std::string(entry->name)) != std::string::npos;
        }
        EXPECT_TRUE(named) << question.prompt << " -> " << answer;
      } else if (question.kind == "range") {
        const auto digits = question.prompt.substr(5, question.prompt.find(' ', 5) - 5);
        const auto name =
            range_class_name(range_class(static_cast<std::uint16_t>(std::stoi(digits))));
        EXPECT_EQ(answer.rfind(std::string(name), 0), 0u) << question.prompt;
      } else if (question.kind == "concept") {
        bool known = false;
        for (const auto& idea : registry::concepts()) {
          known = known || (idea.question == question.prompt && idea.answer == answer);
        }
        EXPECT_TRUE(known) << question.prompt << " -> " << answer;
        EXPECT_EQ(question.choices.size(), 4u);
      } else {
        EXPECT_EQ(question.kind, "transport");
        EXPECT_EQ(question.choices.size(), 3u);
      }
    }
  }
  EXPECT_EQ(kinds.size(), 5u);
}

// The seeds' ideas are in the knowledge base, each a question with three wrong answers.
TEST(Quiz, TheSeedsConceptsAreAsked) {
  std::set<std::string> ids;
  for (const auto& idea : registry::concepts()) {
    ids.insert(std::string(idea.id));
    for (const auto& wrong : idea.wrong) EXPECT_NE(wrong, idea.answer) << idea.id;
  }
  for (const auto* id :
       {"socket", "tcp-vs-udp", "state-listen", "state-established", "state-time-wait",
        "refused-vs-timeout", "all-interfaces", "ephemeral-ports"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

// HTTPS is TCP; HTTP/3 over UDP 443 is an entry of its own, not a second answer for HTTPS.
TEST(Quiz, HttpsIsTcpAndHttp3IsItsOwnUdpEntry) {
  const auto https = registry::curated_by_name("https");
  ASSERT_EQ(https.size(), 1u);
  EXPECT_EQ(https.front()->protocols, kProtoTcp);
  const auto http3 = registry::curated_by_name("quic");
  ASSERT_EQ(http3.size(), 1u);
  EXPECT_EQ(http3.front()->protocols, kProtoUdp);
  EXPECT_EQ(http3.front()->ports.low, 443);
  EXPECT_EQ(registry::service_name(443, Proto::tcp), "https");
  EXPECT_EQ(registry::service_name(443, Proto::udp), "http3");
}

TEST(Quiz, AnswerParsing) {
  EXPECT_EQ(parse_quiz_answer("a", 4), 0u);
  EXPECT_EQ(parse_quiz_answer(" B \n", 4), 1u);
  EXPECT_EQ(parse_quiz_answer("c)", 4), 2u);
  EXPECT_EQ(parse_quiz_answer("4", 4), 3u);
  EXPECT_FALSE(parse_quiz_answer("e", 4).has_value());
  EXPECT_FALSE(parse_quiz_answer("5", 4).has_value());
  EXPECT_FALSE(parse_quiz_answer("", 4).has_value());
  EXPECT_FALSE(parse_quiz_answer("ab", 4).has_value());
}

}  // namespace
}  // namespace portkit

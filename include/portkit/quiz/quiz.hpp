#pragma once
// `quiz`: multiple-choice questions drawn from the curated knowledge base.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portkit {

struct QuizQuestion {
  std::string kind;  // "port_to_service", "service_to_port", "transport", "range", "concept"
  std::string prompt;
  std::vector<std::string> choices;
  std::size_t answer = 0;  // index into choices
  std::string explanation;
};

// The same seed always gives the same quiz (own generator, not the standard distributions,
// whose output differs between standard libraries).
std::vector<QuizQuestion> make_quiz(std::size_t count, std::uint64_t seed);

// "b", "B", "2", " b) " -> index 1; nothing when the line is not one of the choices.
std::optional<std::size_t> parse_quiz_answer(std::string_view line, std::size_t choice_count);

}  // namespace portkit

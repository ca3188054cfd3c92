#include "portkit/quiz/quiz.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/text_util.hpp"
#include "portkit/ranges/ranges.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {
namespace {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t bound) { return static_cast<std::size_t>(next() % bound); }

 private:
  std::uint64_t state_;
};

using Pool = std::vector<const CuratedEntry*>;

Pool single_port_entries() {
  Pool pool;
  for (const auto& entry : registry::curated()) {
    if (entry.ports.low == entry.ports.high && entry.rank > 0) pool.push_back(&entry);
  }
  return pool;
}

std::string transport_text(ProtoMask protocols) {
  if ((protocols & kProtoTcp) && (protocols & kProtoUdp)) return "both TCP and UDP";
  return (protocols & kProtoUdp) ? "UDP" : "TCP";
}

std::string main_transport(ProtoMask protocols) {
  return (protocols & kProtoTcp) ? "TCP" : "UDP";
}

// Puts the right answer among distractors in a random order.
void shuffle_in(QuizQuestion& question, std::string correct, std::vector<std::string> others,
                SplitMix64& random) {
  others.push_back(std::move(correct));
  const auto correct_text = others.back();
  for (std::size_t i = others.size(); i > 1; --i) std::swap(others[i - 1], others[random.below(i)]);
  question.answer = static_cast<std::size_t>(std::find(others.begin(), others.end(), correct_text) -
                                             others.begin());
  question.choices = std::move(others);
}

// Three distinct entries other than `entry` whose `key` differs from the entry's.
template <class Key>
std::vector<std::string> distractors(const Pool& pool, const CuratedEntry& entry, Key key,
                                     SplitMix64& random) {
  std::set<std::string> seen{key(entry)};
  std::vector<std::string> picked;
  for (std::size_t attempts = 0; picked.size() < 3 && attempts < 1000; ++attempts) {
    const auto& candidate = *pool[random.below(pool.size())];
    if (seen.insert(key(candidate)).second) picked.push_back(key(candidate));
  }
  return picked;
}

std::string explain(const CuratedEntry& entry) {
  return fmt::format("{}/{} is {}: {}. {}", entry.ports.low, proto_mask_text(entry.protocols),
                     entry.name, entry.description, entry.exposure_advice);
}

QuizQuestion ask(std::size_t kind, const CuratedEntry& entry, const Pool& pool,
                 SplitMix64& random) {
  QuizQuestion question;
  question.explanation = explain(entry);
  const auto name_of = [](const CuratedEntry& e) { return std::string(e.name); };
  const auto port_of = [](const CuratedEntry& e) { return std::to_string(e.ports.low); };
  switch (kind) {
    case 0:
      question.kind = "port_to_service";
      question.prompt = fmt::format("Which service uses {} port {} by default?",
                                    main_transport(entry.protocols), entry.ports.low);
      shuffle_in(question, name_of(entry), distractors(pool, entry, name_of, random), random);
      break;
    case 1:
      question.kind = "service_to_port";
      question.prompt =
          fmt::format("Which port does {} ({}) use by default?", entry.name, entry.description);
      shuffle_in(question, port_of(entry), distractors(pool, entry, port_of, random), random);
      break;
    case 2:
      question.kind = "transport";
      question.prompt =
          fmt::format("Which transport does {} (port {}) use?", entry.name, entry.ports.low);
      question.choices = {"TCP", "UDP", "both TCP and UDP"};
      question.answer =
          static_cast<std::size_t>(std::find(question.choices.begin(), question.choices.end(),
                                             transport_text(entry.protocols)) -
                                   question.choices.begin());
      break;
    default: {
      question.kind = "range";
      question.prompt =
          fmt::format("Port {} ({}) lies in which IANA range?", entry.ports.low, entry.name);
      for (const auto range_class :
           {RangeClass::well_known, RangeClass::registered, RangeClass::dynamic}) {
        const auto bounds = range_class_bounds(range_class);
        question.choices.push_back(
            fmt::format("{} ({}-{})", range_class_name(range_class), bounds.low, bounds.high));
      }
      question.answer = static_cast<std::size_t>(range_class(entry.ports.low));
      const auto bounds = range_class_bounds(range_class(entry.ports.low));
      question.explanation = fmt::format("{} is {} range ({}-{}). {}", entry.ports.low,
                                         range_class_name(range_class(entry.ports.low)), bounds.low,
                                         bounds.high, explain(entry));
      break;
    }
  }
  return question;
}

QuizQuestion ask_concept(const Concept& idea, SplitMix64& random) {
  QuizQuestion question;
  question.kind = "concept";
  question.prompt = std::string(idea.question);
  question.explanation = std::string(idea.explanation);
  std::vector<std::string> wrong(idea.wrong.begin(), idea.wrong.end());
  shuffle_in(question, std::string(idea.answer), std::move(wrong), random);
  return question;
}

}  // namespace

std::vector<QuizQuestion> make_quiz(std::size_t count, std::uint64_t seed) {
  SplitMix64 random(seed);
  const auto pool = single_port_entries();
  const auto ideas = registry::concepts();
  std::vector<QuizQuestion> quiz;
  std::set<std::pair<std::size_t, const CuratedEntry*>> asked;
  std::set<std::size_t> asked_ideas;
  // Four kinds about ports, and the concepts (sockets, states, closed vs filtered, ...) as a
  // fifth kind, asked about as often as each of the others.
  constexpr std::size_t kPortKinds = 4;
  for (std::size_t attempts = 0; quiz.size() < count && attempts < count * 50; ++attempts) {
    const auto kind = random.below(kPortKinds + 1);
    if (kind == kPortKinds) {
      if (ideas.empty()) continue;
      const auto idea = random.below(ideas.size());
      if (!asked_ideas.insert(idea).second) continue;
      quiz.push_back(ask_concept(ideas[idea], random));
      continue;
    }
    const auto* entry = pool[random.below(pool.size())];
    if (!asked.insert({kind, entry}).second) continue;
    quiz.push_back(ask(kind, *entry, pool, random));
  }
  return quiz;
}

std::optional<std::size_t> parse_quiz_answer(std::string_view line, std::size_t choice_count) {
  auto text = trim_spaces(line);
  if (!text.empty() && (text.back() == ')' || text.back() == '.')) text.remove_suffix(1);
  if (text.size() != 1) return std::nullopt;
  const char c = ascii_lower(text.front());
  std::size_t index = choice_count;
  if (c >= 'a' && c <= 'z') index = static_cast<std::size_t>(c - 'a');
  if (c >= '1' && c <= '9') index = static_cast<std::size_t>(c - '1');
  if (index >= choice_count) return std::nullopt;
  return index;
}

}  // namespace portkit

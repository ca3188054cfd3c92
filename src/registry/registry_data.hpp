#pragma once
// Tables written by tools/gen_registry.cpp at build time (generated/registry_data.cpp).
// They hold offsets into one text blob instead of pointers: pointer tables would need ~20,000
// load-time relocations in a PIE binary and dirty every page they sit on, which measured as
// most of `portkit lookup`'s start-up time. Offsets keep the tables in read-only, shared pages.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace portkit::registry_data {

struct TextRef {
  std::uint32_t offset;
  std::uint32_t length;
};

struct CuratedRecord {
  std::uint16_t low, high;
  std::uint8_t protocols;
  std::uint16_t rank;
  TextRef name;
  std::uint16_t alias_begin, alias_count;
  TextRef description, category, devops_note, exposure_advice;
};

struct PortlessRecord {
  TextRef name;
  std::uint16_t alias_begin, alias_count;
  std::uint8_t ip_protocol;
  TextRef description, devops_note;
};

struct ConceptRecord {
  TextRef id, question, answer;
  TextRef wrong[3];
  TextRef explanation;
};

struct IanaRecord {
  std::uint16_t low, high;
  std::uint8_t protocols;
  TextRef name, description;
};

// Lower-cased names and aliases, sorted, each pointing at its entry.
struct NameIndexRecord {
  TextRef lower_name;
  std::uint16_t entry_index;
};

extern const char kText[];
extern const TextRef kAliases[];
extern const CuratedRecord kCurated[];
extern const std::size_t kCuratedCount;
extern const PortlessRecord kPortless[];
extern const std::size_t kPortlessCount;
extern const ConceptRecord kConcepts[];
extern const std::size_t kConceptCount;
extern const IanaRecord kIana[];  // sorted by (low, high, name)
extern const std::size_t kIanaCount;
extern const NameIndexRecord kCuratedNames[];
extern const std::size_t kCuratedNameCount;
extern const NameIndexRecord kIanaNames[];
extern const std::size_t kIanaNameCount;
extern const std::uint16_t kIanaRanged[];  // indexes of entries with low != high
extern const std::size_t kIanaRangedCount;

inline std::string_view text(TextRef ref) {
  return {kText + ref.offset, ref.length};
}

}  // namespace portkit::registry_data

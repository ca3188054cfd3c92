#include "sys/resident.hpp"

#include <sys/mman.h>

#include <charconv>
#include <optional>

#include "base/text_util.hpp"
#include "sys/file.hpp"

namespace portkit::sys {
namespace {

std::optional<std::size_t> parse_hex(std::string_view text) {
  std::size_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [last, error] = std::from_chars(text.data(), end, value, 16);
  if (error != std::errc{} || last != end) return std::nullopt;
  return value;
}

struct Candidate {
  AddressRange range;
  bool eligible = false;
};

// "start-end perms offset dev inode path" opens each mapping's block; the fields follow.
std::optional<Candidate> parse_header(std::string_view line) {
  const auto dash = line.find('-');
  const auto space = line.find(' ');
  if (dash == std::string_view::npos || space == std::string_view::npos || dash > space)
    return std::nullopt;
  const auto start = parse_hex(line.substr(0, dash));
  const auto end = parse_hex(line.substr(dash + 1, space - dash - 1));
  if (!start || !end) return std::nullopt;
  Candidate candidate{{*start, *end}, false};
  const auto perms = line.substr(space + 1, 4);
  const bool read_only = perms == "r-xp" || perms == "r--p";
  const bool file_backed =
      line.find(" /", space) != std::string_view::npos && !line.ends_with(" (deleted)");
  candidate.eligible = read_only && file_backed && *end > *start;
  return candidate;
}

}  // namespace

std::vector<AddressRange> droppable_file_mappings(std::string_view smaps_text) {
  std::vector<AddressRange> found;
  std::optional<Candidate> current;
  bool unwritten = false;  // its "Anonymous: 0 kB" line was seen
  auto settle = [&] {
    if (current && current->eligible && unwritten) found.push_back(current->range);
    current.reset();
    unwritten = false;
  };
  while (!smaps_text.empty()) {
    const auto line = take_line(smaps_text);
    if (line.starts_with("Anonymous:")) {
      // Only an explicit 0 kB lets a mapping go: a cut or odd block keeps it.
      const auto value = line.substr(10);
      const auto digits = value.find_first_not_of(' ');
      unwritten = digits != std::string_view::npos && value.substr(digits) == "0 kB";
      continue;
    }
    // Field lines are "Name: value"; a header's first word is "start-end".
    const auto first_space = line.find(' ');
    const auto first_word = line.substr(0, first_space);
    if (first_word.empty() || first_word.back() == ':') continue;
    if (auto header = parse_header(line)) {
      settle();
      current = header;
    }
  }
  settle();
  return found;
}

std::size_t drop_startup_pages() {
  const auto smaps = read_text_file("/proc/self/smaps");
  if (!smaps) return 0;
  std::size_t dropped = 0;
  for (const auto& range : droppable_file_mappings(*smaps)) {
    // The ranges are addresses read from smaps, so an integer becomes a pointer here.
    auto* start = reinterpret_cast<void*>(range.start);  // NOLINT(performance-no-int-to-ptr)
    if (::madvise(start, range.end - range.start, MADV_DONTNEED) == 0)
      dropped += range.end - range.start;
  }
  return dropped;
}

}  // namespace portkit::sys

#include "portkit/registry.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "registry/registry_data.hpp"
#include "text_util.hpp"

namespace portkit::registry {
namespace {

using registry_data::NameIndexEntry;

template <class Entry>
bool speaks(const Entry& entry, ProtoMask protocols) {
  return (entry.protocols & protocols) != 0;
}

std::span<const NameIndexEntry> name_matches(std::span<const NameIndexEntry> index,
                                             std::string_view name) {
  const auto key = to_lower(name);
  const auto [first, last] = std::equal_range(
      index.begin(), index.end(), NameIndexEntry{key, 0},
      [](const NameIndexEntry& a, const NameIndexEntry& b) { return a.lower_name < b.lower_name; });
  return {first, last};
}

// The description holds `word` as a whole word, ignoring case; no copies, as --all runs it
// over every registry description.
bool has_word(std::string_view text, std::string_view word) {
  if (word.empty() || word.size() > text.size()) return false;
  const auto is_word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t pos = 0; pos + word.size() <= text.size(); ++pos) {
    if (!iequals(text.substr(pos, word.size()), word)) continue;
    const bool starts = pos == 0 || !is_word_char(text[pos - 1]);
    const auto end = pos + word.size();
    const bool ends = end == text.size() || !is_word_char(text[end]);
    if (starts && ends) return true;
  }
  return false;
}

// "databases" finds the category "database".
bool category_matches(std::string_view category, std::string_view keyword) {
  const auto key = to_lower(keyword);
  if (iequals(category, key)) return true;
  return key.size() > 1 && key.back() == 's' &&
         iequals(category, std::string_view(key).substr(0, key.size() - 1));
}

}  // namespace

std::span<const CuratedEntry> curated() {
  return registry_data::kCurated;
}
std::span<const IanaEntry> iana() {
  return registry_data::kIana;
}
std::span<const PortlessProtocol> portless() {
  return registry_data::kPortless;
}

std::vector<const CuratedEntry*> curated_for_port(std::uint16_t port, ProtoMask protocols) {
  return curated_in_range({port, port}, protocols);
}

std::vector<const CuratedEntry*> curated_in_range(PortRange range, ProtoMask protocols) {
  std::vector<const CuratedEntry*> found;
  for (const auto& entry : registry_data::kCurated) {
    if (entry.ports.overlaps(range) && speaks(entry, protocols)) found.push_back(&entry);
  }
  return found;
}

std::vector<const IanaEntry*> iana_for_port(std::uint16_t port, ProtoMask protocols) {
  return iana_in_range({port, port}, protocols);
}

std::vector<const IanaEntry*> iana_in_range(PortRange range, ProtoMask protocols) {
  const auto table = registry_data::kIana;
  std::vector<const IanaEntry*> found;
  // Entries spanning several ports may start before the range: check those few by hand.
  for (const auto index : registry_data::kIanaRangedEntries) {
    const auto& entry = table[index];
    if (entry.ports.low < range.low && entry.ports.overlaps(range) && speaks(entry, protocols)) {
      found.push_back(&entry);
    }
  }
  auto it = std::lower_bound(
      table.begin(), table.end(), range.low,
      [](const IanaEntry& entry, std::uint16_t port) { return entry.ports.low < port; });
  for (; it != table.end() && it->ports.low <= range.high; ++it) {
    if (speaks(*it, protocols)) found.push_back(&*it);
  }
  return found;
}

std::vector<const CuratedEntry*> curated_by_name(std::string_view name) {
  std::vector<const CuratedEntry*> found;
  for (const auto& match : name_matches(registry_data::kCuratedNames, name)) {
    const auto* entry = &registry_data::kCurated[match.entry_index];
    if (std::find(found.begin(), found.end(), entry) == found.end()) found.push_back(entry);
  }
  return found;
}

std::vector<const IanaEntry*> iana_by_name(std::string_view name) {
  std::vector<const IanaEntry*> found;
  for (const auto& match : name_matches(registry_data::kIanaNames, name)) {
    found.push_back(&registry_data::kIana[match.entry_index]);
  }
  std::sort(found.begin(), found.end());  // table order is port order
  return found;
}

const PortlessProtocol* portless_by_name(std::string_view name) {
  for (const auto& entry : registry_data::kPortless) {
    if (iequals(entry.name, name)) return &entry;
    for (const auto alias : entry.aliases) {
      if (iequals(alias, name)) return &entry;
    }
  }
  return nullptr;
}

std::vector<const CuratedEntry*> curated_by_category(std::string_view category) {
  std::vector<const CuratedEntry*> found;
  for (const auto& entry : registry_data::kCurated) {
    if (category_matches(entry.category, category)) found.push_back(&entry);
  }
  return found;
}

std::vector<const CuratedEntry*> curated_by_keyword(std::string_view keyword) {
  std::vector<const CuratedEntry*> found;
  for (const auto& entry : registry_data::kCurated) {
    if (has_word(entry.description, keyword)) found.push_back(&entry);
  }
  return found;
}

std::vector<const IanaEntry*> iana_by_keyword(std::string_view keyword) {
  std::vector<const IanaEntry*> found;
  for (const auto& entry : registry_data::kIana) {
    if (has_word(entry.description, keyword)) found.push_back(&entry);
  }
  return found;
}

std::optional<std::uint16_t> port_by_name(std::string_view name, Proto proto) {
  const auto bit = proto_bit(proto);
  for (const auto* entry : curated_by_name(name)) {
    if (entry->ports.low == entry->ports.high && speaks(*entry, bit)) return entry->ports.low;
  }
  for (const auto* entry : iana_by_name(name)) {
    if (entry->ports.low == entry->ports.high && speaks(*entry, bit)) return entry->ports.low;
  }
  return std::nullopt;
}

std::string_view service_name(std::uint16_t port, Proto proto) {
  const auto bit = proto_bit(proto);
  for (const auto& entry : registry_data::kCurated) {
    if (entry.ports.low == port && entry.ports.high == port && speaks(entry, bit))
      return entry.name;
  }
  for (const auto* entry : iana_for_port(port, bit)) {
    if (entry->ports.low == port && entry->ports.high == port) return entry->name;
  }
  return {};
}

}  // namespace portkit::registry

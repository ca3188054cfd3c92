#include "portkit/registry/registry.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "base/text_util.hpp"
#include "registry/registry_data.hpp"

namespace portkit::registry {
namespace {

namespace data = registry_data;

template <class Entry>
bool speaks(const Entry& entry, ProtoMask protocols) {
  return (entry.protocols & protocols) != 0;
}

// The curated tables are small: views over them are built once, on first use.
struct CuratedViews {
  std::vector<std::string_view> aliases;
  std::vector<CuratedEntry> entries;
  std::vector<PortlessProtocol> portless;
  std::vector<Concept> concepts;
  // Entries of one port, by port (table order within a port): service_name runs per socket.
  std::vector<std::pair<std::uint16_t, std::uint16_t>> single_port;  // port, entry index

  CuratedViews() {
    std::size_t alias_total = 0;
    for (std::size_t i = 0; i < data::kCuratedCount; ++i)
      alias_total += data::kCurated[i].alias_count;
    for (std::size_t i = 0; i < data::kPortlessCount; ++i)
      alias_total += data::kPortless[i].alias_count;
    for (std::size_t i = 0; i < alias_total; ++i) aliases.push_back(data::text(data::kAliases[i]));
    const auto alias_span = [&](std::uint16_t begin, std::uint16_t count) {
      return std::span<const std::string_view>(aliases).subspan(begin, count);
    };
    for (std::size_t i = 0; i < data::kCuratedCount; ++i) {
      const auto& record = data::kCurated[i];
      entries.push_back({{record.low, record.high},
                         record.protocols,
                         record.rank,
                         data::text(record.name),
                         alias_span(record.alias_begin, record.alias_count),
                         data::text(record.description),
                         data::text(record.category),
                         data::text(record.devops_note),
                         data::text(record.exposure_advice)});
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].ports.low == entries[i].ports.high) {
        single_port.emplace_back(entries[i].ports.low, static_cast<std::uint16_t>(i));
      }
    }
    std::stable_sort(single_port.begin(), single_port.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < data::kPortlessCount; ++i) {
      const auto& record = data::kPortless[i];
      portless.push_back({data::text(record.name),
                          alias_span(record.alias_begin, record.alias_count), record.ip_protocol,
                          data::text(record.description), data::text(record.devops_note)});
    }
    for (std::size_t i = 0; i < data::kConceptCount; ++i) {
      const auto& record = data::kConcepts[i];
      concepts.push_back(
          {data::text(record.id),
           data::text(record.question),
           data::text(record.answer),
           {data::text(record.wrong[0]), data::text(record.wrong[1]), data::text(record.wrong[2])},
           data::text(record.explanation)});
    }
  }
};

const CuratedViews& curated_views() {
  static const CuratedViews views;
  return views;
}

std::span<const data::NameIndexRecord> name_matches(std::span<const data::NameIndexRecord> index,
                                                    std::string_view name) {
  const auto key = to_lower(name);
  const auto before = [](const data::NameIndexRecord& record, std::string_view wanted) {
    return data::text(record.lower_name) < wanted;
  };
  const auto after = [](std::string_view wanted, const data::NameIndexRecord& record) {
    return wanted < data::text(record.lower_name);
  };
  const auto first = std::lower_bound(index.begin(), index.end(), std::string_view(key), before);
  const auto last = std::upper_bound(first, index.end(), std::string_view(key), after);
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

// The words of a query, split at spaces ("HTTP Alt", "active directory").
std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  while (!text.empty()) {
    const auto start = text.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const auto end = text.find_first_of(" \t");
    words.push_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  }
  return words;
}

// Every word appears in `text` as a whole word.
bool has_words(std::string_view text, const std::vector<std::string_view>& words) {
  return !words.empty() && std::all_of(words.begin(), words.end(),
                                       [&](std::string_view word) { return has_word(text, word); });
}

// "databases" finds the category "database".
bool category_matches(std::string_view category, std::string_view keyword) {
  if (iequals(category, keyword)) return true;
  return keyword.size() > 1 && ascii_lower(keyword.back()) == 's' &&
         iequals(category, keyword.substr(0, keyword.size() - 1));
}

}  // namespace

std::span<const CuratedEntry> curated() {
  return curated_views().entries;
}
std::span<const Concept> concepts() {
  return curated_views().concepts;
}

std::span<const PortlessProtocol> portless() {
  return curated_views().portless;
}
std::size_t iana_size() {
  return data::kIanaCount;
}

IanaEntry iana_entry(std::size_t index) {
  const auto& record = data::kIana[index];
  return {{record.low, record.high},
          record.protocols,
          data::text(record.name),
          data::text(record.description)};
}

std::vector<const CuratedEntry*> curated_for_port(std::uint16_t port, ProtoMask protocols) {
  return curated_in_range({port, port}, protocols);
}

std::vector<const CuratedEntry*> curated_in_range(PortRange range, ProtoMask protocols) {
  std::vector<const CuratedEntry*> found;
  for (const auto& entry : curated()) {
    if (entry.ports.overlaps(range) && speaks(entry, protocols)) found.push_back(&entry);
  }
  return found;
}

std::vector<IanaEntry> iana_for_port(std::uint16_t port, ProtoMask protocols) {
  return iana_in_range({port, port}, protocols);
}

std::vector<IanaEntry> iana_in_range(PortRange range, ProtoMask protocols) {
  std::vector<IanaEntry> found;
  // Entries spanning several ports may start before the range: check those few by hand.
  for (std::size_t i = 0; i < data::kIanaRangedCount; ++i) {
    const auto entry = iana_entry(data::kIanaRanged[i]);
    if (entry.ports.low < range.low && entry.ports.overlaps(range) && speaks(entry, protocols)) {
      found.push_back(entry);
    }
  }
  const std::span<const data::IanaRecord> table(data::kIana, data::kIanaCount);
  auto it = std::lower_bound(
      table.begin(), table.end(), range.low,
      [](const data::IanaRecord& record, std::uint16_t port) { return record.low < port; });
  for (; it != table.end() && it->low <= range.high; ++it) {
    if (speaks(*it, protocols))
      found.push_back(iana_entry(static_cast<std::size_t>(it - table.begin())));
  }
  return found;
}

std::vector<const CuratedEntry*> curated_by_name(std::string_view name) {
  std::vector<const CuratedEntry*> found;
  const auto entries = curated();
  for (const auto& match : name_matches({data::kCuratedNames, data::kCuratedNameCount}, name)) {
    const auto* entry = &entries[match.entry_index];
    if (std::find(found.begin(), found.end(), entry) == found.end()) found.push_back(entry);
  }
  return found;
}

std::vector<IanaEntry> iana_by_name(std::string_view name) {
  std::vector<std::uint16_t> indexes;
  for (const auto& match : name_matches({data::kIanaNames, data::kIanaNameCount}, name)) {
    indexes.push_back(match.entry_index);
  }
  std::sort(indexes.begin(), indexes.end());  // table order is port order
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  std::vector<IanaEntry> found;
  found.reserve(indexes.size());
  for (const auto index : indexes) found.push_back(iana_entry(index));
  return found;
}

const PortlessProtocol* portless_by_name(std::string_view name) {
  for (const auto& entry : portless()) {
    if (iequals(entry.name, name)) return &entry;
    for (const auto alias : entry.aliases) {
      if (iequals(alias, name)) return &entry;
    }
  }
  return nullptr;
}

std::vector<const CuratedEntry*> curated_by_category(std::string_view category) {
  std::vector<const CuratedEntry*> found;
  for (const auto& entry : curated()) {
    if (category_matches(entry.category, category)) found.push_back(&entry);
  }
  return found;
}

std::vector<const CuratedEntry*> curated_by_keyword(std::string_view keyword) {
  const auto words = split_words(keyword);
  // Entries whose description holds every word first, then those whose DevOps note does
  // ("active directory" is what LDAP and Kerberos serve, said in their notes).
  std::vector<const CuratedEntry*> found;
  std::vector<const CuratedEntry*> in_notes;
  for (const auto& entry : curated()) {
    if (has_words(entry.description, words)) {
      found.push_back(&entry);
    } else if (has_words(entry.devops_note, words)) {
      in_notes.push_back(&entry);
    }
  }
  found.insert(found.end(), in_notes.begin(), in_notes.end());
  return found;
}

std::vector<IanaEntry> iana_by_keyword(std::string_view keyword) {
  const auto words = split_words(keyword);
  std::vector<IanaEntry> found;
  for (std::size_t i = 0; i < data::kIanaCount; ++i) {
    if (has_words(data::text(data::kIana[i].description), words)) found.push_back(iana_entry(i));
  }
  return found;
}

std::optional<std::uint16_t> port_by_name(std::string_view name, Proto proto) {
  const auto bit = proto_bit(proto);
  for (const auto* entry : curated_by_name(name)) {
    if (entry->ports.low == entry->ports.high && speaks(*entry, bit)) return entry->ports.low;
  }
  for (const auto& entry : iana_by_name(name)) {
    if (entry.ports.low == entry.ports.high && speaks(entry, bit)) return entry.ports.low;
  }
  return std::nullopt;
}

std::string_view service_name(std::uint16_t port, Proto proto) {
  const auto bit = proto_bit(proto);
  const auto& views = curated_views();
  const auto by_port = [](const auto& item, std::uint16_t key) { return item.first < key; };
  for (auto it =
           std::lower_bound(views.single_port.begin(), views.single_port.end(), port, by_port);
       it != views.single_port.end() && it->first == port; ++it) {
    const auto& entry = views.entries[it->second];
    if (speaks(entry, bit)) return entry.name;
  }
  const std::span<const data::IanaRecord> table(data::kIana, data::kIanaCount);
  for (auto it = std::lower_bound(
           table.begin(), table.end(), port,
           [](const data::IanaRecord&record, std::uint16_t key) { return record.low < key; });
       it != table.end() && it->low == port; ++it) {
    if (it->high == port && speaks(*it, bit)) {
      return iana_entry(static_cast<std::size_t>(it - table.begin())).name;
    }
  }
  return {};
}

}  // namespace portkit::registry

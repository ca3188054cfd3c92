#include "portkit/registry/top_ports.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <charconv>

#include "base/text_util.hpp"
#include "portkit/registry/registry.hpp"
#include "sys/file.hpp"

namespace portkit {
namespace {

// The first three blank-separated fields before any '#'; fewer when the line has fewer. No
// allocation, and the comment after them is never scanned: the file has some 27,000 lines and
// `scan --top` reads it every run.
struct Fields {
  std::array<std::string_view, 3> field;
  std::size_t count = 0;
};

Fields fields_of(std::string_view line) {
  Fields fields;
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  std::size_t pos = 0;
  while (fields.count < 3) {
    while (pos < line.size() && blank(line[pos])) ++pos;
    if (pos == line.size() || line[pos] == '#') break;
    const auto start = pos;
    while (pos < line.size() && !blank(line[pos]) && line[pos] != '#') ++pos;
    fields.field[fields.count++] = line.substr(start, pos - start);
    if (pos < line.size() && line[pos] == '#') break;
  }
  return fields;
}

// nmap-services spells its transports in lower case: compared as they are before the
// case-blind parse_proto, which lowers every character.
std::optional<Proto> transport_of(std::string_view text) {
  if (text == "tcp") return Proto::tcp;
  if (text == "udp") return Proto::udp;
  if (text == "sctp") return std::nullopt;
  return parse_proto(text);
}

}  // namespace

std::vector<PortFrequency> parse_nmap_services(std::string_view text, std::optional<Proto> only) {
  std::vector<PortFrequency> table;
  table.reserve(text.size() / (only ? 100 : 30));  // 37 bytes a line, 30 % of them TCP
  while (!text.empty()) {
    const auto line = take_line(text);
    if (line.empty() || line.front() == '#') continue;
    const auto [fields, count] = fields_of(line);
    if (count < 3) continue;
    const auto slash = fields[1].find('/');
    if (slash == std::string_view::npos) continue;
    const auto port = parse_decimal(fields[1].substr(0, slash));
    const auto proto = transport_of(fields[1].substr(slash + 1));
    if (!port || *port > 65535 || !proto || (only && *proto != *only)) continue;
    double frequency = 0;
    const auto [end, ec] =
        std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), frequency);
    if (ec != std::errc{} || end != fields[2].data() + fields[2].size() || !(frequency >= 0))
      continue;
    table.push_back({static_cast<std::uint16_t>(*port), *proto, frequency});
  }
  return table;
}

std::vector<PortFrequency> load_nmap_services(const std::string& path, std::optional<Proto> only) {
  const auto file = sys::MappedFile::open(path);
  if (!file) return {};
  return parse_nmap_services(file->text(), only);
}

std::vector<std::uint16_t> top_ports(std::size_t count, Proto proto,
                                     std::span<const PortFrequency> nmap_frequencies) {
  std::vector<std::uint16_t> order;
  std::bitset<65536> taken;
  const auto take = [&](std::uint16_t port) {
    if (order.size() < count && port != 0 && !taken.test(port)) {
      taken.set(port);
      order.push_back(port);
    }
  };
  std::vector<const CuratedEntry*> ranked;
  for (const auto& entry : registry::curated()) {
    if (entry.rank > 0 && entry.ports.low == entry.ports.high &&
        (entry.protocols & proto_bit(proto))) {
      ranked.push_back(&entry);
    }
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const auto* a, const auto* b) { return a->rank < b->rank; });
  // A curated rank within N is a promise that the port is among the top N.
  for (const auto* entry : ranked) {
    if (entry->rank <= count) take(entry->ports.low);
  }
  if (order.size() >= count) return order;
  // Pointers, not copies: rows are sorted and walked only until `count` ports are taken.
  std::vector<const PortFrequency*> measured;
  measured.reserve(nmap_frequencies.size());
  for (const auto& row : nmap_frequencies) {
    if (row.proto == proto) measured.push_back(&row);
  }
  std::stable_sort(measured.begin(), measured.end(),
                   [](const auto* a, const auto* b) { return a->frequency > b->frequency; });
  for (const auto* row : measured) {
    if (order.size() >= count) return order;
    take(row->port);
  }
  for (const auto* entry : ranked) take(entry->ports.low);
  for (std::size_t i = 0; i < registry::iana_size() && order.size() < count; ++i) {
    const auto entry = registry::iana_entry(i);
    if (entry.ports.low == entry.ports.high && (entry.protocols & proto_bit(proto))) {
      take(entry.ports.low);
    }
  }
  for (std::uint32_t port = 1; port <= 65535 && order.size() < count; ++port) {
    take(static_cast<std::uint16_t>(port));
  }
  return order;
}

}  // namespace portkit

#include "registry/services_format.hpp"

#include <charconv>
#include <string>

#include "base/text_util.hpp"

namespace portkit {
namespace {

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto start = text.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    auto end = text.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = text.size();
    fields.push_back(text.substr(start, end - start));
    pos = end;
  }
  return fields;
}

bool parse_number(std::string_view text, std::uint16_t& out) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return false;
  out = static_cast<std::uint16_t>(value);
  return true;
}

Result<ServiceLine> parse_line(std::string_view line, std::size_t line_number) {
  const auto where = "line " + std::to_string(line_number) + ": ";
  ServiceLine entry;
  const auto hash = line.find('#');
  if (hash != std::string_view::npos) {
    entry.description = std::string(trim_spaces(line.substr(hash + 1)));
    line = line.substr(0, hash);
  }
  const auto fields = split_fields(line);
  if (fields.size() < 2) return make_error(where + "expected a name and a port/protocol");
  entry.name = std::string(fields[0]);

  const auto port_and_protos = fields[1];
  const auto slash = port_and_protos.find('/');
  if (slash == std::string_view::npos) {
    return make_error(where + "'" + std::string(port_and_protos) + "' has no /protocol");
  }
  const auto port_text = port_and_protos.substr(0, slash);
  const auto dash = port_text.find('-');
  const auto low_text = port_text.substr(0, dash);
  const auto high_text = dash == std::string_view::npos ? low_text : port_text.substr(dash + 1);
  if (!parse_number(low_text, entry.ports.low) || !parse_number(high_text, entry.ports.high) ||
      entry.ports.low > entry.ports.high) {
    return make_error(where + "bad port '" + std::string(port_text) + "'");
  }
  auto protos = port_and_protos.substr(slash + 1);
  while (true) {
    const auto next = protos.find('/');
    const auto name = protos.substr(0, next);
    const auto bit = parse_proto_bit(name);
    // netbase's /etc/services also lists AppleTalk's DDP sockets, which are not IP ports:
    // known, and left out (a line of nothing else is skipped).
    if (!bit && !iequals(name, "ddp")) {
      return make_error(where + "unknown protocol '" + std::string(name) + "'");
    }
    if (bit) entry.protocols |= *bit;
    if (next == std::string_view::npos) break;
    protos = protos.substr(next + 1);
  }
  for (std::size_t i = 2; i < fields.size(); ++i) entry.aliases.emplace_back(fields[i]);
  return entry;
}

}  // namespace

Result<std::vector<ServiceLine>> parse_services(std::string_view text) {
  std::vector<ServiceLine> entries;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto line = take_line(text);
    const auto content = trim_spaces(line);
    if (content.empty() || content.front() == '#') continue;
    auto parsed = parse_line(content, line_number);
    if (!parsed) return parsed.error();
    if (parsed->protocols != 0) entries.push_back(std::move(parsed).value());
  }
  return entries;
}

}  // namespace portkit

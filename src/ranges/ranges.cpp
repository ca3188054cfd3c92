#include "portkit/ranges/ranges.hpp"

#include "base/text_util.hpp"

namespace portkit {
namespace {

Result<std::uint16_t> port_value(std::string_view text, std::string_view what) {
  const auto value = parse_decimal(text);
  if (!value || *value > 65535) {
    return make_error("invalid " + std::string(what) + " " + single_quoted(text));
  }
  return static_cast<std::uint16_t>(*value);
}

}  // namespace

RangeClass range_class(std::uint16_t port) {
  if (port <= 1023) return RangeClass::well_known;
  if (port <= 49151) return RangeClass::registered;
  return RangeClass::dynamic;
}

std::string_view range_class_name(RangeClass range_class) {
  switch (range_class) {
    case RangeClass::well_known:
      return "well-known";
    case RangeClass::registered:
      return "registered";
    case RangeClass::dynamic:
      return "dynamic";
  }
  return "unknown";
}

PortRange range_class_bounds(RangeClass range_class) {
  switch (range_class) {
    case RangeClass::well_known:
      return {0, 1023};
    case RangeClass::registered:
      return {1024, 49151};
    case RangeClass::dynamic:
      return {49152, 65535};
  }
  return {0, 65535};
}

bool HostPortConfig::is_reserved(std::uint16_t port) const {
  for (const auto& range : reserved) {
    if (range.contains(port)) return true;
  }
  return false;
}

Result<PortRange> parse_local_port_range(std::string_view text) {
  text = trim_spaces(text);
  const auto gap = text.find_first_of(" \t");
  if (gap == std::string_view::npos) {
    return make_error("ip_local_port_range " + single_quoted(text) + " needs two numbers");
  }
  auto low = port_value(text.substr(0, gap), "ephemeral range start");
  if (!low) return low.error();
  auto high = port_value(trim_spaces(text.substr(gap)), "ephemeral range end");
  if (!high) return high.error();
  if (*low > *high)
    return make_error("ip_local_port_range " + single_quoted(text) + " is reversed");
  return PortRange{*low, *high};
}

Result<std::vector<PortRange>> parse_reserved_ports(std::string_view text) {
  text = trim_spaces(text);
  std::vector<PortRange> ranges;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = trim_spaces(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto dash = item.find('-');
    auto low = port_value(item.substr(0, dash), "reserved port");
    if (!low) return low.error();
    auto high =
        dash == std::string_view::npos ? low : port_value(item.substr(dash + 1), "reserved port");
    if (!high) return high.error();
    if (*low > *high) return make_error("reserved range " + single_quoted(item) + " is reversed");
    ranges.push_back({*low, *high});
  }
  return ranges;
}

Result<std::uint16_t> parse_unprivileged_port_start(std::string_view text) {
  return port_value(trim_spaces(text), "ip_unprivileged_port_start");
}

}  // namespace portkit

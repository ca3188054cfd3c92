#include <bitset>

#include "base/text_util.hpp"
#include "portkit/registry/registry.hpp"
#include "portkit/spec/spec.hpp"
#include "spec/spec_internal.hpp"

namespace portkit {

using spec_detail::split_proto_suffix;

namespace spec_detail {

Result<SplitSuffix> split_proto_suffix(std::string_view item) {
  const auto slash = item.find('/');
  if (slash == std::string_view::npos) return SplitSuffix{item, std::nullopt};
  const auto suffix = item.substr(slash + 1);
  if (suffix.empty()) return make_error("missing protocol after '/' in " + single_quoted(item));
  const auto proto = parse_proto(suffix);
  if (!proto) {
    return make_error("unknown protocol " + single_quoted(suffix) + " in " + single_quoted(item) +
                      " (use tcp or udp)");
  }
  return SplitSuffix{item.substr(0, slash), proto};
}

}  // namespace spec_detail

namespace {

constexpr std::uint64_t kMaxPort = 65535;

Result<std::uint16_t> parse_port_number(std::string_view text, const PortSpecOptions& options,
                                        std::string_view context) {
  const std::uint64_t min_port = options.allow_zero ? 0 : 1;
  if (!all_digits(text)) {
    if (context.empty() || context == text)
      return make_error("invalid port " + single_quoted(text));
    return make_error("invalid port " + single_quoted(text) + " in " + single_quoted(context));
  }
  const auto value = parse_decimal(text);
  if (!value || *value > kMaxPort || *value < min_port) {
    return make_error("port " + single_quoted(text) + " is out of range " +
                      std::to_string(min_port) + "-65535");
  }
  return static_cast<std::uint16_t>(*value);
}

bool has_letter(std::string_view text) {
  for (const char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  }
  return false;
}

Result<std::uint16_t> resolve_service(std::string_view name, Proto proto) {
  if (const auto port = registry::port_by_name(name, proto)) return *port;
  const auto other = proto == Proto::tcp ? Proto::udp : Proto::tcp;
  if (registry::port_by_name(name, other)) {
    return make_error("service " + single_quoted(name) + " has no " +
                      std::string(proto_name(proto)) + " port");
  }
  return make_error("unknown service name " + single_quoted(name));
}

Result<PortRange> parse_range_body(std::string_view body, std::optional<Proto> proto,
                                   const PortSpecOptions& options) {
  if (body == "-") return PortRange{1, 65535};
  // A name wins over the numeric reading: "3com-tsmux" is a service, not a broken range.
  if (has_letter(body)) {
    auto by_name = resolve_service(body, proto.value_or(options.name_proto));
    if (by_name) return PortRange{*by_name, *by_name};
    if (!is_ascii_digit(body.front()) && body.front() != '-') return by_name.error();
  }
  const auto dash = body.find('-');
  if (dash == std::string_view::npos) {
    auto port = parse_port_number(body, options, {});
    if (!port) return port.error();
    return PortRange{*port, *port};
  }
  if (body.find('-', dash + 1) != std::string_view::npos) {
    return make_error("range " + single_quoted(body) + " has more than one '-'");
  }
  const auto low_text = body.substr(0, dash);
  const auto high_text = body.substr(dash + 1);
  if (low_text.empty()) return make_error("range " + single_quoted(body) + " has no start port");
  if (high_text.empty()) return make_error("range " + single_quoted(body) + " has no end port");
  auto low = parse_port_number(low_text, options, body);
  if (!low) return low.error();
  auto high = parse_port_number(high_text, options, body);
  if (!high) return high.error();
  if (*low > *high) {
    return make_error("range " + single_quoted(body) + " is reversed (" + std::to_string(*low) +
                      " > " + std::to_string(*high) + ")");
  }
  return PortRange{*low, *high};
}

Result<PortSpecItem> parse_item(std::string_view item, const PortSpecOptions& options) {
  auto split = split_proto_suffix(item);
  if (!split) return split.error();
  if (split->body.empty()) return make_error("missing port before '/' in " + single_quoted(item));
  auto range = parse_range_body(split->body, split->proto, options);
  if (!range) return range.error();
  return PortSpecItem{*range, split->proto};
}

}  // namespace

std::vector<std::uint16_t> PortSpec::ports_for(Proto proto, Proto default_proto) const {
  std::bitset<65536> wanted;
  for (const auto& item : items) {
    if (item.proto.value_or(default_proto) != proto) continue;
    for (std::uint32_t port = item.ports.low; port <= item.ports.high; ++port) wanted.set(port);
  }
  std::vector<std::uint16_t> ports;
  for (std::uint32_t port = 0; port <= kMaxPort; ++port) {
    if (wanted.test(port)) ports.push_back(static_cast<std::uint16_t>(port));
  }
  return ports;
}

Result<PortSpec> parse_port_spec(std::string_view text, const PortSpecOptions& options) {
  if (trim_spaces(text).empty()) return make_error("empty port spec");
  PortSpec spec;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto end = comma == std::string_view::npos ? text.size() : comma;
    const auto item = trim_spaces(text.substr(start, end - start));
    if (item.empty()) return make_error("empty item in port list " + single_quoted(text));
    auto parsed = parse_item(item, options);
    if (!parsed) return parsed.error();
    spec.items.push_back(*parsed);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return spec;
}

Result<SinglePort> parse_single_port(std::string_view text, const PortSpecOptions& options) {
  const auto trimmed = trim_spaces(text);
  if (trimmed.empty()) return make_error("empty port");
  if (trimmed.find(',') != std::string_view::npos) {
    return make_error("expected one port, not the list " + single_quoted(trimmed));
  }
  auto item = parse_item(trimmed, options);
  if (!item) return item.error();
  if (item->ports.low != item->ports.high) {
    return make_error("expected one port, not the range " + single_quoted(trimmed));
  }
  return SinglePort{item->ports.low, item->proto};
}

}  // namespace portkit

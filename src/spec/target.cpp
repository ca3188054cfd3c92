#include "base/text_util.hpp"
#include "portkit/spec/spec.hpp"
#include "spec/spec_internal.hpp"

namespace portkit {
namespace {

using spec_detail::to_number;
using spec_detail::U128;

IpAddress from_number(U128 value, bool is_v6) {
  IpAddress address;
  address.is_v6 = is_v6;
  const std::size_t length = is_v6 ? 16 : 4;
  for (std::size_t i = length; i-- > 0;) {
    address.bytes[i] = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
  return address;
}

Result<Target> parse_cidr(std::string_view text, std::size_t slash) {
  const auto address_text = text.substr(0, slash);
  const auto prefix_text = text.substr(slash + 1);
  const auto address = parse_ip_address(address_text);
  if (!address) {
    if (parse_host(address_text)) {
      return make_error("CIDR block " + single_quoted(text) +
                        " needs an IP address, not a host name");
    }
    return make_error("invalid address " + single_quoted(address_text) + " in " +
                      single_quoted(text));
  }
  if (prefix_text.empty()) return make_error("missing prefix length in " + single_quoted(text));
  const unsigned bits = address->is_v6 ? 128 : 32;
  const auto prefix = parse_decimal(prefix_text);
  if (!all_digits(prefix_text)) {
    return make_error("invalid prefix length " + single_quoted(prefix_text) + " in " +
                      single_quoted(text));
  }
  if (!prefix || *prefix > bits) {
    return make_error("prefix length " + single_quoted(prefix_text) + " in " + single_quoted(text) +
                      " is out of range 0-" + std::to_string(bits));
  }
  const auto host_bits = bits - static_cast<unsigned>(*prefix);
  const U128 all_ones = address->is_v6 ? ~U128{0} : U128{0xffffffffu};
  const U128 host_mask = host_bits >= 128 ? ~U128{0} : ((U128{1} << host_bits) - 1);
  const auto network = to_number(*address) & ~host_mask & all_ones;
  return Target{std::string(text), std::nullopt, from_number(network, address->is_v6),
                from_number(network | (host_mask & all_ones), address->is_v6)};
}

// "192.0.2.1-5" (last octet) or "192.0.2.1-192.0.2.9" / "2001:db8::1-2001:db8::9".
Result<Target> parse_dash_range(std::string_view text, const IpAddress& first, std::size_t dash) {
  const auto end_text = text.substr(dash + 1);
  if (end_text.empty()) return make_error("range " + single_quoted(text) + " has no end");
  IpAddress last;
  if (!first.is_v6 && all_digits(end_text)) {
    const auto octet = parse_decimal(end_text);
    if (!octet || *octet > 255) {
      return make_error("range end " + single_quoted(end_text) + " in " + single_quoted(text) +
                        " is out of range 0-255");
    }
    last = first;
    last.bytes[3] = static_cast<std::uint8_t>(*octet);
  } else {
    const auto parsed = parse_ip_address(end_text);
    if (!parsed) {
      return make_error("invalid range end " + single_quoted(end_text) + " in " +
                        single_quoted(text));
    }
    if (parsed->is_v6 != first.is_v6) {
      return make_error("range " + single_quoted(text) + " mixes IPv4 and IPv6");
    }
    last = *parsed;
  }
  if (to_number(first) > to_number(last)) {
    return make_error("range " + single_quoted(text) + " is reversed (start > end)");
  }
  return Target{std::string(text), std::nullopt, first, last};
}

}  // namespace

std::uint64_t Target::size() const {
  if (hostname) return 1;
  const auto span = to_number(last) - to_number(first);
  if (span >= U128{UINT64_MAX}) return UINT64_MAX;
  return static_cast<std::uint64_t>(span) + 1;
}

IpAddress Target::at(std::uint64_t index) const {
  return from_number(to_number(first) + index, first.is_v6);
}

Result<Target> parse_target(std::string_view text) {
  if (trim_spaces(text).empty()) return make_error("empty target");
  if (text.front() == '[') {
    if (const auto close = text.find("]:"); close != std::string_view::npos) {
      return make_error("a scan target takes no port (" + single_quoted(text) +
                        "): give ports with -p, as in 'scan " +
                        std::string(text.substr(1, close - 1)) + " -p " +
                        std::string(text.substr(close + 2)) + "'");
    }
    if (text.back() != ']') return make_error("target " + single_quoted(text) + " is missing ']'");
    const auto inner = text.substr(1, text.size() - 2);
    const auto address = parse_ip_address(inner);
    if (!address || !address->is_v6)
      return make_error("invalid IPv6 address " + single_quoted(inner));
    return Target{std::string(text), std::nullopt, *address, *address};
  }
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    return parse_cidr(text, slash);
  }
  // "127.0.0.1:22" or "db:5432": a host with a port, which a target never has.
  if (const auto colon = text.find(':');
      colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    return make_error("a scan target takes no port (" + single_quoted(text) +
                      "): give ports with -p, as in 'scan " + std::string(text.substr(0, colon)) +
                      " -p " + std::string(text.substr(colon + 1)) + "'");
  }
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    if (const auto first = parse_ip_address(text.substr(0, dash))) {
      return parse_dash_range(text, *first, dash);
    }
  }
  auto host = parse_host(text);
  if (!host) return host.error();
  if (host->kind == HostKind::name) {
    return Target{std::string(text), host->text, IpAddress{}, IpAddress{}};
  }
  const auto percent = host->text.find('%');  // a zone only matters to the socket layer
  const auto address = parse_ip_address(std::string_view(host->text).substr(0, percent));
  return Target{std::string(text), std::nullopt, *address, *address};
}

}  // namespace portkit

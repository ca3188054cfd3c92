#include <algorithm>

#include "base/text_util.hpp"
#include "portkit/forward/forward.hpp"
#include "spec/spec_internal.hpp"

namespace portkit {
namespace {

using spec_detail::to_number;
using spec_detail::U128;

bool is_all_interfaces(const Host& host) {
  return exposure_of_address(host.text) == Exposure::all_interfaces;
}

// "8080", "8080/udp", "0.0.0.0:8080", "[::]:8080/udp", "localhost:http"
Result<ForwardRule> parse_listen(std::string_view text) {
  ForwardRule rule;
  rule.bind = Host{"127.0.0.1", HostKind::ipv4};
  const auto suffix = text.find('/');
  const auto body = text.substr(0, suffix);
  if (body.find(':') == std::string_view::npos) {
    auto port = parse_single_port(text, {.allow_zero = true});
    if (!port)
      return make_error("listen side " + single_quoted(text) + ": " + port.error().message);
    rule.port = port->port;
    rule.proto = port->proto.value_or(Proto::tcp);
    return rule;
  }
  // Port 0 (the kernel picks one, reported at start) is valid here but not for endpoints.
  auto endpoint = parse_endpoint(text, EndpointOptions{.allow_zero = true});
  if (!endpoint)
    return make_error("listen side " + single_quoted(text) + ": " + endpoint.error().message);
  rule.bind = endpoint->host;
  rule.port = endpoint->port;
  rule.proto = endpoint->proto;
  return rule;
}

Result<Endpoint> parse_target_endpoint(std::string_view item, Proto proto) {
  const auto trimmed = trim_spaces(item);
  if (trimmed.empty()) return make_error("empty target in the target list");
  const auto suffix = trimmed.find('/');
  Result<Endpoint> endpoint = make_error("");
  if (trimmed.substr(0, suffix).find(':') == std::string_view::npos) {
    // A bare port is a port of this host, as docker's -p 8080:3000 reads.
    auto port = parse_single_port(trimmed, {.allow_zero = false, .name_proto = proto});
    if (!port) return make_error("target " + single_quoted(trimmed) + ": " + port.error().message);
    endpoint = Endpoint{Host{"127.0.0.1", HostKind::ipv4}, port->port, port->proto.value_or(proto),
                        port->proto.has_value()};
  } else {
    endpoint = parse_endpoint(trimmed, proto);
    if (!endpoint)
      return make_error("target " + single_quoted(trimmed) + ": " + endpoint.error().message);
  }
  if (endpoint->proto != proto) {
    return make_error("target " + single_quoted(trimmed) + " is " +
                      std::string(proto_name(endpoint->proto)) + " but the listening side is " +
                      std::string(proto_name(proto)));
  }
  return endpoint;
}

}  // namespace

std::optional<Balance> parse_balance(std::string_view text) {
  if (text == "round-robin" || text == "roundrobin" || text == "rr") return Balance::round_robin;
  if (text == "first-healthy" || text == "first" || text == "failover") {
    return Balance::first_healthy;
  }
  return std::nullopt;
}

std::string_view balance_name(Balance balance) {
  return balance == Balance::round_robin ? "round-robin" : "first-healthy";
}

std::optional<ProxyProtocol> parse_proxy_protocol(std::string_view text) {
  if (text == "v1" || text == "1") return ProxyProtocol::v1;
  if (text == "v2" || text == "2") return ProxyProtocol::v2;
  if (text == "none" || text == "off") return ProxyProtocol::none;
  return std::nullopt;
}

bool AddressBlock::contains(const IpAddress& address) const {
  const auto plain = unmap_v4(address);
  U128 value = to_number(plain);
  if (plain.is_v6 != first.is_v6) {
    if (plain.is_v6) return false;  // an IPv6 source against an IPv4 block
    value |= U128{0xffff} << 32;    // an IPv4 source against an IPv6 block: as ::ffff:a.b.c.d
  }
  return value >= to_number(first) && value <= to_number(last);
}

Result<AddressBlock> parse_address_block(std::string_view text) {
  const auto trimmed = trim_spaces(text);
  auto target = portkit::parse_target(trimmed);
  if (!target) return target.error();
  if (target->hostname) {
    return make_error("address block " + single_quoted(trimmed) +
                      " needs an address or CIDR block, not a host name");
  }
  return AddressBlock{std::string(trimmed), target->first, target->last};
}

IpAddress unmap_v4(const IpAddress& address) {
  static constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0,    0,
                                                              0, 0, 0, 0, 0xff, 0xff};
  if (!address.is_v6 ||
      !std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin())) {
    return address;
  }
  IpAddress plain;
  std::copy_n(address.bytes.begin() + 12, 4, plain.bytes.begin());
  return plain;
}

std::string ForwardRule::listen_text() const {
  return format_endpoint(bind, port) + "/" + std::string(proto_name(proto));
}

std::string ForwardRule::targets_text() const {
  std::string text;
  for (const auto& target : targets) {
    if (!text.empty()) text += ',';
    text += format_endpoint(target.host, target.port);
  }
  return text;
}

bool ForwardRule::all_interfaces() const {
  return is_all_interfaces(bind);
}

bool ForwardRule::admits(const IpAddress& source) const {
  const auto matches = [&](const AddressBlock& block) { return block.contains(source); };
  if (std::any_of(settings.deny.begin(), settings.deny.end(), matches)) return false;
  return settings.allow.empty() ||
         std::any_of(settings.allow.begin(), settings.allow.end(), matches);
}

std::chrono::milliseconds ForwardRule::effective_idle_timeout() const {
  if (settings.idle_timeout) return *settings.idle_timeout;
  return proto == Proto::udp ? std::chrono::milliseconds(60'000) : std::chrono::milliseconds(0);
}

Result<ForwardRule> parse_forward_rule(std::string_view listen, std::string_view targets,
                                       const RuleSettings& settings) {
  auto rule = parse_listen(trim_spaces(listen));
  if (!rule) return rule.error();
  if (trim_spaces(targets).empty()) {
    return make_error("rule " + single_quoted(listen) + " has no target (expected HOST:PORT)");
  }
  std::string_view rest = targets;
  while (true) {
    const auto comma = rest.find(',');
    auto target = parse_target_endpoint(rest.substr(0, comma), rule->proto);
    if (!target) return target.error();
    rule->targets.push_back(std::move(target).value());
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  rule->settings = settings;
  if (rule->proto == Proto::udp && settings.proxy != ProxyProtocol::none) {
    return make_error("rule " + single_quoted(listen) +
                      ": the PROXY protocol applies to TCP rules only");
  }
  return rule;
}

}  // namespace portkit

#include "portkit/lookup/lookup.hpp"

#include <algorithm>

#include "base/text_util.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {
namespace {

ProtoMask protocols_of(const CuratedEntry* entry) {
  return entry->protocols;
}
ProtoMask protocols_of(const IanaEntry& entry) {
  return entry.protocols;
}

bool exactly_names_port(const CuratedEntry* entry, std::uint16_t port) {
  return entry->ports.low == port && entry->ports.high == port;
}

void answer_ports(LookupAnswer& answer, PortRange ports, const HostPortConfig& host,
                  const LookupOptions& options) {
  answer.kind = ports.low == ports.high ? QueryKind::port : QueryKind::range;
  answer.facts = port_facts(ports, host);
  answer.curated = registry::curated_in_range(ports, answer.protocols);
  if (answer.kind == QueryKind::range) {  // "20-21" lists 20 first, whatever their ranks
    std::stable_sort(
        answer.curated.begin(), answer.curated.end(),
        [](const CuratedEntry* a, const CuratedEntry* b) { return a->ports.low < b->ports.low; });
  }
  // The registry speaks unless a curated entry already names this very port; a covering
  // range such as NodePort still leaves room for the port's own registration.
  const bool curated_names_it = answer.kind == QueryKind::port
                                    ? std::any_of(answer.curated.begin(), answer.curated.end(),
                                                  [&](const CuratedEntry* entry) {
                                                    return exactly_names_port(entry, ports.low);
                                                  })
                                    : !answer.curated.empty();
  if (options.include_registry || !curated_names_it) {
    answer.iana = registry::iana_in_range(ports, answer.protocols);
  }
}

// Resolution order: protocols without ports, curated names and aliases, categories, IANA
// names, then words of the descriptions. "time" is the category before it is IANA's port 37.
void answer_text(LookupAnswer& answer, std::string_view text, const HostPortConfig& host,
                 const LookupOptions& options) {
  if (const auto* portless = registry::portless_by_name(text)) {
    answer.kind = QueryKind::portless;
    answer.portless = portless;
    return;
  }
  const auto speaks = [&](const auto& entry) {
    return (protocols_of(entry) & answer.protocols) != 0;
  };
  const auto keep = [&](auto&& entries, auto& into) {
    for (const auto& entry : entries) {
      if (speaks(entry)) into.push_back(entry);
    }
  };
  keep(registry::curated_by_name(text), answer.curated);
  // "HTTP Alt" names http-alt: words are joined as names are.
  std::string hyphenated(text);
  std::replace(hyphenated.begin(), hyphenated.end(), ' ', '-');
  if (answer.curated.empty() && hyphenated != text) {
    keep(registry::curated_by_name(hyphenated), answer.curated);
    if (answer.curated.empty()) keep(registry::iana_by_name(hyphenated), answer.iana);
  }
  if (answer.curated.empty() && answer.protocols != kAnyProto) {
    // "snmp-trap/tcp": the name is known, just not for that transport. Say what it is
    // rather than falling through to a keyword search that finds unrelated entries.
    const auto any_transport = registry::curated_by_name(text);
    const auto registered = registry::iana_by_name(text);
    const bool speaks_asked = std::any_of(registered.begin(), registered.end(), speaks);
    if (!any_transport.empty() && !speaks_asked) answer.curated = any_transport;
  }
  if (answer.curated.empty()) {
    keep(registry::curated_by_category(text), answer.curated);
    if (!answer.curated.empty()) {
      answer.kind = QueryKind::keyword;
      if (options.include_registry) keep(registry::iana_by_name(text), answer.iana);
      return;
    }
  }
  if ((options.include_registry || answer.curated.empty()) && answer.iana.empty()) {
    keep(registry::iana_by_name(text), answer.iana);
  }
  if (answer.found()) {
    answer.kind = QueryKind::name;
    const auto ports =
        answer.curated.empty() ? answer.iana.front().ports : answer.curated.front()->ports;
    answer.facts = port_facts(ports, host);
    return;
  }
  answer.kind = QueryKind::keyword;
  keep(registry::curated_by_keyword(text), answer.curated);
  if (options.include_registry) keep(registry::iana_by_keyword(text), answer.iana);
}

}  // namespace

std::string_view query_kind_name(QueryKind kind) {
  switch (kind) {
    case QueryKind::port:
      return "port";
    case QueryKind::range:
      return "range";
    case QueryKind::name:
      return "name";
    case QueryKind::keyword:
      return "keyword";
    case QueryKind::portless:
      return "portless";
  }
  return "unknown";
}

PortFacts port_facts(PortRange ports, const HostPortConfig& host) {
  PortFacts facts;
  facts.ports = ports;
  const auto low_class = range_class(ports.low);
  if (low_class == range_class(ports.high)) facts.range_class = low_class;
  // Port 0 asks the kernel for any free port, so it never needs privilege itself.
  const auto lowest_real = std::max<std::uint16_t>(ports.low, 1);
  facts.needs_privilege = ports.high >= 1 && host.needs_privilege(lowest_real);
  if (ports.overlaps(host.ephemeral)) {
    facts.ephemeral_overlap = std::uint32_t{std::min(ports.high, host.ephemeral.high)} -
                              std::max(ports.low, host.ephemeral.low) + 1;
  }
  facts.reserved = std::any_of(host.reserved.begin(), host.reserved.end(),
                               [&](PortRange reserved) { return reserved.overlaps(ports); });
  facts.in_nodeport_range = ports.overlaps(kKubernetesNodePortRange);
  return facts;
}

std::vector<std::string> expand_lookup_query(std::string_view query) {
  const auto text = trim_spaces(query);
  const auto is_number = [](std::string_view part) {
    return !part.empty() && part.size() <= 5 &&
           std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  // "20/21", "161/162": two ports, as port lists write them.
  if (const auto slash = text.find('/'); slash != std::string_view::npos &&
                                         is_number(text.substr(0, slash)) &&
                                         is_number(text.substr(slash + 1))) {
    return {std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
  }
  // "192.168.1.100:8080/TCP", "[::1]:443": the port (and transport) of an endpoint.
  if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    const auto port_text = text.substr(colon + 1, text.find('/', colon) - colon - 1);
    if (const auto endpoint = parse_endpoint(text); endpoint && is_number(port_text)) {
      auto port = std::to_string(endpoint->port);
      if (endpoint->proto_given) port += endpoint->proto == Proto::udp ? "/udp" : "/tcp";
      return {port};
    }
  }
  return {std::string(text)};
}

Result<LookupAnswer> lookup(std::string_view query, const HostPortConfig& host,
                            const LookupOptions& options) {
  const auto text = trim_spaces(query);
  if (text.empty()) return make_error("empty query");
  if (text.find(',') != std::string_view::npos) {
    return make_error("one port, range or name per query, not the list " + single_quoted(text) +
                      " (pass them as separate arguments)");
  }
  LookupAnswer answer;
  answer.query = std::string(text);
  auto body = text;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    const auto suffix = text.substr(slash + 1);
    const auto proto = parse_proto(suffix);
    if (!proto) {
      return make_error("unknown protocol " + single_quoted(suffix) + " in " + single_quoted(text) +
                        " (use tcp or udp)");
    }
    answer.protocols = proto_bit(*proto);
    body = text.substr(0, slash);
    if (body.empty())
      return make_error("missing port or name before '/' in " + single_quoted(text));
  }
  // Digits and a dash are a port or range; anything else is text ("3com-tsmux" starts with a
  // digit yet is a name, "数据库" is a word), searched for and answered "nothing known" at worst.
  const bool numeric = std::all_of(body.begin(), body.end(),
                                   [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
  if (numeric) {
    auto spec = parse_port_spec(body, {.allow_zero = true});
    if (!spec) return spec.error();
    answer_ports(answer, spec->items.front().ports, host, options);
    return answer;
  }
  answer_text(answer, body, host, options);
  return answer;
}

}  // namespace portkit

#include <fmt/format.h>

#include "base/text_util.hpp"
#include "portkit/output/knowledge.hpp"

namespace portkit {
namespace {

std::string ports_text(PortRange ports) {
  if (ports.low == ports.high) return std::to_string(ports.low);
  return fmt::format("{}-{}", ports.low, ports.high);
}

std::string join(std::span<const std::string_view> values) {
  std::string out;
  for (const auto value : values) {
    if (!out.empty()) out += ", ";
    out += value;
  }
  return out;
}

std::string facts_text(const PortFacts& facts, const HostPortConfig& host, Style style) {
  const bool single = facts.ports.low == facts.ports.high;
  std::vector<std::string> parts;
  if (facts.range_class) {
    const auto bounds = range_class_bounds(*facts.range_class);
    parts.push_back(fmt::format("{} range ({}-{})", range_class_name(*facts.range_class),
                                bounds.low, bounds.high));
  } else {
    parts.push_back("spans several IANA ranges");
  }
  if (single && facts.ports.low == 0) {
    parts.push_back("port 0 asks the kernel for any free port");
  } else if (facts.needs_privilege) {
    parts.push_back(styled(
        fmt::format("binding needs privilege (unprivileged from {})", host.unprivileged_start),
        Tone::warn, style));
  } else {
    parts.push_back(
        fmt::format("binds without privilege (unprivileged from {})", host.unprivileged_start));
  }
  const auto ephemeral = ports_text(host.ephemeral);
  if (facts.ephemeral_overlap == 0) {
    parts.push_back(fmt::format("outside this host's ephemeral range {}", ephemeral));
  } else if (single) {
    parts.push_back(styled(fmt::format("inside this host's ephemeral range {}: outgoing "
                                       "connections may take it",
                                       ephemeral),
                           Tone::warn, style));
  } else {
    parts.push_back(styled(fmt::format("{} of {} ports inside this host's ephemeral range {}",
                                       facts.ephemeral_overlap, facts.ports.size(), ephemeral),
                           Tone::warn, style));
  }
  if (facts.reserved) parts.push_back("reserved on this host (ip_local_reserved_ports)");
  if (facts.in_nodeport_range) parts.push_back("within the Kubernetes NodePort range 30000-32767");
  std::string out = fmt::format("  {} {}: ", single ? "port" : "ports", ports_text(facts.ports));
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
  return out + "\n";
}

std::string curated_text(const CuratedEntry& entry, Style style) {
  std::string out = fmt::format(
      "{}  {}  {}\n",
      styled(ports_text(entry.ports) + "/" + proto_mask_text(entry.protocols), Tone::bold, style),
      styled(entry.name, Tone::accent, style), entry.description);
  Table details;
  if (!entry.aliases.empty()) details.add_row({"aliases", join(entry.aliases)});
  details.add_row({"category", std::string(entry.category)});
  details.add_row({"devops", std::string(entry.devops_note)});
  details.add_row({"exposure", std::string(entry.exposure_advice)});
  return out + details.render(style, "    ");
}

std::string iana_text(std::span<const IanaEntry> entries, Style style) {
  Table table;
  for (const auto& entry : entries) {
    table.add_row({ports_text(entry.ports) + "/" + proto_mask_text(entry.protocols),
                   std::string(entry.name), std::string(entry.description)});
  }
  return styled("IANA registry:", Tone::dim, style) + "\n" + table.render(style, "  ");
}

}  // namespace

std::string render_lookup(const LookupAnswer& answer, const HostPortConfig& host, Style style) {
  std::string out;
  if (answer.portless) {
    const auto& entry = *answer.portless;
    out += fmt::format("{}  IP protocol {}, no port numbers\n",
                       styled(entry.name, Tone::bold, style), entry.ip_protocol);
    out += fmt::format("    {}\n    devops    {}\n", entry.description, entry.devops_note);
    return out;
  }
  if (!answer.found()) {
    out += fmt::format(
        "{}: {}\n", styled(printable(answer.query), Tone::bold, style),
        answer.facts ? "no registered service" : "nothing known (not a port, service or keyword)");
  }
  if (answer.kind == QueryKind::keyword && !answer.curated.empty()) {
    // A keyword finds many entries: one line each; `lookup NAME` gives the details.
    Table table;
    for (const auto* entry : answer.curated) {
      table.add_row({ports_text(entry->ports) + "/" + proto_mask_text(entry->protocols),
                     std::string(entry->name), std::string(entry->category),
                     std::string(entry->description)});
    }
    out += styled(fmt::format("{} curated {} for '{}':", answer.curated.size(),
                              answer.curated.size() == 1 ? "entry" : "entries", answer.query),
                  Tone::dim, style) +
           "\n" + table.render(style, "  ");
  } else {
    for (const auto* entry : answer.curated) out += curated_text(*entry, style);
  }
  if (!answer.iana.empty()) out += iana_text(answer.iana, style);
  if (answer.facts) out += facts_text(*answer.facts, host, style);
  return out;
}

std::string render_ranges(const HostPortConfig& host, Style style) {
  const auto unknown = [&](bool known) {
    return known ? std::string{} : styled(" (could not read; Linux default)", Tone::warn, style);
  };
  std::string out = styled("IANA ranges", Tone::bold, style) + "\n";
  Table iana;
  iana.add_row({"well-known", "0-1023", "system ports, assigned by IANA (IETF review)"});
  iana.add_row({"registered", "1024-49151", "user ports, assigned by IANA on request"});
  iana.add_row(
      {"dynamic", "49152-65535", "dynamic/private, never assigned (IANA's ephemeral range)"});
  out += iana.render(style, "  ");

  out += styled("This host", Tone::bold, style) + "\n";
  Table local;
  local.add_row({"ephemeral", ports_text(host.ephemeral),
                 fmt::format("{} ports for outgoing connections (net.ipv4.ip_local_port_range){}",
                             host.ephemeral.size(), unknown(host.ephemeral_known))});
  std::string reserved;
  for (const auto& range : host.reserved)
    reserved += (reserved.empty() ? "" : ",") + ports_text(range);
  local.add_row({"reserved", reserved.empty() ? "none" : reserved,
                 "kept out of the ephemeral pool (net.ipv4.ip_local_reserved_ports)" +
                     unknown(host.reserved_known)});
  local.add_row(
      {"privileged",
       host.unprivileged_start == 0 ? "none" : fmt::format("1-{}", host.unprivileged_start - 1),
       fmt::format("binding needs root or CAP_NET_BIND_SERVICE "
                   "(net.ipv4.ip_unprivileged_port_start = {}){}",
                   host.unprivileged_start, unknown(host.unprivileged_known))});
  out += local.render(style, "  ");

  out += styled("Kubernetes", Tone::bold, style) + "\n";
  Table kubernetes;
  kubernetes.add_row({"nodeport", ports_text(kKubernetesNodePortRange),
                      "default --service-node-port-range for NodePort Services"});
  out += kubernetes.render(style, "  ");
  if (kKubernetesNodePortRange.overlaps(host.ephemeral)) {
    out += styled(
        "warning: this host's ephemeral range overlaps the NodePort range; outgoing "
        "connections can take NodePorts\n",
        Tone::warn, style);
  }
  return out;
}

}  // namespace portkit

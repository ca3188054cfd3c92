#include <nlohmann/json.hpp>

#include "portkit/output/knowledge.hpp"

namespace portkit {
namespace {

using nlohmann::json;

json protocol_list(ProtoMask mask) {
  json list = json::array();
  for (const auto& [bit, name] : {std::pair{kProtoTcp, "tcp"}, std::pair{kProtoUdp, "udp"},
                                  std::pair{kProtoSctp, "sctp"}, std::pair{kProtoDccp, "dccp"}}) {
    if (mask & bit) list.push_back(name);
  }
  return list;
}

json range_class_json(PortRange ports) {
  const auto low = range_class(ports.low);
  if (low != range_class(ports.high)) return "mixed";
  return std::string(range_class_name(low));
}

void put_ports(json& out, PortRange ports) {
  if (ports.low == ports.high) {
    out["port"] = ports.low;
  } else {
    out["port_low"] = ports.low;
    out["port_high"] = ports.high;
  }
}

json range_json(PortRange ports) {
  return {{"port_low", ports.low}, {"port_high", ports.high}};
}

json json_string_list(std::span<const std::string_view> values) {
  json list = json::array();
  for (const auto value : values) list.push_back(value);
  return list;
}

}  // namespace

json entry_json(const CuratedEntry& entry) {
  json out;
  put_ports(out, entry.ports);
  out["protocols"] = protocol_list(entry.protocols);
  out["name"] = entry.name;
  out["aliases"] = json_string_list(entry.aliases);
  out["description"] = entry.description;
  out["category"] = entry.category;
  out["devops_note"] = entry.devops_note;
  out["exposure_advice"] = entry.exposure_advice;
  out["range_class"] = range_class_json(entry.ports);
  out["source"] = "curated";
  return out;
}

json entry_json(const IanaEntry& entry) {
  json out;
  put_ports(out, entry.ports);
  out["protocols"] = protocol_list(entry.protocols);
  out["name"] = entry.name;
  out["aliases"] = json::array();
  out["description"] = entry.description;
  out["category"] = nullptr;
  out["devops_note"] = nullptr;
  out["exposure_advice"] = nullptr;
  out["range_class"] = range_class_json(entry.ports);
  out["source"] = "iana";
  return out;
}

json entry_json(const PortlessProtocol& entry) {
  return {{"name", entry.name},
          {"aliases", json_string_list(entry.aliases)},
          {"ip_protocol", entry.ip_protocol},
          {"has_ports", false},
          {"description", entry.description},
          {"devops_note", entry.devops_note},
          {"source", "curated"}};
}

json lookup_json(const LookupAnswer& answer) {
  json out;
  out["query"] = answer.query;
  out["kind"] = query_kind_name(answer.kind);
  out["protocols"] = protocol_list(answer.protocols & (kProtoTcp | kProtoUdp));
  out["found"] = answer.found();
  if (answer.facts) {
    const auto& facts = *answer.facts;
    put_ports(out, facts.ports);
    out["range_class"] =
        facts.range_class ? json(range_class_name(*facts.range_class)) : json("mixed");
    out["needs_privilege"] = facts.needs_privilege;
    out["in_ephemeral_range"] = facts.ephemeral_overlap > 0;
    out["ephemeral_overlap"] = facts.ephemeral_overlap;
    out["reserved"] = facts.reserved;
    out["kubernetes_nodeport_range"] = facts.in_nodeport_range;
  }
  json entries = json::array();
  if (answer.portless) entries.push_back(entry_json(*answer.portless));
  for (const auto* entry : answer.curated) entries.push_back(entry_json(*entry));
  for (const auto& entry : answer.iana) entries.push_back(entry_json(entry));
  out["entries"] = std::move(entries);
  return out;
}

json ranges_json(const HostPortConfig& host) {
  json iana = json::array();
  for (const auto range_class :
       {RangeClass::well_known, RangeClass::registered, RangeClass::dynamic}) {
    auto item = range_json(range_class_bounds(range_class));
    item["name"] = range_class_name(range_class);
    iana.push_back(std::move(item));
  }
  json reserved = json::array();
  for (const auto& range : host.reserved) reserved.push_back(range_json(range));
  auto ephemeral = range_json(host.ephemeral);
  ephemeral["size"] = host.ephemeral.size();
  ephemeral["known"] = host.ephemeral_known;
  ephemeral["sysctl"] = "net.ipv4.ip_local_port_range";
  auto nodeport = range_json(kKubernetesNodePortRange);
  nodeport["overlaps_ephemeral"] = kKubernetesNodePortRange.overlaps(host.ephemeral);
  return {{"iana", std::move(iana)},
          {"ephemeral", std::move(ephemeral)},
          {"reserved",
           {{"ranges", std::move(reserved)},
            {"known", host.reserved_known},
            {"sysctl", "net.ipv4.ip_local_reserved_ports"}}},
          {"unprivileged_port_start",
           {{"port", host.unprivileged_start},
            {"known", host.unprivileged_known},
            {"sysctl", "net.ipv4.ip_unprivileged_port_start"}}},
          {"kubernetes_nodeport", std::move(nodeport)}};
}

}  // namespace portkit

#pragma once
// `lookup`: what a port, range, service name or keyword means, with this host's facts.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/result.hpp"
#include "portkit/ranges/ranges.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {

enum class QueryKind : std::uint8_t { port, range, name, keyword, portless };
std::string_view query_kind_name(QueryKind kind);

// Facts about a port or range on this host. For a range, a flag holds when any port has it.
struct PortFacts {
  PortRange ports;
  std::optional<RangeClass> range_class;  // empty when a range spans several classes
  bool needs_privilege = false;
  std::uint32_t ephemeral_overlap = 0;  // ports of `ports` inside the host's ephemeral range
  bool reserved = false;                // in ip_local_reserved_ports
  bool in_nodeport_range = false;
};

PortFacts port_facts(PortRange ports, const HostPortConfig& host);

struct LookupAnswer {
  std::string query;
  QueryKind kind = QueryKind::keyword;
  ProtoMask protocols = kAnyProto;  // narrowed by a "/tcp" or "/udp" suffix
  std::optional<PortFacts> facts;   // for ports, ranges and names that map to a port
  std::vector<const CuratedEntry*> curated;
  std::vector<IanaEntry> iana;
  const PortlessProtocol* portless = nullptr;

  [[nodiscard]] bool found() const { return !curated.empty() || !iana.empty() || portless; }
};

struct LookupOptions {
  bool include_registry = false;  // --all: IANA entries even where a curated entry speaks
};

// Bad syntax (a port out of range, a reversed range, an unknown suffix) is an Error;
// an unknown but well-formed query is an answer with found() == false.
// The queries one argument stands for: "20/21" is the ports 20 and 21 (as port lists write
// them), "192.168.1.100:8080/TCP" is 8080/tcp; anything else is itself.
std::vector<std::string> expand_lookup_query(std::string_view query);

Result<LookupAnswer> lookup(std::string_view query, const HostPortConfig& host,
                            const LookupOptions& options);

}  // namespace portkit

#pragma once
// The knowledge base: our curated table plus the full IANA registry, both compiled in.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "portkit/base/port_range.hpp"
#include "portkit/base/proto.hpp"

namespace portkit {

struct CuratedEntry {
  PortRange ports;
  ProtoMask protocols;
  std::uint16_t rank;  // our "most commonly open" order; 0 = unranked
  std::string_view name;
  std::span<const std::string_view> aliases;
  std::string_view description;
  std::string_view category;
  std::string_view devops_note;
  std::string_view exposure_advice;
};

// A value: its views point into the compiled-in registry, so copies are cheap.
struct IanaEntry {
  PortRange ports;
  ProtoMask protocols;
  std::string_view name;
  std::string_view description;
};

// Protocols that have no port numbers at all (ICMP and friends).
struct PortlessProtocol {
  std::string_view name;
  std::span<const std::string_view> aliases;
  std::uint8_t ip_protocol;
  std::string_view description;
  std::string_view devops_note;
};

// A networking idea the quiz asks about, with three plausible wrong answers.
struct Concept {
  std::string_view id;
  std::string_view question;
  std::string_view answer;
  std::array<std::string_view, 3> wrong;
  std::string_view explanation;
};

namespace registry {

std::span<const CuratedEntry> curated();
std::span<const Concept> concepts();
std::span<const PortlessProtocol> portless();
std::size_t iana_size();
IanaEntry iana_entry(std::size_t index);  // sorted by port, index < iana_size()

// Entries whose port range contains `port` and that speak one of `protocols`.
std::vector<const CuratedEntry*> curated_for_port(std::uint16_t port,
                                                  ProtoMask protocols = kAnyProto);
std::vector<IanaEntry> iana_for_port(std::uint16_t port, ProtoMask protocols = kAnyProto);
std::vector<const CuratedEntry*> curated_in_range(PortRange range, ProtoMask protocols = kAnyProto);
std::vector<IanaEntry> iana_in_range(PortRange range, ProtoMask protocols = kAnyProto);

// Case-insensitive exact match on the name or an alias.
std::vector<const CuratedEntry*> curated_by_name(std::string_view name);
std::vector<IanaEntry> iana_by_name(std::string_view name);
const PortlessProtocol* portless_by_name(std::string_view name);

// A category, singular or plural ("database", "databases").
std::vector<const CuratedEntry*> curated_by_category(std::string_view category);
// A whole word of the description, ignoring case.
std::vector<const CuratedEntry*> curated_by_keyword(std::string_view keyword);
std::vector<IanaEntry> iana_by_keyword(std::string_view keyword);

// The port a service name means for a transport: curated names and aliases first, then IANA.
std::optional<std::uint16_t> port_by_name(std::string_view name, Proto proto);

// The short name to show beside a port: curated first, then IANA; empty when unknown.
std::string_view service_name(std::uint16_t port, Proto proto);

}  // namespace registry
}  // namespace portkit

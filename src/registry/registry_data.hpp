#pragma once
// Tables written by tools/gen_registry.cpp at build time (generated/registry_data.cpp).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "portkit/registry.hpp"

namespace portkit::registry_data {

// Lower-cased names and aliases, sorted, each pointing at its entry.
struct NameIndexEntry {
  std::string_view lower_name;
  std::uint16_t entry_index;
};

extern const std::span<const CuratedEntry> kCurated;
extern const std::span<const IanaEntry> kIana;  // sorted by (low, high, name)
extern const std::span<const PortlessProtocol> kPortless;
extern const std::span<const NameIndexEntry> kCuratedNames;
extern const std::span<const NameIndexEntry> kIanaNames;
extern const std::span<const std::uint16_t> kIanaRangedEntries;  // entries with low != high
extern const std::string_view kIanaSource;                       // the file it was generated from

}  // namespace portkit::registry_data

#pragma once
// Renderers for the knowledge base: JSON documents and human text for lookup and ranges.
#include <nlohmann/json.hpp>
#include <string>

#include "portkit/lookup/lookup.hpp"
#include "portkit/output/table.hpp"
#include "portkit/ranges/ranges.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {

nlohmann::json entry_json(const CuratedEntry& entry);
nlohmann::json entry_json(const IanaEntry& entry);
nlohmann::json entry_json(const PortlessProtocol& entry);
nlohmann::json lookup_json(const LookupAnswer& answer);
nlohmann::json ranges_json(const HostPortConfig& host);

std::string render_lookup(const LookupAnswer& answer, const HostPortConfig& host, Style style);
std::string render_ranges(const HostPortConfig& host, Style style);

}  // namespace portkit

#pragma once
// Renderers for probe results (check, wait): JSON with the shared field names, and tables.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "portkit/output/table.hpp"
#include "portkit/probe/check.hpp"

namespace portkit {

// host, address, port, proto, state, reason, latency_ms, service, banner, attempts
nlohmann::json probe_json(const std::string& host, const ProbeResult& result,
                          std::string_view service);
nlohmann::json check_json(const CheckReport& report);
std::string render_checks(const CheckReport& report, Style style);
std::string format_latency(const std::optional<double>& latency_ms);
Tone state_tone(PortState state);

}  // namespace portkit

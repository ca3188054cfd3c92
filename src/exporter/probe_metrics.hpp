#pragma once
#include <span>
#include <string>

#include "portkit/exporter/metrics.hpp"

namespace portkit {

// portkit_probe_service_info and portkit_probe_tls_* for the probes that have them.
void render_probe_identity(std::string& out, std::span<const ProbeOutcome> probes);

}  // namespace portkit

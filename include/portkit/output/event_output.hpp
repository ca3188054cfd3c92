#pragma once
// Event renderers of the streaming commands (forward, listen, wait): a JSON line, or the text
// line for standard error ("" when the event says nothing at that verbosity).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "portkit/forward/forwarder.hpp"
#include "portkit/probe/listen.hpp"
#include "portkit/probe/wait.hpp"

namespace portkit {

std::string bytes_text(std::uint64_t bytes);  // "1.5 MiB"

nlohmann::json forward_counters_json(const RuleCounters& counters);
std::string forward_counters_text(const RuleCounters& rule);
nlohmann::json forward_event_json(const ForwardEvent& event);
std::string forward_event_text(const ForwardEvent& event, bool verbose);

nlohmann::json listen_event_json(const ListenEvent& event, Proto proto);
std::string listen_event_text(const ListenEvent& event, std::string_view mode, Proto proto);

// "closed (conn-refused)", "not probed yet", "not ready (HTTP 503)"
std::string wait_status_text(const WaitStatus& status);
nlohmann::json wait_report_json(const WaitReport& report, bool closed);

}  // namespace portkit

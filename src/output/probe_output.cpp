#include "portkit/output/probe_output.hpp"

#include <fmt/format.h>

namespace portkit {

nlohmann::json probe_json(const std::string& host, const ProbeResult& result,
                          std::string_view service) {
  nlohmann::json out{{"host", host},
                     {"address", result.address},
                     {"port", result.port},
                     {"proto", proto_name(result.proto)},
                     {"state", port_state_name(result.state)},
                     {"reason", probe_reason_name(result.reason)},
                     {"latency_ms", nullptr},
                     {"service", service},
                     {"banner", nullptr},
                     {"attempts", result.attempts}};
  if (result.latency_ms) out["latency_ms"] = std::round(*result.latency_ms * 1000) / 1000;
  if (!result.banner.empty()) out["banner"] = result.banner;
  if (!result.error.empty()) out["error"] = result.error;
  return out;
}

nlohmann::json check_json(const std::vector<CheckResult>& results) {
  auto list = nlohmann::json::array();
  for (const auto& result : results) {
    for (const auto& answer : result.answers) {
      auto item = probe_json(result.target.host.text, answer, result.service);
      item["endpoint"] = result.endpoint;
      list.push_back(std::move(item));
    }
  }
  return {{"results", std::move(list)}};
}

std::string format_latency(const std::optional<double>& latency_ms) {
  if (!latency_ms) return "-";
  if (*latency_ms < 10) return fmt::format("{:.2f} ms", *latency_ms);
  return fmt::format("{:.0f} ms", *latency_ms);
}

Tone state_tone(PortState state) {
  switch (state) {
    case PortState::open:
      return Tone::good;
    case PortState::closed:
      return Tone::bad;
    default:
      return Tone::warn;
  }
}

std::string render_checks(const std::vector<CheckResult>& results, Style style) {
  Table table({"ENDPOINT", "ADDRESS", "STATE", "REASON", "LATENCY", "SERVICE"});
  for (const auto& result : results) {
    for (const auto& answer : result.answers) {
      table.add_row(
          {result.endpoint, answer.address, std::string(port_state_name(answer.state)),
           std::string(probe_reason_name(answer.reason)), format_latency(answer.latency_ms),
           result.service.empty() ? "-" : result.service},
          {Tone::plain, Tone::plain, state_tone(answer.state)});
      if (!answer.banner.empty()) table.add_note(answer.banner);
      if (!answer.error.empty()) table.add_note(answer.error);
    }
  }
  return table.render(style);
}

}  // namespace portkit

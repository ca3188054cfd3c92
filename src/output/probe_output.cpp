#include "portkit/output/probe_output.hpp"

#include <fmt/format.h>

#include "portkit/output/json_units.hpp"
#include "portkit/output/service_output.hpp"

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
  if (result.latency_ms) out["latency_ms"] = json_ms(*result.latency_ms);
  if (!result.banner.empty()) out["banner"] = result.banner;
  if (!result.error.empty()) out["error"] = result.error;
  out["service_source"] = service.empty() ? nlohmann::json(nullptr) : nlohmann::json("registry");
  if (result.identity) add_identity_json(out, *result.identity);
  return out;
}

namespace {

// An endpoint with no answer: its host did not resolve, or the run was interrupted first.
nlohmann::json unanswered_json(const CheckResult& result) {
  const bool unresolved = !result.unresolved.empty();
  return {{"endpoint", result.endpoint},
          {"host", result.target.host.text},
          {"address", nullptr},
          {"port", result.target.port},
          {"proto", proto_name(result.target.proto)},
          {"state", unresolved ? "unresolved" : "unknown"},
          {"reason", unresolved ? "no-address" : "interrupted"},
          {"latency_ms", nullptr},
          {"service", result.service},
          {"service_source",
           result.service.empty() ? nlohmann::json(nullptr) : nlohmann::json("registry")},
          {"banner", nullptr},
          {"attempts", 0},
          {"error", unresolved ? result.unresolved : "interrupted before an answer"}};
}

}  // namespace

nlohmann::json check_json(const CheckReport& report) {
  auto list = nlohmann::json::array();
  for (const auto& result : report.results) {
    if (result.answers.empty()) list.push_back(unanswered_json(result));
    for (const auto& answer : result.answers) {
      auto item = probe_json(result.target.host.text, answer, result.service);
      item["endpoint"] = result.endpoint;
      list.push_back(std::move(item));
    }
  }
  return {{"results", std::move(list)}, {"interrupted", report.interrupted}};
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

std::string render_checks(const CheckReport& report, Style style) {
  Table table({"ENDPOINT", "ADDRESS", "STATE", "REASON", "LATENCY", "SERVICE"});
  for (const auto& result : report.results) {
    if (result.answers.empty()) {
      const bool unresolved = !result.unresolved.empty();
      table.add_row({result.endpoint, "-", unresolved ? "unresolved" : "unknown",
                     unresolved ? "no-address" : "interrupted", "-",
                     result.service.empty() ? "-" : result.service},
                    {Tone::plain, Tone::plain, Tone::bad});
      table.add_note(unresolved ? result.unresolved : "interrupted before an answer");
    }
    for (const auto& answer : result.answers) {
      const auto service = answer.identity          ? identity_label(*answer.identity)
                           : result.service.empty() ? "-"
                                                    : result.service;
      table.add_row({result.endpoint, answer.address, std::string(port_state_name(answer.state)),
                     std::string(probe_reason_name(answer.reason)),
                     format_latency(answer.latency_ms), service},
                    {Tone::plain, Tone::plain, state_tone(answer.state)});
      if (!answer.banner.empty()) table.add_note(answer.banner);
      if (answer.identity) {
        for (const auto& note : identity_notes(*answer.identity)) table.add_note(note);
      }
      if (!answer.error.empty()) table.add_note(answer.error);
    }
  }
  return table.render(style);
}

}  // namespace portkit

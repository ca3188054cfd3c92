// Event renderers of the streaming commands: forward, listen and wait, as JSON lines and as
// the text lines they write to standard error.
#include "portkit/output/event_output.hpp"

#include <fmt/format.h>

#include "portkit/output/json_units.hpp"
#include "portkit/output/probe_output.hpp"

namespace portkit {

std::string bytes_text(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  if (bytes < 1024ULL * 1024 * 1024) {
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024 * 1024));
  }
  return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

nlohmann::json forward_counters_json(const RuleCounters& counters) {
  return {{"rule", counters.rule},
          {"proto", proto_name(counters.proto)},
          {"connections", counters.connections},
          {"active", counters.active},
          {"bytes_up", counters.bytes_up},
          {"bytes_down", counters.bytes_down},
          {"denied", counters.denied},
          {"upstream_errors", counters.upstream_errors},
          {"resets", counters.resets},
          {"dropped", counters.dropped}};
}

std::string forward_counters_text(const RuleCounters& rule) {
  auto text =
      fmt::format("{}: {} connections, {} up, {} down, {} denied, {} upstream errors, {} resets",
                  rule.rule, rule.connections, bytes_text(rule.bytes_up),
                  bytes_text(rule.bytes_down), rule.denied, rule.upstream_errors, rule.resets);
  if (rule.dropped > 0) text += fmt::format(", {} datagrams dropped", rule.dropped);
  return text;
}

nlohmann::json forward_event_json(const ForwardEvent& event) {
  if (event.kind == ForwardEvent::Kind::counters) {
    auto line = forward_counters_json(event.counters);
    line["event"] = forward_event_name(event.kind);
    if (event.worker >= 0) line["worker"] = event.worker + 1;
    return line;
  }
  nlohmann::json line{{"event", forward_event_name(event.kind)}};
  if (!event.rule.empty()) line["rule"] = event.rule;
  if (!event.client.empty()) line["client"] = event.client;
  if (!event.upstream.empty()) line["upstream"] = event.upstream;
  if (event.kind == ForwardEvent::Kind::closed) {
    line["bytes_up"] = event.bytes_up;
    line["bytes_down"] = event.bytes_down;
    line["duration_ms"] = json_ms(event.duration_ms);
  }
  if (event.kind == ForwardEvent::Kind::listening) line["all_interfaces"] = event.all_interfaces;
  if (!event.detail.empty()) line["detail"] = event.detail;
  if (event.worker >= 0) line["worker"] = event.worker + 1;
  return line;
}

// Each worker process reloads and drains on its own: its lines say which one it is.
static std::string worker_text(const ForwardEvent& event) {
  return event.worker >= 0 ? fmt::format("worker {}: ", event.worker + 1) : std::string();
}

std::string forward_event_text(const ForwardEvent& event, bool verbose) {
  using Kind = ForwardEvent::Kind;
  switch (event.kind) {
    case Kind::listening:
      return fmt::format(
          "portkit: forward: {} -> {} ({}){}\n", event.rule, event.upstream, event.detail,
          event.all_interfaces ? " on ALL interfaces: reachable from other hosts" : "");
    case Kind::closed:
      if (!verbose) return {};
      return fmt::format("portkit: forward: {} -> {} via {}: {} up, {} down, {:.0f} ms ({})\n",
                         event.client, event.upstream.empty() ? "-" : event.upstream, event.rule,
                         bytes_text(event.bytes_up), bytes_text(event.bytes_down),
                         event.duration_ms, event.detail);
    case Kind::denied:
      if (!verbose) return {};
      return fmt::format("portkit: forward: {} denied on {}\n", event.client, event.rule);
    case Kind::upstream_failed:
      return fmt::format("portkit: forward: {} on {}: {} ({}); client reset\n", event.client,
                         event.rule, event.detail, event.upstream);
    case Kind::warning:
      return fmt::format("portkit: forward: {}{}\n", event.rule.empty() ? "" : event.rule + ": ",
                         event.detail);
    case Kind::reloaded:
      return fmt::format("portkit: forward: {}reloaded: {}\n", worker_text(event), event.detail);
    case Kind::reload_failed:
      return fmt::format("portkit: forward: {}reload failed, rules unchanged: {}\n",
                         worker_text(event), event.detail);
    case Kind::draining:
      return fmt::format("portkit: forward: {}stopping: {}\n", worker_text(event), event.detail);
    case Kind::counters:
      return fmt::format("portkit: forward: {}{}, {} open\n", worker_text(event),
                         forward_counters_text(event.counters), event.counters.active);
    case Kind::stopped:
      break;
  }
  return {};
}

static std::string peer_text(const std::string& address, std::uint16_t port) {
  return address.find(':') == std::string::npos ? fmt::format("{}:{}", address, port)
                                                : fmt::format("[{}]:{}", address, port);
}

nlohmann::json listen_event_json(const ListenEvent& event, Proto proto) {
  nlohmann::json line{{"event", listen_event_name(event.kind)},
                      {"local_address", event.address},
                      {"local_port", event.port},
                      {"proto", proto_name(proto)}};
  if (!event.peer_address.empty()) {
    line["peer_address"] = event.peer_address;
    line["peer_port"] = event.peer_port;
  }
  if (event.kind == ListenEvent::Kind::closed || event.kind == ListenEvent::Kind::datagram) {
    line["bytes_in"] = event.bytes_in;
    line["bytes_out"] = event.bytes_out;
  }
  if (event.kind == ListenEvent::Kind::closed) line["duration_ms"] = json_ms(event.duration_ms);
  if (!event.reason.empty()) line["reason"] = event.reason;
  return line;
}

std::string listen_event_text(const ListenEvent& event, std::string_view mode, Proto proto) {
  const auto local = peer_text(event.address, event.port);
  switch (event.kind) {
    case ListenEvent::Kind::listening:
      return fmt::format("portkit: listen: {} on {}/{}{}\n", mode, local, proto_name(proto),
                         exposure_of_address(event.address) == Exposure::all_interfaces
                             ? " (all interfaces)"
                             : "");
    case ListenEvent::Kind::connected:
      return fmt::format("portkit: listen: connection from {}\n",
                         peer_text(event.peer_address, event.peer_port));
    case ListenEvent::Kind::closed:
      return fmt::format("portkit: listen: {} closed after {:.0f} ms, {} bytes in, {} out\n",
                         peer_text(event.peer_address, event.peer_port), event.duration_ms,
                         event.bytes_in, event.bytes_out);
    case ListenEvent::Kind::datagram:
      return fmt::format("portkit: listen: datagram from {}, {} bytes\n",
                         peer_text(event.peer_address, event.peer_port), event.bytes_in);
    case ListenEvent::Kind::stopped:
      return fmt::format("portkit: listen: stopped ({})\n", event.reason);
  }
  return {};
}

std::string wait_status_text(const WaitStatus& status) {
  if (!status.problem.empty()) return "not ready (" + status.problem + ")";
  if (!status.last) return "not probed yet";
  return fmt::format("{} ({})", port_state_name(status.last->state),
                     probe_reason_name(status.last->reason));
}

nlohmann::json wait_report_json(const WaitReport& report, bool closed) {
  auto endpoints = nlohmann::json::array();
  for (const auto& status : report.endpoints) {
    nlohmann::json item = status.last ? probe_json(status.host, *status.last, "")
                                      : nlohmann::json{{"host", status.host},
                                                       {"address", nullptr},
                                                       {"port", status.port},
                                                       {"proto", proto_name(status.proto)},
                                                       {"state", nullptr}};
    item.erase("service");
    item["endpoint"] = status.text;
    item["ready"] = status.ready;
    item["ready_after_ms"] = status.ready_after_ms ? nlohmann::json(json_ms(*status.ready_after_ms))
                                                   : nlohmann::json(nullptr);
    item["attempts"] = status.attempts;
    item["http_status"] =
        status.http_status ? nlohmann::json(*status.http_status) : nlohmann::json(nullptr);
    if (!status.problem.empty()) item["problem"] = status.problem;
    endpoints.push_back(std::move(item));
  }
  return {{"ready", report.ready},
          {"interrupted", report.interrupted},
          {"waiting_for", closed ? "closed" : "open"},
          {"elapsed_ms", json_ms(report.elapsed_ms)},
          {"endpoints", std::move(endpoints)}};
}

}  // namespace portkit

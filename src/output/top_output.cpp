// portkit top's frames as lines (screen, --once, batch) and as JSON.
#include "portkit/output/top_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/text_util.hpp"
#include "portkit/output/event_output.hpp"
#include "portkit/output/json_units.hpp"
#include "portkit/output/socket_output.hpp"

namespace portkit {

namespace {

// Past these, a row is shown as a warning: an accept queue half full drops connections soon;
// a destination using half the ephemeral range is the `stats` warning.
constexpr double kAcceptFillWarning = 0.5;
constexpr double kEphemeralWarning = 0.5;
constexpr std::size_t kDestinationRows = 5;

std::string rate_text(double bytes_per_second) {
  if (bytes_per_second < 0.5) return "0";
  // "1.5MiB/s": one word, so the column reads (and splits) as one figure.
  auto text = bytes_text(static_cast<std::uint64_t>(std::llround(bytes_per_second)));
  std::erase(text, ' ');
  return text + "/s";
}

std::string owner_text(const PortActivity& port) {
  if (port.processes.empty()) return "-";
  const auto& first = port.processes.front();
  auto text = fmt::format("{}[{}]", printable(first.command), first.pid);
  if (port.processes.size() > 1) text += fmt::format("+{}", port.processes.size() - 1);
  return text;
}

std::string peers_text(const PortActivity& port) {
  std::string text;
  for (const auto& peer : port.top_peers) {
    if (!text.empty()) text += ' ';
    text += fmt::format("{}({})", peer.peer.to_string(), peer.connections);
  }
  return text.empty() ? "-" : text;
}

std::string states_text(const TopView& view) {
  std::string text = fmt::format("TCP: {} sockets", view.sockets);
  std::string parts;
  for (std::size_t state = 1; state < view.states.size(); ++state) {
    if (view.states[state] == 0) continue;
    parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ",
                         socket_state_name(static_cast<SocketState>(state), Proto::tcp),
                         view.states[state]);
  }
  return parts.empty() ? text : text + " (" + parts + ")";
}

std::string trend_text(const DestinationTrend& trend, bool rates) {
  if (!rates) return "-";
  if (trend.change == 0) return "=";
  return fmt::format("{:+} ({:+.1f}/s)", trend.change, trend.change_per_second);
}

std::string cut(std::string text, std::size_t width) {
  if (width != 0 && text.size() > width) text.resize(width);
  return text;
}

}  // namespace

std::vector<TopLine> render_top(const TopView& view, const TopFrameOptions& options) {
  const bool rates = view.interval_seconds > 0;
  const auto ports = shown_ports(view.ports, options.filter, options.sort);

  std::vector<TopLine> head;
  std::string title = fmt::format("portkit top  sort: {}", top_sort_name(options.sort));
  if (!options.filter.empty()) title += fmt::format("  filter: {}", printable(options.filter));
  if (options.paused) title += "  PAUSED";
  if (rates) title += fmt::format("  over {:.1f}s", view.interval_seconds);
  if (!options.clock.empty()) title += "  " + options.clock;
  head.push_back({title, Tone::bold});
  head.push_back({states_text(view), Tone::plain});
  head.push_back({"", Tone::plain});
  head.push_back(
      {fmt::format("{:>5}  {:<14} {:<24} {:>6} {:>7} {:>9} {:>12} {:>12}  {}", "PORT", "SERVICE",
                   "OWNER", "ESTAB", "NEW/S", "ACCEPT-Q", "IN", "OUT", "TOP PEERS"),
       Tone::accent});
  std::vector<TopLine> rows;
  rows.reserve(ports.size() + 1);
  for (const auto& port : ports) {
    rows.push_back(
        {fmt::format("{:>5}  {:<14} {:<24} {:>6} {:>7} {:>9} {:>12} {:>12}  {}", port.port,
                     cut(printable(port.service.empty() ? "-" : port.service), 14),
                     cut(owner_text(port), 24), port.established,
                     rates ? fmt::format("{:.1f}", port.new_per_second) : "-",
                     fmt::format("{}/{}", port.accept_queue, port.accept_limit),
                     rates ? rate_text(port.bytes_in_per_second) : "-",
                     rates ? rate_text(port.bytes_out_per_second) : "-", peers_text(port)),
         port.accept_fill() >= kAcceptFillWarning ? Tone::warn : Tone::plain});
  }
  if (rows.empty()) {
    rows.push_back({options.filter.empty() ? "  (no listening TCP port)"
                                           : "  (no listening TCP port matches the filter)",
                    Tone::dim});
  }

  std::vector<TopLine> tail;
  tail.push_back({"", Tone::plain});
  tail.push_back({fmt::format("EPHEMERAL PORTS PER DESTINATION (range {}-{})", view.ephemeral.low,
                              view.ephemeral.high),
                  Tone::accent});
  if (view.destinations.empty()) tail.push_back({"  (no outgoing connection)", Tone::dim});
  for (std::size_t i = 0; i < view.destinations.size() && i < kDestinationRows; ++i) {
    const auto& trend = view.destinations[i];
    const auto& pressure = trend.pressure;
    tail.push_back(
        {fmt::format("  {:<46} {:>6} ports {:>6.1f} %  {}",
                     socket_address_text(pressure.peer, pressure.peer_port), pressure.connections,
                     pressure.used_fraction() * 100, trend_text(trend, rates)),
         pressure.used_fraction() >= kEphemeralWarning ? Tone::warn : Tone::plain});
  }
  if (options.keys_line) {
    tail.push_back({"keys: s sort  / filter (port or process)  p pause  q quit", Tone::dim});
  }

  // On a short screen the port rows give way first; the rest always shows.
  if (options.height != 0) {
    const auto fixed = head.size() + tail.size();
    const auto room = options.height > fixed ? options.height - fixed : 0;
    if (rows.size() > room) {
      const auto hidden = rows.size() - (room == 0 ? 0 : room - 1);
      rows.resize(room == 0 ? 0 : room - 1);
      if (room != 0) rows.push_back({fmt::format("  ... {} more ports", hidden), Tone::dim});
    }
  }
  std::vector<TopLine> lines = std::move(head);
  lines.insert(lines.end(), rows.begin(), rows.end());
  lines.insert(lines.end(), tail.begin(), tail.end());
  if (options.height != 0 && lines.size() > options.height) lines.resize(options.height);
  for (auto& line : lines) line.text = cut(std::move(line.text), options.width);
  return lines;
}

nlohmann::json top_json(const TopView& view) {
  const bool rates = view.interval_seconds > 0;
  const auto rate = [rates](double value) {
    return rates ? nlohmann::json(std::round(value * 1000) / 1000) : nlohmann::json(nullptr);
  };
  auto ports = nlohmann::json::array();
  for (const auto& port : view.ports) {
    auto addresses = nlohmann::json::array();
    for (const auto& address : port.addresses) addresses.push_back(address.to_string());
    auto processes = nlohmann::json::array();
    for (const auto& process : port.processes) processes.push_back(process_json(process));
    auto peers = nlohmann::json::array();
    for (const auto& peer : port.top_peers) {
      peers.push_back({{"peer_address", peer.peer.to_string()}, {"connections", peer.connections}});
    }
    ports.push_back(
        {{"proto", "tcp"},
         {"local_port", port.port},
         {"local_addresses", std::move(addresses)},
         {"service", port.service.empty() ? nlohmann::json(nullptr) : nlohmann::json(port.service)},
         {"processes", std::move(processes)},
         {"established", port.established},
         {"connections", port.connections},
         {"new_connections",
          rates ? nlohmann::json(port.new_connections) : nlohmann::json(nullptr)},
         {"new_per_second", rate(port.new_per_second)},
         {"accept_queue", port.accept_queue},
         {"accept_limit", port.accept_limit},
         {"bytes_in", rates ? nlohmann::json(port.bytes_in) : nlohmann::json(nullptr)},
         {"bytes_out", rates ? nlohmann::json(port.bytes_out) : nlohmann::json(nullptr)},
         {"bytes_in_per_second", rate(port.bytes_in_per_second)},
         {"bytes_out_per_second", rate(port.bytes_out_per_second)},
         {"top_peers", std::move(peers)}});
  }
  auto destinations = nlohmann::json::array();
  for (const auto& trend : view.destinations) {
    destinations.push_back(
        {{"peer_address", trend.pressure.peer.to_string()},
         {"peer_port", trend.pressure.peer_port},
         {"connections", trend.pressure.connections},
         {"ephemeral_size", trend.pressure.ephemeral_size},
         {"used_fraction", trend.pressure.used_fraction()},
         {"change", rates ? nlohmann::json(trend.change) : nlohmann::json(nullptr)},
         {"change_per_second", rate(trend.change_per_second)}});
  }
  return {{"event", "snapshot"},
          {"interval_ms", json_ms(view.interval_seconds * 1000)},
          {"tcp", {{"total", view.sockets}, {"states", states_json(view.states, Proto::tcp)}}},
          {"ports", std::move(ports)},
          {"ephemeral", {{"port_low", view.ephemeral.low}, {"port_high", view.ephemeral.high}}},
          {"destinations", std::move(destinations)}};
}

}  // namespace portkit

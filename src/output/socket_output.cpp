#include "portkit/output/socket_output.hpp"

#include <fmt/format.h>

#include "text_util.hpp"

namespace portkit {
namespace {

std::string processes_text(const SocketRow& row) {
  std::string text;
  for (const auto* process : row.processes) {
    if (!text.empty()) text += ",";
    text += std::to_string(process->pid) + "/" + process->command;
    if (!process->container.empty()) text += "[" + process->container + "]";
  }
  return text.empty() ? "-" : text;
}

}  // namespace

std::string socket_address_text(const IpAddress& address, std::uint16_t port) {
  const auto text = address.to_string();
  const auto port_text = port == 0 ? std::string("*") : std::to_string(port);
  return address.is_v6 ? fmt::format("[{}]:{}", text, port_text)
                       : fmt::format("{}:{}", text, port_text);
}

nlohmann::json socket_json(const SocketRow& row) {
  const auto& socket = row.socket;
  auto processes = nlohmann::json::array();
  for (const auto& process : row.processes) {
    processes.push_back(
        {{"pid", process->pid},
         {"command", process->command},
         {"cmdline", process->cmdline},
         {"container", process->container.empty() ? nlohmann::json(nullptr)
                                                  : nlohmann::json(process->container)}});
  }
  return {{"proto", proto_name(socket.proto)},
          {"family", socket.local.is_v6 ? "ipv6" : "ipv4"},
          {"local_address", socket.local.to_string()},
          {"local_port", socket.local_port},
          {"peer_address", socket.peer.to_string()},
          {"peer_port", socket.peer_port},
          {"state", to_lower(socket_state_name(socket.state, socket.proto))},
          {"uid", socket.uid},
          {"user", row.user},
          {"inode", socket.inode},
          {"processes", std::move(processes)},
          {"service", row.service.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.service)},
          {"exposure", exposure_name(row.exposure)}};
}

std::string render_sockets(const SocketListing& listing, Style style) {
  std::vector<std::string> headers{"PROTO", "LOCAL", "PEER", "STATE"};
  if (listing.owners_shown) headers.push_back("PROCESS");
  for (const auto* header : {"USER", "SERVICE", "EXPOSURE"}) headers.emplace_back(header);
  Table table(headers);
  for (const auto& row : listing.rows) {
    const auto& socket = row.socket;
    std::vector<std::string> cells{
        std::string(proto_name(socket.proto)) + (socket.local.is_v6 ? "6" : ""),
        socket_address_text(socket.local, socket.local_port),
        socket_address_text(socket.peer, socket.peer_port),
        std::string(socket_state_name(socket.state, socket.proto))};
    if (listing.owners_shown) cells.push_back(processes_text(row));
    cells.push_back(row.user);
    cells.push_back(row.service.empty() ? "-" : row.service);
    cells.emplace_back(exposure_name(row.exposure));
    std::vector<Tone> tones(cells.size(), Tone::plain);
    if (row.exposure == Exposure::all_interfaces) tones.back() = Tone::warn;
    table.add_row(std::move(cells), std::move(tones));
  }
  return table.render(style);
}

nlohmann::json stats_json(const SocketStats& stats, double warn_fraction) {
  nlohmann::json out;
  for (const auto proto : {Proto::tcp, Proto::udp}) {
    nlohmann::json states = nlohmann::json::object();
    const auto& counts = stats.by_state[proto == Proto::tcp ? 0 : 1];
    for (std::size_t state = 1; state < counts.size(); ++state) {
      if (counts[state] == 0) continue;
      states[to_lower(socket_state_name(static_cast<SocketState>(state), proto))] = counts[state];
    }
    out[std::string(proto_name(proto))] = {
        {"total", proto == Proto::tcp ? stats.total_tcp : stats.total_udp}, {"states", states}};
  }
  auto pressure = nlohmann::json::array();
  for (const auto& item : stats.pressure) {
    pressure.push_back({{"peer_address", item.peer.to_string()},
                        {"peer_port", item.peer_port},
                        {"connections", item.connections},
                        {"ephemeral_size", item.ephemeral_size},
                        {"used_fraction", item.used_fraction()},
                        {"warning", item.used_fraction() >= warn_fraction}});
  }
  out["ephemeral"] = {{"port_low", stats.ephemeral.low}, {"port_high", stats.ephemeral.high}};
  out["pressure"] = std::move(pressure);
  return out;
}

std::string render_stats(const SocketStats& stats, double warn_fraction, Style style) {
  std::string out;
  for (const auto proto : {Proto::tcp, Proto::udp}) {
    const auto& counts = stats.by_state[proto == Proto::tcp ? 0 : 1];
    out += fmt::format("{}: {} sockets", styled(std::string(proto_name(proto)), Tone::bold, style),
                       proto == Proto::tcp ? stats.total_tcp : stats.total_udp);
    std::string parts;
    for (std::size_t state = 1; state < counts.size(); ++state) {
      if (counts[state] == 0) continue;
      parts +=
          fmt::format("{}{} {}", parts.empty() ? "" : ", ",
                      socket_state_name(static_cast<SocketState>(state), proto), counts[state]);
    }
    out += parts.empty() ? "\n" : " (" + parts + ")\n";
  }
  out += fmt::format("ephemeral range {}-{} ({} ports)\n", stats.ephemeral.low,
                     stats.ephemeral.high, stats.ephemeral.size());
  if (stats.pressure.empty()) return out + "no outgoing TCP connections from ephemeral ports\n";
  Table table({"DESTINATION", "LOCAL PORTS", "OF EPHEMERAL"});
  for (const auto& item : stats.pressure) {
    const bool warn = item.used_fraction() >= warn_fraction;
    table.add_row({socket_address_text(item.peer, item.peer_port), std::to_string(item.connections),
                   fmt::format("{:.1f} %{}", item.used_fraction() * 100, warn ? "  WARNING" : "")},
                  {Tone::plain, Tone::plain, warn ? Tone::bad : Tone::plain});
  }
  return out + table.render(style);
}

}  // namespace portkit

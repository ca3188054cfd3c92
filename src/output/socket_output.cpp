#include "portkit/output/socket_output.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/text_util.hpp"

namespace portkit {
namespace {

// "PID/command[container],..." into `text`, reused across rows.
std::string_view processes_text(const SocketRow& row, std::string& text) {
  text.clear();
  for (const auto* process : row.processes) {
    if (!text.empty()) text += ',';
    text += std::to_string(process->pid);
    text += '/';
    text += process->command;
    if (!process->container.empty()) {
      text += '[';
      text += process->container;
      text += ']';
    }
  }
  return text.empty() ? "-" : std::string_view(text);
}

// ss -i's and -m's figures as JSON, in the shared vocabulary (times in _ms, sizes in bytes).
nlohmann::json details_json(const SocketDetails& details, nlohmann::json& out) {
  if (const auto& tcp = details.tcp) {
    out["tcp_info"] = {{"rtt_ms", tcp->rtt_ms},
                       {"rttvar_ms", tcp->rttvar_ms},
                       {"cwnd", tcp->cwnd},
                       {"ssthresh", tcp->ssthresh},
                       {"mss", tcp->mss},
                       {"retransmits", tcp->retransmits},
                       {"bytes_sent", tcp->bytes_sent},
                       {"bytes_acked", tcp->bytes_acked},
                       {"bytes_received", tcp->bytes_received},
                       {"delivery_rate_bps", tcp->delivery_rate * 8},
                       {"last_send_ms", tcp->last_send_ms},
                       {"last_receive_ms", tcp->last_receive_ms}};
  }
  if (const auto& memory = details.memory) {
    out["memory"] = {{"receive_allocated", memory->receive_allocated},
                     {"receive_buffer", memory->receive_buffer},
                     {"send_allocated", memory->send_allocated},
                     {"send_buffer", memory->send_buffer},
                     {"forward_allocated", memory->forward_allocated},
                     {"send_queued", memory->send_queued},
                     {"option_memory", memory->option_memory},
                     {"backlog", memory->backlog},
                     {"drops", memory->drops}};
  }
  return out;
}

// The line under a socket with -i or -m, in ss's words so its readers know them.
std::string details_text(const SocketDetails& details) {
  std::string text;
  if (const auto& tcp = details.tcp) {
    text += fmt::format(
        "rtt:{:.3f}/{:.3f}ms cwnd:{} mss:{} retrans:{} bytes_sent:{} bytes_acked:{} "
        "bytes_received:{} delivery_rate:{}bps lastsnd:{} lastrcv:{}",
        tcp->rtt_ms, tcp->rttvar_ms, tcp->cwnd, tcp->mss, tcp->retransmits, tcp->bytes_sent,
        tcp->bytes_acked, tcp->bytes_received, tcp->delivery_rate * 8, tcp->last_send_ms,
        tcp->last_receive_ms);
  }
  if (const auto& memory = details.memory) {
    text += fmt::format("{}skmem:(r{},rb{},t{},tb{},f{},w{},o{},bl{},d{})", text.empty() ? "" : " ",
                        memory->receive_allocated, memory->receive_buffer, memory->send_allocated,
                        memory->send_buffer, memory->forward_allocated, memory->send_queued,
                        memory->option_memory, memory->backlog, memory->drops);
  }
  return text;
}

}  // namespace

std::string socket_address_text(const IpAddress& address, std::uint16_t port) {
  const auto text = address.to_string();
  const auto port_text = port == 0 ? std::string("*") : std::to_string(port);
  return address.is_v6 ? fmt::format("[{}]:{}", text, port_text)
                       : fmt::format("{}:{}", text, port_text);
}

nlohmann::json process_json(const ProcessInfo& process) {
  return {{"pid", process.pid},
          {"command", process.command},
          {"cmdline", process.cmdline},
          {"container", process.container.empty() ? nlohmann::json(nullptr)
                                                  : nlohmann::json(process.container)}};
}

nlohmann::json states_json(std::span<const std::uint32_t> counts, Proto proto) {
  nlohmann::json states = nlohmann::json::object();
  for (std::size_t state = 1; state < counts.size(); ++state) {
    if (counts[state] == 0) continue;
    states[to_lower(socket_state_name(static_cast<SocketState>(state), proto))] = counts[state];
  }
  return states;
}

nlohmann::json socket_json(const SocketRow& row) {
  const auto& socket = row.socket;
  auto processes = nlohmann::json::array();
  for (const auto& process : row.processes) processes.push_back(process_json(*process));
  nlohmann::json out = {
      {"proto", proto_name(socket.proto)},
      {"family", socket.local.is_v6 ? "ipv6" : "ipv4"},
      {"local_address", socket.local.to_string()},
      {"local_port", socket.local_port},
      {"peer_address", socket.peer.to_string()},
      {"peer_port", socket.peer_port},
      {"state", to_lower(socket_state_name(socket.state, socket.proto))},
      // ss's Recv-Q and Send-Q: bytes queued, or for a listener the accept queue and its
      // limit (the backlog).
      {"recv_q", socket.receive_queue},
      {"send_q", socket.send_queue},
      {"uid", socket.uid},
      {"user", row.user},
      {"inode", socket.inode},
      {"processes", std::move(processes)},
      {"service",
       row.service.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::string(row.service))},
      {"service_source", row.service_source == ServiceSource::none
                             ? nlohmann::json(nullptr)
                             : nlohmann::json(service_source_name(row.service_source))},
      {"exposure", exposure_name(row.exposure)},
      {"netns",
       row.netns.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::string(row.netns))}};
  if (socket.details) details_json(*socket.details, out);
  return out;
}

// Address text into a caller's buffer: the table pass measures and writes every address, so
// no string is built per cell (the generic Table was most of `ls -a` on 40k sockets).
std::size_t write_address(char* out, const IpAddress& address, std::uint16_t port) {
  std::size_t length = 0;
  if (address.is_v6) {
    out[length++] = '[';
    inet_ntop(AF_INET6, address.bytes.data(), out + length, INET6_ADDRSTRLEN);
    length += std::strlen(out + length);
    out[length++] = ']';
  } else {
    for (std::size_t i = 0; i < 4; ++i) {
      if (i) out[length++] = '.';
      const unsigned value = address.bytes[i];
      if (value >= 100) out[length++] = static_cast<char>('0' + value / 100);
      if (value >= 10) out[length++] = static_cast<char>('0' + value / 10 % 10);
      out[length++] = static_cast<char>('0' + value % 10);
    }
  }
  out[length++] = ':';
  if (port == 0) {
    out[length++] = '*';
  } else {
    length += static_cast<std::size_t>(std::to_chars(out + length, out + length + 5, port).ptr -
                                       (out + length));
  }
  return length;
}

void write_sockets(const SocketListing& listing, Style style, const TextSink& sink) {
  constexpr std::size_t kAddressMax = INET6_ADDRSTRLEN + 8;
  constexpr std::size_t kFlushAt = 1 << 16;
  const bool owners = listing.owners_shown;
  std::string scratch;
  // Pass 1: column widths.
  std::array<std::size_t, 10> widths{5, 5, 4, 5, 6, 6, 7, 4, 7, 8};  // the header words
  char buffer[kAddressMax];
  char number[16];
  const auto number_text = [&](std::uint32_t value) {
    return std::string_view(
        number, static_cast<std::size_t>(std::to_chars(number, number + sizeof number, value).ptr -
                                         number));
  };
  for (std::size_t i = 0; i < listing.size(); ++i) {
    const auto row = listing.row(i);
    const auto& socket = row.socket;
    widths[1] = std::max(widths[1], write_address(buffer, socket.local, socket.local_port));
    widths[2] = std::max(widths[2], write_address(buffer, socket.peer, socket.peer_port));
    widths[3] = std::max(widths[3], socket_state_name(socket.state, socket.proto).size());
    widths[4] = std::max(widths[4], number_text(socket.receive_queue).size());
    widths[5] = std::max(widths[5], number_text(socket.send_queue).size());
    if (owners) widths[6] = std::max(widths[6], processes_text(row, scratch).size());
    widths[7] = std::max(widths[7], row.user.size());
    widths[8] = std::max(widths[8], std::max<std::size_t>(row.service.size(), 1));
  }
  std::string out;
  out.reserve(kFlushAt + 1024);
  const auto cell = [&](std::string_view text, std::size_t column, Tone tone = Tone::plain) {
    out += style.color && tone != Tone::plain ? styled(text, tone, style) : std::string(text);
    if (column + 1 < widths.size()) out.append(widths[column] + 2 - text.size(), ' ');
  };
  const std::array<std::string_view, 10> headers{"PROTO",   "LOCAL",   "PEER",    "STATE",
                                                 "RECV-Q",  "SEND-Q",  "PROCESS", "USER",
                                                 "SERVICE", "EXPOSURE"};
  // A NETNS column only when other namespaces were listed (--all-netns).
  const bool namespaces =
      std::any_of(listing.namespace_starts.begin(), listing.namespace_starts.end(),
                  [&](const auto& block) { return block.second < listing.size(); });
  const auto netns_cell = [&](std::string_view exposure, std::string_view netns) {
    if (!namespaces) return;
    out.append(10 - exposure.size(), ' ');  // EXPOSURE is at most 8 wide
    out += netns.empty() ? "-" : netns;
  };
  for (std::size_t c = 0; c < headers.size(); ++c) {
    if (c == 6 && !owners) continue;
    cell(headers[c], c, Tone::bold);
  }
  netns_cell(headers[9], "NETNS");
  out += '\n';
  for (std::size_t i = 0; i < listing.size(); ++i) {
    const auto row = listing.row(i);
    const auto& socket = row.socket;
    cell(socket.proto == Proto::tcp ? (socket.local.is_v6 ? "tcp6" : "tcp")
                                    : (socket.local.is_v6 ? "udp6" : "udp"),
         0);
    cell({buffer, write_address(buffer, socket.local, socket.local_port)}, 1);
    cell({buffer, write_address(buffer, socket.peer, socket.peer_port)}, 2);
    cell(socket_state_name(socket.state, socket.proto), 3);
    cell(number_text(socket.receive_queue), 4);
    cell(number_text(socket.send_queue), 5);
    if (owners) cell(processes_text(row, scratch), 6);
    cell(row.user, 7);
    cell(row.service.empty() ? "-" : row.service, 8);
    cell(exposure_name(row.exposure), 9,
         row.exposure == Exposure::all_interfaces ? Tone::warn : Tone::plain);
    netns_cell(exposure_name(row.exposure), row.netns);
    out += '\n';
    if (socket.details) {
      out += '\t';
      out += details_text(*socket.details);
      out += '\n';
    }
    if (out.size() >= kFlushAt) {
      sink(out);
      out.clear();
    }
  }
  if (!out.empty()) sink(out);
}

std::string render_sockets(const SocketListing& listing, Style style) {
  std::string text;
  write_sockets(listing, style, [&](std::string_view piece) { text += piece; });
  return text;
}

void write_sockets_json(const SocketListing& listing, const TextSink& sink) {
  constexpr std::size_t kFlushAt = 1 << 16;
  std::string out = "{\"sockets\": [";
  for (std::size_t i = 0; i < listing.size(); ++i) {
    out += i ? ",\n  " : "\n  ";
    out += socket_json(listing.row(i)).dump();
    if (out.size() >= kFlushAt) {
      sink(out);
      out.clear();
    }
  }
  out += listing.empty() ? "],\n" : "\n],\n";
  out += fmt::format(" \"backend\": \"{}\",\n \"owners_incomplete\": {}\n}}\n",
                     listing.backend == InventoryBackend::netlink ? "netlink" : "procfs",
                     listing.owners_hidden_for_lack_of_privilege);
  sink(out);
}

nlohmann::json stats_json(const SocketStats& stats, double warn_fraction) {
  nlohmann::json out;
  for (const auto proto : {Proto::tcp, Proto::udp}) {
    const auto& counts = stats.by_state[proto == Proto::tcp ? 0 : 1];
    out[std::string(proto_name(proto))] = {
        {"total", proto == Proto::tcp ? stats.total_tcp : stats.total_udp},
        {"states", states_json(counts, proto)}};
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

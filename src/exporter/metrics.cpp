#include "portkit/exporter/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "base/text_util.hpp"
#include "exporter/probe_metrics.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {
namespace {

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

struct ListeningKey {
  std::string proto, address, port, exposure, process, service;
  auto tie() const { return std::tie(proto, address, port, exposure, process, service); }
  bool operator<(const ListeningKey& other) const { return tie() < other.tie(); }
};

void render_listening(std::string& out, std::span<const SocketRow> rows,
                      const MetricsLimits& limits) {
  header(out, "portkit_listening_sockets", "gauge",
         "Listening TCP and bound UDP sockets, by port, address, exposure and owning process.");
  std::vector<const SocketRow*> sorted;
  for (const auto& row : rows) sorted.push_back(&row);
  std::stable_sort(sorted.begin(), sorted.end(), [](const SocketRow* a, const SocketRow* b) {
    return a->socket.local_port < b->socket.local_port;
  });
  std::map<ListeningKey, std::uint64_t> series;
  std::map<std::pair<std::string, std::string>, std::uint64_t> other;
  for (const auto* row : sorted) {
    const auto& socket = row->socket;
    const std::string proto(proto_name(socket.proto));
    const std::string exposure(exposure_name(row->exposure));
    ListeningKey key{proto,
                     socket.local.to_string(),
                     std::to_string(socket.local_port),
                     exposure,
                     row->processes.empty() ? "" : row->processes.front()->command,
                     std::string(row->service)};
    if (const auto found = series.find(key); found != series.end()) {
      ++found->second;
    } else if (series.size() < limits.max_listening_series) {
      series.emplace(std::move(key), 1);
    } else {
      ++other[{proto, exposure}];
    }
  }
  for (const auto& [key, count] : series) {
    fmt::format_to(std::back_inserter(out),
                   "portkit_listening_sockets{{proto=\"{}\",address=\"{}\",port=\"{}\","
                   "exposure=\"{}\",process=\"{}\",service=\"{}\"}} {}\n",
                   key.proto, key.address, key.port, key.exposure, escape_label_value(key.process),
                   escape_label_value(key.service), count);
  }
  for (const auto& [key, count] : other) {
    fmt::format_to(std::back_inserter(out),
                   "portkit_listening_sockets{{proto=\"{}\",address=\"\",port=\"other\","
                   "exposure=\"{}\",process=\"\",service=\"\"}} {}\n",
                   key.first, key.second, count);
  }
}

void render_counts(std::string& out, std::span<const SocketRecord> sockets) {
  // [proto][family][state]
  std::uint32_t counts[2][2][13] = {};
  std::uint32_t current_established = 0;
  for (const auto& socket : sockets) {
    const auto state = static_cast<std::size_t>(socket.state);
    if (state >= 13) continue;
    ++counts[socket.proto == Proto::tcp ? 0 : 1][socket.local.is_v6 ? 1 : 0][state];
    if (socket.proto == Proto::tcp &&
        (socket.state == SocketState::established || socket.state == SocketState::close_wait))
      ++current_established;
  }
  header(out, "portkit_sockets", "gauge",
         "Sockets on this host by transport, family and state (as ss -tuan shows them).");
  for (int proto = 0; proto < 2; ++proto) {
    for (int family = 0; family < 2; ++family) {
      for (std::size_t state = 1; state < 13; ++state) {
        const auto value = counts[proto][family][state];
        const auto state_proto = proto == 0 ? Proto::tcp : Proto::udp;
        // Every TCP state is always present so that rate() and absent() behave; UDP has two.
        if (state_proto == Proto::udp && state != 1 && state != 7) continue;
        if (state == static_cast<std::size_t>(SocketState::new_syn_recv)) continue;
        fmt::format_to(std::back_inserter(out),
                       "portkit_sockets{{proto=\"{}\",family=\"{}\",state=\"{}\"}} {}\n",
                       proto_name(state_proto), family == 0 ? "ipv4" : "ipv6",
                       to_lower(socket_state_name(static_cast<SocketState>(state), state_proto)),
                       value);
      }
    }
  }
  header(out, "portkit_tcp_current_established", "gauge",
         "TCP connections in ESTABLISHED or CLOSE_WAIT (node_netstat_Tcp_CurrEstab).");
  fmt::format_to(std::back_inserter(out), "portkit_tcp_current_established {}\n",
                 current_established);
}

void render_pressure(std::string& out, const SocketStats& stats, const MetricsLimits& limits) {
  header(out, "portkit_ephemeral_port_range_size", "gauge",
         "Ports in net.ipv4.ip_local_port_range.");
  fmt::format_to(std::back_inserter(out), "portkit_ephemeral_port_range_size {}\n",
                 stats.ephemeral.size());
  header(out, "portkit_ephemeral_ports_in_use", "gauge",
         "Local ports in use towards one destination, TIME_WAIT included (busiest first).");
  const auto shown = std::min(limits.max_destinations, stats.pressure.size());
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& pressure = stats.pressure[i];
    fmt::format_to(std::back_inserter(out),
                   "portkit_ephemeral_ports_in_use{{peer_address=\"{}\",peer_port=\"{}\"}} {}\n",
                   pressure.peer.to_string(), pressure.peer_port, pressure.connections);
  }
  header(out, "portkit_ephemeral_ports_used_ratio", "gauge",
         "Local ports in use towards one destination over the ephemeral range size.");
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& pressure = stats.pressure[i];
    fmt::format_to(std::back_inserter(out),
                   "portkit_ephemeral_ports_used_ratio{{peer_address=\"{}\",peer_port=\"{}\"}} "
                   "{:.6g}\n",
                   pressure.peer.to_string(), pressure.peer_port, pressure.used_fraction());
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_metrics(const MetricsInput& input, const MetricsLimits& limits) {
  std::string out;
  out.reserve(4096 + input.listening.size() * 160);
  render_counts(out, input.sockets);
  render_listening(out, input.listening, limits);
  if (input.stats) render_pressure(out, *input.stats, limits);

  header(out, "portkit_audit_findings", "gauge",
         "Findings of portkit audit on this host, by severity.");
  for (int severity = 0; severity <= 4; ++severity) {
    const auto count = std::count_if(
        input.findings.begin(), input.findings.end(),
        [&](const Finding& finding) { return static_cast<int>(finding.severity) == severity; });
    fmt::format_to(std::back_inserter(out), "portkit_audit_findings{{severity=\"{}\"}} {}\n",
                   severity_name(static_cast<Severity>(severity)), count);
  }

  // Per rule, every rule listed (0 when it found nothing), so an alert on one rule, such as
  // datastore-exposed, has a series to watch; the rules are a fixed set of about twenty.
  header(out, "portkit_audit_rule_findings", "gauge",
         "Findings of portkit audit on this host, by rule (portkit audit --rules lists them).");
  for (const auto& rule : audit_rules()) {
    const auto count = std::count_if(input.findings.begin(), input.findings.end(),
                                     [&](const Finding& finding) { return finding.rule == &rule; });
    fmt::format_to(std::back_inserter(out),
                   "portkit_audit_rule_findings{{rule=\"{}\",severity=\"{}\"}} {}\n", rule.id,
                   severity_name(rule.severity), count);
  }

  if (!input.probes.empty()) {
    header(out, "portkit_probe_success", "gauge",
           "Whether the probed port answered open (1) or not (0), as blackbox_exporter.");
    for (const auto& probe : input.probes) {
      fmt::format_to(
          std::back_inserter(out), "portkit_probe_success{{endpoint=\"{}\",proto=\"{}\"}} {}\n",
          escape_label_value(probe.endpoint), proto_name(probe.proto), probe.success ? 1 : 0);
    }
    header(out, "portkit_probe_duration_seconds", "gauge",
           "Time the probe took to get its answer.");
    for (const auto& probe : input.probes) {
      if (!probe.latency_seconds) continue;
      fmt::format_to(std::back_inserter(out),
                     "portkit_probe_duration_seconds{{endpoint=\"{}\",proto=\"{}\"}} {:.6g}\n",
                     escape_label_value(probe.endpoint), proto_name(probe.proto),
                     *probe.latency_seconds);
    }
    render_probe_identity(out, input.probes);
  }

  header(out, "portkit_owners_visible", "gauge",
         "1 when every socket's owning process could be read, 0 when some are hidden for lack "
         "of privilege.");
  fmt::format_to(std::back_inserter(out), "portkit_owners_visible {}\n",
                 input.owners_hidden ? 0 : 1);
  header(out, "portkit_collect_duration_seconds", "gauge",
         "Time the last collection of these values took.");
  fmt::format_to(std::back_inserter(out), "portkit_collect_duration_seconds {:.6g}\n",
                 input.collect_seconds);
  header(out, "portkit_collections_total", "counter",
         "Collections since start (scrapes within --min-interval share one).");
  fmt::format_to(std::back_inserter(out), "portkit_collections_total {}\n", input.collections);
  return out;
}

}  // namespace portkit

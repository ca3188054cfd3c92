// JSON Lines: one object per port as it is decided ("event": "port"), one per host when it is
// done ("event": "host"), and a last one for the whole scan ("event": "summary"). Port lines are
// formatted directly (a full scan writes 65,535 of them); strings go through nlohmann's escaping.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "portkit/output/json_units.hpp"
#include "portkit/output/scan_output.hpp"
#include "portkit/output/service_output.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {
namespace {

std::string json_string(std::string_view text) {
  return nlohmann::json(text).dump();
}

std::string json_latency(std::optional<double> latency) {
  if (!latency) return "null";
  return fmt::format("{}", json_ms(*latency));
}

class JsonScanWriter final : public ScanWriter {
 public:
  explicit JsonScanWriter(std::FILE* out) : out_(out) {}

  void begin(const ScanInfo& info) override { open_only_ = info.open_only; }

  void port(const ScanHost& host, const PortOutcome& outcome, std::string_view banner) override {
    if (open_only_ && outcome.state != PortState::open) return;
    if (!(cached_host_.address == host.address) || cached_host_.name != host.name) {
      cached_host_ = host;
      host_json_ = json_string(host.name.empty() ? host.address.to_string() : host.name);
      address_json_ = json_string(host.address.to_string());
    }
    const auto service = registry::service_name(outcome.port, outcome.proto);
    fmt::print(out_,
               "{{\"event\":\"port\",\"host\":{},\"address\":{},\"port\":{},\"proto\":\"{}\","
               "\"state\":\"{}\",\"reason\":\"{}\",\"latency_ms\":{},\"service\":{},"
               "\"banner\":{},\"attempts\":{}}}\n",
               host_json_, address_json_, outcome.port, proto_name(outcome.proto),
               port_state_name(outcome.state), probe_reason_name(outcome.reason),
               json_latency(outcome.latency()), service.empty() ? "null" : json_string(service),
               banner.empty() ? "null" : json_string(banner), outcome.attempts);
    if (outcome.state == PortState::open) std::fflush(out_);
  }

  void host(const HostReport& report) override {
    nlohmann::json line{
        {"event", "host"},
        {"host", report.host.name.empty() ? report.host.address.to_string() : report.host.name},
        {"address", report.host.address.to_string()},
        {"status", "up"},
        {"status_reason", host_reason_name(report.host.status_reason)},
        {"answered", report.answered()},
        {"complete", report.complete},
        {"ports", report.ports.size()},
        {"open", report.count(PortState::open)},
        {"closed", report.count(PortState::closed)},
        {"filtered", report.count(PortState::filtered)},
        {"open_filtered", report.count(PortState::open_filtered)},
        {"latency_ms", nullptr},
        {"duration_ms",
         std::round(
             std::chrono::duration<double, std::milli>(report.finished - report.started).count())}};
    if (report.min_rtt_ms) line["latency_ms"] = json_ms(*report.min_rtt_ms);
    if (report.srtt_ms) line["srtt_ms"] = json_ms(*report.srtt_ms);
    auto open = nlohmann::json::array();
    for (const auto& port : report.ports) {
      if (port.state != PortState::open) continue;
      nlohmann::json item{{"port", port.port}, {"proto", proto_name(port.proto)}};
      const auto service = registry::service_name(port.port, port.proto);
      item["service"] = service.empty() ? nlohmann::json(nullptr) : nlohmann::json(service);
      item["service_source"] = service.empty() ? nlohmann::json(nullptr) : "registry";
      if (const auto* identity = report.identity_for(port.port, port.proto)) {
        add_identity_json(item, *identity);
      }
      open.push_back(std::move(item));
    }
    line["open_ports"] = std::move(open);
    fmt::print(out_, "{}\n", line.dump());
    std::fflush(out_);
  }

  void end(const ScanSummary& summary) override {
    nlohmann::json line{{"event", "summary"},
                        {"hosts", summary.hosts},
                        {"hosts_answered", summary.hosts_answered},
                        {"probes", summary.probes_sent},
                        {"open", summary.open},
                        {"closed", summary.closed},
                        {"filtered", summary.filtered},
                        {"open_filtered", summary.open_filtered},
                        {"elapsed_ms", std::round(summary.elapsed_ms * 10) / 10},
                        {"interrupted", summary.interrupted},
                        {"workers", summary.workers},
                        {"notices", summary.notices}};
    if (summary.discovery) {
      const auto& discovery = *summary.discovery;
      auto down = nlohmann::json::object();
      for (const auto& [reason, count] : discovery.down) down[host_reason_name(reason)] = count;
      line["discovery"] = {
          {"addresses", discovery.addresses}, {"up", discovery.up},
          {"down", discovery.down_total()},   {"down_reasons", std::move(down)},
          {"probes", discovery.probes_sent},  {"elapsed_ms", json_ms(discovery.elapsed_ms)},
          {"icmp", discovery.icmp_method}};
    } else {
      line["discovery"] = nullptr;
    }
    fmt::print(out_, "{}\n", line.dump());
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  bool open_only_ = false;
  ScanHost cached_host_{"\x01", {}};
  std::string host_json_;
  std::string address_json_;
};

}  // namespace

std::unique_ptr<ScanWriter> make_json_scan_writer(std::FILE* out) {
  return std::make_unique<JsonScanWriter>(out);
}

}  // namespace portkit

// Human scan output: each open port as it is found, then a report per host (nmap's layout:
// folded states in a "Not shown" line, the other ports in a table), then one summary line.
#include <fmt/format.h>

#include "portkit/output/probe_output.hpp"
#include "portkit/output/scan_output.hpp"
#include "portkit/output/service_output.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {
namespace {

std::string port_label(const PortOutcome& port) {
  return fmt::format("{}/{}", port.port, proto_name(port.proto));
}

class TextScanWriter final : public ScanWriter {
 public:
  TextScanWriter(std::FILE* out, Style style) : out_(out), style_(style) {}

  void begin(const ScanInfo& info) override {
    open_only_ = info.open_only;
    ping_only_ = info.ping_only;
  }

  void port(const ScanHost& host, const PortOutcome& outcome, std::string_view banner) override {
    if (outcome.state != PortState::open) return;
    fmt::print(out_, "Discovered open port {} on {}{}{}\n", port_label(outcome),
               host.address.to_string(), banner.empty() ? "" : "  ", banner);
    std::fflush(out_);
  }

  void host(const HostReport& report) override {
    if (ping_only_) {
      fmt::print(out_, "{} is up ({}, {} latency)\n", host_label(report.host),
                 host_reason_name(report.host.status_reason), format_latency(report.min_rtt_ms));
      std::fflush(out_);
      return;
    }
    const auto elapsed = std::chrono::duration<double>(report.finished - report.started).count();
    std::string text = fmt::format(
        "\n{}\n", styled("Scan report for " + host_label(report.host), Tone::bold, style_));
    text += fmt::format(
        "{}; {} ports in {:.2f} s{}.\n",
        report.answered()
            ? fmt::format("Host is up ({} latency)", format_latency(report.min_rtt_ms))
            : std::string("No answer from the host"),
        report.ports.size(), elapsed, report.complete ? "" : " (interrupted before the end)");
    const auto folded = fold_states(report);
    for (const auto& state : folded) {
      std::string reasons;
      for (const auto& [reason, count] : state.reasons) {
        if (!reasons.empty()) reasons += ", ";
        reasons += fmt::format("{} {}", count, probe_reason_name(reason));
      }
      text += fmt::format("Not shown: {} {} {} ports ({})\n", state.count,
                          port_state_name(state.state), proto_name(state.proto), reasons);
    }
    const bool identified = !report.identities.empty();
    std::vector<std::string> headers{"PORT", "STATE", "SERVICE", "REASON", "LATENCY"};
    if (identified) headers.emplace_back("VERSION");
    Table table(std::move(headers));
    for (const auto& port : report.ports) {
      if (open_only_ ? port.state != PortState::open : is_folded(folded, port)) continue;
      const auto* identity = report.identity_for(port.port, port.proto);
      const auto service = registry::service_name(port.port, port.proto);
      std::vector<std::string> cells{port_label(port), std::string(port_state_name(port.state)),
                                     identity != nullptr ? identity_label(*identity)
                                     : service.empty()   ? "-"
                                                         : std::string(service),
                                     std::string(probe_reason_name(port.reason)),
                                     format_latency(port.latency())};
      if (identified) {
        const auto version = identity != nullptr ? identity_product_text(*identity) : "";
        cells.push_back(version.empty() ? "-" : version);
      }
      table.add_row(std::move(cells), {Tone::plain, state_tone(port.state)});
      const auto banner = report.banner_for(port.port);
      if (port.proto == Proto::tcp && !banner.empty()) table.add_note(std::string(banner));
      if (identity != nullptr && identity->tls_facts) {
        table.add_note("TLS: " + tls_summary(*identity->tls_facts));
      }
    }
    if (!table.empty()) text += table.render(style_);
    const auto open = report.count(PortState::open);
    if (table.empty() && open == 0) text += "No open ports.\n";
    fmt::print(out_, "{}", text);
    std::fflush(out_);
  }

  void end(const ScanSummary& summary) override {
    if (const auto discovery = discovery_text(summary); !discovery.empty()) {
      fmt::print(out_, "\n{}.", discovery);
    }
    if (ping_only_) {
      fmt::print(out_, "{}\n", summary.interrupted ? " Interrupted." : "");
      std::fflush(out_);
      return;
    }
    fmt::print(out_,
               "\nScanned {} host{} ({} answered) in {:.2f} s: {} open, {} closed, {} filtered, "
               "{} open|filtered; {} probes{}.\n",
               summary.hosts, summary.hosts == 1 ? "" : "s", summary.hosts_answered,
               summary.elapsed_ms / 1000.0, summary.open, summary.closed, summary.filtered,
               summary.open_filtered, summary.probes_sent,
               summary.interrupted ? "; interrupted" : "");
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  Style style_;
  bool open_only_ = false;
  bool ping_only_ = false;
};

}  // namespace

std::unique_ptr<ScanWriter> make_text_scan_writer(std::FILE* out, Style style) {
  return std::make_unique<TextScanWriter>(out, style);
}

}  // namespace portkit

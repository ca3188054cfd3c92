// nmap's grepable format (-oG): one "Host: ... Status:" line and one "Host: ... Ports:" line per
// host, ports as port/state/proto//service///, the most common state summarised as
// "Ignored State".
#include <fmt/format.h>

#include <ctime>

#include "portkit/output/scan_output.hpp"
#include "portkit/output/service_output.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {
namespace {

std::string grepable_time_text(std::chrono::system_clock::time_point at) {
  const auto seconds = std::chrono::system_clock::to_time_t(at);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[64];
  std::strftime(text, sizeof text, "%a %b %e %H:%M:%S %Y", &local);
  return text;
}

// '/' and ',' separate fields and ports in this format.
std::string field(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c == '/' || c == ',') c = '|';
  }
  return out;
}

class GrepableScanWriter final : public ScanWriter {
 public:
  explicit GrepableScanWriter(std::FILE* out) : out_(out) {}

  void begin(const ScanInfo& info) override {
    ping_only_ = info.ping_only;
    fmt::print(out_, "# portkit {} scan initiated {} as: {}\n", PORTKIT_VERSION,
               grepable_time_text(info.started), info.args);
    std::fflush(out_);
  }

  void port(const ScanHost&, const PortOutcome&, std::string_view) override {}

  void host(const HostReport& report) override {
    ++hosts_;
    const auto address = report.host.address.to_string();
    const auto name = report.host.name == address ? std::string() : report.host.name;
    const auto prefix = fmt::format("Host: {} ({})", address, name);
    std::string text = fmt::format("{}\tStatus: Up\n", prefix);
    if (ping_only_) {
      fmt::print(out_, "{}", text);
      std::fflush(out_);
      return;
    }
    // Only the single most common state is ignored, as nmap does.
    auto folded = fold_states(report);
    if (folded.size() > 1) folded.resize(1);
    std::string ports;
    for (const auto& port : report.ports) {
      if (is_folded(folded, port)) continue;
      if (!ports.empty()) ports += ", ";
      const auto banner = port.proto == Proto::tcp ? report.banner_for(port.port) : "";
      const auto* identity = report.identity_for(port.port, port.proto);
      if (identity != nullptr && (!identity->match.name.empty() || identity->tls)) {
        // nmap -sV: "443/open/tcp//ssl|http//nginx 1.22.1/"
        auto label = identity_label(*identity);
        if (const auto slash = label.find('/'); slash != std::string::npos) label[slash] = '|';
        ports += fmt::format("{}/{}/{}//{}//{}/", port.port, port_state_name(port.state),
                             proto_name(port.proto), field(label),
                             field(identity_product_text(*identity)));
        continue;
      }
      ports += fmt::format("{}/{}/{}//{}//{}/", port.port, port_state_name(port.state),
                           proto_name(port.proto),
                           field(registry::service_name(port.port, port.proto)), field(banner));
    }
    text += prefix;
    if (!ports.empty()) text += "\tPorts: " + ports;
    if (!folded.empty()) {
      text += fmt::format("\tIgnored State: {} ({})", port_state_name(folded.front().state),
                          folded.front().count);
    }
    text += "\n";
    fmt::print(out_, "{}", text);
    std::fflush(out_);
  }

  void end(const ScanSummary& summary) override {
    const auto counts = host_counts(summary, hosts_);
    fmt::print(out_,
               "# portkit done at {} -- {} IP address{} ({} host{} up) scanned in {:.2f} seconds\n",
               grepable_time_text(std::chrono::system_clock::now()), counts.addresses,
               counts.addresses == 1 ? "" : "es", counts.up, counts.up == 1 ? "" : "s",
               summary.elapsed_ms / 1000.0);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  std::size_t hosts_ = 0;
  bool ping_only_ = false;
};

}  // namespace

std::unique_ptr<ScanWriter> make_grepable_scan_writer(std::FILE* out) {
  return std::make_unique<GrepableScanWriter>(out);
}

}  // namespace portkit

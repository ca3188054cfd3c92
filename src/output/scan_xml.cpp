// nmap-compatible XML (-oX): the nmaprun / scaninfo / host / ports / port / state / service /
// extraports / runstats elements and attributes that readers of nmap XML (ndiff, nmap.xsl,
// python-nmap and friends) rely on. Each host is written when it is done, so an interrupted
// scan still leaves a well-formed file.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cmath>
#include <ctime>

#include "portkit/output/scan_output.hpp"
#include "portkit/output/table.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {
namespace {

// "--" is also escaped (as nmap does): the command line goes into a comment too, where a
// double hyphen is not allowed.
std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '-' && i > 0 && text[i - 1] == '-') {
      out += "&#45;";
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters are not allowed in XML 1.0 attributes.
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
  }
  return out;
}

// nmap -sV's element: name, product, version, extrainfo, tunnel="ssl", method="probed".
std::string probed_service_xml(const ServiceIdentity& identity) {
  const auto& match = identity.match;
  std::string text =
      fmt::format("<service name=\"{}\"", xml_escape(match.name.empty() ? "unknown" : match.name));
  for (const auto& [attribute, value] :
       {std::pair{"product", &match.product}, std::pair{"version", &match.version},
        std::pair{"extrainfo", &match.info}}) {
    if (!value->empty())
      text += fmt::format(" {}=\"{}\"", attribute, xml_escape(printable(*value)));
  }
  if (identity.tls) text += " tunnel=\"ssl\"";
  return text + " method=\"probed\" conf=\"10\"/>";
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

std::string ctime_text(std::chrono::system_clock::time_point at) {
  const auto seconds = std::chrono::system_clock::to_time_t(at);
  std::tm local{};
  localtime_r(&seconds, &local);
  return fmt::format("{:%a %b %e %H:%M:%S %Y}", local);
}

long micros(double ms) {
  return std::lround(ms * 1000.0);
}

class XmlScanWriter final : public ScanWriter {
 public:
  explicit XmlScanWriter(std::FILE* out) : out_(out) {}

  void begin(const ScanInfo& info) override {
    started_ = info.started;
    ping_only_ = info.ping_only;
    fmt::print(out_,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n"
               "<?xml-stylesheet href=\"file:///usr/share/nmap/nmap.xsl\" type=\"text/xsl\"?>\n"
               "<!-- portkit {} scan initiated {} as: {} -->\n"
               "<nmaprun scanner=\"portkit\" args=\"{}\" start=\"{}\" startstr=\"{}\" "
               "version=\"{}\" xmloutputversion=\"1.05\">\n",
               PORTKIT_VERSION, ctime_text(info.started), xml_escape(info.args),
               xml_escape(info.args), unix_seconds(info.started), ctime_text(info.started),
               PORTKIT_VERSION);
    if (!info.tcp_ports.empty()) {
      fmt::print(out_,
                 "<scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"{}\" "
                 "services=\"{}\"/>\n",
                 info.tcp_ports.size(), compress_ports(info.tcp_ports));
    }
    if (!info.udp_ports.empty()) {
      fmt::print(out_,
                 "<scaninfo type=\"udp\" protocol=\"udp\" numservices=\"{}\" services=\"{}\"/>\n",
                 info.udp_ports.size(), compress_ports(info.udp_ports));
    }
    fmt::print(out_, "<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n");
    std::fflush(out_);
  }

  void port(const ScanHost&, const PortOutcome&, std::string_view) override {}

  void host(const HostReport& report) override {
    ++hosts_;
    const auto address = report.host.address.to_string();
    std::string text = fmt::format(
        "<host starttime=\"{}\" endtime=\"{}\"><status state=\"up\" reason=\"{}\" "
        "reason_ttl=\"0\"/>\n<address addr=\"{}\" addrtype=\"{}\"/>\n<hostnames>\n",
        unix_seconds(report.started), unix_seconds(report.finished),
        host_reason_name(report.host.status_reason), address,
        report.host.address.is_v6 ? "ipv6" : "ipv4");
    if (!report.host.name.empty() && report.host.name != address) {
      text += fmt::format("<hostname name=\"{}\" type=\"user\"/>\n", xml_escape(report.host.name));
    }
    text += "</hostnames>\n";
    if (!ping_only_) {
      text += "<ports>";
      const auto folded = fold_states(report);
      for (const auto& state : folded) {
        text += fmt::format("<extraports state=\"{}\" count=\"{}\">\n",
                            port_state_name(state.state), state.count);
        for (const auto& [reason, count] : state.reasons) {
          std::vector<std::uint16_t> ports;
          for (const auto& port : report.ports) {
            if (port.proto == state.proto && port.state == state.state && port.reason == reason) {
              ports.push_back(port.port);
            }
          }
          text += fmt::format(
              "<extrareasons reason=\"{}\" count=\"{}\" proto=\"{}\" ports=\"{}\"/>\n",
              probe_reason_name(reason), count, proto_name(state.proto), compress_ports(ports));
        }
        text += "</extraports>\n";
      }
      for (const auto& port : report.ports) {
        if (is_folded(folded, port)) continue;
        text += fmt::format(
            "<port protocol=\"{}\" portid=\"{}\"><state state=\"{}\" reason=\"{}\" "
            "reason_ttl=\"0\"/>",
            proto_name(port.proto), port.port, port_state_name(port.state),
            probe_reason_name(port.reason));
        const auto service = registry::service_name(port.port, port.proto);
        const auto banner = port.proto == Proto::tcp ? report.banner_for(port.port) : "";
        const auto* identity = report.identity_for(port.port, port.proto);
        if (identity != nullptr && (!identity->match.name.empty() || identity->tls)) {
          text += probed_service_xml(*identity);
        } else if (!service.empty() || !banner.empty()) {
          text += fmt::format("<service name=\"{}\"",
                              xml_escape(service.empty() ? "unknown" : service));
          if (!banner.empty()) text += fmt::format(" extrainfo=\"{}\"", xml_escape(banner));
          text += " method=\"table\" conf=\"3\"/>";
        }
        text += "</port>\n";
      }
      text += "</ports>\n";
    }
    if (report.srtt_ms) {
      text += fmt::format("<times srtt=\"{}\" rttvar=\"{}\" to=\"{}\"/>\n", micros(*report.srtt_ms),
                          micros(report.rttvar_ms), micros(report.timeout_ms));
    }
    text += "</host>\n";
    fmt::print(out_, "{}", text);
    std::fflush(out_);
  }

  void end(const ScanSummary& summary) override {
    const auto now = std::chrono::system_clock::now();
    const auto elapsed = summary.elapsed_ms / 1000.0;
    const auto counts = host_counts(summary, hosts_);
    fmt::print(out_,
               "<runstats><finished time=\"{}\" timestr=\"{}\" summary=\"portkit done at {}; {} "
               "IP address{} ({} host{} up) scanned in {:.2f} seconds\" elapsed=\"{:.2f}\" "
               "exit=\"{}\"/><hosts up=\"{}\" down=\"{}\" total=\"{}\"/>\n</runstats>\n"
               "</nmaprun>\n",
               unix_seconds(now), ctime_text(now), ctime_text(now), counts.addresses,
               counts.addresses == 1 ? "" : "es", counts.up, counts.up == 1 ? "" : "s", elapsed,
               elapsed, summary.interrupted ? "error" : "success", counts.up, counts.down,
               counts.addresses);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  std::chrono::system_clock::time_point started_;
  std::size_t hosts_ = 0;
  bool ping_only_ = false;
};

}  // namespace

std::unique_ptr<ScanWriter> make_xml_scan_writer(std::FILE* out) {
  return std::make_unique<XmlScanWriter>(out);
}

}  // namespace portkit

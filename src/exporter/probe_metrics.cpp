// The exporter's service and TLS series for --probe endpoints, named as blackbox_exporter's
// users expect (probe_ssl_earliest_cert_expiry, probe_tls_version_info).
#include "exporter/probe_metrics.hpp"

#include <fmt/format.h>

namespace portkit {
namespace {

void header(std::string& out, std::string_view name, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
}

std::string endpoint_label(const ProbeOutcome& probe) {
  return "endpoint=\"" + escape_label_value(probe.endpoint) + "\"";
}

}  // namespace

void render_probe_identity(std::string& out, std::span<const ProbeOutcome> probes) {
  const bool any_identity = std::any_of(
      probes.begin(), probes.end(), [](const auto& probe) { return probe.identity.has_value(); });
  if (any_identity) {
    header(out, "portkit_probe_service_info",
           "What answers on the probed port, from its protocol (1 per endpoint).");
    for (const auto& probe : probes) {
      if (!probe.identity) continue;
      const auto& match = probe.identity->match;
      fmt::format_to(std::back_inserter(out),
                     "portkit_probe_service_info{{{},service=\"{}\",product=\"{}\",version=\"{}\","
                     "tunnel=\"{}\"}} 1\n",
                     endpoint_label(probe),
                     escape_label_value(match.name.empty() ? "unknown" : match.name),
                     escape_label_value(match.product), escape_label_value(match.version),
                     probe.identity->tls ? "ssl" : "");
    }
  }
  const bool any_tls = std::any_of(probes.begin(), probes.end(),
                                   [](const auto& probe) { return probe.tls.has_value(); });
  if (!any_tls) return;
  const auto each = [&](std::string_view name, std::string_view help, auto value) {
    header(out, name, help);
    for (const auto& probe : probes) {
      if (probe.tls) {
        fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, endpoint_label(probe),
                       value(*probe.tls));
      }
    }
  };
  each("portkit_probe_tls_cert_not_after_seconds",
       "Expiry of the server's certificate, seconds since the epoch (blackbox_exporter: "
       "probe_ssl_earliest_cert_expiry).",
       [](const TlsFacts& tls) { return tls.not_after; });
  each("portkit_probe_tls_cert_not_before_seconds",
       "Start of the server certificate's validity, seconds since the epoch.",
       [](const TlsFacts& tls) { return tls.not_before; });
  each("portkit_probe_tls_chain_verified",
       "1 when the chain verifies against the system's trust store.",
       [](const TlsFacts& tls) { return tls.chain_verified ? 1 : 0; });
  each("portkit_probe_tls_name_matches",
       "1 when the certificate is valid for the name probed (SNI).",
       [](const TlsFacts& tls) { return tls.name_matches ? 1 : 0; });
  each("portkit_probe_tls_self_signed", "1 when the certificate is self-signed.",
       [](const TlsFacts& tls) { return tls.self_signed ? 1 : 0; });
  header(out, "portkit_probe_tls_version_info",
         "The TLS version and cipher the handshake agreed (blackbox_exporter: "
         "probe_tls_version_info).");
  for (const auto& probe : probes) {
    if (!probe.tls) continue;
    fmt::format_to(std::back_inserter(out),
                   "portkit_probe_tls_version_info{{{},version=\"{}\",cipher=\"{}\"}} 1\n",
                   endpoint_label(probe), escape_label_value(probe.tls->version),
                   escape_label_value(probe.tls->cipher));
  }
}

}  // namespace portkit

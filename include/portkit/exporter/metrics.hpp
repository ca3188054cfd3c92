#pragma once
// Prometheus text exposition (format 0.0.4) of this host's sockets, ephemeral-port use, audit
// findings and probes. Rendering is pure: values in, text out.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "portkit/audit/audit.hpp"
#include "portkit/inventory/sockets.hpp"

namespace portkit {

struct ProbeOutcome {
  std::string endpoint;  // as given to --probe
  Proto proto = Proto::tcp;
  bool success = false;  // open (or open|filtered for UDP is not success)
  std::string state;     // "open", "closed", "filtered", ...
  std::optional<double> latency_seconds;
  std::optional<ServiceIdentity> identity;  // --probe-service
  std::optional<TlsFacts> tls;              // --probe-tls (or a TLS service identified)
};

struct MetricsInput {
  std::span<const SocketRecord> sockets;  // every socket, for counts
  std::span<const SocketRow> listening;   // listening sockets with owners
  const SocketStats* stats = nullptr;     // ephemeral pressure
  std::span<const Finding> findings;
  std::span<const ProbeOutcome> probes;
  double collect_seconds = 0;
  bool owners_hidden = false;  // /proc/PID/fd unreadable for some processes
  std::uint64_t collections = 0;
};

struct MetricsLimits {
  // Listening series beyond this many (lowest ports first) are summed into port="other", so
  // a host with thousands of listeners cannot explode Prometheus' series count.
  std::size_t max_listening_series = 500;
  std::size_t max_destinations = 20;
};

std::string render_metrics(const MetricsInput& input, const MetricsLimits& limits);

// Label value escaping of the exposition format: backslash, double quote, newline.
std::string escape_label_value(std::string_view value);

}  // namespace portkit

#pragma once
// `exporter`: serves render_metrics() at /metrics over HTTP (src/exporter/http_server), collecting
// fresh values per scrape with a cache of `min_interval`.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "portkit/audit/audit.hpp"
#include "portkit/exporter/metrics.hpp"
#include "portkit/probe/probe.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {

struct ExporterOptions {
  Endpoint listen;  // numeric address; port 0 lets the kernel choose
  std::chrono::milliseconds min_interval{1000};
  std::vector<std::string> probe_texts;  // --probe as given, in the same order as probes
  std::vector<Endpoint> probes;
  ProbeOptions probe_options;
  bool probe_service = false;  // identify what answers on each probed TCP endpoint
  bool probe_tls = false;      // and the TLS facts where it speaks TLS
  MetricsLimits limits;
  AuditSettings audit;
  InventoryBackend backend = InventoryBackend::automatic;
};

// One collection: inventory, owners of listening sockets, stats, audit rules and probes.
// An owner cache carried between collections spares the /proc walk on each scrape.
Result<std::string> collect_metrics(const ExporterOptions& options, std::uint64_t collections,
                                    OwnerCache* owner_cache = nullptr);

class Exporter {
 public:
  static Result<std::unique_ptr<Exporter>> start(const ExporterOptions& options);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  [[nodiscard]] std::uint16_t port() const;  // the bound port
  // The body a scrape now gets (from the cache when it is younger than min_interval).
  Result<std::string> scrape();

  struct State;

 private:
  explicit Exporter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace portkit

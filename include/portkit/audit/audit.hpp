#pragma once
// `audit`: exposure findings over this host's sockets and over compose / Kubernetes port
// plans. Rules live in one table with stable ids, so a finding can be silenced by id.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "portkit/base/result.hpp"
#include "portkit/inventory/sockets.hpp"
#include "portkit/ranges/ranges.hpp"
#include "portkit/registry/registry.hpp"
#include "portkit/service/service_probe.hpp"

namespace portkit {

enum class Severity : std::uint8_t { info, low, medium, high, critical };
std::string_view severity_name(Severity severity);
std::optional<Severity> parse_severity(std::string_view text);

struct AuditRule {
  std::string_view id;
  Severity severity;  // the usual severity; a finding may raise or lower it (see `why`)
  std::string_view title;
  std::string_view why;
  std::string_view fix;
};

std::span<const AuditRule> audit_rules();
const AuditRule* find_audit_rule(std::string_view id);

struct Finding {
  const AuditRule* rule = nullptr;
  Severity severity = Severity::info;
  std::string subject;  // "tcp 0.0.0.0:6379 (redis)", "docker-compose.yml service db"
  std::string detail;   // what exactly was seen
  std::string fix;      // advice for this entry, quoting it; empty: the rule's general fix
  std::string process;  // "1234 redis-server", when known
  std::string file;     // manifest findings
  int line = 0;
  std::optional<std::uint16_t> port;
};

// What the auditor knows about ports beyond the knowledge base: --map PORT=SERVICE.
using ServiceMap = std::unordered_map<std::uint16_t, const CuratedEntry*>;
// "40123=redis" or "40123/tcp=redis": the service is a knowledge-base name or alias.
Result<std::pair<std::uint16_t, const CuratedEntry*>> parse_service_mapping(std::string_view text);

// The service a port means to the auditor: the map first, then the knowledge base.
const CuratedEntry* audited_service(std::uint16_t port, Proto proto, const ServiceMap& map);
// What a listening socket serves, to the auditor: --map first, then what its owner's program
// serves (a Redis on 16379 is Redis), then the knowledge base's entry for the port.
const CuratedEntry* identified_service(const SocketRow& row, const ServiceMap& map);
// Databases, caches, search engines, message brokers, etcd: internal-only services.
bool is_datastore(const CuratedEntry& entry);

struct AuditSettings {
  ServiceMap map;
  std::vector<std::string> ignore;  // rule ids
  double pressure_threshold = 0.5;  // of the ephemeral range, per destination
  int cert_warn_days = 14;          // tls-cert-expiring
};

// Pure: findings over a socket listing (rows with owners) and its stats.
std::vector<Finding> audit_sockets(std::span<const SocketRow> rows, const SocketStats& stats,
                                   const HostPortConfig& host, const AuditSettings& settings);

// Pure: TLS findings over listening sockets and what a handshake with each saw (checks[i] for
// rows[i]): expired or expiring certificates, self-signed beyond loopback, TLS 1.0/1.1.
std::vector<Finding> audit_tls(std::span<const SocketRow> rows, std::span<const TlsCheck> checks,
                               const AuditSettings& settings, std::int64_t now_seconds);

// Drops ignored rules; sorts by severity (highest first), then file, line, subject.
void finalize_findings(std::vector<Finding>& findings, const AuditSettings& settings);

// Audit config file (TOML): ignore = ["id", ...], fail_on = "medium",
// [map] 40123 = "redis". Values are merged into `settings`; fail_on is returned when set.
Result<std::optional<Severity>> parse_audit_config(std::string_view text, const std::string& path,
                                                   AuditSettings& settings);
Result<std::optional<Severity>> read_audit_config(const std::string& path, AuditSettings& settings);

}  // namespace portkit

namespace portkit {

struct AuditRequest {
  bool host = true;  // the live host's sockets; the files are audited either way
  std::vector<std::string> compose_files;
  std::vector<std::string> k8s_files;
  AuditSettings settings;
  InventoryBackend backend = InventoryBackend::automatic;
  // --probe-tls: a local TLS handshake with every listening TCP socket of the host.
  bool probe_tls = false;
  std::chrono::milliseconds tls_timeout{1000};  // loopback handshakes: plenty
};

// Reads the inventory (with owners) and the files, runs every rule, drops ignored ones and
// sorts. A file that cannot be read or is not YAML is an error naming it.
Result<std::vector<Finding>> run_audit(const AuditRequest& request);

}  // namespace portkit

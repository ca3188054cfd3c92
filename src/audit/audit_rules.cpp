// The audit rule table, and the rules over this host's sockets.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "portkit/audit/audit.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {
namespace {

constexpr std::array kRules{
    AuditRule{"datastore-exposed", Severity::high,
              "internal-only service listening beyond loopback",
              "Databases, caches, search engines, message brokers and etcd trust their network: "
              "on all interfaces anyone who can route to the host can try passwords, exploit "
              "unauthenticated defaults (Redis, memcached, Elasticsearch) or read data.",
              "Bind it to 127.0.0.1 (or a private interface) and reach it through the app, a "
              "tunnel or a firewall allow-list."},
    AuditRule{"cleartext-telnet", Severity::high, "Telnet is listening",
              "Telnet sends passwords and sessions in cleartext.",
              "Disable the Telnet service and use SSH (22)."},
    AuditRule{"cleartext-ftp", Severity::medium, "FTP is listening",
              "FTP sends credentials and files in cleartext.",
              "Use SFTP (over SSH) or FTPS; disable plain FTP."},
    AuditRule{"cleartext-pop3", Severity::medium, "POP3 without POP3S",
              "Port 110 is listening and 995 is not: mail passwords cross the network in "
              "cleartext unless every client uses STARTTLS.",
              "Offer POP3S on 995 and require TLS (or close 110)."},
    AuditRule{"cleartext-imap", Severity::medium, "IMAP without IMAPS",
              "Port 143 is listening and 993 is not: mail passwords cross the network in "
              "cleartext unless every client uses STARTTLS.",
              "Offer IMAPS on 993 and require TLS (or close 143)."},
    AuditRule{"admin-http-exposed", Severity::medium, "admin or monitoring UI on all interfaces",
              "Dashboards and admin APIs (Grafana, Prometheus, Kibana, kubectl proxy, "
              "registries) often ship without authentication or with default passwords.",
              "Bind to 127.0.0.1 and put an authenticating reverse proxy in front."},
    AuditRule{"docker-api-plaintext", Severity::critical, "Docker API on 2375 without TLS",
              "Whoever reaches the Docker API controls the daemon: root on the host. 2375 is "
              "the unencrypted, unauthenticated port.",
              "Use the Unix socket, or 2376 with mutual TLS (--tlsverify)."},
    AuditRule{"service-in-ephemeral-range", Severity::low,
              "listener inside the ephemeral port range",
              "Outgoing connections take local ports from this range: after a restart the "
              "service can find its port taken and fail with EADDRINUSE.",
              "Move the service below the ephemeral range, or add its port to "
              "net.ipv4.ip_local_reserved_ports."},
    AuditRule{"ephemeral-pressure", Severity::medium,
              "many local ports in use towards one destination",
              "Each connection to the same address and port needs its own local port; when the "
              "ephemeral range runs out, connect() fails with EADDRNOTAVAIL.",
              "Reuse connections (keep-alive, pooling), widen net.ipv4.ip_local_port_range, or "
              "spread over more destination addresses."},
    AuditRule{"duplicate-host-port", Severity::high, "host port published twice",
              "Two entries publish the same host port: the second container fails to start "
              "with 'port is already allocated'.",
              "Give each entry its own host port."},
    AuditRule{"host-port-in-use", Severity::medium, "host port already listening on this host",
              "A process on this host already listens on the port the manifest publishes: "
              "the deployment fails with 'address already in use' (unless that process is it).",
              "Stop the other process (portkit who PORT) or publish another host port."},
    AuditRule{"datastore-published", Severity::high,
              "internal-only service published on all interfaces",
              "A port published without a host address listens on 0.0.0.0, and Docker's "
              "published ports bypass ufw and firewalld rules; a hostPort, a NodePort or a "
              "LoadBalancer Service opens it on every node address.",
              "Publish on loopback (compose: prefix the entry with \"127.0.0.1:\") or do not "
              "publish it: containers and pods reach it by service name."},
    AuditRule{"privileged-host-port", Severity::low, "host port below 1024",
              "Ports below net.ipv4.ip_unprivileged_port_start need root or "
              "CAP_NET_BIND_SERVICE: rootless engines cannot publish them.",
              "Publish a port at or above 1024 and map it, or grant the capability."},
    AuditRule{"nodeport-out-of-range", Severity::high, "NodePort outside 30000-32767",
              "The API server refuses a nodePort outside --service-node-port-range (default "
              "30000-32767): the Service is not created.",
              "Pick a nodePort in 30000-32767, or leave it out and let Kubernetes choose."},
    AuditRule{"target-port-mismatch", Severity::medium,
              "Service targetPort matches no container port",
              "The Service's targetPort is not a containerPort (or port name) of the pods it "
              "selects: traffic goes to a port nothing listens on, and requests fail.",
              "Set targetPort to the containerPort (or its name) the pods expose."},
    AuditRule{"malformed-port", Severity::high, "malformed port entry",
              "The engine rejects the entry (or reads it differently from what was meant).",
              "Compose: write it as [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO] with ports "
              "1-65535, quoted in YAML. Kubernetes: containerPort (and hostPort) 1-65535, "
              "protocol TCP, UDP or SCTP."},
    AuditRule{"tls-cert-expired", Severity::high, "TLS certificate has expired",
              "Clients refuse the connection, or users learn to click through warnings; "
              "monitoring that only checks the port sees nothing wrong.",
              "Renew the certificate (certbot renew, your CA's tooling) and reload the server."},
    AuditRule{"tls-cert-expiring", Severity::medium, "TLS certificate expires soon",
              "The certificate expires within --cert-warn-days (default 14): renewal "
              "automation that silently failed shows here before clients break.",
              "Renew it now and check why automatic renewal did not."},
    AuditRule{"tls-self-signed-exposed", Severity::medium,
              "self-signed TLS certificate beyond loopback",
              "No client can verify a self-signed certificate, so clients either fail or are "
              "configured to skip verification, which allows interception.",
              "Use a certificate from a CA the clients trust (a public or an internal CA)."},
    AuditRule{"tls-legacy-version", Severity::medium, "TLS 1.0 or 1.1 accepted",
              "TLS 1.0 and 1.1 are deprecated (RFC 8996): weak handshakes and ciphers, and "
              "compliance scans (PCI DSS) fail on them.",
              "Allow only TLS 1.2 and 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3;)."}};

constexpr std::array<std::string_view, 5> kSeverityNames{"info", "low", "medium", "high",
                                                         "critical"};

constexpr std::array<std::string_view, 3> kDatastoreCategories{"database", "cache", "search"};
constexpr std::array<std::string_view, 10> kDatastoreNames{
    "etcd", "etcd-peer", "kafka", "amqp", "amqps", "mqtt", "nats", "epmd", "zookeeper", "consul"};
constexpr std::array<std::string_view, 12> kAdminNames{
    "grafana", "kibana",        "prometheus",          "alertmanager",
    "jupyter", "kubectl-proxy", "kubelet-readonly",    "docker-registry",
    "zipkin",  "jaeger",        "rabbitmq-management", "node-exporter"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string describe_socket(const SocketRow& row, const CuratedEntry* service) {
  std::string text = fmt::format(
      "{} {}", proto_name(row.socket.proto),
      format_endpoint({.text = row.socket.local.to_string(),
                       .kind = row.socket.local.is_v6 ? HostKind::ipv6 : HostKind::ipv4},
                      row.socket.local_port));
  if (service) text += fmt::format(" ({})", service->name);
  return text;
}

std::string describe_owners(const SocketRow& row) {
  std::string text;
  for (const auto* process : row.processes) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {}", process->pid, process->command);
    if (!process->container.empty()) text += fmt::format(" (container {})", process->container);
  }
  return text;
}

}  // namespace

std::string_view severity_name(Severity severity) {
  return kSeverityNames[static_cast<std::size_t>(severity)];
}

std::optional<Severity> parse_severity(std::string_view text) {
  for (std::size_t i = 0; i < kSeverityNames.size(); ++i) {
    if (kSeverityNames[i] == text) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

std::span<const AuditRule> audit_rules() {
  return kRules;
}

const AuditRule* find_audit_rule(std::string_view id) {
  for (const auto& rule : kRules) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

Result<std::pair<std::uint16_t, const CuratedEntry*>> parse_service_mapping(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos)
    return make_error(fmt::format("expected PORT=SERVICE, got '{}'", text));
  const auto port = parse_single_port(text.substr(0, equals));
  if (!port) return make_error(fmt::format("'{}': {}", text, port.error().message));
  const auto name = text.substr(equals + 1);
  const auto entries = registry::curated_by_name(name);
  if (entries.empty())
    return make_error(
        fmt::format("'{}': unknown service '{}' (try portkit lookup {})", text, name, name));
  return std::pair{port->port, entries.front()};
}

const CuratedEntry* audited_service(std::uint16_t port, Proto proto, const ServiceMap& map) {
  if (const auto mapped = map.find(port); mapped != map.end()) return mapped->second;
  const auto entries = registry::curated_for_port(port, proto_bit(proto));
  // A range entry (NodePorts, BitTorrent) says little about one port inside it.
  for (const auto* entry : entries) {
    if (entry->ports.low == entry->ports.high) return entry;
  }
  return nullptr;
}

const CuratedEntry* identified_service(const SocketRow& row, const ServiceMap& map) {
  if (map.count(row.socket.local_port)) return map.at(row.socket.local_port);
  if (row.owner_service != nullptr) return row.owner_service;  // the listing matched the owner
  return audited_service(row.socket.local_port, row.socket.proto, map);
}

bool is_datastore(const CuratedEntry& entry) {
  return contains(kDatastoreCategories, entry.category) || contains(kDatastoreNames, entry.name);
}

std::vector<Finding> audit_sockets(std::span<const SocketRow> rows, const SocketStats& stats,
                                   const HostPortConfig& host, const AuditSettings& settings) {
  std::vector<Finding> findings;
  auto add = [&](std::string_view id, Severity severity, const SocketRow& row,
                 const CuratedEntry* service, std::string detail) {
    findings.push_back({.rule = find_audit_rule(id),
                        .severity = severity,
                        .subject = describe_socket(row, service),
                        .detail = std::move(detail),
                        .process = describe_owners(row),
                        .port = row.socket.local_port});
  };
  auto listening_on = [&](std::uint16_t port) {
    return std::any_of(rows.begin(), rows.end(), [&](const SocketRow& row) {
      return row.socket.proto == Proto::tcp && row.socket.state == SocketState::listen &&
             row.socket.local_port == port;
    });
  };

  for (const auto& row : rows) {
    const auto& socket = row.socket;
    if (!is_listening(socket)) continue;
    const auto* service = identified_service(row, settings.map);
    const auto exposure = exposure_of(socket.local);
    const bool beyond_loopback = exposure != Exposure::loopback;
    const std::string where = exposure == Exposure::all_interfaces ? "all interfaces"
                              : exposure == Exposure::loopback
                                  ? "loopback only"
                                  : "address " + socket.local.to_string();
    if (service && is_datastore(*service) && beyond_loopback) {
      add("datastore-exposed",
          exposure == Exposure::all_interfaces ? Severity::high : Severity::medium, row, service,
          fmt::format("{} ({}) listens on {}", service->name, service->category, where));
    }
    if (socket.proto != Proto::tcp) continue;
    const std::string_view name = service ? service->name : std::string_view{};
    if (name == "telnet") {
      add("cleartext-telnet", beyond_loopback ? Severity::high : Severity::medium, row, service,
          "Telnet listens on " + where);
    } else if (name == "ftp") {
      add("cleartext-ftp", beyond_loopback ? Severity::medium : Severity::low, row, service,
          "FTP listens on " + where);
    } else if (name == "pop3" && !listening_on(995)) {
      add("cleartext-pop3", Severity::medium, row, service, "110 listens, 995 does not");
    } else if (name == "imap" && !listening_on(993)) {
      add("cleartext-imap", Severity::medium, row, service, "143 listens, 993 does not");
    } else if (name == "docker") {
      add("docker-api-plaintext", beyond_loopback ? Severity::critical : Severity::high, row,
          service, "the Docker API listens without TLS on " + where);
    } else if (contains(kAdminNames, name) && exposure == Exposure::all_interfaces) {
      add("admin-http-exposed", Severity::medium, row, service,
          fmt::format("{} listens on all interfaces", name));
    }
    if (socket.state == SocketState::listen && host.in_ephemeral(socket.local_port) &&
        !host.is_reserved(socket.local_port)) {
      add("service-in-ephemeral-range", Severity::low, row, service,
          fmt::format("port {} is inside the ephemeral range {}-{}", socket.local_port,
                      host.ephemeral.low, host.ephemeral.high));
    }
  }

  for (const auto& pressure : stats.pressure) {
    const double used = pressure.used_fraction();
    if (used < settings.pressure_threshold) continue;
    const auto peer =
        format_endpoint({.text = pressure.peer.to_string(),
                         .kind = pressure.peer.is_v6 ? HostKind::ipv6 : HostKind::ipv4},
                        pressure.peer_port);
    findings.push_back(
        {.rule = find_audit_rule("ephemeral-pressure"),
         .severity = used >= 0.8 ? Severity::high : Severity::medium,
         .subject = "connections to " + peer,
         .detail = fmt::format("{} of {} ephemeral ports ({:.0f} %) in use towards {}",
                               pressure.connections, pressure.ephemeral_size, used * 100, peer),
         .port = pressure.peer_port});
  }
  return findings;
}

void finalize_findings(std::vector<Finding>& findings, const AuditSettings& settings) {
  std::erase_if(findings, [&](const Finding& finding) {
    return std::find(settings.ignore.begin(), settings.ignore.end(), finding.rule->id) !=
           settings.ignore.end();
  });
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.file != b.file) return a.file < b.file;
    if (a.line != b.line) return a.line < b.line;
    return a.subject < b.subject;
  });
}

std::vector<Finding> audit_tls(std::span<const SocketRow> rows, std::span<const TlsCheck> checks,
                               const AuditSettings& settings, std::int64_t now_seconds) {
  std::vector<Finding> findings;
  for (std::size_t i = 0; i < rows.size() && i < checks.size(); ++i) {
    const auto& row = rows[i];
    const auto& check = checks[i];
    const auto* service = identified_service(row, settings.map);
    const auto add = [&](std::string_view id, std::string detail) {
      const auto* rule = find_audit_rule(id);
      findings.push_back({.rule = rule,
                          .severity = rule->severity,
                          .subject = describe_socket(row, service),
                          .detail = std::move(detail),
                          .process = describe_owners(row),
                          .port = row.socket.local_port});
    };
    if (!check.legacy_version.empty()) {
      add("tls-legacy-version", "the server completed a " + check.legacy_version + " handshake");
    }
    if (!check.any_facts()) continue;
    const auto& facts = *check.any_facts();
    const auto days = static_cast<double>(facts.not_after - now_seconds) / 86400.0;
    const auto subject = facts.subject.empty() ? "(no subject)" : facts.subject;
    if (facts.not_after <= now_seconds) {
      add("tls-cert-expired", fmt::format("{} expired {:.0f} days ago", subject, -days));
    } else if (days < settings.cert_warn_days) {
      add("tls-cert-expiring", fmt::format("{} expires in {:.1f} days (warning at {})", subject,
                                           days, settings.cert_warn_days));
    }
    if (facts.self_signed && exposure_of(row.socket.local) != Exposure::loopback) {
      add("tls-self-signed-exposed", subject + " is self-signed, on " +
                                         std::string(exposure_name(exposure_of(row.socket.local))) +
                                         " interfaces");
    }
  }
  return findings;
}

}  // namespace portkit

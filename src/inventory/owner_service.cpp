// Program -> service: a small table over the knowledge base. Pure: a ProcessInfo in, an entry
// out; the /proc walk that fills ProcessInfo is the inventory's.
#include "inventory/owner_service.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <vector>

namespace portkit {
namespace {

struct ProgramService {
  std::string_view program;                  // argv[0]'s base name (or comm)
  std::string_view needle;                   // must appear in the command line ("" = any)
  std::array<std::string_view, 4> services;  // curated names, the main one first
};

// A server is named by its program; a runtime (java, beam.smp) only with its main class or app.
constexpr std::array kPrograms{
    ProgramService{"redis-server", "", {"redis", "redis-sentinel"}},
    ProgramService{"valkey-server", "", {"redis", "redis-sentinel"}},
    ProgramService{"redis-sentinel", "", {"redis-sentinel"}},
    ProgramService{"postgres", "", {"postgresql"}},
    ProgramService{"postmaster", "", {"postgresql"}},
    ProgramService{"mysqld", "", {"mysql"}},
    ProgramService{"mariadbd", "", {"mysql"}},
    ProgramService{"mongod", "", {"mongodb"}},
    ProgramService{"mongos", "", {"mongodb"}},
    ProgramService{"memcached", "", {"memcached"}},
    ProgramService{"sshd", "", {"ssh"}},
    ProgramService{"dockerd", "", {"docker", "docker-tls", "docker-swarm"}},
    ProgramService{"etcd", "", {"etcd", "etcd-peer"}},
    ProgramService{"kube-apiserver", "", {"kubernetes-api"}},
    ProgramService{"kubelet", "", {"kubelet", "kubelet-readonly"}},
    ProgramService{"prometheus", "", {"prometheus"}},
    ProgramService{"node_exporter", "", {"node-exporter"}},
    ProgramService{"prometheus-node-exporter", "", {"node-exporter"}},
    ProgramService{"alertmanager", "", {"alertmanager"}},
    ProgramService{"prometheus-alertmanager", "", {"alertmanager"}},
    ProgramService{"grafana", "", {"grafana"}},
    ProgramService{"grafana-server", "", {"grafana"}},
    ProgramService{"consul", "", {"consul", "consul-dns"}},
    ProgramService{"vault", "", {"vault"}},
    ProgramService{"mosquitto", "", {"mqtt", "mqtt-tls"}},
    ProgramService{"influxd", "", {"influxdb"}},
    ProgramService{"nats-server", "", {"nats"}},
    ProgramService{"epmd", "", {"epmd"}},
    ProgramService{"beam.smp", "rabbit", {"amqp", "amqps", "rabbitmq-management"}},
    ProgramService{"java", "org.elasticsearch", {"elasticsearch", "elasticsearch-transport"}},
    ProgramService{"java", "kafka.Kafka", {"kafka"}},
    ProgramService{"java", "QuorumPeerMain", {"zookeeper"}},
    ProgramService{"java", "CassandraDaemon", {"cassandra"}},
    ProgramService{"nginx", "", {"http", "https", "http-alt", "https-alt"}},
    ProgramService{"apache2", "", {"http", "https", "http-alt", "https-alt"}},
    ProgramService{"httpd", "", {"http", "https", "http-alt", "https-alt"}},
    ProgramService{"named", "", {"dns"}},
    ProgramService{"unbound", "", {"dns"}},
    ProgramService{"dnsmasq", "", {"dns"}},
    ProgramService{"coredns", "", {"dns"}},
    ProgramService{"chronyd", "", {"ntp"}},
    ProgramService{"ntpd", "", {"ntp"}},
};

// The table's names resolved to entries once: ls asks for every owned socket, and a name
// lookup (lower-casing, a search) per socket would cost more than the rest of the match.
const std::vector<std::array<const CuratedEntry*, 4>>& resolved_services() {
  static const auto resolved = [] {
    std::vector<std::array<const CuratedEntry*, 4>> entries(kPrograms.size());
    for (std::size_t i = 0; i < kPrograms.size(); ++i) {
      for (std::size_t k = 0; k < kPrograms[i].services.size(); ++k) {
        const auto name = kPrograms[i].services[k];
        if (name.empty()) continue;
        const auto found = registry::curated_by_name(name);
        entries[i][k] = found.empty() ? nullptr : found.front();
      }
    }
    return entries;
  }();
  return resolved;
}

// docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 15432 -container-ip ... -container-port
// 5432: the argument after -container-port (cmdline arguments are NUL-separated).
std::optional<std::uint16_t> container_port(std::string_view cmdline) {
  constexpr std::string_view kFlag = "-container-port";
  const auto at = cmdline.find(kFlag);
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = cmdline.substr(at + kFlag.size());
  while (!rest.empty() && (rest.front() == '\0' || rest.front() == ' ' || rest.front() == '=')) {
    rest.remove_prefix(1);
  }
  unsigned value = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (error != std::errc{} || end == rest.data() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string_view program_name(const ProcessInfo& process) {
  std::string_view argv0 = process.cmdline;
  argv0 = argv0.substr(0, argv0.find_first_of(std::string_view("\0 ", 2)));
  if (const auto slash = argv0.rfind('/'); slash != std::string_view::npos) {
    argv0.remove_prefix(slash + 1);
  }
  // "postgres: 15/main: checkpointer" and "sshd: user [priv]" rename themselves.
  if (const auto colon = argv0.find(':'); colon != std::string_view::npos) {
    argv0 = argv0.substr(0, colon);
  }
  return argv0.empty() ? std::string_view(process.command) : argv0;
}

const CuratedEntry* service_of_process(const ProcessInfo& process, std::uint16_t port,
                                       Proto proto) {
  const auto program = program_name(process);
  if (program == "docker-proxy") {
    const auto inside = container_port(process.cmdline);
    if (!inside) return nullptr;
    for (const auto* entry : registry::curated_for_port(*inside, proto_bit(proto))) {
      if (entry->ports.low == entry->ports.high) return entry;
    }
    return nullptr;
  }
  for (std::size_t i = 0; i < kPrograms.size(); ++i) {
    const auto& known = kPrograms[i];
    if (known.program != program && known.program != process.command) continue;
    if (!known.needle.empty() && process.cmdline.find(known.needle) == std::string::npos) {
      continue;
    }
    const CuratedEntry* main = nullptr;
    for (const auto* entry : resolved_services()[i]) {
      if (entry == nullptr || (entry->protocols & proto_bit(proto)) == 0) continue;
      if (entry->ports.contains(port)) return entry;  // the program's own port for this socket
      if (main == nullptr) main = entry;
    }
    return main;
  }
  return nullptr;
}

std::span<const std::string_view> programs_services() {
  static const auto names = [] {
    std::vector<std::string_view> all;
    for (const auto& program : kPrograms) {
      for (const auto name : program.services) {
        if (!name.empty()) all.push_back(name);
      }
    }
    return all;
  }();
  return names;
}

}  // namespace portkit

// Audit rules over compose and Kubernetes port plans.
#include <fmt/format.h>

#include <algorithm>

#include "audit/manifest.hpp"

namespace portkit {
namespace {

constexpr std::uint16_t kFirstUnprivilegedPort = 1024;

bool all_interfaces(std::string_view host_ip) {
  return exposure_of_address(host_ip) == Exposure::all_interfaces;
}

// Two publications clash when their host addresses can overlap: equal, or one is a wildcard.
bool addresses_clash(std::string_view a, std::string_view b) {
  const auto bare = [](std::string_view address) {
    return address.size() > 1 && address.front() == '[' ? address.substr(1, address.size() - 2)
                                                        : address;
  };
  return all_interfaces(a) || all_interfaces(b) || bare(a) == bare(b);
}

std::string range_text(PortRange range) {
  return range.low == range.high ? std::to_string(range.low)
                                 : fmt::format("{}-{}", range.low, range.high);
}

// The entry published on loopback instead, as the user would write it.
std::string loopback_fix(const PublishedPort& port, bool kubernetes) {
  if (kubernetes) {
    return fmt::format(
        "Drop the hostPort of {} (pods reach it through a ClusterIP Service), or "
        "set hostIP: 127.0.0.1 on it.",
        port.owner);
  }
  const auto host = port.host_ports ? range_text(*port.host_ports) + ":" : std::string(":");
  const auto container = range_text(port.container_ports);
  return fmt::format(
      "Publish it on loopback (\"127.0.0.1:{}{}{}\" instead of \"{}\") or do not "
      "publish it: containers on the same network reach it by service name.",
      host, container, port.proto == Proto::udp ? "/udp" : "", port.text);
}

Finding manifest_finding(std::string_view id, Severity severity, const PublishedPort& port,
                         std::string detail) {
  return {.rule = find_audit_rule(id),
          .severity = severity,
          .subject = fmt::format("{} \"{}\"", port.owner, port.text),
          .detail = std::move(detail),
          .file = port.file,
          .line = port.line,
          .port = port.host_ports ? std::optional(port.host_ports->low) : std::nullopt};
}

const CuratedEntry* datastore_behind(const PublishedPort& port, const AuditSettings& settings) {
  for (const auto candidate :
       {std::optional(port.container_ports.low),
        port.host_ports ? std::optional(port.host_ports->low) : std::nullopt}) {
    if (!candidate) continue;
    const auto* service = audited_service(*candidate, port.proto, settings.map);
    if (service && is_datastore(*service)) return service;
  }
  return nullptr;
}

// The rules every published host port is held to, compose or hostPort alike.
void audit_published(const std::vector<PublishedPort>& ports,
                     const std::vector<ListeningPort>& listening, const AuditSettings& settings,
                     bool kubernetes, std::vector<Finding>& findings) {
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const auto& port = ports[i];
    if (const auto* service = datastore_behind(port, settings);
        service && all_interfaces(port.host_ip)) {
      auto finding = manifest_finding(
          "datastore-published", Severity::high, port,
          fmt::format("{} ({}) is published on all interfaces{}", service->name, service->category,
                      port.host_ports ? "" : " (on a random host port)"));
      finding.fix = loopback_fix(port, kubernetes);
      findings.push_back(std::move(finding));
    }
    if (!port.host_ports) continue;
    const auto host = *port.host_ports;
    if (host.low < kFirstUnprivilegedPort) {
      findings.push_back(manifest_finding(
          "privileged-host-port", Severity::low, port,
          fmt::format("host port {} needs root or CAP_NET_BIND_SERVICE", host.low)));
    }
    for (std::size_t j = 0; j < i; ++j) {
      const auto& earlier = ports[j];
      if (!earlier.host_ports || earlier.proto != port.proto ||
          !earlier.host_ports->overlaps(host) || !addresses_clash(earlier.host_ip, port.host_ip))
        continue;
      findings.push_back(manifest_finding(
          "duplicate-host-port", Severity::high, port,
          fmt::format("host port {}/{} is also published by {} at {}:{}", range_text(host),
                      proto_name(port.proto), earlier.owner, earlier.file, earlier.line)));
      break;
    }
    if (host.low == host.high) {
      for (const auto& used : listening) {
        if (used.proto != port.proto || used.port != host.low) continue;
        if (!addresses_clash(used.address, port.host_ip)) continue;  // another address: no clash
        findings.push_back(
            manifest_finding("host-port-in-use", Severity::medium, port,
                             fmt::format("{}/{} is already listening on this host{}", host.low,
                                         proto_name(port.proto),
                                         used.owner.empty() ? "" : " (" + used.owner + ")")));
        break;
      }
    }
  }
}

void add_problems(const std::vector<ManifestProblem>& problems, bool kubernetes,
                  std::vector<Finding>& findings) {
  for (const auto& problem : problems) {
    findings.push_back(
        {.rule = find_audit_rule("malformed-port"),
         .severity = Severity::high,
         .subject = fmt::format("{} \"{}\"", problem.owner, problem.text),
         .detail = problem.message,
         .fix = kubernetes
                    ? fmt::format("Fix {}'s entry {}: containerPort (and hostPort) 1-65535, "
                                  "protocol TCP, UDP or SCTP.",
                                  problem.owner, problem.text)
                    : fmt::format("Fix \"{}\": [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO] with "
                                  "ports 1-65535, quoted in YAML (\"8080:80\").",
                                  problem.text),
         .file = problem.file,
         .line = problem.line});
  }
}

bool selects(const K8sService& service, const K8sWorkload& workload) {
  if (service.selector.empty()) return false;
  return std::all_of(service.selector.begin(), service.selector.end(), [&](const auto& pair) {
    const auto label = workload.labels.find(pair.first);
    return label != workload.labels.end() && label->second == pair.second;
  });
}

void audit_services(const std::vector<K8sPlan>& plans, const AuditSettings& settings,
                    std::vector<Finding>& findings) {
  for (const auto& plan : plans) {
    for (const auto& service : plan.services) {
      const bool node_reachable = service.type == "NodePort" || service.type == "LoadBalancer";
      std::vector<const K8sWorkload*> selected;
      for (const auto& other : plans) {
        for (const auto& workload : other.workloads) {
          if (selects(service, workload)) selected.push_back(&workload);
        }
      }
      for (const auto& port : service.ports) {
        auto finding = [&](std::string_view id, Severity severity, std::string detail) {
          return Finding{.rule = find_audit_rule(id),
                         .severity = severity,
                         .subject = fmt::format("Service/{} port {}", service.name, *port.port),
                         .detail = std::move(detail),
                         .file = service.file,
                         .line = port.line,
                         .port = port.port};
        };
        if (port.node_port &&
            !kKubernetesNodePortRange.contains(static_cast<std::uint16_t>(*port.node_port))) {
          findings.push_back(
              finding("nodeport-out-of-range", Severity::high,
                      fmt::format("nodePort {} is outside 30000-32767", *port.node_port)));
        }
        if (node_reachable) {
          const auto* service_entry =
              audited_service(port.target_port.value_or(*port.port), port.proto, settings.map);
          if (!service_entry || !is_datastore(*service_entry))
            service_entry = audited_service(*port.port, port.proto, settings.map);
          if (service_entry && is_datastore(*service_entry)) {
            auto exposed = finding(
                "datastore-published", Severity::high,
                fmt::format("{} ({}) is reachable on every node address through a {} Service",
                            service_entry->name, service_entry->category, service.type));
            exposed.fix = fmt::format(
                "Make Service/{} type ClusterIP (reachable inside the cluster only), or limit who "
                "reaches it (loadBalancerSourceRanges, a NetworkPolicy).",
                service.name);
            findings.push_back(std::move(exposed));
          }
        }
        if (selected.empty()) continue;  // the pods are elsewhere: nothing to compare with
        const bool matched =
            std::any_of(selected.begin(), selected.end(), [&](const K8sWorkload* workload) {
              return std::any_of(workload->ports.begin(), workload->ports.end(),
                                 [&](const K8sContainerPort& container) {
                                   if (container.proto != port.proto) return false;
                                   return port.target_port
                                              ? container.container_port == port.target_port
                                              : container.name == port.target_name;
                                 });
            });
        if (!matched) {
          std::string exposed;
          for (const auto* workload : selected) {
            for (const auto& container : workload->ports) {
              if (!exposed.empty()) exposed += ", ";
              exposed += std::to_string(*container.container_port);
              if (!container.name.empty()) exposed += " (" + container.name + ")";
            }
          }
          findings.push_back(finding(
              "target-port-mismatch", Severity::medium,
              fmt::format("targetPort {} is not a {} containerPort of {}/{} (exposes: {})",
                          port.target_port ? std::to_string(*port.target_port) : port.target_name,
                          proto_name(port.proto), selected.front()->kind, selected.front()->name,
                          exposed.empty() ? "none" : exposed)));
        }
      }
    }
  }
}

}  // namespace

std::vector<Finding> audit_compose(const std::vector<ComposePlan>& plans,
                                   const std::vector<ListeningPort>& listening,
                                   const AuditSettings& settings) {
  std::vector<Finding> findings;
  std::vector<PublishedPort> ports;
  for (const auto& plan : plans) {
    ports.insert(ports.end(), plan.ports.begin(), plan.ports.end());
    add_problems(plan.problems, false, findings);
  }
  audit_published(ports, listening, settings, false, findings);
  return findings;
}

std::vector<Finding> audit_k8s(const std::vector<K8sPlan>& plans,
                               const std::vector<ListeningPort>& listening,
                               const AuditSettings& settings) {
  std::vector<Finding> findings;
  std::vector<PublishedPort> host_ports;
  for (const auto& plan : plans) {
    add_problems(plan.problems, true, findings);
    for (const auto& workload : plan.workloads) {
      for (const auto& port : workload.ports) {
        if (!port.host_port) continue;
        host_ports.push_back(
            {.file = workload.file,
             .line = port.line,
             .owner = workload.kind + "/" + workload.name,
             .host_ip = port.host_ip,
             .host_ports = PortRange{*port.host_port, *port.host_port},
             .container_ports = PortRange{*port.container_port, *port.container_port},
             .proto = port.proto,
             .text = fmt::format("hostPort {} -> containerPort {}", *port.host_port,
                                 *port.container_port)});
      }
    }
  }
  audit_published(host_ports, listening, settings, true, findings);
  audit_services(plans, settings, findings);
  return findings;
}

}  // namespace portkit

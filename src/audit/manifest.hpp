#pragma once
// Port plans read from docker-compose files and Kubernetes manifests (yaml-cpp), and the
// audit rules over them. Parsing is pure: text in, entries and problems out.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/audit/audit.hpp"
#include "portkit/base/port_range.hpp"
#include "portkit/base/proto.hpp"
#include "portkit/base/result.hpp"

namespace portkit {

struct ManifestProblem {
  std::string file;
  int line = 0;
  std::string owner;  // service or workload
  std::string text;   // the entry as written
  std::string message;
};

// One published port: compose `ports:` or a Kubernetes hostPort.
struct PublishedPort {
  std::string file;
  int line = 0;
  std::string owner;                    // compose service or "Pod/name"
  std::string host_ip;                  // empty: all interfaces
  std::optional<PortRange> host_ports;  // none: the engine picks a random host port
  PortRange container_ports;
  Proto proto = Proto::tcp;
  bool sctp = false;  // valid, but outside what the audit checks (TCP and UDP)
  std::string text;   // as written, for reports
};

// Compose short syntax "[HOST_IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO]" (pure).
Result<PublishedPort> parse_compose_port(std::string_view text);

struct ComposePlan {
  std::vector<PublishedPort> ports;
  std::vector<ManifestProblem> problems;
};
// Fails only when the file is not YAML at all (naming its line); bad entries are problems.
Result<ComposePlan> parse_compose(std::string_view text, const std::string& file);

struct K8sContainerPort {
  int line = 0;
  std::optional<std::uint16_t> container_port;
  std::optional<std::uint16_t> host_port;
  std::string host_ip;
  std::string name;
  Proto proto = Proto::tcp;
};

struct K8sWorkload {
  std::string file;
  int line = 0;
  std::string kind;  // Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob
  std::string name;
  std::map<std::string, std::string> labels;  // of the pods it makes
  std::vector<K8sContainerPort> ports;
};

struct K8sServicePort {
  int line = 0;
  std::optional<std::uint16_t> port;
  std::optional<std::uint16_t> target_port;  // numeric targetPort
  std::string target_name;                   // named targetPort
  std::optional<std::uint32_t> node_port;    // as written, may be out of range
  Proto proto = Proto::tcp;
};

struct K8sService {
  std::string file;
  int line = 0;
  std::string name;
  std::string type;  // ClusterIP, NodePort, LoadBalancer
  std::map<std::string, std::string> selector;
  std::vector<K8sServicePort> ports;
};

struct K8sPlan {
  std::vector<K8sWorkload> workloads;
  std::vector<K8sService> services;
  std::vector<ManifestProblem> problems;
};
// Multi-document YAML; documents of other kinds are skipped.
Result<K8sPlan> parse_k8s(std::string_view text, const std::string& file);

// Pure: findings over port plans. `listening` holds the host's listening (proto, port) pairs
// for the host-port-in-use rule.
struct ListeningPort {
  Proto proto;
  std::uint16_t port;
  std::string owner;    // "1234 nginx"
  std::string address;  // the local address it is bound to ("0.0.0.0", "::", "127.0.0.1")
};
std::vector<Finding> audit_compose(const std::vector<ComposePlan>& plans,
                                   const std::vector<ListeningPort>& listening,
                                   const AuditSettings& settings);
std::vector<Finding> audit_k8s(const std::vector<K8sPlan>& plans,
                               const std::vector<ListeningPort>& listening,
                               const AuditSettings& settings);

}  // namespace portkit

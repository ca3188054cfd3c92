// Kubernetes manifests (multi-document YAML): workloads' container ports and Services.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "audit/manifest.hpp"
#include "manifest_yaml.hpp"

namespace portkit {
namespace {

std::string scalar_or_empty(const YAML::Node& node) {
  return node && node.IsScalar() ? node.Scalar() : std::string{};
}

std::map<std::string, std::string> string_map(const YAML::Node& node) {
  std::map<std::string, std::string> values;
  if (!node || !node.IsMap()) return values;
  for (const auto& item : node) {
    if (item.first.IsScalar() && item.second.IsScalar())
      values[item.first.Scalar()] = item.second.Scalar();
  }
  return values;
}

class K8sReader {
 public:
  K8sReader(K8sPlan& plan, const std::string& file) : plan_(plan), file_(file) {}

  void read_document(const YAML::Node& document) {
    if (!document.IsMap()) return;
    const std::string kind = scalar_or_empty(document["kind"]);
    if (kind == "List") {
      if (const auto items = document["items"]; items && items.IsSequence()) {
        for (const auto& item : items) read_document(item);
      }
      return;
    }
    const std::string name = scalar_or_empty(yaml_child(yaml_child(document, "metadata"), "name"));
    const auto spec = document["spec"];
    if (!spec || !spec.IsMap()) return;
    if (kind == "Service") {
      read_service(document, name, spec);
    } else if (kind == "Pod") {
      read_pod_spec(document, kind, name,
                    string_map(yaml_child(yaml_child(document, "metadata"), "labels")), spec);
    } else if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
               kind == "ReplicaSet" || kind == "Job" || kind == "ReplicationController") {
      read_template(document, kind, name, spec["template"]);
    } else if (kind == "CronJob") {
      read_template(document, kind, name,
                    yaml_child(yaml_child(yaml_child(spec, "jobTemplate"), "spec"), "template"));
    }
  }

 private:
  void problem(const YAML::Node& node, const std::string& owner, std::string message) {
    plan_.problems.push_back(
        {file_, yaml_line(node), owner, yaml_flow_text(node), std::move(message)});
  }

  // Kubernetes spells protocols TCP / UDP / SCTP (default TCP). SCTP entries are left out of
  // the audit quietly; anything else is a problem. Nothing means: skip this entry.
  std::optional<Proto> protocol_of(const YAML::Node& entry, const std::string& owner) {
    const auto node = entry["protocol"];
    if (!node) return Proto::tcp;
    const auto text = scalar_or_empty(node);
    const auto proto = parse_proto(text);
    if (!proto && text != "SCTP") problem(entry, owner, "protocol must be TCP, UDP or SCTP");
    return proto;
  }

  void read_template(const YAML::Node& document, const std::string& kind, const std::string& name,
                     const YAML::Node& pod_template) {
    if (!pod_template || !pod_template.IsMap()) return;
    const auto spec = pod_template["spec"];
    if (!spec || !spec.IsMap()) return;
    read_pod_spec(document, kind, name,
                  string_map(yaml_child(yaml_child(pod_template, "metadata"), "labels")), spec);
  }

  void read_pod_spec(const YAML::Node& document, const std::string& kind, const std::string& name,
                     std::map<std::string, std::string> labels, const YAML::Node& spec) {
    K8sWorkload workload{.file = file_,
                         .line = yaml_line(document),
                         .kind = kind,
                         .name = name,
                         .labels = std::move(labels)};
    const std::string owner = kind + "/" + name;
    const bool host_network = scalar_or_empty(spec["hostNetwork"]) == "true";
    const auto containers = spec["containers"];
    if (containers && containers.IsSequence()) {
      for (const auto& container : containers) {
        if (!container.IsMap()) continue;
        const auto ports = container["ports"];
        if (!ports) continue;
        if (!ports.IsSequence()) {
          problem(ports, owner, "'ports' must be a list");
          continue;
        }
        for (const auto& entry : ports) read_container_port(workload, owner, host_network, entry);
      }
    }
    plan_.workloads.push_back(std::move(workload));
  }

  void read_container_port(K8sWorkload& workload, const std::string& owner, bool host_network,
                           const YAML::Node& entry) {
    if (!entry.IsMap()) {
      problem(entry, owner, "a container port must be a mapping with containerPort");
      return;
    }
    K8sContainerPort port{.line = yaml_line(entry)};
    port.container_port = yaml_port(entry["containerPort"]);
    if (!port.container_port) {
      problem(entry, owner, "containerPort must be a number 1-65535");
      return;
    }
    if (const auto host = entry["hostPort"]; host) {
      port.host_port = yaml_port(host);
      if (!port.host_port) {
        problem(entry, owner, "hostPort must be a number 1-65535");
        return;
      }
    } else if (host_network) {
      port.host_port = port.container_port;  // hostNetwork: the container binds the node's port
    }
    const auto proto = protocol_of(entry, owner);
    if (!proto) return;
    port.proto = *proto;
    port.host_ip = scalar_or_empty(entry["hostIP"]);
    port.name = scalar_or_empty(entry["name"]);
    workload.ports.push_back(std::move(port));
  }

  void read_service(const YAML::Node& document, const std::string& name, const YAML::Node& spec) {
    K8sService service{.file = file_,
                       .line = yaml_line(document),
                       .name = name,
                       .type = scalar_or_empty(spec["type"]),
                       .selector = string_map(spec["selector"])};
    if (service.type.empty()) service.type = "ClusterIP";
    const std::string owner = "Service/" + name;
    const auto ports = spec["ports"];
    if (ports && !ports.IsSequence()) problem(ports, owner, "'ports' must be a list");
    if (ports && ports.IsSequence()) {
      for (const auto& entry : ports) {
        if (!entry.IsMap()) {
          problem(entry, owner, "a Service port must be a mapping with port");
          continue;
        }
        K8sServicePort port{.line = yaml_line(entry)};
        port.port = yaml_port(entry["port"]);
        if (!port.port) {
          problem(entry, owner, "port must be a number 1-65535");
          continue;
        }
        if (const auto target = entry["targetPort"]; target && target.IsScalar()) {
          const auto& text = target.Scalar();
          if (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front()))) {
            port.target_port = parse_manifest_port(text);
            if (!port.target_port) {
              problem(entry, owner, "targetPort must be a number 1-65535 or a port name");
              continue;
            }
          } else {
            port.target_name = text;
          }
        } else {
          port.target_port = port.port;  // Kubernetes' default
        }
        if (const auto node_port = entry["nodePort"]; node_port) {
          const auto value = yaml_port(node_port);
          if (!value) {
            problem(entry, owner, "nodePort must be a number (30000-32767)");
            continue;
          }
          port.node_port = *value;
        }
        const auto proto = protocol_of(entry, owner);
        if (!proto) continue;
        port.proto = *proto;
        service.ports.push_back(std::move(port));
      }
    }
    plan_.services.push_back(std::move(service));
  }

  K8sPlan& plan_;
  const std::string& file_;
};

}  // namespace

Result<K8sPlan> parse_k8s(std::string_view text, const std::string& file) {
  auto documents = load_yaml_documents(text, file);
  if (!documents) return documents.error();
  K8sPlan plan;
  std::size_t objects = 0;
  for (const auto& document : *documents) {
    if (!document.IsMap()) continue;
    if (document["services"] && !document["kind"]) {
      return make_error(file +
                        ": a compose file, not a Kubernetes manifest (give it to "
                        "--compose)");
    }
    if (document["kind"]) ++objects;
  }
  if (objects == 0) {
    return make_error(file +
                      ": no Kubernetes object (a document with 'kind') in it: an empty "
                      "port plan would pass a CI gate unchecked");
  }
  try {
    K8sReader reader(plan, file);
    for (const auto& document : *documents) reader.read_document(document);
  } catch (const YAML::Exception& error) {
    return make_error(fmt::format("{}:{}: {}", file, error.mark.line + 1, error.msg));
  }
  return plan;
}

}  // namespace portkit

// docker-compose port plans, read with yaml-cpp.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>

#include "audit/manifest.hpp"
#include "base/text_util.hpp"
#include "manifest_yaml.hpp"

namespace portkit {
namespace {

Result<PortRange> parse_port_range(std::string_view text, std::string_view what) {
  const auto dash = text.find('-');
  const auto low = parse_manifest_port(text.substr(0, dash));
  const auto high =
      dash == std::string_view::npos ? low : parse_manifest_port(text.substr(dash + 1));
  if (!low || !high)
    return make_error(fmt::format("{} '{}' is not a port or range of ports 1-65535", what, text));
  if (*high < *low) return make_error(fmt::format("{} range '{}' runs backwards", what, text));
  return PortRange{*low, *high};
}

// Compose's ${VAR}, ${VAR:-default}, ${VAR-default} and $VAR, from the environment; unset
// and without a default is empty, as compose does (with a warning).
std::string interpolate(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name;
    std::optional<std::string> fallback;
    bool empty_counts_as_unset = false;
    if (text[i + 1] == '{') {
      const auto close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        out += text.substr(i);
        break;
      }
      const auto inner = text.substr(i + 2, close - i - 2);
      const auto op = inner.find_first_of(":-?");
      name = std::string(inner.substr(0, op));
      if (op != std::string_view::npos) {
        if (inner.substr(op, 2) == ":-") {
          fallback = std::string(inner.substr(op + 2));
          empty_counts_as_unset = true;
        } else if (inner[op] == '-') {
          fallback = std::string(inner.substr(op + 1));
        }
      }
      i = close;
    } else {
      std::size_t end = i + 1;
      while (end < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
        ++end;
      name = std::string(text.substr(i + 1, end - i - 1));
      i = end - 1;
    }
    const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
    if (value && !(empty_counts_as_unset && *value == '\0')) {
      out += value;
    } else if (fallback) {
      out += *fallback;
    }
  }
  return out;
}

void add_problem(ComposePlan& plan, const std::string& file, const YAML::Node& node,
                 const std::string& owner, std::string text, std::string message) {
  plan.problems.push_back({file, yaml_line(node), owner, std::move(text), std::move(message)});
}

void read_long_syntax(ComposePlan& plan, const std::string& file, const std::string& owner,
                      const YAML::Node& entry) {
  const std::string text = yaml_flow_text(entry);
  const auto target = entry["target"];
  if (!target || !target.IsScalar()) {
    add_problem(plan, file, entry, owner, text, "a long-syntax port needs 'target'");
    return;
  }
  PublishedPort port{.file = file, .line = yaml_line(entry), .owner = owner, .text = text};
  auto container = parse_port_range(interpolate(target.Scalar()), "target");
  if (!container) {
    add_problem(plan, file, entry, owner, text, container.error().message);
    return;
  }
  port.container_ports = *container;
  if (const auto published = entry["published"]; published && published.IsScalar()) {
    const auto value = interpolate(published.Scalar());
    if (!value.empty()) {
      auto host = parse_port_range(value, "published");
      if (!host) {
        add_problem(plan, file, entry, owner, text, host.error().message);
        return;
      }
      port.host_ports = *host;
    }
  }
  if (const auto ip = entry["host_ip"]; ip && ip.IsScalar())
    port.host_ip = interpolate(ip.Scalar());
  if (const auto protocol = entry["protocol"]; protocol && protocol.IsScalar()) {
    if (to_lower(protocol.Scalar()) == "sctp") return;  // valid; the audit checks TCP and UDP
    const auto proto = parse_proto(protocol.Scalar());
    if (!proto) {
      add_problem(plan, file, entry, owner, text,
                  fmt::format("protocol '{}' is not tcp, udp or sctp", protocol.Scalar()));
      return;
    }
    port.proto = *proto;
  }
  plan.ports.push_back(std::move(port));
}

}  // namespace

Result<PublishedPort> parse_compose_port(std::string_view text) {
  PublishedPort port;
  port.text = std::string(text);
  std::string_view rest = text;
  if (const auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    const auto name = rest.substr(slash + 1);
    const auto proto = parse_proto(name);
    port.sctp = to_lower(name) == "sctp";
    if (!proto && !port.sctp)
      return make_error(fmt::format("protocol '{}' is not tcp, udp or sctp", name));
    if (proto) port.proto = *proto;
    rest = rest.substr(0, slash);
  }
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return make_error(fmt::format("'{}': an IPv6 host address needs [ADDRESS]:PORT", text));
    port.host_ip = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 2);
    if (rest.find(':') == std::string_view::npos)
      return make_error(fmt::format("'{}': a host address needs HOST_PORT:CONTAINER_PORT", text));
  }
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto colon = rest.find(':', start);
    parts.push_back(rest.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3 || (parts.size() == 3 && !port.host_ip.empty()))
    return make_error(fmt::format("'{}': too many ':' (IPv6 addresses go in brackets)", text));
  if (parts.size() == 3) port.host_ip = std::string(parts[0]);
  if (parts.size() >= 2 && !parts[parts.size() - 2].empty()) {
    auto host = parse_port_range(parts[parts.size() - 2], "host port");
    if (!host) return make_error(fmt::format("'{}': {}", text, host.error().message));
    port.host_ports = *host;
  }
  auto container = parse_port_range(parts.back(), "container port");
  if (!container) return make_error(fmt::format("'{}': {}", text, container.error().message));
  port.container_ports = *container;
  if (port.host_ports && port.container_ports.size() > 1 &&
      port.host_ports->size() != port.container_ports.size())
    return make_error(fmt::format("'{}': host and container ranges differ in size", text));
  if (parts.size() == 3 && port.host_ip.empty())
    return make_error(fmt::format("'{}': empty host address", text));
  return port;
}

namespace {

Result<bool> read_services(ComposePlan& plan, const YAML::Node& root, const std::string& file) {
  if (!root.IsMap()) return make_error(file + ": a compose file is a mapping with 'services'");
  if (root["apiVersion"] && root["kind"]) {
    return make_error(file + ": a Kubernetes manifest, not a compose file (give it to --k8s)");
  }
  const auto services = root["services"];
  if (!services) {
    return make_error(file +
                      ": not a compose file: it has no 'services' (an empty port plan "
                      "would pass a CI gate unchecked)");
  }
  if (!services.IsMap())
    return make_error(
        fmt::format("{}:{}: 'services' must be a mapping", file, yaml_line(services)));
  for (const auto& service : services) {
    const std::string owner = service.first.IsScalar() ? service.first.Scalar() : "?";
    const YAML::Node& body = service.second;
    if (!body.IsMap()) continue;
    if (const auto mode = body["network_mode"]; mode && mode.IsScalar() && mode.Scalar() == "host")
      continue;  // host networking publishes nothing: the process binds the host's ports itself
    const auto ports = body["ports"];
    if (!ports) continue;
    if (!ports.IsSequence()) {
      add_problem(plan, file, ports, owner, yaml_flow_text(ports), "'ports' must be a list");
      continue;
    }
    for (const auto& entry : ports) {
      if (entry.IsMap()) {
        read_long_syntax(plan, file, owner, entry);
        continue;
      }
      if (!entry.IsScalar()) {
        add_problem(plan, file, entry, owner, yaml_flow_text(entry),
                    "a port entry must be a string or a mapping");
        continue;
      }
      auto parsed = parse_compose_port(interpolate(entry.Scalar()));
      if (!parsed) {
        add_problem(plan, file, entry, owner, entry.Scalar(), parsed.error().message);
        continue;
      }
      if (parsed->sctp) continue;  // valid; the audit checks TCP and UDP
      parsed->file = file;
      parsed->line = yaml_line(entry);
      parsed->owner = owner;
      parsed->text = entry.Scalar();
      plan.ports.push_back(std::move(parsed).value());
    }
  }
  return true;
}

}  // namespace

Result<ComposePlan> parse_compose(std::string_view text, const std::string& file) {
  auto documents = load_yaml_documents(text, file);
  if (!documents) return documents.error();
  ComposePlan plan;
  if (documents->empty() || documents->front().IsNull()) {
    return make_error(file + ": empty: a compose file names its services");
  }
  try {
    auto read = read_services(plan, documents->front(), file);
    if (!read) return read.error();
  } catch (const YAML::Exception& error) {
    return make_error(fmt::format("{}:{}: {}", file, error.mark.line + 1, error.msg));
  }
  return plan;
}

}  // namespace portkit

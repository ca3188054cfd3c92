// The audit config file, read with toml++ (header-only, as in forward_config.cpp).
#include <fmt/format.h>
#include <toml++/toml.h>

#include "base/toml_config.hpp"
#include "portkit/audit/audit.hpp"
#include "sys/file.hpp"

namespace portkit {

Result<std::optional<Severity>> parse_audit_config(std::string_view text, const std::string& path,
                                                   AuditSettings& settings) {
  auto parsed = parse_toml_guarded(text, path);
  if (!parsed) return parsed.error();
  const toml::table& root = *parsed;
  AuditSettings merged = settings;
  std::optional<Severity> fail_on;
  for (const auto& [key, node] : root) {
    const auto name = key.str();
    if (name == "ignore") {
      const auto* ids = node.as_array();
      if (!ids) return make_error(toml_where(path, node) + "ignore must be a list of rule ids");
      for (const auto& id : *ids) {
        const auto value = id.value<std::string>();
        if (!value || !find_audit_rule(*value))
          return make_error(toml_where(path, id) +
                            "unknown rule id (portkit audit --rules lists them)");
        merged.ignore.push_back(*value);
      }
    } else if (name == "fail_on") {
      const auto value = node.value<std::string>();
      fail_on = value ? parse_severity(*value) : std::nullopt;
      if (!fail_on)
        return make_error(toml_where(path, node) +
                          "fail_on must be info, low, medium, high or critical");
    } else if (name == "pressure_threshold") {
      const auto value = node.value<double>();
      if (!value || *value <= 0 || *value > 1)
        return make_error(toml_where(path, node) +
                          "pressure_threshold must be a fraction in (0, 1]");
      merged.pressure_threshold = *value;
    } else if (name == "map") {
      const auto* table = node.as_table();
      if (!table)
        return make_error(toml_where(path, node) + "map must be a table of PORT = \"service\"");
      for (const auto& [port, service] : *table) {
        const auto value = service.value<std::string>();
        if (!value)
          return make_error(toml_where(path, service) + "a service name must be a string");
        auto mapping = parse_service_mapping(std::string(port.str()) + "=" + *value);
        if (!mapping) return make_error(toml_where(path, service) + mapping.error().message);
        merged.map[mapping->first] = mapping->second;
      }
    } else {
      return make_error(toml_where(path, node) + "unknown key '" + std::string(name) + "'");
    }
  }
  settings = std::move(merged);
  return fail_on;
}

Result<std::optional<Severity>> read_audit_config(const std::string& path,
                                                  AuditSettings& settings) {
  auto text = sys::read_input_file(path, sys::kMaxConfigBytes);
  if (!text) return text.error();
  return parse_audit_config(*text, path, settings);
}

}  // namespace portkit

#include "manifest_yaml.hpp"

#include <fmt/format.h>

#include "text_util.hpp"

namespace portkit {

Result<std::vector<YAML::Node>> load_yaml_documents(std::string_view text,
                                                    const std::string& file) {
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& error) {
    return make_error(
        fmt::format("{}:{}: not valid YAML: {}", file, error.mark.line + 1, error.msg));
  } catch (const std::exception& error) {
    return make_error(fmt::format("{}: not valid YAML: {}", file, error.what()));
  }
}

int yaml_line(const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.line < 0 ? 0 : mark.line + 1;
}

std::string yaml_flow_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  try {
    YAML::Emitter emitter;
    emitter << YAML::Flow << node;
    std::string text = emitter.c_str();
    if (text.size() > 80) {
      text.resize(77);
      text.append(3, '.');
    }
    return text;
  } catch (const std::exception&) {
    return "?";
  }
}

std::optional<std::uint16_t> parse_manifest_port(std::string_view text) {
  const auto value = parse_decimal(text);
  if (!value || *value == 0 || *value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

YAML::Node yaml_child(const YAML::Node& node, const char* key) {
  if (!node || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const auto child = node[key];
  return child ? child : YAML::Node(YAML::NodeType::Undefined);
}

std::optional<std::uint16_t> yaml_port(const YAML::Node& node) {
  if (!node || !node.IsScalar()) return std::nullopt;
  return parse_manifest_port(node.Scalar());
}

}  // namespace portkit

#include "manifest_yaml.hpp"

#include <fmt/format.h>

#include "base/text_util.hpp"

namespace portkit {

namespace {

bool is_marker_line(std::string_view line, std::string_view marker) {
  if (!line.starts_with(marker)) return false;
  return line.size() == marker.size() || line[marker.size()] == ' ' ||
         line[marker.size()] == '\t' || line[marker.size()] == '\r';
}

// Blank lines, comments and directives carry no document content.
bool carries_content(std::string_view line) {
  const auto first = line.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return false;
  return line[first] != '#' && !(first == 0 && line[0] == '%');
}

// Whether a document's content, markers and comments aside, is a way of writing null. yaml-cpp
// 0.7 also reads a document it cannot start (",") as null, without an error: such a document
// must not pass for an empty one.
bool spells_null(std::string_view document) {
  std::string_view content;
  while (!document.empty()) {
    auto line = take_line(document);
    if (is_marker_line(line, "---") || is_marker_line(line, "...")) line.remove_prefix(3);
    if (!carries_content(line)) continue;
    line = trim_spaces(line.substr(0, line.find(" #")));
    if (!content.empty() && !line.empty()) return false;  // null is a single word
    if (!line.empty()) content = line;
  }
  return content.empty() || content == "~" || content == "null" || content == "Null" ||
         content == "NULL";
}

}  // namespace

std::vector<YamlDocumentText> split_yaml_documents(std::string_view text) {
  std::vector<YamlDocumentText> documents;
  YamlDocumentText current;
  bool current_has_content = false;
  int line_number = 0;
  auto finish = [&](int next_first_line) {
    if (current_has_content) documents.push_back(std::move(current));
    current = {};
    current.first_line = next_first_line;
    current_has_content = false;
  };
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    const auto with_newline = end == std::string_view::npos ? text : text.substr(0, end + 1);
    text.remove_prefix(with_newline.size());
    if (is_marker_line(line, "---") && current_has_content) finish(line_number);
    current.text.append(with_newline);
    current_has_content = current_has_content || carries_content(line) || line.starts_with("---");
    ++line_number;
    if (is_marker_line(line, "...")) finish(line_number);
  }
  finish(line_number);
  return documents;
}

Result<std::vector<YAML::Node>> load_yaml_documents(std::string_view text,
                                                    const std::string& file) {
  // Each document is loaded on its own: YAML::LoadAll of yaml-cpp 0.7 loops forever, allocating,
  // on a document it cannot start (a stream holding just ","). Leading newlines keep the
  // parser's line numbers those of the whole file.
  std::vector<YAML::Node> nodes;
  for (const auto& document : split_yaml_documents(text)) {
    std::string numbered(static_cast<std::size_t>(document.first_line), '\n');
    numbered += document.text;
    try {
      nodes.push_back(YAML::Load(numbered));
      if (nodes.back().IsNull() && !spells_null(document.text)) {
        return make_error(fmt::format("{}:{}: not valid YAML: the document cannot be read", file,
                                      document.first_line + 1));
      }
    } catch (const YAML::Exception& error) {
      return make_error(
          fmt::format("{}:{}: not valid YAML: {}", file, error.mark.line + 1, error.msg));
    } catch (const std::exception& error) {
      return make_error(fmt::format("{}: not valid YAML: {}", file, error.what()));
    }
  }
  return nodes;
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

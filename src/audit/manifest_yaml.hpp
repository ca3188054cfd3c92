#pragma once
// yaml-cpp helpers shared by the compose and Kubernetes readers: exceptions become errors
// naming file and line, and scalars become ports without throwing.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/result.hpp"

namespace portkit {

// One document of a YAML stream: its text, from its "---" line if it has one.
struct YamlDocumentText {
  std::string text;
  int first_line = 0;  // 0-based line of the stream where the text starts
};
// Splits a stream at "---" and "..." lines (column 0 always marks a document in YAML); pieces
// with nothing but blank lines, comments and directives are dropped.
std::vector<YamlDocumentText> split_yaml_documents(std::string_view text);

// All documents of a YAML stream; an error names the file and line.
Result<std::vector<YAML::Node>> load_yaml_documents(std::string_view text, const std::string& file);

int yaml_line(const YAML::Node& node);               // 1-based; 0 when unknown
std::string yaml_flow_text(const YAML::Node& node);  // short text of a node, for reports
std::optional<std::uint16_t> parse_manifest_port(std::string_view text);  // 1-65535, digits only
// node[key] when node is a mapping that has key; else an undefined node. yaml-cpp throws when
// a missing child is indexed again, so nested lookups go through this.
YAML::Node yaml_child(const YAML::Node& node, const char* key);
// A scalar node as a port; nullopt when it is not one.
std::optional<std::uint16_t> yaml_port(const YAML::Node& node);

}  // namespace portkit

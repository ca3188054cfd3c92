#pragma once
// What the forward and audit config readers share: a guarded parse and "file:LINE: " for
// errors. Header-only, like toml++ in the two files that read TOML (TOML_HEADER_ONLY there).
#include <fmt/format.h>
#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "base/toml_guard.hpp"
#include "portkit/base/result.hpp"

namespace portkit {

// "file:LINE: " for a node, so every error points at the line to fix.
inline std::string toml_where(std::string_view file, const toml::node& node) {
  return fmt::format("{}:{}: ", file, node.source().begin.line);
}

// The document, after refusing what toml++ 3.3 cannot be trusted with; a syntax error names
// the file and line.
inline Result<toml::table> parse_toml_guarded(std::string_view text, std::string_view file) {
  if (auto unsafe = refuse_toml_parser_traps(text, file); !unsafe) return unsafe.error();
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& error) {
    return make_error(
        fmt::format("{}:{}: {}", file, error.source().begin.line, error.description()));
  }
}

}  // namespace portkit

#include "toml_guard.hpp"

#include <fmt/format.h>

#include <cctype>

namespace portkit {

// toml++ 3.3 (Debian 12) has inputs that reach __builtin_unreachable or a failed assumption
// instead of a parse error (found by fuzz/fuzz_parsers): non-ASCII characters where it checks
// for whitespace, and a table header whose name does not start like a key ("[+"). Rule files
// hold addresses, ports and names, so those inputs are refused before the parser sees them.
Result<bool> refuse_toml_parser_traps(std::string_view text, std::string_view file_name) {
  std::size_t line = 1;
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      return make_error(
          fmt::format("{}:{}: non-ASCII byte: config files must be ASCII", file_name, line));
    }
    if (c == '\n') {
      ++line;
      line_start = true;
      continue;
    }
    if (line_start && c == '[') {
      std::size_t next = i + 1;
      if (next < text.size() && text[next] == '[') ++next;
      while (next < text.size() && (text[next] == ' ' || text[next] == '\t')) ++next;
      const char first = next < text.size() ? text[next] : '\n';
      const bool key_like = std::isalnum(static_cast<unsigned char>(first)) || first == '_' ||
                            first == '-' || first == '"' || first == '\'';
      if (!key_like)
        return make_error(fmt::format("{}:{}: malformed table header", file_name, line));
    }
    if (c != ' ' && c != '\t') line_start = false;
  }
  return true;
}

}  // namespace portkit

#include "base/toml_guard.hpp"

#include <fmt/format.h>

#include <cctype>

namespace portkit {

namespace {

// The length of the well-formed UTF-8 sequence at text[i] (a lead byte >= 0x80), or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const std::size_t length = lead >= 0xF0 && lead <= 0xF4   ? 4
                             : lead >= 0xE0                 ? 3
                             : lead >= 0xC2 && lead <= 0xDF ? 2
                                                            : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
  }
  const auto second = static_cast<unsigned char>(text[i + 1]);
  if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) ||  // overlong, surrogate
      (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F))    // overlong, > U+10FFFF
    return 0;
  return length;
}

}  // namespace

// toml++ 3.3 (Debian 12) has inputs that reach __builtin_unreachable or a failed assumption
// instead of a parse error (found by fuzz/fuzz_parsers): non-ASCII characters where it checks
// for whitespace or a key, and a table header whose name does not start like a key ("[+").
// TOML is UTF-8, and comments and strings may hold any of it ("# 数据库", name = "café"), so
// those pass; anywhere else a non-ASCII byte (a bare key, between tokens) is refused before the
// parser sees it, as is malformed UTF-8 anywhere.
Result<bool> refuse_toml_parser_traps(std::string_view text, std::string_view file_name) {
  enum class Context { code, comment, basic, literal, multi_basic, multi_literal };
  auto context = Context::code;
  std::size_t line = 1;
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const auto length = utf8_sequence(text, i);
      if (length == 0) {
        return make_error(fmt::format("{}:{}: malformed UTF-8 (TOML is UTF-8)", file_name, line));
      }
      if (context == Context::code) {
        return make_error(
            fmt::format("{}:{}: non-ASCII character outside a string or comment (quote the key)",
                        file_name, line));
      }
      i += length - 1;
      continue;
    }
    const auto starts = [&](std::string_view token) {
      return text.substr(i, token.size()) == token;
    };
    switch (context) {
      case Context::code:
        if (c == '#') {
          context = Context::comment;
        } else if (starts("\"\"\"")) {
          context = Context::multi_basic;
          i += 2;
        } else if (starts("'''")) {
          context = Context::multi_literal;
          i += 2;
        } else if (c == '"') {
          context = Context::basic;
        } else if (c == '\'') {
          context = Context::literal;
        }
        break;
      case Context::comment:
        if (c == '\n') context = Context::code;
        break;
      case Context::basic:
        if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
          ++i;  // an escaped character, '"' included
        } else if (c == '"' || c == '\n') {
          context = Context::code;  // a newline ends it: toml++ reports the unterminated string
        }
        break;
      case Context::literal:
        if (c == '\'' || c == '\n') context = Context::code;
        break;
      case Context::multi_basic:
        if (c == '\\' && i + 1 < text.size()) {
          ++i;
        } else if (starts("\"\"\"")) {
          context = Context::code;
          i += 2;
        }
        break;
      case Context::multi_literal:
        if (starts("'''")) {
          context = Context::code;
          i += 2;
        }
        break;
    }
    if (text[i] == '\n') {
      ++line;
      line_start = true;
      continue;
    }
    if (context == Context::code && line_start && c == '[') {
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

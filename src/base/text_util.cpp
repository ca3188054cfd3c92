#include "base/text_util.hpp"

#include <fmt/format.h>

namespace portkit {

std::string single_quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  std::string out = "'";
  std::size_t shown = 0;
  for (const unsigned char c : text) {
    if (shown++ == kMaxShown) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out + "'";
}

}  // namespace portkit

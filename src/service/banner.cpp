#include <string>
#include <string_view>

#include "portkit/service/service_identity.hpp"

namespace portkit {

std::string sanitize_banner(std::string_view bytes, std::size_t max_length) {
  std::string out;
  bool pending_break = false;
  for (const unsigned char c : bytes) {
    if (out.size() >= max_length) break;
    if (c == '\r' || c == '\n') {
      pending_break = !out.empty();
      continue;
    }
    if (pending_break) {
      out += " | ";
      pending_break = false;
    }
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  }
  if (out.size() > max_length) out.resize(max_length);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace portkit

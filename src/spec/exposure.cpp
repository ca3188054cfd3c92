// Address exposure: pure facts about an address, shared by the inventory, audit, forward and
// the CLI's warnings.
#include <algorithm>

#include "portkit/spec/spec.hpp"

namespace portkit {

Exposure exposure_of_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty()) return Exposure::all_interfaces;
  const auto address = parse_ip_address(text);
  return address ? exposure_of(*address) : Exposure::one_address;
}

Exposure exposure_of(const IpAddress& local) {
  const auto& b = local.bytes;
  if (!local.is_v6) {
    if (b[0] == 127) return Exposure::loopback;
    if (b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0) return Exposure::all_interfaces;
    return Exposure::one_address;
  }
  const bool zero_prefix = std::all_of(b.begin(), b.begin() + 15, [](auto x) { return x == 0; });
  if (zero_prefix && b[15] == 1) return Exposure::loopback;
  if (zero_prefix && b[15] == 0) return Exposure::all_interfaces;
  // IPv4-mapped loopback (::ffff:127.x.x.x)
  const bool mapped = std::all_of(b.begin(), b.begin() + 10, [](auto x) { return x == 0; }) &&
                      b[10] == 0xff && b[11] == 0xff;
  if (mapped && b[12] == 127) return Exposure::loopback;
  return Exposure::one_address;
}

std::string_view exposure_name(Exposure exposure) {
  switch (exposure) {
    case Exposure::loopback:
      return "loopback";
    case Exposure::all_interfaces:
      return "all";
    case Exposure::one_address:
      return "address";
  }
  return "unknown";
}

}  // namespace portkit

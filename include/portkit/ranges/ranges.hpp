#pragma once
// IANA port ranges and this host's own: ephemeral range, reserved ports, unprivileged start.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/port_range.hpp"
#include "portkit/base/result.hpp"

namespace portkit {

enum class RangeClass : std::uint8_t { well_known, registered, dynamic };

RangeClass range_class(std::uint16_t port);
std::string_view range_class_name(RangeClass range_class);  // "well-known", "registered", "dynamic"
PortRange range_class_bounds(RangeClass range_class);

inline constexpr PortRange kKubernetesNodePortRange{30000, 32767};

struct HostPortConfig {
  // Linux defaults, kept when the host cannot be read (and the *_known flag stays false).
  PortRange ephemeral{32768, 60999};
  std::vector<PortRange> reserved;
  std::uint16_t unprivileged_start = 1024;
  bool ephemeral_known = false;
  bool reserved_known = false;
  bool unprivileged_known = false;

  [[nodiscard]] bool in_ephemeral(std::uint16_t port) const { return ephemeral.contains(port); }
  [[nodiscard]] bool is_reserved(std::uint16_t port) const;
  [[nodiscard]] bool needs_privilege(std::uint16_t port) const {
    return port != 0 && port < unprivileged_start;
  }
};

// Parsers of the sysctl files' text (pure, fuzzed).
Result<PortRange> parse_local_port_range(std::string_view text);             // "32768\t60999\n"
Result<std::vector<PortRange>> parse_reserved_ports(std::string_view text);  // "8080,9000-9010\n"
Result<std::uint16_t> parse_unprivileged_port_start(std::string_view text);  // "1024\n"

// Reads net.ipv4.ip_local_port_range, ip_local_reserved_ports and ip_unprivileged_port_start
// (they also govern IPv6). Whatever cannot be read keeps its Linux default, flagged unknown.
HostPortConfig read_host_port_config(const std::string& sysctl_dir = "/proc/sys/net/ipv4");

}  // namespace portkit

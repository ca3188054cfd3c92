#include "portkit/ranges/ranges.hpp"
#include "sys/file.hpp"

namespace portkit {

HostPortConfig read_host_port_config(const std::string& sysctl_dir) {
  HostPortConfig config;
  if (const auto text = sys::read_text_file(sysctl_dir + "/ip_local_port_range")) {
    if (const auto range = parse_local_port_range(*text)) {
      config.ephemeral = *range;
      config.ephemeral_known = true;
    }
  }
  if (const auto text = sys::read_text_file(sysctl_dir + "/ip_local_reserved_ports")) {
    if (auto reserved = parse_reserved_ports(*text)) {
      config.reserved = std::move(reserved).value();
      config.reserved_known = true;
    }
  }
  if (const auto text = sys::read_text_file(sysctl_dir + "/ip_unprivileged_port_start")) {
    if (const auto start = parse_unprivileged_port_start(*text)) {
      config.unprivileged_start = *start;
      config.unprivileged_known = true;
    }
  }
  return config;
}

}  // namespace portkit

#pragma once
// services(5) text, as netbase's /etc/services and Wireshark's copy of the IANA registry
// ("name port[-port]/proto[/proto...] [aliases...] [# description]").
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/port_range.hpp"
#include "portkit/base/proto.hpp"
#include "portkit/base/result.hpp"

namespace portkit {

struct ServiceLine {
  std::string name;
  PortRange ports;
  ProtoMask protocols = 0;
  std::vector<std::string> aliases;
  std::string description;
};

// Strict: the first malformed line is an error naming its line number, because the
// build must not silently drop registry entries.
Result<std::vector<ServiceLine>> parse_services(std::string_view text);

}  // namespace portkit

#pragma once
// "Most commonly open" port order for `scan --top N`: our curated ranks first (they carry
// today's infrastructure ports such as 6443, 10250, 2379), then nmap's measured frequencies
// when nmap is installed (read at run time, never copied), then the IANA registry.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/proto.hpp"

namespace portkit {

struct PortFrequency {
  std::uint16_t port = 0;
  Proto proto = Proto::tcp;
  double frequency = 0;
};

// nmap-services lines: "name port/proto frequency [# comment]". Lines that do not fit
// (sctp, malformed) are skipped: the file is optional input, never a reason to fail.
// `only`: keep that transport's lines alone (`scan --top` needs one; the file is 70 % UDP).
std::vector<PortFrequency> parse_nmap_services(std::string_view text,
                                               std::optional<Proto> only = std::nullopt);

inline constexpr const char* kNmapServicesPath = "/usr/share/nmap/nmap-services";
std::vector<PortFrequency> load_nmap_services(const std::string& path = kNmapServicesPath,
                                              std::optional<Proto> only = std::nullopt);

std::vector<std::uint16_t> top_ports(std::size_t count, Proto proto,
                                     std::span<const PortFrequency> nmap_frequencies);

}  // namespace portkit

#pragma once
// Scan targets: names, addresses, CIDR blocks and ranges, from the command line or an
// `-iL` file, minus `--exclude`, walked lazily so a large block costs no memory.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/result.hpp"
#include "portkit/probe/probe.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {

struct ScanHost {
  std::string name;  // the host name as given; empty for an address or a block member
  IpAddress address;
  std::uint64_t sequence = 0;  // position among the scan's hosts
};

// An `-iL` file: targets separated by whitespace, `#` to the end of a line is a comment.
// The error names the line of the first bad target.
Result<std::vector<Target>> parse_target_list(std::string_view text);

// Reads and parses an `-iL` file; "-" reads standard input. Errors name the file.
Result<std::vector<Target>> load_target_list(const std::string& path);

inline constexpr std::uint64_t kMaxScanHosts = std::uint64_t{1} << 24;

class HostSource {
 public:
  // Resolves every host name first (an unresolvable one is an Error naming it). A name scans
  // one address: the first IPv4 one unless `family` asks for IPv6, as nmap does.
  static Result<HostSource> create(std::vector<Target> targets, std::vector<Target> excludes,
                                   FamilyFilter family);

  std::optional<ScanHost> next();
  // Hosts in the targets, before excludes: the progress total.
  [[nodiscard]] std::uint64_t total() const { return total_; }
  [[nodiscard]] std::uint64_t excluded() const { return excluded_; }

 private:
  [[nodiscard]] bool is_excluded(const IpAddress& address) const;

  std::vector<Target> targets_;
  std::vector<std::string> resolved_names_;  // per target: the name, when it was one
  std::vector<Target> excludes_;
  std::size_t target_index_ = 0;
  std::uint64_t address_index_ = 0;
  std::uint64_t total_ = 0;
  std::uint64_t excluded_ = 0;
  std::uint64_t handed_out_ = 0;
};

}  // namespace portkit

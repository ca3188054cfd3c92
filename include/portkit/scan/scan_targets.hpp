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

// Why a host counts as up or down (nmap's words, as in its XML `<status reason=...>`).
enum class HostReason : std::uint8_t {
  user_set,          // not asked: -Pn, or a scan of one address
  echo_reply,        // ICMP echo answered
  syn_ack,           // a TCP connect succeeded
  reset,             // a TCP connect was refused: something is there
  port_unreach,      // the host itself sent ICMP port (or protocol) unreachable
  no_response,       // down: silence
  host_unreach,      // down: ICMP host unreachable (or the kernel's neighbour lookup failed)
  net_unreach,       // down: no route
  admin_prohibited,  // a filter refused: up when the host itself said so, else down
  arp_response,      // up: it answered the kernel's ARP (on a directly attached link)
  nd_response,       // up: it answered the kernel's IPv6 neighbour solicitation
};
std::string_view host_reason_name(HostReason reason);  // "echo-reply", "syn-ack", ...

struct ScanHost {
  std::string name;  // the host name as given; empty for an address or a block member
  IpAddress address;
  std::uint64_t sequence = 0;                       // position among the scan's hosts
  HostReason status_reason = HostReason::user_set;  // why it is taken as up
};

// A host that discovery found up: its position in a walk of the targets, and why.
struct KeptHost {
  std::uint64_t position = 0;
  HostReason reason = HostReason::user_set;
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
  [[nodiscard]] std::uint64_t total() const { return kept_ ? kept_->size() : total_; }
  [[nodiscard]] std::uint64_t excluded() const { return kept_ ? 0 : excluded_; }

  // From now on only the hosts at these positions of a walk from the start (the `sequence` of
  // a copy made before walking; host discovery found them up). Renumbers what it hands out.
  void keep_only(std::vector<KeptHost> hosts);

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
  std::uint64_t walked_ = 0;                   // hosts past the excludes, kept or not
  std::optional<std::vector<KeptHost>> kept_;  // sorted by position
  std::size_t kept_index_ = 0;
};

}  // namespace portkit

#pragma once
// `forward`: TCP and UDP port forwarding rules, their grammar and their TOML config file.
// The relay itself (forwarder.hpp) runs these rules.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/proto.hpp"
#include "portkit/base/result.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {

enum class Balance : std::uint8_t { round_robin, first_healthy };
enum class ProxyProtocol : std::uint8_t { none, v1, v2 };

std::optional<Balance> parse_balance(std::string_view text);  // "round-robin", "first-healthy"
std::string_view balance_name(Balance balance);
std::optional<ProxyProtocol> parse_proxy_protocol(std::string_view text);  // "v1", "v2", "none"

// A source filter entry: one address, a CIDR block or a dash range (the target grammar
// without host names).
struct AddressBlock {
  std::string text;
  IpAddress first;
  IpAddress last;
  [[nodiscard]] bool contains(const IpAddress& address) const;
};
Result<AddressBlock> parse_address_block(std::string_view text);

// What a rule inherits from the command line or from the config file's top level.
struct RuleSettings {
  Balance balance = Balance::round_robin;
  std::vector<AddressBlock> allow;  // empty: every source
  std::vector<AddressBlock> deny;
  std::size_t max_conns = 0;  // TCP connections or UDP sessions; 0: bounded by descriptors only
  std::optional<std::chrono::milliseconds> idle_timeout;  // unset: off for TCP, 60 s for UDP
  std::chrono::milliseconds connect_timeout{5000};
  ProxyProtocol proxy = ProxyProtocol::none;
};

struct ForwardRule {
  Host bind;  // 127.0.0.1 unless given; 0.0.0.0 or :: listens on every interface
  std::uint16_t port = 0;
  Proto proto = Proto::tcp;
  std::vector<Endpoint> targets;
  RuleSettings settings;

  // "127.0.0.1:8080/tcp": also the rule's identity across reloads.
  [[nodiscard]] std::string listen_text() const;
  [[nodiscard]] std::string targets_text() const;  // "a:80,b:80"
  [[nodiscard]] bool all_interfaces() const;
  [[nodiscard]] bool admits(const IpAddress& source) const;  // --allow / --deny
  // The idle timeout in force: the rule's, else none for TCP and 60 s for UDP.
  [[nodiscard]] std::chrono::milliseconds effective_idle_timeout() const;
};

// "[BIND:]PORT[/udp]" and "HOST:PORT[,HOST:PORT...]". Errors name the bad part.
Result<ForwardRule> parse_forward_rule(std::string_view listen, std::string_view targets,
                                       const RuleSettings& settings);

struct ForwardConfig {
  std::vector<ForwardRule> rules;
  std::optional<std::chrono::milliseconds> drain;
};

// The TOML config file:
//   drain = "10s"                   # optional top-level defaults: every RuleSettings field
//   [[rule]]
//   listen = "127.0.0.1:8080"       # or 8080, "5353/udp"
//   targets = ["10.0.0.5:80", "10.0.0.6:80"]   # or target = "..."
//   balance = "first-healthy"
//   allow = ["127.0.0.0/8"]
// Errors name the file, the line and the key. `defaults` come from the command line.
Result<ForwardConfig> parse_forward_config(std::string_view text, std::string_view file_name,
                                           const RuleSettings& defaults);

// Reads and parses a config file; a file that cannot be read is an Error naming it.
Result<ForwardConfig> read_forward_config(const std::string& path, const RuleSettings& defaults);

// PROXY protocol headers naming the client (source) and the address it connected to.
struct ProxyAddresses {
  IpAddress source;
  std::uint16_t source_port = 0;
  IpAddress destination;
  std::uint16_t destination_port = 0;
};
std::string proxy_header(ProxyProtocol version, const ProxyAddresses& addresses);

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it carries.
IpAddress unmap_v4(const IpAddress& address);

}  // namespace portkit

// One libFuzzer target for every parser: the first byte picks the parser, the rest is input.
// Besides "no crash", it checks the invariants each parser promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/manifest.hpp"
#include "portkit/forward/forward.hpp"
#include "portkit/inventory/inventory.hpp"
#include "portkit/inventory/socket_expression.hpp"
#include "portkit/inventory/sockets.hpp"
#include "portkit/lookup/lookup.hpp"
#include "portkit/output/table.hpp"
#include "portkit/probe/listen.hpp"
#include "portkit/probe/probe.hpp"
#include "portkit/probe/wait.hpp"
#include "portkit/quiz/quiz.hpp"
#include "portkit/ranges/ranges.hpp"
#include "portkit/registry/top_ports.hpp"
#include "portkit/scan/scan_targets.hpp"
#include "portkit/spec/spec.hpp"
#include "probe/http_probe.hpp"
#include "registry/curated_format.hpp"
#include "registry/services_format.hpp"
#include "scan/icmp_packets.hpp"
#include "scan/tcp_packets.hpp"
#include "service/protocol.hpp"
#include "unit/diag_bytecode_model.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

void fuzz_port_spec(std::string_view text) {
  for (const bool allow_zero : {false, true}) {
    const auto spec = portkit::parse_port_spec(text, {.allow_zero = allow_zero});
    if (!spec) {
      require(!spec.error().message.empty());
      continue;
    }
    require(!spec->items.empty());
    std::vector<portkit::PortRange> ranges;
    for (const auto& item : spec->items) {
      require(item.ports.low <= item.ports.high);
      require(allow_zero || item.ports.low >= 1);
      ranges.push_back(item.ports);
    }
    // The kernel filter built from any accepted spec (210 ranges once overflowed the request):
    // five 4-byte ops a range, the last range four.
    if (ranges.size() <= 3000) {
      require(portkit::local_port_bytecode(ranges).size() == ranges.size() * 20 - 4);
    }
  }
  if (const auto single = portkit::parse_single_port(text)) require(single->port != 0);
}

void fuzz_endpoint(std::string_view text) {
  const auto endpoint = portkit::parse_endpoint(text);
  if (!endpoint) return require(!endpoint.error().message.empty());
  require(endpoint->port != 0 && !endpoint->host.text.empty());
  // What we print must parse back to the same endpoint.
  const auto again =
      portkit::parse_endpoint(portkit::format_endpoint(endpoint->host, endpoint->port));
  require(again.ok() && again->port == endpoint->port && again->host.text == endpoint->host.text);
}

void fuzz_target(std::string_view text) {
  const auto target = portkit::parse_target(text);
  if (!target) return require(!target.error().message.empty());
  const auto size = target->size();
  require(size >= 1);
  if (!target->hostname) {
    require(target->at(0) == target->first);
    if (size != UINT64_MAX) require(target->at(size - 1) == target->last);
  }
}

// `scan -iL` files: a list of targets, comments and separators.
void fuzz_target_list(std::string_view text) {
  const auto targets = portkit::parse_target_list(text);
  if (!targets) return require(targets.error().message.rfind("line ", 0) == 0);
  for (const auto& target : *targets) require(target.size() >= 1 && !target.text.empty());
}

void fuzz_duration(std::string_view text) {
  const auto duration = portkit::parse_duration(text);
  if (duration) require(duration->count() >= 0);
}

void fuzz_files(std::uint8_t which, std::string_view text) {
  switch (which % 10) {
    case 0:
      if (const auto lines = portkit::parse_services(text)) {
        for (const auto& line : *lines)
          require(line.ports.low <= line.ports.high && line.protocols);
      }
      break;
    case 1:
      (void)portkit::parse_curated(text);
      break;
    case 2:
      if (const auto range = portkit::parse_local_port_range(text))
        require(range->low <= range->high);
      break;
    case 3:
      if (const auto reserved = portkit::parse_reserved_ports(text)) {
        for (const auto& range : *reserved) require(range.low <= range.high);
      }
      (void)portkit::parse_unprivileged_port_start(text);
      break;
    case 4:
      for (const auto& row : portkit::parse_nmap_services(text)) require(row.frequency >= 0);
      break;
    case 5:
      if (const auto answer = portkit::parse_quiz_answer(text, 4)) require(*answer < 4);
      break;
    case 6:
      require(portkit::parse_sockstat_sockets(text) <= text.size() * (1ull << 32));
      for (const auto is_v6 : {false, true}) {
        for (const auto& record : portkit::parse_proc_net(text, portkit::Proto::tcp, is_v6)) {
          require(record.local.is_v6 == is_v6);
          require(static_cast<int>(record.state) >= 1 && static_cast<int>(record.state) <= 12);
        }
      }
      break;
    case 7: {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
      // TCP also reads the tcp_info attribute (ls -i); both read socket memory (ls -m).
      for (const auto proto : {portkit::Proto::udp, portkit::Proto::tcp}) {
        if (const auto record = portkit::parse_inet_diag_message({bytes, text.size()}, proto)) {
          require(static_cast<int>(record->state) >= 1 && static_cast<int>(record->state) <= 12);
          require(!record->details || record->details->tcp || record->details->memory);
        }
      }
      break;
    }
    case 8:
      require(portkit::container_from_cgroup(text).size() <= 12);
      break;
    default:
      (void)portkit::parse_state_filter(text);
      break;
  }
}

// Wait targets, HTTP status lines, listen modes and banners: what reachability reads.
void fuzz_reachability(std::string_view text) {
  if (const auto target = portkit::parse_wait_target(text)) {
    require(target->endpoint.port != 0);
    if (target->http_path)
      require(!target->http_path->empty() && target->http_path->front() == '/');
  }
  if (const auto status = portkit::parse_http_status_line(text))
    require(*status >= 100 && *status <= 999);
  (void)portkit::parse_listen_mode(text);
  const auto banner = portkit::sanitize_banner(text);
  require(banner.size() <= 160);
  for (const char c : banner) require(c >= 0x20 && c < 0x7f);
}

void fuzz_lookup(std::string_view text) {
  const portkit::HostPortConfig host;
  for (const auto& query : portkit::expand_lookup_query(text)) {
    for (const bool all : {false, true}) {
      const auto answer = portkit::lookup(query, host, {.include_registry = all});
      if (answer && answer->facts) require(answer->facts->ports.low <= answer->facts->ports.high);
    }
  }
  // What the terminal is shown of any text holds no control byte.
  require(!portkit::has_control_bytes(portkit::printable(text)));
}

// Forward rules ("LISTEN TARGETS" on the first line), address blocks, the TOML config.
void fuzz_forward(std::string_view text) {
  const auto line_end = text.find('\n');
  const auto first_line = text.substr(0, line_end);
  const auto space = first_line.find(' ');
  if (space != std::string_view::npos) {
    if (const auto rule = portkit::parse_forward_rule(first_line.substr(0, space),
                                                      first_line.substr(space + 1), {})) {
      require(!rule->targets.empty() && !rule->listen_text().empty());
    }
  }
  if (const auto block = portkit::parse_address_block(first_line)) {
    require(block->contains(block->first) && block->contains(block->last));
    const auto header =
        portkit::proxy_header(portkit::ProxyProtocol::v2, {block->first, 1, block->last, 2});
    require(header.size() == 16 || header.size() == 28 || header.size() == 52);
  }
  if (const auto config = portkit::parse_forward_config(text, "fuzz.toml", {})) {
    for (const auto& rule : config->rules) require(!rule.targets.empty());
  }
}

// Compose and Kubernetes files, compose port strings, the audit config and --map values.
// Bad entries must come back as problems with a line, never as a crash.
void fuzz_manifests(std::uint8_t which, std::string_view text) {
  switch (which % 4) {
    case 0:
      if (const auto plan = portkit::parse_compose(text, "fuzz.yml")) {
        for (const auto& port : plan->ports) {
          require(port.container_ports.low >= 1 &&
                  port.container_ports.low <= port.container_ports.high);
          if (port.host_ports) require(port.host_ports->low >= 1);
        }
        for (const auto& problem : plan->problems) require(!problem.message.empty());
        (void)portkit::audit_compose({*plan}, {}, {});
      }
      break;
    case 1:
      if (const auto plan = portkit::parse_k8s(text, "fuzz.yaml")) {
        for (const auto& problem : plan->problems) require(!problem.message.empty());
        (void)portkit::audit_k8s({*plan}, {}, {});
      }
      break;
    case 2:
      if (const auto port = portkit::parse_compose_port(text))
        require(port->container_ports.low >= 1);
      (void)portkit::parse_service_mapping(text);
      break;
    default: {
      portkit::AuditSettings settings;
      (void)portkit::parse_audit_config(text, "fuzz.toml", settings);
      for (const auto& id : settings.ignore) require(portkit::find_audit_rule(id) != nullptr);
      break;
    }
  }
}

// ls FILTER...: words split at NUL bytes; an accepted filter is evaluated on a few records.
void fuzz_socket_expression(std::string_view text) {
  std::vector<std::string> words;
  std::size_t start = 0;
  for (std::size_t at = 0; at <= text.size(); ++at) {
    if (at == text.size() || text[at] == '\0') {
      words.emplace_back(text.substr(start, at - start));
      start = at + 1;
    }
  }
  const auto expression = portkit::parse_socket_expression(words);
  if (!expression) {
    require(!expression.error().message.empty());
    return;
  }
  portkit::SocketRecord v4;
  v4.local = *portkit::parse_ip_address("10.0.0.5");
  v4.local_port = 22;
  v4.peer = *portkit::parse_ip_address("192.0.2.7");
  v4.peer_port = 51000;
  v4.state = portkit::SocketState::established;
  portkit::SocketRecord v6 = v4;
  v6.local = *portkit::parse_ip_address("2001:db8::1");
  v6.peer = *portkit::parse_ip_address("::");
  v6.state = portkit::SocketState::listen;
  // Negation is exact: "not (X)" disagrees with X on every record.
  std::vector<std::string> negated{"not", "("};
  negated.insert(negated.end(), words.begin(), words.end());
  negated.emplace_back(")");
  const auto inverse = portkit::parse_socket_expression(negated);
  // What the kernel is asked to narrow never drops a socket the filter keeps (the model of
  // the kernel's interpreter and audit is the unit tests').
  const auto kernel = portkit::kernel_filter(**expression);
  require(kernel.bytecode.size() <= portkit::diag_bytecode::kMaxBytecode);
  if (!kernel.bytecode.empty()) {
    require(portkit::testing_model::kernel_audit_passes(kernel.bytecode));
  }
  for (auto socket : {v4, v6}) {
    for (const std::uint16_t port : {0, 22, 443, 51000, 65535}) {
      socket.local_port = port;
      const bool matched = portkit::expression_matches(**expression, socket);
      if (inverse) require(portkit::expression_matches(**inverse, socket) != matched);
      const bool kept =
          (kernel.states & (1U << static_cast<unsigned>(socket.state))) != 0 &&
          (kernel.bytecode.empty() || portkit::testing_model::kernel_accepts(
                                          kernel.bytecode, socket.local_port, socket.peer_port));
      if (matched) require(kept);
    }
  }
}

}  // namespace

// Every protocol reader on any reply, and on its beginnings: what a slow server sends in pieces.
void fuzz_protocol_readers(std::string_view reply) {
  for (const auto& probe : portkit::service::protocol_probes()) {
    for (const auto cut :
         {reply.size(), reply.size() / 2, std::min<std::size_t>(reply.size(), 5)}) {
      const auto reading = probe.read(reply.substr(0, cut));
      if (reading.verdict == portkit::service::Verdict::match) require(!reading.match.name.empty());
    }
  }
}

// Any bytes as a received ICMP or ICMPv6 packet, with and without an IP header: a reading is
// about an address of the packet's family, and an echo reply only with our identifier.
void fuzz_icmp(std::string_view text) {
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()),
                                            text.size());
  portkit::IpAddress from;
  for (const bool is_v6 : {false, true}) {
    from.is_v6 = is_v6;
    for (const bool with_header : {false, true}) {
      const auto reading = portkit::read_icmp_packet(is_v6, with_header, bytes, from, 0x504b);
      if (!reading) continue;
      require(reading->about.is_v6 == is_v6);
      if (reading->verdict == portkit::IcmpVerdict::echo_reply) require(reading->about == from);
    }
    // The SYN scan's reader of TCP segments, on the same bytes.
    if (const auto answer = portkit::read_tcp_segment(is_v6, bytes, from)) {
      require(answer->from.is_v6 == is_v6);
    }
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  // 0xc0 up to 0xcf, the ls filter grammar.
  if (data[0] >= 0xc0 && data[0] < 0xd0) {
    fuzz_socket_expression(text);
    return 0;
  }
  // A first byte from 0xf0 up selects the manifest readers, from 0xe0 the protocol readers,
  // from 0xd0 the ICMP reader;
  // below it, the older parsers keep
  // the selector (data[0] % 8) their corpus and regression files were written for.
  if (data[0] >= 0xf0) {
    fuzz_manifests(data[0], text);
    return 0;
  }
  if (data[0] >= 0xe0) {
    fuzz_protocol_readers(text);
    return 0;
  }
  if (data[0] >= 0xd0) {
    fuzz_icmp(text);
    return 0;
  }
  switch (data[0] % 8) {
    case 0:
      fuzz_port_spec(text);
      break;
    case 1:
      fuzz_endpoint(text);
      break;
    case 2:
      fuzz_target(text);
      fuzz_target_list(text);
      break;
    case 3:
      fuzz_duration(text);
      break;
    case 4:
      if (!text.empty()) fuzz_files(static_cast<std::uint8_t>(text[0]), text.substr(1));
      break;
    case 5:
      fuzz_lookup(text);
      break;
    case 6:
      fuzz_reachability(text);
      break;
    default:
      fuzz_forward(text);
      break;
  }
  return 0;
}

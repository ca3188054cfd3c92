#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <tuple>

#include "base/text_util.hpp"
#include "inventory/tcp_info.hpp"
#include "portkit/inventory/inventory.hpp"

namespace portkit {
namespace {

constexpr std::array<std::string_view, 13> kStateNames{
    "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
    "CLOSED",  "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "SYN_RECV"};

IpAddress address_from(const std::uint32_t words[4], bool is_v6) {
  IpAddress address;
  address.is_v6 = is_v6;
  std::memcpy(address.bytes.data(), words, is_v6 ? 16 : 4);
  return address;
}

SocketMemory read_socket_memory(std::span<const std::uint8_t> bytes) {
  std::array<std::uint32_t, SK_MEMINFO_VARS> values{};
  std::memcpy(values.data(), bytes.data(), std::min(bytes.size(), sizeof values));
  return {
      values[SK_MEMINFO_RMEM_ALLOC], values[SK_MEMINFO_RCVBUF],    values[SK_MEMINFO_WMEM_ALLOC],
      values[SK_MEMINFO_SNDBUF],     values[SK_MEMINFO_FWD_ALLOC], values[SK_MEMINFO_WMEM_QUEUED],
      values[SK_MEMINFO_OPTMEM],     values[SK_MEMINFO_BACKLOG],   values[SK_MEMINFO_DROPS]};
}

// The attributes after struct inet_diag_msg (rtattr: 16-bit length and type, 4-byte aligned):
// tcp_info and socket memory when they were asked for; anything else, or anything cut short,
// is skipped.
std::shared_ptr<const SocketDetails> read_details(std::span<const std::uint8_t> payload,
                                                  Proto proto) {
  constexpr std::size_t kHeader = 4;
  const auto align = [](std::size_t size) { return (size + 3) & ~std::size_t{3}; };
  std::shared_ptr<SocketDetails> details;
  for (std::size_t at = align(sizeof(inet_diag_msg)); at + kHeader <= payload.size();) {
    std::uint16_t length = 0;
    std::uint16_t type = 0;
    std::memcpy(&length, payload.data() + at, 2);
    std::memcpy(&type, payload.data() + at + 2, 2);
    if (length < kHeader || at + length > payload.size()) break;
    const auto value = payload.subspan(at + kHeader, length - kHeader);
    if (type == INET_DIAG_INFO && proto == Proto::tcp) {
      if (!details) details = std::make_shared<SocketDetails>();
      details->tcp = read_tcp_info(value);
    } else if (type == INET_DIAG_SKMEMINFO) {
      if (!details) details = std::make_shared<SocketDetails>();
      details->memory = read_socket_memory(value);
    }
    at += align(length);
  }
  return details;
}

std::optional<std::uint64_t> parse_hex(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    value <<= 4;
    if (c >= '0' && c <= '9') {
      value |= static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'A' && c <= 'F') {
      value |= static_cast<std::uint64_t>(c - 'A' + 10);
    } else if (c >= 'a' && c <= 'f') {
      value |= static_cast<std::uint64_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
  }
  return value;
}

// "0100007F:1F90": the address as the kernel's 32-bit words in host order, printed in hex.
std::optional<std::pair<IpAddress, std::uint16_t>> parse_proc_address(std::string_view text,
                                                                      bool is_v6) {
  const auto colon = text.find(':');
  const std::size_t hex_length = is_v6 ? 32 : 8;
  if (colon != hex_length) return std::nullopt;
  const auto port = parse_hex(text.substr(colon + 1));
  if (!port || *port > 65535 || text.size() - colon - 1 != 4) return std::nullopt;
  std::uint32_t words[4] = {};
  for (std::size_t i = 0; i < hex_length / 8; ++i) {
    const auto word = parse_hex(text.substr(i * 8, 8));
    if (!word) return std::nullopt;
    words[i] = static_cast<std::uint32_t>(*word);
  }
  return std::pair{address_from(words, is_v6), static_cast<std::uint16_t>(*port)};
}

}  // namespace

std::string_view socket_state_name(SocketState state, Proto proto) {
  if (proto == Proto::udp && state == SocketState::close) return "UNCONN";
  const auto index = static_cast<std::size_t>(state);
  return index < kStateNames.size() ? kStateNames[index] : "UNKNOWN";
}

std::optional<SocketState> parse_socket_state(std::string_view name, Proto proto) {
  if (proto == Proto::udp && iequals(name, "unconn")) return SocketState::close;
  for (std::size_t i = 1; i < kStateNames.size() - 1; ++i) {
    if (iequals(name, kStateNames[i])) return static_cast<SocketState>(i);
  }
  return std::nullopt;
}

std::optional<SocketRecord> parse_inet_diag_message(std::span<const std::uint8_t> payload,
                                                    Proto proto) {
  if (payload.size() < sizeof(inet_diag_msg)) return std::nullopt;
  inet_diag_msg message{};
  std::memcpy(&message, payload.data(), sizeof message);
  if (message.idiag_family != AF_INET && message.idiag_family != AF_INET6) return std::nullopt;
  if (message.idiag_state < 1 || message.idiag_state > 12) return std::nullopt;
  const bool is_v6 = message.idiag_family == AF_INET6;
  SocketRecord record;
  record.proto = proto;
  record.local = address_from(message.id.idiag_src, is_v6);
  record.peer = address_from(message.id.idiag_dst, is_v6);
  record.local_port = ntohs(message.id.idiag_sport);
  record.peer_port = ntohs(message.id.idiag_dport);
  record.state = static_cast<SocketState>(message.idiag_state);
  record.uid = message.idiag_uid;
  record.inode = message.idiag_inode;
  record.receive_queue = message.idiag_rqueue;
  record.send_queue = message.idiag_wqueue;
  record.details = read_details(payload, proto);
  return record;
}

std::size_t parse_sockstat_sockets(std::string_view text) {
  std::size_t total = 0;
  while (!text.empty()) {
    const auto line = take_line(text);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto label = line.substr(0, colon);
    if (label != "TCP" && label != "TCP6" && label != "UDP" && label != "UDP6") continue;
    // "TCP: inuse 3 orphan 0 tw 7 alloc 5 mem 1": name, value pairs.
    auto rest = line.substr(colon + 1);
    std::string_view name;
    while (!rest.empty()) {
      const auto start = rest.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      rest = rest.substr(start);
      const auto word = rest.substr(0, rest.find(' '));
      rest = rest.substr(word.size());
      if (name.empty()) {
        name = word;
        continue;
      }
      if (name == "inuse" || name == "tw") {
        if (const auto value = parse_decimal(word); value && *value < (1ull << 32)) total += *value;
      }
      name = {};
    }
  }
  return total;
}

std::vector<SocketRecord> parse_proc_net(std::string_view text, Proto proto, bool is_v6) {
  std::vector<SocketRecord> records;
  bool header = true;
  while (!text.empty()) {
    const auto line = take_line(text);
    if (std::exchange(header, false)) continue;
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    std::array<std::string_view, 10> fields{};
    std::size_t count = 0;
    std::size_t pos = 0;
    while (count < fields.size()) {
      const auto start = line.find_first_not_of(' ', pos);
      if (start == std::string_view::npos) break;
      const auto end = std::min(line.find(' ', start), line.size());
      fields[count++] = line.substr(start, end - start);
      pos = end;
    }
    if (count < fields.size()) continue;
    const auto local = parse_proc_address(fields[1], is_v6);
    const auto peer = parse_proc_address(fields[2], is_v6);
    const auto state = parse_hex(fields[3]);
    const auto queues = fields[4].find(':');
    const auto uid = parse_decimal(fields[7]);
    const auto inode = parse_decimal(fields[9]);
    if (!local || !peer || !state || *state < 1 || *state > 12 ||
        queues == std::string_view::npos || !uid || !inode || *uid > UINT32_MAX) {
      continue;
    }
    const auto send_queue = parse_hex(fields[4].substr(0, queues));
    const auto receive_queue = parse_hex(fields[4].substr(queues + 1));
    SocketRecord record;
    record.proto = proto;
    std::tie(record.local, record.local_port) = *local;
    std::tie(record.peer, record.peer_port) = *peer;
    record.state = static_cast<SocketState>(*state);
    record.uid = static_cast<std::uint32_t>(*uid);
    record.inode = *inode;
    record.send_queue = static_cast<std::uint32_t>(send_queue.value_or(0));
    record.receive_queue = static_cast<std::uint32_t>(receive_queue.value_or(0));
    records.push_back(record);
  }
  return records;
}

}  // namespace portkit

namespace portkit {

std::vector<std::uint8_t> local_port_bytecode(std::span<const PortRange> ranges) {
  // One block per range: S_GE low, S_LE high, then a JMP to the end (accept). A failed
  // comparison jumps to the next block; in the last block, past the end (reject). The kernel
  // checks that every jump lands on an op reached through the "yes" chain, hence the JMP's
  // yes of 4 (it is never taken: a JMP always goes "no").
  constexpr std::size_t kOp = sizeof(inet_diag_bc_op);
  constexpr std::size_t kBlock = 5 * kOp;
  constexpr std::size_t kLastBlock = 4 * kOp;
  if (ranges.empty()) return {};
  const std::size_t total = (ranges.size() - 1) * kBlock + kLastBlock;
  std::vector<inet_diag_bc_op> ops;
  ops.reserve(total / kOp);
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const bool last = i + 1 == ranges.size();
    const std::size_t start = i * kBlock;
    const std::size_t fail = last ? total + kOp : start + kBlock;
    const auto jump = [](std::size_t bytes) { return static_cast<unsigned short>(bytes); };
    ops.push_back({INET_DIAG_BC_S_GE, 2 * kOp, jump(fail - start)});
    ops.push_back({0, 0, ranges[i].low});
    ops.push_back({INET_DIAG_BC_S_LE, 2 * kOp, jump(fail - (start + 2 * kOp))});
    ops.push_back({0, 0, ranges[i].high});
    if (!last) ops.push_back({INET_DIAG_BC_JMP, kOp, jump(total - (start + 4 * kOp))});
  }
  std::vector<std::uint8_t> bytes(ops.size() * kOp);
  std::memcpy(bytes.data(), ops.data(), bytes.size());
  return bytes;
}

namespace diag_bytecode {

namespace {

constexpr std::size_t kOp = sizeof(inet_diag_bc_op);

inet_diag_bc_op op_at(const Program& program, std::size_t at) {
  inet_diag_bc_op op{};
  std::memcpy(&op, program.data() + at, kOp);
  return op;
}

void append(Program& program, inet_diag_bc_op op) {
  const auto at = program.size();
  program.resize(at + kOp);
  std::memcpy(program.data() + at, &op, kOp);
}

}  // namespace

Program port_condition(End end, PortOp op, std::uint16_t port) {
  static constexpr std::array<std::array<std::uint8_t, 3>, 2> kCodes{
      {{INET_DIAG_BC_S_GE, INET_DIAG_BC_S_LE, INET_DIAG_BC_S_EQ},
       {INET_DIAG_BC_D_GE, INET_DIAG_BC_D_LE, INET_DIAG_BC_D_EQ}}};
  Program program;
  // Two words: the op (true: the next op; false: past the end + 4, reject), then the port.
  append(program,
         {kCodes[static_cast<std::size_t>(end)][static_cast<std::size_t>(op)], 2 * kOp, 3 * kOp});
  append(program, {0, 0, port});
  return program;
}

std::optional<Program> all_of(const Program& first, const Program& second) {
  if (first.size() + second.size() > kMaxBytecode) return std::nullopt;
  // First, then second; first's rejections (past its end + 4) move to past the whole's end + 4.
  Program joined = first;
  for (std::size_t at = 0; at < first.size();) {
    auto op = op_at(first, at);
    if (at + op.no == first.size() + kOp) {
      op.no = static_cast<std::uint16_t>(op.no + second.size());
      std::memcpy(joined.data() + at, &op, kOp);
    }
    at += op.yes;
  }
  joined.insert(joined.end(), second.begin(), second.end());
  return joined;
}

std::optional<Program> any_of(const Program& first, const Program& second) {
  if (first.size() + second.size() + kOp > kMaxBytecode) return std::nullopt;
  // First, a jump over second to the end (first accepted), then second, where first's
  // rejections land. A JMP always takes its "no"; its "yes" only keeps the kernel's audit,
  // which follows "yes" links to find where jumps may land.
  Program joined = first;
  append(joined, {INET_DIAG_BC_JMP, kOp, static_cast<std::uint16_t>(kOp + second.size())});
  joined.insert(joined.end(), second.begin(), second.end());
  return joined;
}

std::optional<Program> negation(const Program& program) {
  if (program.size() + kOp > kMaxBytecode) return std::nullopt;
  // Accepted by `program`: into a jump past the end + 4 (reject). Rejected by it: past its end
  // + 4, which is the end of the whole (accept).
  Program negated = program;
  append(negated, {INET_DIAG_BC_JMP, kOp, 2 * kOp});
  return negated;
}

}  // namespace diag_bytecode

}  // namespace portkit

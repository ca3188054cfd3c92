#pragma once
// A model of the kernel's inet_diag bytecode: its interpreter (inet_diag_bc_run) over a
// socket's two ports, and its audit (inet_diag_bc_audit/valid_cc), from net/ipv4/inet_diag.c.
// The tests run portkit's programs through both.
#include <cstdint>
#include <cstring>
#include <vector>

namespace portkit::testing_model {

struct BcOp {
  std::uint8_t code, yes;
  std::uint16_t no;
};
// enum { NOP, JMP, S_GE, S_LE, D_GE, D_LE, AUTO, S_COND, D_COND, DEV_COND, MARK_COND, S_EQ,
// D_EQ } in linux/inet_diag.h.
constexpr std::uint8_t kJmp = 1, kSge = 2, kSle = 3, kDge = 4, kDle = 5, kSeq = 11, kDeq = 12;

inline std::vector<BcOp> ops_of(const std::vector<std::uint8_t>& bytes) {
  std::vector<BcOp> ops(bytes.size() / sizeof(BcOp));
  std::memcpy(ops.data(), bytes.data(), ops.size() * sizeof(BcOp));
  return ops;
}

inline bool has_port_word(std::uint8_t code) {
  return code == kSge || code == kSle || code == kDge || code == kDle || code == kSeq ||
         code == kDeq;
}

// Whether the kernel keeps a socket with these ports.
inline bool kernel_accepts(const std::vector<std::uint8_t>& bytes, std::uint16_t local_port,
                           std::uint16_t peer_port = 0) {
  const auto ops = ops_of(bytes);
  int len = static_cast<int>(bytes.size());
  std::size_t at = 0;
  while (len > 0) {
    const auto& op = ops.at(at / 4);
    const auto word = has_port_word(op.code) ? ops.at(at / 4 + 1).no : 0;
    bool yes = true;
    switch (op.code) {
      case kJmp:
        yes = false;
        break;
      case kSge:
        yes = local_port >= word;
        break;
      case kSle:
        yes = local_port <= word;
        break;
      case kDge:
        yes = peer_port >= word;
        break;
      case kDle:
        yes = peer_port <= word;
        break;
      case kSeq:
        yes = local_port == word;
        break;
      case kDeq:
        yes = peer_port == word;
        break;
      default:
        break;
    }
    const int step = yes ? op.yes : op.no;
    len -= step;
    at += static_cast<std::size_t>(step);
  }
  return len == 0;
}

// The audit: every jump a multiple of 4, not beyond end + 4, and landing on an op reached by
// following "yes" from the start (valid_cc).
inline bool kernel_audit_passes(const std::vector<std::uint8_t>& bytes) {
  const auto ops = ops_of(bytes);
  const int total = static_cast<int>(bytes.size());
  std::vector<bool> reachable(static_cast<std::size_t>(total / 4 + 1), false);
  for (int at = 0; at < total;) {
    reachable[static_cast<std::size_t>(at / 4)] = true;
    const auto yes = ops.at(static_cast<std::size_t>(at / 4)).yes;
    if (yes < 4 || yes % 4) return false;
    at += yes;
  }
  for (int at = 0; at < total;) {
    const auto& op = ops.at(static_cast<std::size_t>(at / 4));
    const int len = total - at;
    const int min_len = has_port_word(op.code) ? 8 : 4;
    if (op.yes < min_len || op.yes > len + 4 || op.yes % 4) return false;
    if (op.no < min_len || op.no > len + 4 || op.no % 4) return false;
    if (op.no < len && !reachable[static_cast<std::size_t>((at + op.no) / 4)]) return false;
    at += op.yes;
  }
  return true;
}

}  // namespace portkit::testing_model

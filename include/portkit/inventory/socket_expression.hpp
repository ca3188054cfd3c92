#pragma once
// `ls [FILTER...]`: ss's filter grammar over sockets, evaluated on each record.
//   sport OP :PORT, dport OP :PORT   OP: = == eq, != ne, < lt, <= le, > gt, >= ge (none: =)
//   src ADDRESS[/PREFIX][:PORT], dst ...   10.0.0.0/8, 127.0.0.1:22, [::1]:22, *:443
//   state NAME                        a state or group, as --state takes it
//   PORTS                             a bare port, range or service (22, 8000-9000, ssh):
//                                     either end's port, as --port
// joined by and (&&, or nothing), or (||), not (!), and brackets; not binds tightest, then
// and, then or. Pure: unit-tested and fuzzed without a network.
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/result.hpp"
#include "portkit/inventory/inventory.hpp"

namespace portkit {

struct SocketExpression;

// The words as given on the command line (each may hold several tokens: "sport = :22" or
// "sport", "=", ":22"). An error names the word that does not fit.
Result<std::shared_ptr<const SocketExpression>> parse_socket_expression(
    std::span<const std::string> words);

bool expression_matches(const SocketExpression& expression, const SocketRecord& socket);

// What of an expression the kernel can apply while it dumps, so fewer sockets are copied out:
// the states it requires (a state test joined by "and" at the top), and its port tests as
// inet_diag bytecode. Both only narrow: every socket the expression matches passes them, so
// the expression is still evaluated on what comes back. Address tests stay in user space (the
// kernel matches an IPv4 prefix against v4-mapped IPv6 addresses too, ss's filter does not),
// and so does a "not" over anything that is not compiled exactly.
struct KernelSocketFilter {
  std::uint32_t states = ~0U;          // bit per SocketState
  std::vector<std::uint8_t> bytecode;  // empty: no narrowing
};
KernelSocketFilter kernel_filter(const SocketExpression& expression);

}  // namespace portkit

// ls FILTER...: ss's grammar parsed and evaluated on records, without a network. (The same
// filters are compared with ss on real sockets in tests/integration/sockets_cli_test.cpp.)
#include "portkit/inventory/socket_expression.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "diag_bytecode_model.hpp"

namespace portkit {
namespace {

SocketRecord record(const char* local, std::uint16_t local_port, const char* peer,
                    std::uint16_t peer_port, SocketState state) {
  SocketRecord socket;
  socket.local = *parse_ip_address(local);
  socket.local_port = local_port;
  socket.peer = *parse_ip_address(peer);
  socket.peer_port = peer_port;
  socket.state = state;
  return socket;
}

bool matches(const std::vector<std::string>& words, const SocketRecord& socket) {
  const auto expression = parse_socket_expression(words);
  EXPECT_TRUE(expression) << (expression ? "" : expression.error().message);
  return expression && expression_matches(**expression, socket);
}

const SocketRecord kSsh = record("10.0.0.5", 22, "192.0.2.7", 51000, SocketState::established);
const SocketRecord kListener = record("0.0.0.0", 443, "0.0.0.0", 0, SocketState::listen);
const SocketRecord kV6 =
    record("2001:db8::1", 8080, "2001:db8:1::9", 40000, SocketState::time_wait);

TEST(SocketExpression, PortComparisonsInEverySpelling) {
  EXPECT_TRUE(matches({"sport = :22"}, kSsh));
  EXPECT_TRUE(matches({"sport", "==", ":ssh"}, kSsh));
  EXPECT_TRUE(matches({"sport=:22"}, kSsh));
  EXPECT_TRUE(matches({"sport :22"}, kSsh));
  EXPECT_FALSE(matches({"dport = :22"}, kSsh));
  EXPECT_TRUE(matches({"dport != :443"}, kSsh));
  EXPECT_TRUE(matches({"dport ne :443"}, kSsh));
  EXPECT_TRUE(matches({"dport > :50000"}, kSsh));
  EXPECT_TRUE(matches({"dport ge :51000"}, kSsh));
  EXPECT_FALSE(matches({"dport lt :51000"}, kSsh));
  EXPECT_TRUE(matches({"sport <= :22"}, kSsh));
}

TEST(SocketExpression, AddressesPrefixesAndPorts) {
  EXPECT_TRUE(matches({"src 10.0.0.0/8"}, kSsh));
  EXPECT_FALSE(matches({"src 10.0.1.0/24"}, kSsh));
  EXPECT_TRUE(matches({"dst 192.0.2.7"}, kSsh));
  EXPECT_TRUE(matches({"dst 192.0.2.7:51000"}, kSsh));
  EXPECT_FALSE(matches({"dst 192.0.2.7:51001"}, kSsh));
  EXPECT_TRUE(matches({"src *:22"}, kSsh));
  EXPECT_TRUE(matches({"src [2001:db8::1]:8080"}, kV6));
  EXPECT_TRUE(matches({"dst 2001:db8::/32"}, kV6));
  EXPECT_TRUE(matches({"dst [2001:db8::]/32:40000"}, kV6));
  EXPECT_FALSE(matches({"dst 2001:db8:2::/48"}, kV6));
  EXPECT_FALSE(matches({"src 10.0.0.0/8"}, kV6));  // another family never matches
}

TEST(SocketExpression, StatesBareportsAndLogic) {
  EXPECT_TRUE(matches({"state established"}, kSsh));
  EXPECT_TRUE(matches({"state", "connected"}, kSsh));
  EXPECT_FALSE(matches({"state listening"}, kSsh));
  EXPECT_TRUE(matches({"443"}, kListener));
  EXPECT_TRUE(matches({"https"}, kListener));
  EXPECT_TRUE(matches({"50000-52000"}, kSsh));  // either end's port
  // ss's own form: a state, then a bracketed expression, joined by nothing.
  EXPECT_TRUE(matches({"state", "established", "( sport = :22 or sport = :443 )"}, kSsh));
  EXPECT_FALSE(matches({"state", "established", "( sport = :22 or sport = :443 )"}, kListener));
  EXPECT_TRUE(matches({"sport = :443 or sport = :22 and dport = :1"}, kListener));  // and first
  EXPECT_FALSE(matches({"( sport = :443 or sport = :22 ) and dport = :1"}, kListener));
  EXPECT_TRUE(matches({"not", "state", "listening"}, kSsh));
  EXPECT_TRUE(matches({"!(", "dport = :80", "||", "dport = :443 )"}, kSsh));
  EXPECT_TRUE(matches({"sport = :22 && ! dst 10.0.0.0/8"}, kSsh));
}

TEST(SocketExpression, ErrorsNameTheWord) {
  const auto error = [](std::vector<std::string> words) {
    const auto expression = parse_socket_expression(words);
    return expression ? std::string("(parsed)") : expression.error().message;
  };
  EXPECT_EQ(error({"sport = :nosuchservice"}).find("sport: "), 0U);
  EXPECT_NE(error({"sport ="}).find("needs a value"), std::string::npos);
  EXPECT_NE(error({"bogus"}).find("'bogus' is not a filter word"), std::string::npos);
  EXPECT_NE(error({"( sport = :22"}).find("'(' without ')'"), std::string::npos);
  EXPECT_NE(error({"sport = :22 )"}).find("unexpected ')'"), std::string::npos);
  EXPECT_NE(error({"dst 10.0.0.0/33"}).find("prefix too long"), std::string::npos);
  EXPECT_NE(error({"dst 10.0.0.300"}).find("not an address"), std::string::npos);
  EXPECT_NE(error({"state sleepy"}).find("state: "), std::string::npos);
  EXPECT_NE(error({}).find("empty"), std::string::npos);
  // Nesting is bounded rather than recursing until the stack runs out.
  EXPECT_NE(error({std::string(100000, '(')}).find("nests too deeply"), std::string::npos);
  std::vector<std::string> nots(100000, "not");
  nots.push_back("22");
  EXPECT_NE(error(nots).find("nests too deeply"), std::string::npos);
}

// ---- what the kernel is asked to narrow: states and port tests as bytecode, run through the
// model of the kernel's interpreter and audit.

KernelSocketFilter kernel_of(const std::vector<std::string>& words) {
  const auto expression = parse_socket_expression(words);
  EXPECT_TRUE(expression) << (expression ? "" : expression.error().message);
  return kernel_filter(**expression);
}

bool kernel_keeps(const KernelSocketFilter& filter, const SocketRecord& socket) {
  if ((filter.states & (1U << static_cast<unsigned>(socket.state))) == 0) return false;
  return filter.bytecode.empty() ||
         testing_model::kernel_accepts(filter.bytecode, socket.local_port, socket.peer_port);
}

TEST(KernelFilter, PortTestsCompileExactlyAndStatesBecomeTheMask) {
  const std::vector<std::vector<std::string>> exact{{"sport = :22"},
                                                    {"dport != :443"},
                                                    {"sport < :1024"},
                                                    {"sport <= :1024"},
                                                    {"dport > :1024"},
                                                    {"dport >= :1024"},
                                                    {"80"},
                                                    {"8000-8999"},
                                                    {"src *:443"},
                                                    {"not ( sport = :22 or dport = :22 )"},
                                                    {"sport > :10 sport < :30"},
                                                    {"not not sport = :22"}};
  for (const auto& words : exact) {
    const auto filter = kernel_of(words);
    ASSERT_FALSE(filter.bytecode.empty()) << words[0];
    ASSERT_TRUE(testing_model::kernel_audit_passes(filter.bytecode)) << words[0];
    const auto expression = *parse_socket_expression(words);
    for (std::uint32_t local = 0; local < 65536; local += 7) {
      for (const std::uint16_t peer : {0, 22, 443, 1023, 1024, 1025, 8500, 65535}) {
        auto socket = kSsh;
        socket.local_port = static_cast<std::uint16_t>(local);
        socket.peer_port = peer;
        ASSERT_EQ(kernel_keeps(filter, socket), expression_matches(*expression, socket))
            << words[0] << " " << local << " " << peer;
      }
    }
  }
  const auto states = kernel_of({"state established sport = :22"});
  EXPECT_EQ(states.states, 1U << static_cast<unsigned>(SocketState::established));
  EXPECT_FALSE(states.bytecode.empty());
  // Addresses and states under "or" or "not" stay in user space.
  EXPECT_TRUE(kernel_of({"dst 10.0.0.0/8"}).bytecode.empty());
  EXPECT_EQ(kernel_of({"state listening or sport = :22"}).states, ~0U);
  EXPECT_TRUE(kernel_of({"state listening or sport = :22"}).bytecode.empty());
  EXPECT_TRUE(kernel_of({"not ( dst 10.0.0.0/8 sport = :22 )"}).bytecode.empty());
}

// Random expressions over random sockets: whatever the expression keeps, the kernel keeps.
TEST(KernelFilter, NeverDropsASocketTheExpressionKeeps) {
  std::mt19937 random(20261129);
  const std::vector<std::string> atoms{"sport = :22",
                                       "dport != :443",
                                       "sport < :1024",
                                       "dport >= :40000",
                                       "22",
                                       "8000-8999",
                                       "src *:443",
                                       "dst 10.0.0.0/8",
                                       "src 10.0.0.5",
                                       "state established",
                                       "state listening",
                                       "state time-wait",
                                       "dst [2001:db8::]/32:40000"};
  const std::vector<std::string> addresses{"10.0.0.5", "192.0.2.7", "2001:db8::1", "0.0.0.0"};
  const std::vector<std::uint16_t> ports{0, 22, 80, 443, 1023, 1024, 8080, 8500, 40000, 51000};
  const std::vector<SocketState> states{SocketState::established, SocketState::listen,
                                        SocketState::time_wait, SocketState::syn_recv};
  const auto pick = [&](const auto& from) { return from[random() % from.size()]; };
  std::function<std::string(int)> expression_text = [&](int depth) -> std::string {
    const auto choice = depth > 3 ? 0 : random() % 5;
    if (choice == 0) return pick(atoms);
    if (choice == 1) return "not " + expression_text(depth + 1);
    const auto join = choice == 2 ? " or " : " and ";
    return "( " + expression_text(depth + 1) + join + expression_text(depth + 1) + " )";
  };
  int compiled = 0;
  for (int round = 0; round < 3000; ++round) {
    const std::vector<std::string> words{expression_text(0)};
    const auto expression = parse_socket_expression(words);
    ASSERT_TRUE(expression) << words[0] << ": " << expression.error().message;
    const auto filter = kernel_filter(**expression);
    if (!filter.bytecode.empty()) {
      ++compiled;
      ASSERT_TRUE(testing_model::kernel_audit_passes(filter.bytecode)) << words[0];
    }
    for (int trial = 0; trial < 40; ++trial) {
      const auto local = pick(addresses);
      const auto family_v6 = local.find(':') != std::string::npos;
      const auto socket =
          record(local.c_str(), pick(ports), family_v6 ? "2001:db8:1::9" : "10.0.0.9", pick(ports),
                 pick(states));
      if (expression_matches(**expression, socket)) {
        ASSERT_TRUE(kernel_keeps(filter, socket)) << words[0];
      }
    }
  }
  EXPECT_GT(compiled, 500);  // the property is not met by compiling nothing
}

}  // namespace
}  // namespace portkit

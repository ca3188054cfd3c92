// ls FILTER...: ss's grammar parsed and evaluated on records, without a network. (The same
// filters are compared with ss on real sockets in tests/integration/sockets_cli_test.cpp.)
#include "portkit/inventory/socket_expression.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace
}  // namespace portkit

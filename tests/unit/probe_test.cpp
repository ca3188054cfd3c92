#include "portkit/probe/probe.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "probe/http_probe.hpp"
#include "service/udp_payloads.hpp"

namespace portkit {
namespace {

TEST(Classify, ConnectErrors) {
  struct Case {
    int error;
    PortState state;
    ProbeReason reason;
  };
  for (const auto& [error, state, reason] :
       std::vector<Case>{{0, PortState::open, ProbeReason::syn_ack},
                         {ECONNREFUSED, PortState::closed, ProbeReason::conn_refused},
                         {EHOSTUNREACH, PortState::filtered, ProbeReason::host_unreach},
                         {ENETUNREACH, PortState::filtered, ProbeReason::net_unreach},
                         {EACCES, PortState::filtered, ProbeReason::admin_prohibited},
                         {ETIMEDOUT, PortState::filtered, ProbeReason::no_response},
                         {EMFILE, PortState::filtered, ProbeReason::local_error}}) {
    const auto verdict = classify_connect_errno(error);
    EXPECT_EQ(verdict.state, state) << error;
    EXPECT_EQ(verdict.reason, reason) << error;
  }
}

TEST(Classify, UdpIcmp) {
  EXPECT_EQ(classify_udp_icmp(false, 3, 3).state, PortState::closed);
  EXPECT_EQ(classify_udp_icmp(false, 3, 3).reason, ProbeReason::port_unreach);
  EXPECT_EQ(classify_udp_icmp(false, 3, 13).reason, ProbeReason::admin_prohibited);
  EXPECT_EQ(classify_udp_icmp(false, 3, 13).state, PortState::filtered);
  EXPECT_EQ(classify_udp_icmp(false, 3, 1).reason, ProbeReason::host_unreach);
  EXPECT_EQ(classify_udp_icmp(false, 3, 0).reason, ProbeReason::net_unreach);
  EXPECT_EQ(classify_udp_icmp(true, 1, 4).state, PortState::closed);
  EXPECT_EQ(classify_udp_icmp(true, 1, 1).reason, ProbeReason::admin_prohibited);
  EXPECT_EQ(classify_udp_icmp(true, 1, 3).reason, ProbeReason::host_unreach);
  EXPECT_EQ(classify_udp_icmp(true, 3, 0).state, PortState::filtered);  // time exceeded
}

TEST(Classify, NamesFollowNmap) {
  EXPECT_EQ(port_state_name(PortState::open_filtered), "open|filtered");
  EXPECT_EQ(probe_reason_name(ProbeReason::syn_ack), "syn-ack");
  EXPECT_EQ(probe_reason_name(ProbeReason::conn_refused), "conn-refused");
  EXPECT_EQ(probe_reason_name(ProbeReason::admin_prohibited), "admin-prohibited");
  EXPECT_EQ(probe_reason_name(ProbeReason::udp_response), "udp-response");
}

TEST(Banner, SanitisedForATerminal) {
  EXPECT_EQ(sanitize_banner("SSH-2.0-OpenSSH_9.2\r\n"), "SSH-2.0-OpenSSH_9.2");
  EXPECT_EQ(sanitize_banner("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"), "HTTP/1.1 200 OK | Server: x");
  EXPECT_EQ(sanitize_banner(std::string("a\x1b[31mb\0c", 9)), "a.[31mb.c");
  EXPECT_EQ(sanitize_banner(std::string(500, 'x')).size(), 160u);
  EXPECT_EQ(sanitize_banner("\r\n\r\n"), "");
}

TEST(UdpPayloads, WellFormedRequests) {
  const auto dns = udp_payload(53);
  ASSERT_EQ(dns.size(), 17u);
  EXPECT_EQ(static_cast<unsigned char>(dns[5]), 1);  // one question
  const auto ntp = udp_payload(123);
  ASSERT_EQ(ntp.size(), 48u);
  EXPECT_EQ(ntp[0], 0x23);  // version 4, client
  const auto snmp = udp_payload(161);
  ASSERT_GE(snmp.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(snmp[0]), 0x30);
  EXPECT_EQ(static_cast<std::size_t>(snmp[1]) + 2, snmp.size());  // BER length covers the rest
  EXPECT_NE(snmp.find("public"), std::string::npos);
  EXPECT_TRUE(udp_payload(9999).empty());
}

TEST(HttpStatus, ParsesTheStatusLine) {
  EXPECT_EQ(parse_http_status_line("HTTP/1.1 200 OK\r"), 200);
  EXPECT_EQ(parse_http_status_line("HTTP/1.0 404 Not Found"), 404);
  EXPECT_EQ(parse_http_status_line("HTTP/2 204"), 204);
  EXPECT_FALSE(parse_http_status_line("SSH-2.0-x").has_value());
  EXPECT_FALSE(parse_http_status_line("HTTP/1.1 20").has_value());
  EXPECT_FALSE(parse_http_status_line("HTTP/1.1 2000 OK").has_value());
  EXPECT_FALSE(parse_http_status_line("").has_value());
}

}  // namespace
}  // namespace portkit

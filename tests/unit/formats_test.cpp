#include <gtest/gtest.h>

#include "registry/curated_format.hpp"
#include "registry/services_format.hpp"

namespace portkit {
namespace {

TEST(ServicesFormat, ParsesIanaAndNetbaseStyles) {
  const auto parsed = parse_services(
      "# comment\n"
      "\n"
      "ssh\t\t22/tcp/udp/sctp\t# The Secure Shell (SSH) Protocol\n"
      "x11\t\t6000-6063/tcp/udp\t# X Window System\n"
      "http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\n"
      "nodesc 7/udp\r\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 4u);
  const auto& ssh = (*parsed)[0];
  EXPECT_EQ(ssh.name, "ssh");
  EXPECT_EQ(ssh.ports, (PortRange{22, 22}));
  EXPECT_EQ(ssh.protocols, kProtoTcp | kProtoUdp | kProtoSctp);
  EXPECT_EQ(ssh.description, "The Secure Shell (SSH) Protocol");
  EXPECT_EQ((*parsed)[1].ports, (PortRange{6000, 6063}));
  EXPECT_EQ((*parsed)[2].aliases, std::vector<std::string>{"www"});
  EXPECT_EQ((*parsed)[3].description, "");
}

TEST(ServicesFormat, MalformedLinesNameTheirLine) {
  EXPECT_EQ(parse_services("ok 1/tcp\nbad\n").error().message,
            "line 2: expected a name and a port/protocol");
  EXPECT_EQ(parse_services("a 70000/tcp").error().message, "line 1: bad port '70000'");
  EXPECT_EQ(parse_services("a 9-3/tcp").error().message, "line 1: bad port '9-3'");
  EXPECT_EQ(parse_services("a 9/xyz").error().message, "line 1: unknown protocol 'xyz'");
  EXPECT_EQ(parse_services("a 9").error().message, "line 1: '9' has no /protocol");
  EXPECT_EQ(parse_services("a 9/tcp/").error().message, "line 1: unknown protocol ''");
}

// netbase's /etc/services (the build's fallback) lists AppleTalk DDP sockets: not IP ports.
TEST(ServicesFormat, NetbaseDdpLinesAreLeftOut) {
  const auto parsed = parse_services("rtmp 1/ddp # Routing\nssh 22/tcp\nzip 6/ddp\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].name, "ssh");
}

TEST(CuratedFormat, ParsesEntries) {
  const auto parsed = parse_curated(R"({"ports": [
    {"port": 22, "protocols": ["tcp"], "name": "ssh", "aliases": ["sftp"], "rank": 3,
     "description": "d", "category": "remote access", "devops_note": "n", "exposure_advice": "e"},
    {"port_low": 1, "port_high": 2, "protocols": ["tcp", "udp"], "name": "r",
     "description": "d", "category": "c", "devops_note": "n", "exposure_advice": "e"}],
    "portless": [{"name": "icmp", "ip_protocol": 1, "description": "d", "devops_note": "n"}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->ports.size(), 2u);
  EXPECT_EQ(parsed->ports[0].rank, 3);
  EXPECT_EQ(parsed->ports[1].ports, (PortRange{1, 2}));
  EXPECT_EQ(parsed->ports[1].protocols, kProtoTcp | kProtoUdp);
  ASSERT_EQ(parsed->portless.size(), 1u);
}

TEST(CuratedFormat, RejectsIncompleteOrClashingEntries) {
  const auto error = [](const char* text) { return parse_curated(text).error().message; };
  EXPECT_EQ(error("nope"), "curated data is not valid JSON");
  EXPECT_EQ(error("{}"), "curated data needs a 'ports' list");
  EXPECT_EQ(error(R"({"ports": [{"name": "x", "protocols": ["tcp"]}]})"),
            "entry 'x': needs 'port' or 'port_low' and 'port_high'");
  EXPECT_EQ(error(R"({"ports": [{"name": "x", "port": 70000}]})"),
            "entry 'x': 'port' must be a port number 0-65535");
  EXPECT_EQ(error(R"({"ports": [{"name": "x", "port": 1, "protocols": ["sctp"]}]})"),
            "entry 'x': protocol 'sctp' is not tcp or udp");
  EXPECT_EQ(error(R"({"ports": [{"name": "x", "port": 1, "protocols": ["tcp"]}]})"),
            "entry 'x': 'description' must be a non-empty string");
  EXPECT_EQ(error(R"({"ports": [
      {"port": 1, "protocols": ["tcp"], "name": "a", "aliases": ["mail"], "description": "d",
       "category": "mail", "devops_note": "n", "exposure_advice": "e"}]})"),
            "entry 'a': name 'mail' is also a category");
  EXPECT_EQ(error(R"({"ports": [
      {"port": 1, "protocols": ["tcp"], "name": "a", "description": "d",
       "category": "c", "devops_note": "n", "exposure_advice": "e"},
      {"port": 2, "protocols": ["tcp"], "name": "A", "description": "d",
       "category": "c", "devops_note": "n", "exposure_advice": "e"}]})"),
            "entry 'A': name 'A' is used twice");
}

}  // namespace
}  // namespace portkit

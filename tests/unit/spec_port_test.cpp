#include <gtest/gtest.h>

#include "portkit/registry/registry.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {
namespace {

struct GoodSpec {
  const char* text;
  std::vector<std::uint16_t> tcp_ports;  // expanded, default transport tcp
  std::vector<std::uint16_t> udp_ports;
};

class GoodPortSpec : public testing::TestWithParam<GoodSpec> {};

TEST_P(GoodPortSpec, Expands) {
  const auto& param = GetParam();
  const auto spec = parse_port_spec(param.text);
  ASSERT_TRUE(spec.ok()) << param.text << ": " << spec.error().message;
  EXPECT_EQ(spec->ports_for(Proto::tcp, Proto::tcp), param.tcp_ports) << param.text;
  EXPECT_EQ(spec->ports_for(Proto::udp, Proto::tcp), param.udp_ports) << param.text;
}

INSTANTIATE_TEST_SUITE_P(
    Spec, GoodPortSpec,
    testing::Values(
        GoodSpec{"22", {22}, {}}, GoodSpec{"1", {1}, {}}, GoodSpec{"65535", {65535}, {}},
        GoodSpec{"22,80,443", {22, 80, 443}, {}}, GoodSpec{"443,80,22", {22, 80, 443}, {}},
        GoodSpec{"80,80", {80}, {}}, GoodSpec{"1-5", {1, 2, 3, 4, 5}, {}}, GoodSpec{"7-7", {7}, {}},
        GoodSpec{"53/udp", {}, {53}}, GoodSpec{"53/UDP", {}, {53}}, GoodSpec{"22/tcp", {22}, {}},
        GoodSpec{"ssh", {22}, {}}, GoodSpec{"SSH", {22}, {}}, GoodSpec{"postgresql", {5432}, {}},
        GoodSpec{"postgres", {5432}, {}}, GoodSpec{"pg", {5432}, {}},
        GoodSpec{"domain/udp", {}, {53}}, GoodSpec{"dns/udp", {}, {53}},
        GoodSpec{"ntp/udp", {}, {123}}, GoodSpec{"http,https", {80, 443}, {}},
        GoodSpec{"ssh,53/udp", {22}, {53}}, GoodSpec{"1-3/udp,2", {2}, {1, 2, 3}},
        GoodSpec{" 22 , 80 ", {22, 80}, {}}, GoodSpec{"022", {22}, {}},
        GoodSpec{"redis", {6379}, {}}, GoodSpec{"mysql,3307", {3306, 3307}, {}},
        GoodSpec{"kubernetes-api", {6443}, {}}, GoodSpec{"etcd,etcd-peer", {2379, 2380}, {}},
        GoodSpec{"6881-6883", {6881, 6882, 6883}, {}}, GoodSpec{"snmp/udp", {}, {161}},
        GoodSpec{"http-alt", {8080}, {}}, GoodSpec{"ftp-data", {20}, {}},
        GoodSpec{"mongodb", {27017}, {}}, GoodSpec{"9200", {9200}, {}},
        GoodSpec{"kafka", {9092}, {}}, GoodSpec{"rdp", {3389}, {}},
        GoodSpec{"telnet,ftp", {21, 23}, {}}, GoodSpec{"65534-65535", {65534, 65535}, {}},
        GoodSpec{"wireguard/udp", {}, {51820}}));

TEST(PortSpec, DashIsEveryPort) {
  const auto spec = parse_port_spec("-");
  ASSERT_TRUE(spec.ok());
  const auto ports = spec->ports_for(Proto::tcp, Proto::tcp);
  ASSERT_EQ(ports.size(), 65535u);
  EXPECT_EQ(ports.front(), 1);
  EXPECT_EQ(ports.back(), 65535);
}

TEST(PortSpec, ZeroOnlyWhenAllowed) {
  EXPECT_FALSE(parse_port_spec("0").ok());
  const auto spec = parse_port_spec("0", {.allow_zero = true});
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->items.front().ports, (PortRange{0, 0}));
}

// A registry name that starts with a digit is a name, not a bad number. Only the full IANA
// registry has such names (3com-tsmux); built from netbase's list, it is an unknown name.
TEST(PortSpec, NamesStartingWithADigitAreNames) {
  const auto spec = parse_port_spec("3com-tsmux");
  if (registry::iana_size() > 6000) {
    ASSERT_TRUE(spec.ok()) << spec.error().message;
    EXPECT_EQ(spec->items.front().ports.low, 106);
  } else {
    ASSERT_FALSE(spec.ok());
    EXPECT_NE(spec.error().message.find("'3com"), std::string::npos) << spec.error().message;
  }
}

TEST(PortSpec, NameResolvesForTheDefaultTransport) {
  const auto spec = parse_port_spec("ntp", {.name_proto = Proto::udp});
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->items.front().ports.low, 123);
}

struct BadInput {
  const char* text;
  const char* message;
};

class BadPortSpec : public testing::TestWithParam<BadInput> {};

TEST_P(BadPortSpec, NamesTheBadPart) {
  const auto spec = parse_port_spec(GetParam().text);
  ASSERT_FALSE(spec.ok()) << GetParam().text;
  EXPECT_EQ(spec.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Spec, BadPortSpec,
    testing::Values(
        BadInput{"", "empty port spec"}, BadInput{"   ", "empty port spec"},
        BadInput{"70000", "port '70000' is out of range 1-65535"},
        BadInput{"65536", "port '65536' is out of range 1-65535"},
        BadInput{"0", "port '0' is out of range 1-65535"},
        BadInput{"99999999999999999999999",
                 "port '99999999999999999999999' is out of range 1-65535"},
        BadInput{"-1", "range '-1' has no start port"},
        BadInput{"5-", "range '5-' has no end port"},
        BadInput{"10-5", "range '10-5' is reversed (10 > 5)"},
        BadInput{"1-2-3", "range '1-2-3' has more than one '-'"},
        BadInput{"1-x", "invalid port 'x' in '1-x'"},
        BadInput{"1-70000", "port '70000' is out of range 1-65535"},
        BadInput{"0-10", "port '0' is out of range 1-65535"},
        BadInput{"1,,2", "empty item in port list '1,,2'"},
        BadInput{"1,", "empty item in port list '1,'"},
        BadInput{",1", "empty item in port list ',1'"}, BadInput{"5xs", "invalid port '5xs'"},
        BadInput{"12a", "invalid port '12a'"}, BadInput{"1.5", "invalid port '1.5'"},
        BadInput{"+22", "invalid port '+22'"},
        BadInput{"ssh/sctp", "unknown protocol 'sctp' in 'ssh/sctp' (use tcp or udp)"},
        BadInput{"22/", "missing protocol after '/' in '22/'"},
        BadInput{"/udp", "missing port before '/' in '/udp'"},
        BadInput{"22/tcp/udp", "unknown protocol 'tcp/udp' in '22/tcp/udp' (use tcp or udp)"},
        BadInput{"nosuchservice", "unknown service name 'nosuchservice'"},
        BadInput{"ssh-", "unknown service name 'ssh-'"},
        BadInput{"ntp/udp,dhcp-server", "service 'dhcp-server' has no tcp port"},
        BadInput{"wireguard", "service 'wireguard' has no tcp port"},
        BadInput{"22 80", "invalid port '22 80'"}, BadInput{"22;80", "invalid port '22;80'"},
        BadInput{"'22'", "invalid port '\\x2722\\x27'"}, BadInput{"\x01", "invalid port '\\x01'"}));

TEST(SinglePort, RejectsRangesAndLists) {
  EXPECT_EQ(parse_single_port("22-23").error().message, "expected one port, not the range '22-23'");
  EXPECT_EQ(parse_single_port("22,23").error().message, "expected one port, not the list '22,23'");
  EXPECT_EQ(parse_single_port("").error().message, "empty port");
  const auto port = parse_single_port("53/udp");
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(port->port, 53);
  EXPECT_EQ(port->proto, Proto::udp);
}

}  // namespace
}  // namespace portkit

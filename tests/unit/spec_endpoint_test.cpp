#include <gtest/gtest.h>

#include "portkit/spec/spec.hpp"

namespace portkit {
namespace {

struct GoodEndpoint {
  const char* text;
  const char* host;
  HostKind kind;
  std::uint16_t port;
  Proto proto;
};

class GoodEndpoints : public testing::TestWithParam<GoodEndpoint> {};

TEST_P(GoodEndpoints, Parse) {
  const auto& param = GetParam();
  const auto endpoint = parse_endpoint(param.text);
  ASSERT_TRUE(endpoint.ok()) << param.text << ": " << endpoint.error().message;
  EXPECT_EQ(endpoint->host.text, param.host);
  EXPECT_EQ(endpoint->host.kind, param.kind);
  EXPECT_EQ(endpoint->port, param.port);
  EXPECT_EQ(endpoint->proto, param.proto);
}

INSTANTIATE_TEST_SUITE_P(
    Spec, GoodEndpoints,
    testing::Values(
        GoodEndpoint{"localhost:22", "localhost", HostKind::name, 22, Proto::tcp},
        GoodEndpoint{"localhost:ssh", "localhost", HostKind::name, 22, Proto::tcp},
        GoodEndpoint{"db.internal:5432", "db.internal", HostKind::name, 5432, Proto::tcp},
        GoodEndpoint{"127.0.0.1:80", "127.0.0.1", HostKind::ipv4, 80, Proto::tcp},
        GoodEndpoint{"[::1]:443", "::1", HostKind::ipv6, 443, Proto::tcp},
        GoodEndpoint{"[2001:db8::1]:443", "2001:db8::1", HostKind::ipv6, 443, Proto::tcp},
        GoodEndpoint{"[fe80::1%eth0]:22", "fe80::1%eth0", HostKind::ipv6, 22, Proto::tcp},
        GoodEndpoint{"host:53/udp", "host", HostKind::name, 53, Proto::udp},
        GoodEndpoint{"[::1]:53/udp", "::1", HostKind::ipv6, 53, Proto::udp},
        GoodEndpoint{"ns1:domain/udp", "ns1", HostKind::name, 53, Proto::udp},
        GoodEndpoint{"a:65535", "a", HostKind::name, 65535, Proto::tcp},
        GoodEndpoint{"my-host_1.example.com.:8080", "my-host_1.example.com.", HostKind::name, 8080,
                     Proto::tcp},
        GoodEndpoint{"10.0.0.1:redis", "10.0.0.1", HostKind::ipv4, 6379, Proto::tcp},
        GoodEndpoint{"[::ffff:192.0.2.1]:25", "::ffff:192.0.2.1", HostKind::ipv6, 25, Proto::tcp}));

TEST(Endpoint, DefaultTransportApplies) {
  const auto endpoint = parse_endpoint("host:ntp", Proto::udp);
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->port, 123);
  EXPECT_EQ(endpoint->proto, Proto::udp);
  EXPECT_FALSE(endpoint->proto_given);
}

TEST(Endpoint, FormatsWithBrackets) {
  EXPECT_EQ(format_endpoint(Host{"::1", HostKind::ipv6}, 80), "[::1]:80");
  EXPECT_EQ(format_endpoint(Host{"example", HostKind::name}, 80), "example:80");
}

struct BadInput {
  const char* text;
  const char* message;
};

class BadEndpoints : public testing::TestWithParam<BadInput> {};

TEST_P(BadEndpoints, NamesTheBadPart) {
  const auto endpoint = parse_endpoint(GetParam().text);
  ASSERT_FALSE(endpoint.ok()) << GetParam().text;
  EXPECT_EQ(endpoint.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Spec, BadEndpoints,
    testing::Values(
        BadInput{"", "empty endpoint"}, BadInput{"host:", "endpoint 'host:' has no port"},
        BadInput{"host", "endpoint 'host' has no port (expected HOST:PORT)"},
        BadInput{":80", "endpoint ':80' has no host"},
        BadInput{"[::1", "endpoint '[::1' is missing ']'"},
        BadInput{"[::1]", "endpoint '[::1]' has no port"},
        BadInput{"[::1]:", "endpoint '[::1]:' has no port"},
        BadInput{"[::1]80", "expected ':' after ']' in '[::1]80'"},
        BadInput{"::1:80", "IPv6 address in '::1:80' needs brackets, as in '[::1]:80'"},
        BadInput{"[nothex]:80", "invalid IPv6 address 'nothex'"},
        BadInput{"[]:80", "empty IPv6 address in '[]'"},
        BadInput{"host:0", "port '0' is out of range 1-65535"},
        BadInput{"host:70000", "port '70000' is out of range 1-65535"},
        BadInput{"host:22-23", "expected one port, not the range '22-23'"},
        BadInput{"host:nosuch", "unknown service name 'nosuch'"},
        BadInput{"host:53/sctp", "unknown protocol 'sctp' in 'host:53/sctp' (use tcp or udp)"},
        BadInput{"/udp", "endpoint '/udp' has no host"},
        BadInput{"bad_host!:80", "invalid host name 'bad_host!': character '!' not allowed"},
        BadInput{"-bad:80", "invalid host name '-bad': label starts or ends with '-'"},
        BadInput{"a..b:80", "invalid host name 'a..b': empty label"},
        BadInput{"999.1.1.1:80", "invalid IPv4 address '999.1.1.1'"},
        BadInput{"1.2.3:80", "invalid IPv4 address '1.2.3'"},
        BadInput{"01.2.3.4:80", "invalid IPv4 address '01.2.3.4'"},
        BadInput{"[fe80::1%]:22", "invalid IPv6 zone '' in 'fe80::1%'"}));

}  // namespace
}  // namespace portkit

namespace portkit {
namespace {

TEST(SpecEndpoint, PortZeroOnlyWhereTheKernelMayChoose) {
  EXPECT_FALSE(parse_endpoint("127.0.0.1:0"));
  const auto listen = parse_endpoint("127.0.0.1:0", EndpointOptions{.allow_zero = true});
  ASSERT_TRUE(listen);
  EXPECT_EQ(listen->port, 0);
  const auto v6 = parse_endpoint("[::]:0/udp", EndpointOptions{.allow_zero = true});
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->proto, Proto::udp);
  EXPECT_EQ(v6->host.text, "::");
}

TEST(SpecExposure, AddressesAsTextSayWhoCanReachThem) {
  for (const auto* all : {"", "0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0"}) {
    EXPECT_EQ(exposure_of_address(all), Exposure::all_interfaces) << all;
  }
  for (const auto* loopback : {"127.0.0.1", "127.9.8.7", "::1", "[::1]", "::ffff:127.0.0.1"}) {
    EXPECT_EQ(exposure_of_address(loopback), Exposure::loopback) << loopback;
  }
  for (const auto* one : {"192.0.2.7", "2001:db8::1", "db.example", "[::"}) {
    EXPECT_EQ(exposure_of_address(one), Exposure::one_address) << one;
  }
}

}  // namespace
}  // namespace portkit

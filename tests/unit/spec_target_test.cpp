#include <gtest/gtest.h>

#include "portkit/spec/spec.hpp"

namespace portkit {
namespace {

struct GoodTarget {
  const char* text;
  const char* first;  // empty for a host name
  const char* last;
  std::uint64_t size;
};

class GoodTargets : public testing::TestWithParam<GoodTarget> {};

TEST_P(GoodTargets, Parse) {
  const auto& param = GetParam();
  const auto target = parse_target(param.text);
  ASSERT_TRUE(target.ok()) << param.text << ": " << target.error().message;
  EXPECT_EQ(target->size(), param.size);
  if (std::string(param.first).empty()) {
    ASSERT_TRUE(target->hostname.has_value());
    EXPECT_EQ(*target->hostname, param.text);
    return;
  }
  EXPECT_FALSE(target->hostname.has_value());
  EXPECT_EQ(target->first.to_string(), param.first);
  EXPECT_EQ(target->last.to_string(), param.last);
}

INSTANTIATE_TEST_SUITE_P(
    Spec, GoodTargets,
    testing::Values(GoodTarget{"localhost", "", "", 1}, GoodTarget{"scanme.example", "", "", 1},
                    GoodTarget{"192.0.2.7", "192.0.2.7", "192.0.2.7", 1},
                    GoodTarget{"10.0.0.0/30", "10.0.0.0", "10.0.0.3", 4},
                    GoodTarget{"10.0.0.5/30", "10.0.0.4", "10.0.0.7", 4},
                    GoodTarget{"10.0.0.0/32", "10.0.0.0", "10.0.0.0", 1},
                    GoodTarget{"10.0.0.0/8", "10.0.0.0", "10.255.255.255", 16777216},
                    GoodTarget{"0.0.0.0/0", "0.0.0.0", "255.255.255.255", 4294967296},
                    GoodTarget{"192.0.2.1-5", "192.0.2.1", "192.0.2.5", 5},
                    GoodTarget{"192.0.2.250-192.0.3.2", "192.0.2.250", "192.0.3.2", 9},
                    GoodTarget{"::1", "::1", "::1", 1}, GoodTarget{"[::1]", "::1", "::1", 1},
                    GoodTarget{"2001:db8::/126", "2001:db8::", "2001:db8::3", 4},
                    GoodTarget{"2001:db8::1-2001:db8::3", "2001:db8::1", "2001:db8::3", 3},
                    GoodTarget{"2001:db8::/64", "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff",
                               UINT64_MAX},
                    GoodTarget{"my-host", "", "", 1}));

TEST(Target, WalksTheBlock) {
  const auto target = parse_target("192.0.2.254-192.0.3.1");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->at(0).to_string(), "192.0.2.254");
  EXPECT_EQ(target->at(2).to_string(), "192.0.3.0");
  EXPECT_EQ(target->at(3).to_string(), "192.0.3.1");
}

struct BadInput {
  const char* text;
  const char* message;
};

class BadTargets : public testing::TestWithParam<BadInput> {};

TEST_P(BadTargets, NamesTheBadPart) {
  const auto target = parse_target(GetParam().text);
  ASSERT_FALSE(target.ok()) << GetParam().text;
  EXPECT_EQ(target.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Spec, BadTargets,
    testing::Values(
        BadInput{"", "empty target"},
        BadInput{"1.2.3.4/33", "prefix length '33' in '1.2.3.4/33' is out of range 0-32"},
        BadInput{"::/129", "prefix length '129' in '::/129' is out of range 0-128"},
        BadInput{"1.2.3.4/", "missing prefix length in '1.2.3.4/'"},
        BadInput{"1.2.3.4/x", "invalid prefix length 'x' in '1.2.3.4/x'"},
        BadInput{"1.2.3.4/-1", "invalid prefix length '-1' in '1.2.3.4/-1'"},
        BadInput{"host/24", "CIDR block 'host/24' needs an IP address, not a host name"},
        BadInput{"1.2.3/24", "invalid address '1.2.3' in '1.2.3/24'"},
        BadInput{"1.2.3.10-5", "range '1.2.3.10-5' is reversed (start > end)"},
        BadInput{"1.2.3.4-300", "range end '300' in '1.2.3.4-300' is out of range 0-255"},
        BadInput{"1.2.3.4-", "range '1.2.3.4-' has no end"},
        BadInput{"1.2.3.4-::1", "range '1.2.3.4-::1' mixes IPv4 and IPv6"},
        BadInput{"1.2.3.4-x", "invalid range end 'x' in '1.2.3.4-x'"},
        BadInput{"1.2.3", "invalid IPv4 address '1.2.3'"},
        BadInput{"256.1.1.1", "invalid IPv4 address '256.1.1.1'"},
        BadInput{"::g", "invalid IPv6 address '::g'"},
        BadInput{"[::1", "target '[::1' is missing ']'"},
        BadInput{"[1.2.3.4]", "invalid IPv6 address '1.2.3.4'"},
        BadInput{"bad host", "invalid host name 'bad host': character ' ' not allowed"}));

}  // namespace
}  // namespace portkit

#include "portkit/ranges/ranges.hpp"

#include <gtest/gtest.h>

namespace portkit {
namespace {

TEST(Ranges, IanaClasses) {
  EXPECT_EQ(range_class(0), RangeClass::well_known);
  EXPECT_EQ(range_class(1023), RangeClass::well_known);
  EXPECT_EQ(range_class(1024), RangeClass::registered);
  EXPECT_EQ(range_class(49151), RangeClass::registered);
  EXPECT_EQ(range_class(49152), RangeClass::dynamic);
  EXPECT_EQ(range_class(65535), RangeClass::dynamic);
  EXPECT_EQ(range_class_name(RangeClass::well_known), "well-known");
  for (const auto c : {RangeClass::well_known, RangeClass::registered, RangeClass::dynamic}) {
    const auto bounds = range_class_bounds(c);
    EXPECT_EQ(range_class(bounds.low), c);
    EXPECT_EQ(range_class(bounds.high), c);
  }
}

TEST(Ranges, ParsesSysctlText) {
  EXPECT_EQ(*parse_local_port_range("32768\t60999\n"), (PortRange{32768, 60999}));
  EXPECT_EQ(*parse_local_port_range(" 1024   65000 "), (PortRange{1024, 65000}));
  EXPECT_EQ(parse_local_port_range("9 3").error().message, "ip_local_port_range '9 3' is reversed");
  EXPECT_EQ(parse_local_port_range("32768").error().message,
            "ip_local_port_range '32768' needs two numbers");
  EXPECT_EQ(parse_local_port_range("a b").error().message, "invalid ephemeral range start 'a'");

  EXPECT_TRUE(parse_reserved_ports("\n")->empty());
  const auto reserved = parse_reserved_ports("8080,9000-9010\n");
  ASSERT_TRUE(reserved.ok());
  EXPECT_EQ(*reserved, (std::vector<PortRange>{{8080, 8080}, {9000, 9010}}));
  EXPECT_EQ(parse_reserved_ports("5-1").error().message, "reserved range '5-1' is reversed");
  EXPECT_EQ(parse_reserved_ports("x").error().message, "invalid reserved port 'x'");

  EXPECT_EQ(*parse_unprivileged_port_start("1024\n"), 1024);
  EXPECT_EQ(*parse_unprivileged_port_start("0"), 0);
  EXPECT_FALSE(parse_unprivileged_port_start("-5").ok());
}

TEST(Ranges, HostConfigAnswers) {
  HostPortConfig host;
  host.ephemeral = {40000, 40010};
  host.reserved = {{40005, 40006}};
  host.unprivileged_start = 80;
  EXPECT_TRUE(host.in_ephemeral(40000));
  EXPECT_FALSE(host.in_ephemeral(39999));
  EXPECT_TRUE(host.is_reserved(40006));
  EXPECT_FALSE(host.is_reserved(40007));
  EXPECT_TRUE(host.needs_privilege(79));
  EXPECT_FALSE(host.needs_privilege(80));
  EXPECT_FALSE(host.needs_privilege(0));
}

TEST(Ranges, MissingFilesKeepDefaultsFlaggedUnknown) {
  const auto host = read_host_port_config("/nonexistent/dir");
  EXPECT_FALSE(host.ephemeral_known);
  EXPECT_FALSE(host.unprivileged_known);
  EXPECT_EQ(host.ephemeral, (PortRange{32768, 60999}));
  EXPECT_EQ(host.unprivileged_start, 1024);
}

}  // namespace
}  // namespace portkit

// `portkit ranges` against the host's sysctls, and inside a network namespace whose
// sysctls the test sets itself (they are per namespace), so the reading is really checked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "process.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using testing_support::run_portkit;
using testing_support::run_process;

TEST(RangesCli, MatchesSysctl) {
  const auto sysctl = run_process({"sysctl", "-n", "net.ipv4.ip_local_port_range"});
  ASSERT_EQ(sysctl.exit_code, 0) << sysctl.err;
  std::istringstream fields(sysctl.out);
  int low = 0, high = 0;
  fields >> low >> high;
  const auto result = run_portkit({"ranges", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto document = json::parse(result.out);
  EXPECT_EQ(document["ephemeral"]["port_low"], low);
  EXPECT_EQ(document["ephemeral"]["port_high"], high);
  EXPECT_EQ(document["ephemeral"]["size"], high - low + 1);
  EXPECT_EQ(document["ephemeral"]["known"], true);
  EXPECT_EQ(document["iana"].size(), 3u);
  EXPECT_EQ(document["kubernetes_nodeport"]["port_low"], 30000);

  const auto human = run_portkit({"ranges"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find(std::to_string(low) + "-" + std::to_string(high)), std::string::npos);
}

TEST(RangesCli, ReadsSysctlsSetInANetworkNamespace) {
  ASSERT_EQ(geteuid(), 0u) << "this test needs root (as in CI) to create a network namespace";
  const std::string script =
      "sysctl -qw net.ipv4.ip_local_port_range='40000 40100' && "
      "sysctl -qw net.ipv4.ip_local_reserved_ports='40010,40020-40022' && "
      "sysctl -qw net.ipv4.ip_unprivileged_port_start=80 && "
      "exec \"$0\" ranges --json";
  const auto result = run_process({"unshare", "--net", "sh", "-c", script, PORTKIT_BINARY});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto document = json::parse(result.out);
  EXPECT_EQ(document["ephemeral"]["port_low"], 40000);
  EXPECT_EQ(document["ephemeral"]["port_high"], 40100);
  const auto& reserved = document["reserved"]["ranges"];
  ASSERT_EQ(reserved.size(), 2u);
  EXPECT_EQ(reserved[0]["port_low"], 40010);
  EXPECT_EQ(reserved[1]["port_high"], 40022);
  EXPECT_EQ(document["unprivileged_port_start"]["port"], 80);

  const std::string lookup_script =
      "sysctl -qw net.ipv4.ip_local_port_range='40000 40100' && "
      "sysctl -qw net.ipv4.ip_local_reserved_ports=40010 && "
      "sysctl -qw net.ipv4.ip_unprivileged_port_start=80 && "
      "exec \"$0\" lookup --json 40010 79 80";
  const auto lookup = run_process({"unshare", "--net", "sh", "-c", lookup_script, PORTKIT_BINARY});
  ASSERT_LE(lookup.exit_code, 1) << lookup.err;
  const auto results = json::parse(lookup.out)["results"];
  EXPECT_EQ(results[0]["in_ephemeral_range"], true);
  EXPECT_EQ(results[0]["reserved"], true);
  EXPECT_EQ(results[1]["needs_privilege"], true);
  EXPECT_EQ(results[2]["needs_privilege"], false);
}

}  // namespace
}  // namespace portkit

// The forward grammar, config file, PROXY headers, source filters and upstream order.
#include "portkit/forward/forward.hpp"

#include <gtest/gtest.h>

#include "forward/pipe_pool.hpp"
#include "forward/runtime.hpp"

namespace portkit {
namespace {

TEST(ForwardRule, ListenSidesAndTargets) {
  struct Case {
    std::string listen, targets, listen_text, targets_text;
    bool all_interfaces;
  };
  const std::vector<Case> cases{
      {"8080", "127.0.0.1:3000", "127.0.0.1:8080/tcp", "127.0.0.1:3000", false},
      {"0.0.0.0:8080", "db:5432", "0.0.0.0:8080/tcp", "db:5432", true},
      {"[::]:8443", "[::1]:443,a:443", "[::]:8443/tcp", "[::1]:443,a:443", true},
      {"5353/udp", "127.0.0.1:53", "127.0.0.1:5353/udp", "127.0.0.1:53", false},
      {"[::1]:0/udp", "127.0.0.1:53/udp", "[::1]:0/udp", "127.0.0.1:53", false},
      {"8080", "3000", "127.0.0.1:8080/tcp", "127.0.0.1:3000", false},
      {"http", "localhost:https", "127.0.0.1:80/tcp", "localhost:443", false},
  };
  for (const auto& c : cases) {
    const auto rule = parse_forward_rule(c.listen, c.targets, {});
    ASSERT_TRUE(rule.ok()) << c.listen << ": " << rule.error().message;
    EXPECT_EQ(rule->listen_text(), c.listen_text);
    EXPECT_EQ(rule->targets_text(), c.targets_text);
    EXPECT_EQ(rule->all_interfaces(), c.all_interfaces) << c.listen;
  }
}

TEST(ForwardRule, ErrorsNameTheBadPart) {
  const std::vector<std::pair<std::pair<std::string, std::string>, std::string>> cases{
      {{"70000", "a:1"}, "70000"},
      {{"8080", ""}, "no target"},
      {{"8080", "a:1,,b:2"}, "empty target"},
      {{"8080", "a"}, "'a'"},
      {{"8080/udp", "a:53/tcp"}, "is tcp but the listening side is udp"},
      {{"::1:80", "a:1"}, "brackets"},
  };
  for (const auto& [input, needle] : cases) {
    const auto rule = parse_forward_rule(input.first, input.second, {});
    ASSERT_FALSE(rule.ok()) << input.first << " " << input.second;
    EXPECT_NE(rule.error().message.find(needle), std::string::npos) << rule.error().message;
  }
  RuleSettings proxy;
  proxy.proxy = ProxyProtocol::v2;
  EXPECT_FALSE(parse_forward_rule("53/udp", "a:53", proxy).ok());
}

TEST(ForwardRule, SourceFiltersAndIdleDefaults) {
  RuleSettings settings;
  settings.allow = {*parse_address_block("10.0.0.0/8"), *parse_address_block("::1")};
  settings.deny = {*parse_address_block("10.0.0.5-10.0.0.7")};
  const auto rule = parse_forward_rule("80", "a:80", settings);
  ASSERT_TRUE(rule.ok());
  EXPECT_TRUE(rule->admits(*parse_ip_address("10.1.2.3")));
  EXPECT_TRUE(rule->admits(*parse_ip_address("::ffff:10.1.2.3"))) << "IPv4-mapped counts as IPv4";
  EXPECT_FALSE(rule->admits(*parse_ip_address("10.0.0.6")));
  EXPECT_FALSE(rule->admits(*parse_ip_address("11.0.0.1")));
  EXPECT_TRUE(rule->admits(*parse_ip_address("::1")));
  EXPECT_EQ(rule->effective_idle_timeout().count(), 0);
  EXPECT_EQ(parse_forward_rule("53/udp", "a:53", {})->effective_idle_timeout().count(), 60'000);
  EXPECT_FALSE(parse_address_block("example.com").ok());
}

TEST(ForwardConfig, RulesInheritTopLevelSettings) {
  const auto config = parse_forward_config(R"(
drain = "3s"
balance = "first-healthy"
allow = ["127.0.0.0/8"]

[[rule]]
listen = 8080
targets = ["127.0.0.1:3000", "127.0.0.1:3001"]

[[rule]]
listen = "0.0.0.0:5353/udp"
target = "127.0.0.1:53"
idle_timeout = "30s"
max_conns = 100
balance = "round-robin"
)",
                                           "rules.toml", {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->rules.size(), 2U);
  EXPECT_EQ(config->drain->count(), 3000);
  const auto& first = config->rules[0];
  EXPECT_EQ(first.listen_text(), "127.0.0.1:8080/tcp");
  EXPECT_EQ(first.targets.size(), 2U);
  EXPECT_EQ(first.settings.balance, Balance::first_healthy);
  EXPECT_EQ(first.settings.allow.size(), 1U);
  const auto& second = config->rules[1];
  EXPECT_EQ(second.proto, Proto::udp);
  EXPECT_EQ(second.settings.balance, Balance::round_robin);
  EXPECT_EQ(second.settings.max_conns, 100U);
  EXPECT_EQ(second.effective_idle_timeout().count(), 30'000);
}

TEST(ForwardConfig, ErrorsNameFileLineAndKey) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"[[rule]]\nlisten = 80\n", "rules.toml:1: [[rule]] has no target"},
      {"[[rule]]\nlisten = 80\ntarget = \"a:1\"\nspeed = 3\n", "rules.toml:4: unknown key 'speed'"},
      {"[[rule]]\nlisten = 80\ntarget = \"a:1\"\nallow = [\"x.example\"]\n", "rules.toml:4: allow"},
      {"[[rule]]\nlisten = 80\ntarget = \"a:1\"\ntargets = [\"b:1\"]\n",
       "either target or targets"},
      {"rule = 3\n", "rules.toml:1: rule must be an array"},
      {"[[rule]]\nlisten = 80\ntarget = \"a:1\"\n[[rule]]\nlisten = 80\ntarget = \"b:1\"\n",
       "two rules"},
      {"listen = = 3\n", "rules.toml:1:"},
      {"drain = \"soon\"\n", "rules.toml:1: drain"},
      {"max_conns = -1\n", "max_conns"},
      {"[[rule]]\nlisten = 80\ntarget = \"a:1,b:1\"\n", "one target per string"},
      {"# ok\nlisten = 127.0.\xd0\xad\n", "rules.toml:2: non-ASCII character outside a string"},
      {"# \xff\n", "rules.toml:1: malformed UTF-8"},
      {"name = \"\xe6\x95\xb0\n", "rules.toml:1:"},  // unterminated: toml++ says so
      {"\n  [++a:\n", "rules.toml:2: malformed table header"},
  };
  for (const auto& [text, needle] : cases) {
    const auto config = parse_forward_config(text, "rules.toml", {});
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_NE(config.error().message.find(needle), std::string::npos) << config.error().message;
  }
}

// TOML is UTF-8: comments and strings may hold any of it.
TEST(ForwardConfig, Utf8InCommentsAndStringsIsRead) {
  const auto config = parse_forward_config(
      "# \xe6\x95\xb0\xe6\x8d\xae\xe5\xba\x93 \xe2\x80\x94 caf\xc3\xa9\n[[rule]]  # na\xc3\xafve\n"
      "listen = 18080\ntarget = \"127.0.0.1:18081\"  # \xf0\x9f\x9a\x80\n",
      "rules.toml", {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->rules.size(), 1u);
}

TEST(ProxyHeader, VersionOneIsOneLine) {
  const ProxyAddresses v4{*parse_ip_address("192.0.2.7"), 51234, *parse_ip_address("198.51.100.1"),
                          443};
  EXPECT_EQ(proxy_header(ProxyProtocol::v1, v4), "PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n");
  const ProxyAddresses v6{*parse_ip_address("2001:db8::7"), 1, *parse_ip_address("::1"), 2};
  EXPECT_EQ(proxy_header(ProxyProtocol::v1, v6), "PROXY TCP6 2001:db8::7 ::1 1 2\r\n");
  const ProxyAddresses mapped{*parse_ip_address("::ffff:192.0.2.7"), 5,
                              *parse_ip_address("::ffff:127.0.0.1"), 6};
  EXPECT_EQ(proxy_header(ProxyProtocol::v1, mapped), "PROXY TCP4 192.0.2.7 127.0.0.1 5 6\r\n");
  EXPECT_EQ(proxy_header(ProxyProtocol::none, v4), "");
}

TEST(ProxyHeader, VersionTwoIsTheBinaryBlock) {
  const ProxyAddresses v4{*parse_ip_address("192.0.2.7"), 0x1234, *parse_ip_address("10.0.0.1"),
                          443};
  const std::string expected(
      "\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x07\x0a\x00\x00\x01\x12\x34\x01\xbb", 28);
  EXPECT_EQ(proxy_header(ProxyProtocol::v2, v4), expected);
  const ProxyAddresses v6{*parse_ip_address("::2"), 1, *parse_ip_address("::1"), 2};
  const auto header = proxy_header(ProxyProtocol::v2, v6);
  ASSERT_EQ(header.size(), 16U + 36U);
  EXPECT_EQ(header[13], '\x21');
  EXPECT_EQ(header[15], '\x24');
  EXPECT_EQ(header[16 + 15], '\x02');
  EXPECT_EQ(header[32 + 15], '\x01');
}

TEST(UpstreamOrder, RoundRobinRotatesFirstHealthyDoesNotAndFailedGoLast) {
  forward::RuleState state;
  state.upstreams.resize(3);
  state.rule.settings.balance = Balance::round_robin;
  const auto now = forward::Clock::now();
  EXPECT_EQ(state.upstream_order(now), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(state.upstream_order(now), (std::vector<std::size_t>{1, 2, 0}));
  state.mark_down(2, now);
  EXPECT_EQ(state.upstream_order(now), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(state.upstream_order(now), (std::vector<std::size_t>{0, 1, 2})) << "2 is down: last";
  state.rule.settings.balance = Balance::first_healthy;
  state.mark_down(0, now);
  EXPECT_EQ(state.upstream_order(now), (std::vector<std::size_t>{1, 0, 2}));
  EXPECT_EQ(state.upstream_order(now + std::chrono::seconds(3)),
            (std::vector<std::size_t>{0, 1, 2}));
}

TEST(PipePool, ReusesEmptyPipesAndTrimsAfterABurst) {
  forward::PipePool pool(128 * 1024);
  auto first = pool.acquire();
  auto second = pool.acquire();
  ASSERT_TRUE(first && second);
  EXPECT_GE(first->capacity, 64U * 1024);
  pool.release(*first, true);
  pool.release(*second, true);
  EXPECT_EQ(pool.idle(), 2U);
  const auto again = pool.acquire();
  EXPECT_EQ(again->read_fd, second->read_fd) << "the last released is reused";
  pool.release(*again, false);  // it held bytes: closed, not pooled
  EXPECT_EQ(pool.idle(), 1U);
  pool.trim();  // the peak (2 in use) keeps them once
  pool.trim();  // a quiet period: none kept
  EXPECT_EQ(pool.idle(), 0U);
}

}  // namespace
}  // namespace portkit

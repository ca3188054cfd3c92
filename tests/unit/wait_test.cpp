#include "portkit/probe/wait.hpp"

#include <gtest/gtest.h>

#include "portkit/probe/listen.hpp"

namespace portkit {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, StartsAt10msDoublesAndStopsAtTheCap) {
  milliseconds delay{0};
  std::vector<long> seen;
  for (int i = 0; i < 8; ++i) {
    delay = next_backoff(delay, milliseconds(250));
    seen.push_back(delay.count());
  }
  EXPECT_EQ(seen, (std::vector<long>{10, 20, 40, 80, 160, 250, 250, 250}));
  EXPECT_EQ(next_backoff(milliseconds(0), milliseconds(5)).count(), 5);
}

struct GoodWaitTarget {
  const char* text;
  const char* host;
  std::uint16_t port;
  const char* http_path;  // "" for none
};

class WaitTargets : public testing::TestWithParam<GoodWaitTarget> {};

TEST_P(WaitTargets, Parse) {
  const auto& param = GetParam();
  const auto target = parse_wait_target(param.text);
  ASSERT_TRUE(target.ok()) << param.text << ": " << target.error().message;
  EXPECT_EQ(target->endpoint.host.text, param.host);
  EXPECT_EQ(target->endpoint.port, param.port);
  EXPECT_EQ(target->http_path.value_or(""), param.http_path);
}

INSTANTIATE_TEST_SUITE_P(Wait, WaitTargets,
                         testing::Values(GoodWaitTarget{"db:5432", "db", 5432, ""},
                                         GoodWaitTarget{"tcp://db:5432", "db", 5432, ""},
                                         GoodWaitTarget{"TCP://[::1]:22", "::1", 22, ""},
                                         GoodWaitTarget{"http://web", "web", 80, "/"},
                                         GoodWaitTarget{"http://web:8080", "web", 8080, "/"},
                                         GoodWaitTarget{"http://web:8080/healthz?full=1", "web",
                                                        8080, "/healthz?full=1"},
                                         GoodWaitTarget{"http://[::1]/x", "::1", 80, "/x"},
                                         GoodWaitTarget{"http://[::1]:81/", "::1", 81, "/"}));

TEST(WaitTargets, BadOnesNameTheProblem) {
  const auto error = [](const char* text) { return parse_wait_target(text).error().message; };
  EXPECT_EQ(error("https://web/"),
            "https:// is not supported in 'https://web/' (wait for the port with tcp://HOST:443)");
  EXPECT_EQ(error("ftp://web:21"),
            "unknown scheme 'ftp' in 'ftp://web:21' (use tcp:// or http://)");
  EXPECT_EQ(error("tcp://web"), "endpoint 'tcp://web' has no port");
  EXPECT_EQ(error("tcp://web:0"), "port '0' is out of range 1-65535");
  EXPECT_EQ(error("tcp://web:53/udp"), "'tcp://web:53/udp': tcp:// is TCP, not UDP");
  EXPECT_EQ(error("web:"), "endpoint 'web:' has no port");
}

TEST(Listen, ModesAndPage) {
  EXPECT_EQ(parse_listen_mode("echo"), ListenMode::echo);
  EXPECT_EQ(parse_listen_mode("discard"), ListenMode::discard);
  EXPECT_FALSE(parse_listen_mode("ECHO").has_value());
  const auto page = http_page(8080, "127.0.0.1:5555");
  EXPECT_EQ(page.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  const auto body_at = page.find("\r\n\r\n") + 4;
  EXPECT_NE(page.find("Content-Length: " + std::to_string(page.size() - body_at)),
            std::string::npos);
  EXPECT_NE(page.find("port 8080; your socket is 127.0.0.1:5555"), std::string::npos);
}

}  // namespace
}  // namespace portkit

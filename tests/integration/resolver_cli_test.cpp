// Names that do not resolve, for check and wait, with a DNS server of the test's own on loopback
// (tests/tools/with-resolver: a mount namespace whose resolv.conf points there; root).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "process.hpp"
#include "reachability_support.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using namespace testing_support;

const std::string kWithResolver = PORTKIT_TEST_TOOLS "/with-resolver";

// /usr/bin/time's wall seconds, the last line of stderr.
double wall_seconds(const std::string& err) {
  const auto end = err.find_last_not_of('\n');
  const auto start = err.rfind('\n', end);
  return std::stod(err.substr(start == std::string::npos ? 0 : start + 1));
}

// A resolver that never answers must not hold `wait` past its --timeout (it held -t 1s for 10 s).
TEST(Resolver, WaitKeepsItsDeadlineWhenTheResolverIsSilent) {
  const auto result = run_process({kWithResolver, "silent", "/usr/bin/time", "-f", "%e",
                                   PORTKIT_BINARY, "wait", "nonexistent.invalid:22", "-t", "1s"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("'nonexistent.invalid'"), std::string::npos) << result.err;
  // The resolver's own timeout is 5 s; 1.5 s leaves a sanitized start on a loaded machine its
  // tenth of a second (1.11 s was seen under ASan).
  EXPECT_LE(wall_seconds(result.err), 1.5) << result.err;
}

// A name that fails is asked again with a back-off, not at every 20 ms attempt (294 queries
// in 3 s before).
TEST(Resolver, WaitBacksOffANameThatDoesNotResolve) {
  const auto log = "/tmp/portkit-resolver-" + std::to_string(getpid()) + ".log";
  std::remove(log.c_str());
  const auto result = run_process(
      {kWithResolver, "nxdomain", PORTKIT_BINARY, "wait", "nonexistent.invalid:22", "-t", "3s"}, "",
      {"WITH_RESOLVER_LOG=" + log});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("cannot resolve 'nonexistent.invalid': no such host"),
            std::string::npos)
      << result.err;
  const auto queries = read_file(log);
  const auto count = std::count(queries.begin(), queries.end(), '\n');
  EXPECT_GE(count, 2) << "the name was asked for";
  EXPECT_LE(count, 24) << "queries in 3 s";
  std::remove(log.c_str());
}

// An unresolved name is a result among the others, not a usage error that hides them.
TEST(Resolver, CheckReportsAnUnresolvedNameAndStillChecksTheRest) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json"});
  const auto open = "127.0.0.1:" + std::to_string(listening_port(server));
  const auto closed = "127.0.0.1:" + std::to_string(free_tcp_port());
  for (const auto* mode : {"refusing", "nxdomain"}) {
    const auto result = run_process({kWithResolver, mode, PORTKIT_BINARY, "check", "--json", open,
                                     "nonexistent.invalid:22", closed});
    EXPECT_EQ(result.exit_code, 1) << mode << result.err;
    const auto document = json::parse(result.out);
    ASSERT_EQ(document["results"].size(), 3u) << result.out;
    EXPECT_EQ(document["results"][0]["state"], "open");
    EXPECT_EQ(document["results"][1]["state"], "unresolved");
    EXPECT_EQ(document["results"][1]["endpoint"], "nonexistent.invalid:22");
    EXPECT_EQ(document["results"][2]["state"], "closed");
  }
  // A resolver that never answers: reported unresolved when the resolve deadline passes.
  const auto silent = run_process(
      {kWithResolver, "silent", PORTKIT_BINARY, "check", open, "nonexistent.invalid:22"});
  EXPECT_EQ(silent.exit_code, 1);
  EXPECT_NE(silent.out.find("unresolved"), std::string::npos) << silent.out;
  EXPECT_NE(silent.out.find("open"), std::string::npos) << silent.out;
}

// Ctrl-C prints what is known as one complete document, then exits 130.
TEST(Resolver, InterruptedCheckAndWaitPrintWhatTheyKnow) {
  const auto closed = "127.0.0.1:" + std::to_string(free_tcp_port());
  BackgroundProcess check({kWithResolver, "silent", PORTKIT_BINARY, "check", "--json", closed,
                           "nonexistent.invalid:1"});
  BackgroundProcess wait({PORTKIT_BINARY, "wait", "--json", closed});
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  check.signal(SIGINT);
  wait.signal(SIGINT);
  EXPECT_EQ(check.wait(), 130);
  EXPECT_EQ(wait.wait(), 130);
  const auto checked = json::parse(check.rest_of_stdout());
  EXPECT_EQ(checked["interrupted"], true);
  EXPECT_EQ(checked["results"].size(), 2u);
  const auto waited = json::parse(wait.rest_of_stdout());
  EXPECT_EQ(waited["interrupted"], true);
  EXPECT_EQ(waited["endpoints"][0]["state"], "closed");
  EXPECT_GT(waited["endpoints"][0]["attempts"].get<int>(), 1);
}

}  // namespace
}  // namespace portkit

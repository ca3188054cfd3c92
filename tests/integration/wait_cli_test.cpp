// `portkit wait`: a port that opens later, exec of a command, HTTP readiness, --closed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "process.hpp"
#include "reachability_support.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using namespace testing_support;

TEST(WaitCli, NoticesAPortThatOpensAfterOneSecond) {
  const auto port = std::to_string(free_tcp_port());
  BackgroundProcess waiter(
      {PORTKIT_BINARY, "wait", "--json", "--timeout", "10s", "127.0.0.1:" + port});
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(waiter.wait(0), -1) << "wait returned before the port opened";
  BackgroundProcess server({PORTKIT_BINARY, "listen", port, "--json"});
  ASSERT_EQ(listening_port(server), std::stoi(port));
  EXPECT_EQ(waiter.wait(), 0);
  const auto report = json::parse(waiter.rest_of_stdout());
  EXPECT_EQ(report["ready"], true);
  EXPECT_GE(report["endpoints"][0]["ready_after_ms"].get<double>(), 900.0);
  EXPECT_EQ(report["endpoints"][0]["state"], "open");
}

// nmap's spellings are scan's: after "--" every word goes to the command exactly as typed.
TEST(WaitCli, TheCommandAfterTheSeparatorGetsItsArgumentsUntouched) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json"});
  const auto port = std::to_string(listening_port(server));
  const auto result =
      run_portkit({"wait", "127.0.0.1:" + port, "--", "echo", "-oX", "-iL", "-oG", "--", "[::1]"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "-oX -iL -oG -- [::1]\n");
}

TEST(WaitCli, ExecsTheCommandAndPassesItsExitCode) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json"});
  const auto port = std::to_string(listening_port(server));
  const auto result =
      run_portkit({"wait", "127.0.0.1:" + port, "--", "sh", "-c", "echo ran; exit 7"});
  EXPECT_EQ(result.exit_code, 7) << result.err;
  EXPECT_EQ(result.out, "ran\n");
  const auto missing = run_portkit({"wait", "127.0.0.1:" + port, "--", "/nonexistent/cmd"});
  EXPECT_EQ(missing.exit_code, 127);
}

TEST(WaitCli, TimesOutWithExit1AndSaysWhatIsClosed) {
  const auto port = std::to_string(free_tcp_port());
  const auto result =
      run_portkit({"wait", "--timeout", "300ms", "127.0.0.1:" + port, "--", "true"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("127.0.0.1:" + port + " is still closed (conn-refused)"),
            std::string::npos)
      << result.err;
}

TEST(WaitCli, WaitsForHttpSuccess) {
  BackgroundProcess http({PORTKIT_BINARY, "listen", "0", "--mode", "http", "--json"});
  const auto http_port = std::to_string(listening_port(http));
  const auto url = run_portkit(
      {"wait", "--json", "--timeout", "5s", "http://127.0.0.1:" + http_port + "/health"});
  EXPECT_EQ(url.exit_code, 0) << url.err;
  EXPECT_EQ(json::parse(url.out)["endpoints"][0]["http_status"], 200);
  const auto flag = run_portkit({"wait", "--http", "/", "tcp://127.0.0.1:" + http_port});
  EXPECT_EQ(flag.exit_code, 0) << flag.err;

  BackgroundProcess echo({PORTKIT_BINARY, "listen", "0", "--mode", "discard", "--json"});
  const auto echo_port = std::to_string(listening_port(echo));
  const auto not_http = run_portkit({"wait", "--timeout", "500ms", "--attempt-timeout", "200ms",
                                     "--http", "/", "127.0.0.1:" + echo_port});
  EXPECT_EQ(not_http.exit_code, 1);
}

TEST(WaitCli, ClosedWaitsForTheOpposite) {
  const auto closed = run_portkit(
      {"wait", "--closed", "--timeout", "2s", "127.0.0.1:" + std::to_string(free_tcp_port())});
  EXPECT_EQ(closed.exit_code, 0) << closed.err;
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json"});
  const auto port = std::to_string(listening_port(server));
  const auto still_open =
      run_portkit({"wait", "--closed", "--timeout", "300ms", "127.0.0.1:" + port});
  EXPECT_EQ(still_open.exit_code, 1);
}

TEST(WaitCli, BadInputIsOneLineAndExit2) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"wait", "localhost:0"},
                                             {"wait", "host:"},
                                             {"wait", "--timeout", "-1", "localhost:22"},
                                             {"wait", "https://example.test/"},
                                             {"wait", "ftp://host:21"},
                                             {"wait", "--http", "health", "localhost:80"},
                                             {"wait", "localhost:53/udp"},
                                             {"wait", "localhost:22", "--"}}) {
    const auto result = run_portkit(args);
    EXPECT_EQ(result.exit_code, 2) << args.back() << ": " << result.err;
    EXPECT_EQ(result.err.rfind("portkit: wait: ", 0), 0u) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
}

}  // namespace
}  // namespace portkit

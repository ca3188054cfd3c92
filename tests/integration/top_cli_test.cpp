// portkit top against known traffic: a loopback server taking a fixed number of connections per
// second and a fixed byte rate each way. Its figures must be within 20 % of them, as JSON and
// on the screen (typed into a real terminal, tmux); keys, resize and leaving the screen.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "process.hpp"

namespace portkit::testing_support {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr double kConnectionsPerSecond = 20;
constexpr double kBytesInPerSecond = 200'000;  // client to server, on one long connection
constexpr double kBytesOutPerSecond = 50'000;  // server to client, on the same one
constexpr auto kHeld = milliseconds(1500);     // each short connection lives this long

// Paced work: `step` runs once per `period`, on a fixed schedule, until stopped.
template <typename Step>
void paced(const std::atomic<bool>& stop, milliseconds period, Step step) {
  auto next = Clock::now();
  while (!stop) {
    step();
    next += period;
    std::this_thread::sleep_until(next);
  }
}

void drain(int fd) {
  char buffer[65536];
  while (::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
  }
}

void send_all(int fd, std::size_t size) {
  const std::string data(size, 'x');
  std::size_t sent = 0;
  while (sent < size) {
    const auto n = ::send(fd, data.data() + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

class KnownTraffic {
 public:
  KnownTraffic() {
    stream_client_ = connect_local(listener_.port());
    pollfd ready{listener_.fd(), POLLIN, 0};
    ::poll(&ready, 1, 2000);
    stream_server_ = ::accept(listener_.fd(), nullptr, nullptr);
    threads_.emplace_back([this] { accept_and_close(); });
    threads_.emplace_back([this] {
      const auto chunk = static_cast<std::size_t>(kBytesInPerSecond / 100);
      paced(stop_, milliseconds(10), [&] {
        send_all(stream_client_, chunk);
        drain(stream_client_);
      });
    });
    threads_.emplace_back([this] {
      const auto chunk = static_cast<std::size_t>(kBytesOutPerSecond / 100);
      paced(stop_, milliseconds(10), [&] {
        drain(stream_server_);
        send_all(stream_server_, chunk);
      });
    });
    threads_.emplace_back([this] {
      std::deque<std::pair<Clock::time_point, int>> held;
      paced(stop_, milliseconds(static_cast<int>(1000 / kConnectionsPerSecond)), [&] {
        held.emplace_back(Clock::now(), connect_local(listener_.port()));
        while (!held.empty() && Clock::now() - held.front().first >= kHeld) {
          ::close(held.front().second);
          held.pop_front();
        }
      });
      for (const auto& [opened, fd] : held) ::close(fd);
    });
  }
  ~KnownTraffic() {
    stop_ = true;
    for (auto& thread : threads_) thread.join();
    ::close(stream_client_);
    ::close(stream_server_);
  }
  KnownTraffic(const KnownTraffic&) = delete;
  KnownTraffic& operator=(const KnownTraffic&) = delete;
  [[nodiscard]] int port() const { return listener_.port(); }

 private:
  // Accepts the short connections and closes each once its client has (a little after).
  void accept_and_close() {
    std::deque<std::pair<Clock::time_point, int>> accepted;
    while (!stop_) {
      pollfd ready{listener_.fd(), POLLIN, 0};
      if (::poll(&ready, 1, 20) == 1) {
        const int fd = ::accept(listener_.fd(), nullptr, nullptr);
        if (fd >= 0) accepted.emplace_back(Clock::now(), fd);
      }
      while (!accepted.empty() &&
             Clock::now() - accepted.front().first >= kHeld + milliseconds(300)) {
        ::close(accepted.front().second);
        accepted.pop_front();
      }
    }
    for (const auto& [when, fd] : accepted) ::close(fd);
  }

  LoopbackListener listener_;
  int stream_client_ = -1;
  int stream_server_ = -1;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

void expect_within(double measured, double expected, double tolerance, const char* what) {
  EXPECT_GE(measured, expected * (1 - tolerance)) << what;
  EXPECT_LE(measured, expected * (1 + tolerance)) << what;
}

// The traffic runs for a while before anything is measured: the held connections fill up.
void settle() {
  std::this_thread::sleep_for(kHeld + milliseconds(800));
}

// The row of `port` on a screen, split into its columns.
std::vector<std::string> row_of(const std::string& screen, int port) {
  std::istringstream lines(screen);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> columns;
    for (std::string word; words >> word;) columns.push_back(word);
    if (columns.size() >= 8 && columns[0] == std::to_string(port)) return columns;
  }
  return {};
}

TEST(TopCli, OnceJsonShowsTheKnownRatesOwnerAndPeers) {
  KnownTraffic traffic;
  settle();
  const auto port = std::to_string(traffic.port());
  const auto result =
      run_portkit({"top", "--once", "--json", "--interval", "2s", "--filter", port});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["event"], "snapshot");
  EXPECT_NEAR(json["interval_ms"].get<double>(), 2000, 300);
  ASSERT_EQ(json["ports"].size(), 1u) << result.out;
  const auto& row = json["ports"][0];
  EXPECT_EQ(row["local_port"], traffic.port());
  EXPECT_EQ(row["processes"][0]["pid"], ::getpid());
  expect_within(row["new_per_second"], kConnectionsPerSecond, 0.2, "new connections per second");
  expect_within(row["bytes_in_per_second"], kBytesInPerSecond, 0.2, "bytes in per second");
  expect_within(row["bytes_out_per_second"], kBytesOutPerSecond, 0.2, "bytes out per second");
  // The short connections alive at once, and the long one: 1.5 s of 20 per second, plus one.
  expect_within(row["established"], kConnectionsPerSecond * 1.5 + 1, 0.2, "established");
  EXPECT_EQ(row["top_peers"][0]["peer_address"], "127.0.0.1");
  EXPECT_EQ(row["accept_limit"], 4096);
  EXPECT_GT(json["tcp"]["states"]["time_wait"].get<int>(), 0);
  // The clients' side: ephemeral ports towards the server, growing by nothing on average.
  bool towards_server = false;
  for (const auto& destination : json["destinations"]) {
    towards_server |= destination["peer_port"] == traffic.port();
  }
  EXPECT_TRUE(towards_server) << json["destinations"].dump();
}

TEST(TopCli, JsonLinesOnePerRefreshAndTextFramesInAPipe) {
  const LoopbackListener listener;
  auto result = run_portkit(
      {"top", "--json", "-n", "3", "--interval", "100ms", "--filter", listener.port_text()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream lines(result.out);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const auto json = nlohmann::json::parse(line);
    EXPECT_EQ(json["ports"].size(), 1u);
  }
  EXPECT_EQ(count, 3);
  // Standard output is a pipe: frames as text, as top -b prints them.
  result = run_portkit({"top", "-n", "2", "--interval", "100ms", "--sort", "port"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.find('\x1b'), std::string::npos);
  std::size_t frames = 0;
  for (auto at = result.out.find("portkit top  sort: port"); at != std::string::npos;
       at = result.out.find("portkit top  sort: port", at + 1)) {
    ++frames;
  }
  EXPECT_EQ(frames, 2u) << result.out;
  EXPECT_FALSE(row_of(result.out, listener.port()).empty()) << result.out;
}

TEST(TopCli, BadFlagsAreOneLineAndExit2) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"top", "--interval", "10ms"},
                                             {"top", "--interval", "soon"},
                                             {"top", "--sort", "bogus"},
                                             {"top", "--filter", std::string(65, 'a')},
                                             {"top", "-n", "-1"}}) {
    const auto result = run_portkit(args);
    EXPECT_EQ(result.exit_code, 2) << args[1];
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_EQ(result.err.rfind("portkit: top: ", 0), 0u) << result.err;
    EXPECT_TRUE(result.out.empty());
  }
}

// A real terminal: a shell in tmux that portkit top is typed into.
class TopPane {
 public:
  TopPane() : session_("pktop" + std::to_string(::getpid())) {
    tmux({"new-session", "-d", "-s", session_, "-x", "150", "-y", "40",
          "env -i PATH=" + std::string(std::getenv("PATH")) + " TERM=xterm" +
              " PS1='pane$ ' bash --norc --noprofile"});
    // capture-pane drops trailing spaces: the prompt is looked for without its space.
    wait_for([](const std::string& screen) { return screen.find("pane$") != std::string::npos; });
    // Its own directory, for the terminal modes it saves.
    type("cd \"$(mktemp -d)\" && clear");
    press("Enter");
  }
  ~TopPane() {
    type("rm -rf \"$PWD\"");
    press("Enter");
    tmux({"kill-session", "-t", session_});
  }
  TopPane(const TopPane&) = delete;
  TopPane& operator=(const TopPane&) = delete;

  void type(const std::string& text) { tmux({"send-keys", "-t", session_, "-l", text}); }
  void press(const std::string& key) { tmux({"send-keys", "-t", session_, key}); }
  std::string screen() { return tmux({"capture-pane", "-p", "-t", session_}).out; }
  // The screen with its attributes as escape sequences (colours, bold, reverse).
  std::string screen_with_attributes() {
    return tmux({"capture-pane", "-p", "-e", "-t", session_}).out;
  }
  bool alternate_screen() {
    return tmux({"display", "-p", "-t", session_, "#{alternate_on}"}).out == "1\n";
  }
  // The process the shell in the pane runs in the foreground (the first child), or 0.
  int foreground_pid() {
    const auto shell = tmux({"display", "-p", "-t", session_, "#{pane_pid}"}).out;
    const auto pid = std::atoi(shell.c_str());
    const auto children =
        read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    return std::atoi(children.c_str());
  }
  void resize(int columns, int rows) {
    tmux({"resize-window", "-t", session_, "-x", std::to_string(columns), "-y",
          std::to_string(rows)});
  }
  // Waits up to 8 s for the screen to satisfy `ready`; the last screen either way.
  template <typename Ready>
  std::string wait_for(Ready ready) {
    std::string shown;
    for (int attempt = 0; attempt < 80; ++attempt) {
      shown = screen();
      if (ready(shown)) break;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return shown;
  }

 private:
  ProcessResult tmux(std::vector<std::string> args) {
    args.insert(args.begin(), "tmux");
    return run_process(args);
  }
  std::string session_;
};

// The screen line `port`'s row is on, or npos.
std::size_t line_of(const std::string& screen, int port) {
  std::istringstream lines(screen);
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line); ++number) {
    if (!row_of(line, port).empty()) return number;
  }
  return std::string::npos;
}

// "exit=N" printed by the shell after portkit (not the typed command's "exit=$?").
bool has_exit_line(const std::string& screen) {
  for (auto at = screen.find("exit="); at != std::string::npos; at = screen.find("exit=", at + 1)) {
    if (at + 5 < screen.size() && std::isdigit(screen[at + 5]) != 0) return true;
  }
  return false;
}

double rate_value(const std::string& text) {
  const double number = std::strtod(text.c_str(), nullptr);
  if (text.find("MiB/s") != std::string::npos) return number * 1024 * 1024;
  if (text.find("KiB/s") != std::string::npos) return number * 1024;
  return number;
}

bool has_rates(const std::string& screen) {
  return screen.find(" over ") != std::string::npos;
}

TEST(TopCli, ScreenShowsTheKnownRatesAndKeysSortFilterPauseResizeQuit) {
  KnownTraffic traffic;
  const LoopbackListener quiet;  // a second port, to sort and filter against
  settle();
  TopPane pane;
  pane.type("stty -g > stty.before; " + std::string(PORTKIT_BINARY) +
            " top --interval 2s; echo exit=$?; stty -g > stty.after");
  pane.press("Enter");
  auto shown = pane.wait_for(has_rates);
  ASSERT_TRUE(pane.alternate_screen()) << shown;
  auto row = row_of(shown, traffic.port());
  ASSERT_FALSE(row.empty()) << shown;
  // PORT SERVICE OWNER ESTAB NEW/S ACCEPT-Q IN OUT PEERS
  EXPECT_NE(row[2].find("[" + std::to_string(::getpid()) + "]"), std::string::npos) << shown;
  expect_within(std::stod(row[3]), kConnectionsPerSecond * 1.5 + 1, 0.2, "established");
  expect_within(std::stod(row[4]), kConnectionsPerSecond, 0.2, "new/s on screen");
  EXPECT_EQ(row[5], "0/4096");
  expect_within(rate_value(row[6]), kBytesInPerSecond, 0.2, "in on screen");
  expect_within(rate_value(row[7]), kBytesOutPerSecond, 0.2, "out on screen");
  EXPECT_EQ(row[8], "127.0.0.1(" + row[3] + ")") << shown;
  // Busiest first by new/s: the traffic's port above the quiet one.
  EXPECT_LT(line_of(shown, traffic.port()), line_of(shown, quiet.port())) << shown;

  // s: the next order (estab), then through to port order.
  pane.type("s");
  shown = pane.wait_for(
      [](const std::string& s) { return s.find("sort: estab") != std::string::npos; });
  EXPECT_NE(shown.find("sort: estab"), std::string::npos) << shown;
  for (int i = 0; i < 4; ++i) pane.type("s");
  shown =
      pane.wait_for([](const std::string& s) { return s.find("sort: port") != std::string::npos; });
  const bool quiet_first = quiet.port() < traffic.port();
  EXPECT_EQ(line_of(shown, quiet.port()) < line_of(shown, traffic.port()), quiet_first) << shown;

  // /: only the quiet port; Esc on a new prompt keeps the filter.
  pane.type("/");
  pane.type(quiet.port_text());
  pane.press("Enter");
  shown = pane.wait_for([&](const std::string& s) {
    return s.find("filter: " + quiet.port_text()) != std::string::npos;
  });
  EXPECT_FALSE(row_of(shown, quiet.port()).empty()) << shown;
  EXPECT_TRUE(row_of(shown, traffic.port()).empty()) << shown;

  // p: paused, the clock stops.
  pane.type("p");
  shown = pane.wait_for([](const std::string& s) { return s.find("PAUSED") != std::string::npos; });
  ASSERT_NE(shown.find("PAUSED"), std::string::npos) << shown;
  std::this_thread::sleep_for(milliseconds(2500));
  EXPECT_EQ(pane.screen().substr(0, shown.find('\n')), shown.substr(0, shown.find('\n')));
  pane.type("p");

  // A narrower, shorter terminal: every line fits, the summary and keys stay.
  pane.resize(70, 16);
  shown = pane.wait_for([](const std::string& s) { return s.find("keys:") != std::string::npos; });
  std::istringstream lines(shown);
  int line_count = 0;
  for (std::string line; std::getline(lines, line); ++line_count)
    EXPECT_LE(line.size(), 70u) << line;
  EXPECT_LE(line_count, 16);
  EXPECT_NE(shown.find("TCP: "), std::string::npos) << shown;
  EXPECT_NE(shown.find("EPHEMERAL PORTS"), std::string::npos) << shown;

  // q: the terminal is as it was.
  pane.type("q");
  shown = pane.wait_for(has_exit_line);
  EXPECT_NE(shown.find("exit=0"), std::string::npos) << shown;
  EXPECT_FALSE(pane.alternate_screen());
  pane.type("cmp stty.before stty.after && echo same\"\"-modes");
  pane.press("Enter");
  shown = pane.wait_for(
      [](const std::string& s) { return s.find("same-modes\n") != std::string::npos; });
  EXPECT_NE(shown.find("same-modes\n"), std::string::npos) << shown;
}

TEST(TopCli, SigtermAndSigintLeaveTheTerminalAsItWas) {
  for (const int signal : {SIGTERM, SIGINT}) {
    TopPane pane;
    pane.type("stty -g > stty.before; " + std::string(PORTKIT_BINARY) +
              " top; echo exit=$?; stty -g > stty.after; cmp stty.before stty.after && echo "
              "same\"\"-modes");
    pane.press("Enter");
    pane.wait_for([&](const std::string&) { return pane.alternate_screen(); });
    ASSERT_TRUE(pane.alternate_screen()) << pane.screen();
    const int top = pane.foreground_pid();
    ASSERT_GT(top, 0);
    ::kill(top, signal);
    const auto shown = pane.wait_for([](const std::string& s) {
      return s.find("same-modes\n") != std::string::npos || s.find("differ") != std::string::npos;
    });
    EXPECT_NE(shown.find("exit=0"), std::string::npos) << signal << "\n" << shown;
    EXPECT_NE(shown.find("same-modes\n"), std::string::npos) << signal << "\n" << shown;
    EXPECT_FALSE(pane.alternate_screen()) << signal;
  }
}

// Colour on a colour terminal; none with NO_COLOR or --color never, and none on a plain vt100
// (as over a bare SSH session), where bold and reverse still mark the title and headings.
TEST(TopCli, ColourOnlyWhereWantedAndAPlainTerminalWorks) {
  const LoopbackListener listener;
  const auto run = [&](const std::string& environment, const std::string& global_flags) {
    TopPane pane;
    pane.type(environment + " " + PORTKIT_BINARY + " " + global_flags + " top --filter " +
              listener.port_text() + " --interval 200ms");
    pane.press("Enter");
    pane.wait_for(has_rates);
    auto shown = pane.screen_with_attributes();
    pane.type("q");
    pane.wait_for([&](const std::string&) { return !pane.alternate_screen(); });
    return shown;
  };
  const std::string cyan = "\x1b[36m";  // the headings' colour
  const auto coloured = run("TERM=xterm-256color", "");
  EXPECT_NE(coloured.find(cyan), std::string::npos) << coloured;
  for (const auto& [environment, flags] :
       std::vector<std::pair<std::string, std::string>>{{"TERM=xterm-256color NO_COLOR=1", ""},
                                                        {"TERM=vt100", ""},
                                                        {"TERM=xterm-256color", "--color never"}}) {
    const auto plain = run(environment, flags);
    EXPECT_EQ(plain.find(cyan), std::string::npos) << environment << flags << "\n" << plain;
    EXPECT_NE(plain.find("portkit top"), std::string::npos) << environment << "\n" << plain;
    EXPECT_NE(plain.find("\x1b[1m"), std::string::npos) << environment << "\n" << plain;
  }
}

TEST(TopCli, AnUnknownTerminalIsOneLineAndExit3) {
  TopPane pane;
  pane.type("TERM=no-such-terminal " + std::string(PORTKIT_BINARY) + " top; echo exit=$?");
  pane.press("Enter");
  const auto shown = pane.wait_for(has_exit_line);
  EXPECT_NE(shown.find("portkit: top: cannot use the terminal (TERM=no-such-terminal)"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("exit=3"), std::string::npos) << shown;
  EXPECT_FALSE(pane.alternate_screen());
}

}  // namespace
}  // namespace portkit::testing_support

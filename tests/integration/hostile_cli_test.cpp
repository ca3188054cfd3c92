// Hostile and odd invocations, every command: empty, zero, negative, huge, non-ASCII, binary,
// a directory, /dev/zero, a missing file, conflicting flags. Each must end in bounded time and
// memory with the documented exit code; a refusal is exactly one stderr line, starting
// "portkit: COMMAND: " and naming the bad part, with nothing on stdout; an answer (exit 1) prints
// no raw control bytes. @F@ stands for tests/fixtures.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "process.hpp"

namespace portkit {
namespace {

using testing_support::run_portkit;

// A bound that the runaway reads (3.8 GB from /dev/zero) break by far. Under AddressSanitizer
// every process starts near 80 MB (shadow memory and the allocator's own pools).
#if defined(__SANITIZE_ADDRESS__)
constexpr long kPeakRssLimitKib = 256 * 1024;
#else
constexpr long kPeakRssLimitKib = 64 * 1024;
#endif

struct Invocation {
  std::vector<std::string> args;
  int exit_code;
  std::string names;  // the bad part the error line must name
};

std::string fixture_paths(std::string arg) {
  if (const auto at = arg.find("@F@"); at != std::string::npos) {
    arg.replace(at, 3, PORTKIT_FIXTURES_DIR);
  }
  return arg;
}

// The command a line is about: the first word that is not a global option.
std::string command_of(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--color") {
      ++i;
      continue;
    }
    return args[i];
  }
  return "";
}

bool has_raw_control_bytes(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\n') || byte == 0x7f;
  });
}

const std::vector<Invocation>& invocations() {
  static const std::vector<Invocation> table{
      {{"lookup", ""}, 2, "empty query"},
      {{"lookup", "0"}, 1, ""},
      {{"lookup", "-1"}, 2, "'-1'"},
      {{"lookup", "65536"}, 2, "'65536'"},
      {{"lookup", "99999999999999999999"}, 2, "'99999999999999999999'"},
      {{"lookup", "1-0"}, 2, "'1-0'"},
      {{"lookup", "5-3"}, 2, "'5-3'"},
      {{"lookup", "/tcp"}, 2, "'/'"},
      {{"lookup", "22/sctp"}, 2, "'sctp'"},
      {{"lookup", "22,80"}, 2, "'22,80'"},
      {{"lookup", "\x01\xff"}, 1, ""},
      {{"lookup", "--json", ""}, 2, "empty query"},
      {{"ranges", "extra"}, 2, "not expected: extra"},
      {{"ranges", "--json", "--bogus"}, 2, "--bogus"},
      {{"ls", "--sport", ""}, 2, "--sport"},
      {{"ls", "--sport", "70000"}, 2, "--sport"},
      {{"ls", "--dport", "-1"}, 2, "--dport"},
      {{"ls", "--port", "abc-def"}, 2, "--port"},
      {{"ls", "--state", ""}, 2, "--state"},
      {{"ls", "--state", "sleepy"}, 2, "--state"},
      {{"ls", "--pid", "0"}, 2, "--pid"},
      {{"ls", "--pid", "abc"}, 2, "--pid"},
      {{"ls", "--pid", "99999999999"}, 2, "--pid"},
      {{"ls", "--user", ""}, 2, "--user"},
      {{"ls", "--user", "nosuchuser"}, 2, "--user"},
      {{"ls", "--process", ""}, 2, "--process"},
      {{"ls", "-4", "-6"}, 2, "-4"},
      {{"ls", "--all-netns", "--procfs"}, 2, "--all-netns"},
      {{"ls", "extra"}, 2, "filter: 'extra' is not a filter word"},
      {{"ls", "sport", "="}, 2, "'sport' needs a value"},
      {{"ls", "dst", "10.0.0.0/99"}, 2, "dst: prefix too long"},
      {{"ls", "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((22"},
       2,
       "nests too deeply"},
      {{"ls", "--kill-sockets", "--yes"}, 2, "--kill-sockets needs a filter"},
      {{"ls", "--dry-run"}, 2, "--dry-run only goes with --kill-sockets"},
      {{"top", "--interval", ""}, 2, "--interval"},
      {{"top", "--interval", "0"}, 2, "--interval"},
      {{"top", "--interval", "-1s"}, 2, "--interval"},
      {{"top", "--interval", "99999999999999999999d"}, 2, "--interval"},
      {{"top", "--interval", "1\x1b[2J"}, 2, "--interval"},
      {{"top", "--sort", ""}, 2, "--sort"},
      {{"top", "--sort", "\xff\xfe"}, 2, "--sort"},
      {{"top", "-n", "abc"}, 2, "--iterations"},
      {{"top", "-n", "99999999999999999999999"}, 2, "--iterations"},
      {{"top", "--filter", std::string(100000, 'x')}, 2, "--filter"},
      {{"top", "extra"}, 2, "extra"},
      {{"ls", "-i", "--procfs"}, 2, "--info and --memory read netlink"},
      {{"who"}, 2, "port is required"},
      {{"who", ""}, 2, "empty port spec"},
      {{"who", "0"}, 2, "'0'"},
      {{"who", "70000"}, 2, "'70000'"},
      {{"who", "-1"}, 2, "'-1'"},
      {{"who", "abc-def"}, 2, "'abc-def'"},
      {{"who", "22", "--signal", ""}, 2, "--signal"},
      {{"who", "22", "--signal", "0"}, 2, "--signal"},
      {{"who", "22", "--signal", "65"}, 2, "--signal"},
      {{"who", "22", "--signal", "0064"}, 2, "--signal"},
      {{"who", "22", "--signal", "BOGUS", "--kill"}, 2, "--signal"},
      {{"who", "22", "--grace", "abc", "--kill"}, 2, "--grace"},
      {{"who", "22", "--grace", "-1s", "--kill"}, 2, "--grace"},
      {{"who", "22", "--wait"}, 2, "--wait"},
      {{"who", "22", "--force"}, 2, "--force"},
      {{"who", "22", "--dry-run"}, 2, "--dry-run"},
      {{"who", "22", "--kill", "--force"}, 2, "--force"},
      {{"stats", "--top", "-1"}, 2, "--top"},
      {{"stats", "--top", "abc"}, 2, "--top"},
      {{"stats", "extra"}, 2, "not expected: extra"},
      {{"check"}, 2, "endpoint is required"},
      {{"check", ""}, 2, "empty endpoint"},
      {{"check", "localhost"}, 2, "'localhost'"},
      {{"check", "localhost:0"}, 2, "'0'"},
      {{"check", "localhost:70000"}, 2, "'70000'"},
      {{"check", "localhost:-1"}, 2, "'-1'"},
      {{"check", "host:"}, 2, "'host:'"},
      {{"check", ":80"}, 2, "':80'"},
      {{"check", "[::1"}, 2, "'[::1'"},
      {{"check", "[::1]"}, 2, "'[::1]'"},
      {{"check", "::1"}, 2, "'::1'"},
      {{"check", "http://localhost:9999/"}, 2, "'http://localhost:9999/'"},
      {{"check", "localhost:80/sctp"}, 2, "'sctp'"},
      {{"check", "--timeout", "0", "localhost:1"}, 2, "--timeout"},
      {{"check", "--timeout", "-1s", "localhost:1"}, 2, "--timeout"},
      {{"check", "--timeout", "abc", "localhost:1"}, 2, "--timeout"},
      {{"check", "--timeout", "99999999999999s", "localhost:1"}, 2, "--timeout"},
      {{"check", "--retries", "-1", "localhost:1"}, 2, "--retries"},
      {{"check", "--retries", "11", "localhost:1"}, 2, "--retries"},
      {{"check", "-4", "-6", "localhost:1"}, 2, "-4"},
      {{"check",
        "a\x0a"
        "b:1"},
       2,
       "'a\\x0ab'"},
      {{"check", "\xe6\x95\xb0\xe6\x8d\xae\xe5\xba\x93:80"},
       2,
       "'\\xe6\\x95\\xb0\\xe6\\x8d\\xae\\xe5\\xba\\x93'"},
      {{"wait"}, 2, "endpoint is required"},
      {{"wait", ""}, 2, "empty endpoint"},
      {{"wait", "localhost"}, 2, "'localhost'"},
      {{"wait", "localhost:0"}, 2, "'0'"},
      {{"wait", "http://"}, 2, "'http://'"},
      {{"wait", "https://localhost/"}, 2, "'https://localhost/'"},
      {{"wait", "ftp://localhost:21"}, 2, "'ftp'"},
      {{"wait", "localhost:53/udp"}, 2, "UDP endpoint localhost:53/udp cannot be "},
      {{"wait", "--timeout", "0", "localhost:1"}, 2, "--timeout"},
      {{"wait", "--timeout", "abc", "localhost:1"}, 2, "--timeout"},
      {{"wait", "--interval", "-1s", "localhost:1"}, 2, "--interval"},
      {{"wait", "--http", "nopath", "localhost:1"}, 2, "--http"},
      {{"wait", "localhost:1", "--"}, 2, "--"},
      {{"wait", "-4", "-6", "localhost:1"}, 2, "-4"},
      {{"listen"}, 2, "port is required"},
      {{"listen", ""}, 2, "empty port"},
      {{"listen", "70000"}, 2, "'70000'"},
      {{"listen", "-1"}, 2, "'-1'"},
      {{"listen", "abc-def"}, 2, "'abc-def'"},
      {{"listen", "80", "--mode", "chat"}, 2, "--mode"},
      {{"listen", "80", "--mode", ""}, 2, "--mode"},
      {{"listen", "80", "--bind", "nothere"}, 2, "--bind"},
      {{"listen", "80", "--bind", ""}, 2, "--bind"},
      {{"listen", "80/udp", "--mode", "http"}, 2, "--mode"},
      {{"listen", "80", "--duration", "-1"}, 2, "--duration"},
      {{"listen", "80", "--duration", "abc"}, 2, "--duration"},
      {{"listen", "80", "--count", "0"}, 2, "--count"},
      {{"listen", "7100/tcp", "-u"}, 2, "-u"},
      {{"listen", "7101", "--mode", "http", "--banner", "x"}, 2, "--mode"},
      {{"scan"}, 2, "no target given (name hosts, or -iL FILE"},
      {{"scan", ""}, 2, "empty target"},
      {{"scan", "-p", "", "127.0.0.1"}, 2, "-p"},
      {{"scan", "-p", "0", "127.0.0.1"}, 2, "-p"},
      {{"scan", "-p", "70000", "127.0.0.1"}, 2, "-p"},
      {{"scan", "-p", "5-3", "127.0.0.1"}, 2, "-p"},
      {{"scan", "-p", "abc", "127.0.0.1"}, 2, "-p"},
      {{"scan", "--top", "0", "127.0.0.1"}, 2, "--top"},
      {{"scan", "--top", "70000", "127.0.0.1"}, 2, "--top"},
      {{"scan", "--top", "-1", "127.0.0.1"}, 2, "--top"},
      {{"scan", "--top", "10", "-p", "22", "127.0.0.1"}, 2, "--top"},
      {{"scan", "--rate", "-1", "127.0.0.1"}, 2, "--rate"},
      {{"scan", "--timeout", "0", "127.0.0.1"}, 2, "--timeout"},
      {{"scan", "--timeout", "abc", "127.0.0.1"}, 2, "--timeout"},
      {{"scan", "--min-timeout", "2s", "--timeout", "1s", "127.0.0.1"}, 2, "--min-timeout"},
      {{"scan", "--max-retries", "11", "127.0.0.1"}, 2, "--max-retries"},
      {{"scan", "--max-inflight", "0", "127.0.0.1"}, 2, "--max-inflight"},
      {{"scan", "--seed", "-1", "127.0.0.1"}, 2, "--seed"},
      {{"scan", "--workers", "0", "127.0.0.1"}, 2, "--workers"},
      {{"scan", "[::1]:22"}, 2, "'[::1]:22'"},
      {{"scan", "127.0.0.1:22"}, 2, "'127.0.0.1:22'"},
      {{"scan", "10.0.0.0/33"}, 2, "'33'"},
      {{"scan", "10.0.0.5-3"}, 2, "'10.0.0.5-3'"},
      {{"scan", "198.18.0.0/15", "-p", "1"}, 2, "the targets hold 131072 addresses (more "},
      {{"scan", "\xe6\x95\xb0\xe6\x8d\xae\xe5\xba\x93"},
       2,
       "'\\xe6\\x95\\xb0\\xe6\\x8d\\xae\\xe5\\xba\\x93'"},
      {{"scan", "-iL", "/nonexistent/list"}, 2, "-iL"},
      {{"scan", "-iL", "/tmp"}, 2, "-iL"},
      {{"scan", "-iL", "/dev/zero"}, 2, "-iL"},
      {{"scan", "--exclude", "", "127.0.0.1"}, 2, "--exclude"},
      {{"scan", "--exclude", "10.0.0.0/99", "127.0.0.1"}, 2, "--exclude"},
      {{"scan", "-4", "-6", "127.0.0.1"}, 2, "-4"},
      {{"scan", "-oX", "/nonexistent/dir/x.xml", "127.0.0.1", "-p", "1"},
       2,
       "cannot write /nonexistent/dir/x.xml: No "},
      {{"forward"}, 2, "no rule: give LISTEN TARGET (e.g. 8080 1"},
      {{"forward", "0"}, 2, "'0'"},
      {{"forward", "0", ""}, 2, "'0'"},
      {{"forward", "70000", "127.0.0.1:1"}, 2, "'70000'"},
      {{"forward", "0", "127.0.0.1:0"}, 2, "'127.0.0.1:0'"},
      {{"forward", "0", "127.0.0.1:70000"}, 2, "'127.0.0.1:70000'"},
      {{"forward", "0", "localhost"}, 2, "'localhost'"},
      {{"forward", "--config", "/nonexistent.toml"}, 2, "cannot open /nonexistent.toml: No such f"},
      {{"forward", "--config", "/tmp"}, 2, "'/tmp'"},
      {{"forward", "--config", "/dev/zero"}, 2, "'/dev/zero'"},
      {{"forward", "--max-conns", "0", "0", "127.0.0.1:1"}, 2, "--max-conns"},
      {{"forward", "--max-conns", "-1", "0", "127.0.0.1:1"}, 2, "--max-conns"},
      {{"forward", "--pipe-kib", "0", "0", "127.0.0.1:1"}, 2, "--pipe-kib"},
      {{"forward", "--workers", "0", "0", "127.0.0.1:1"}, 2, "--workers"},
      {{"forward", "--idle-timeout", "abc", "0", "127.0.0.1:1"}, 2, "--idle-timeout"},
      {{"forward", "--drain", "-1s", "0", "127.0.0.1:1"}, 2, "--drain"},
      {{"forward", "--allow", "nothere", "0", "127.0.0.1:1"}, 2, "--allow"},
      {{"forward", "--balance", "nope", "0", "127.0.0.1:1"}, 2, "--balance"},
      {{"forward", "0/udp", "127.0.0.1:1/tcp"}, 2, "'127.0.0.1:1/tcp'"},
      {{"free", "--range", ""}, 2, "--range"},
      {{"free", "--range", "70000"}, 2, "--range"},
      {{"free", "--range", "5-3"}, 2, "--range"},
      {{"free", "--range", "22/tcp"}, 2, "--range"},
      {{"free", "--count", "0"}, 2, "--count"},
      {{"free", "--count", "-1"}, 2, "--count"},
      {{"free", "--count", "70000"}, 2, "--count"},
      {{"free", "--proto", "sctp"}, 2, "--proto"},
      {{"free", "--near", ""}, 2, "--near"},
      {{"free", "--near", "70000"}, 2, "--near"},
      {{"free", "--address", "nothere"}, 2, "--address"},
      {{"free", "--address", "999.1.1.1"}, 2, "--address"},
      {{"audit", "--compose", "/nonexistent.yml"}, 2, "cannot open /nonexistent.yml: No such fi"},
      {{"audit", "--compose", "/tmp"}, 2, "'/tmp'"},
      {{"audit", "--compose", "/dev/zero"}, 2, "'/dev/zero'"},
      {{"audit", "--compose", "/dev/urandom"}, 2, "'/dev/urandom'"},
      {{"audit", "--k8s", "/nonexistent.yaml"}, 2, "cannot open /nonexistent.yaml: No such f"},
      {{"audit", "--k8s", "/tmp"}, 2, "'/tmp'"},
      {{"audit", "--k8s", "/dev/zero"}, 2, "'/dev/zero'"},
      {{"audit", "--config", "/dev/zero"}, 2, "'/dev/zero'"},
      {{"audit", "--config", "/nonexistent.toml"}, 2, "cannot open /nonexistent.toml: No such f"},
      {{"audit", "--config", "/tmp"}, 2, "'/tmp'"},
      {{"audit", "--fail-on", ""}, 2, "--fail-on"},
      {{"audit", "--fail-on", "severe"}, 2, "--fail-on"},
      {{"audit", "--ignore", "nosuchrule"}, 2, "--ignore"},
      {{"audit", "--ignore", ""}, 2, "--ignore"},
      {{"audit", "--map", ""}, 2, "--map"},
      {{"audit", "--map", "70000=redis"}, 2, "--map"},
      {{"audit", "--map", "6379=nosuchservice"}, 2, "--map"},
      {{"audit", "--map", "redis"}, 2, "--map"},
      {{"exporter", "--listen", "9163"}, 2, "--listen"},
      {{"exporter", "--listen", ""}, 2, "--listen"},
      {{"exporter", "--listen", "localhost:70000"}, 2, "--listen"},
      {{"exporter", "--listen", "nothere:9163"}, 2, "--listen"},
      {{"exporter", "--listen", "127.0.0.1:-1"}, 2, "--listen"},
      {{"exporter", "--min-interval", "abc"}, 2, "--min-interval"},
      {{"exporter", "--min-interval", "-1s"}, 2, "--min-interval"},
      {{"exporter", "--probe", ""}, 2, "--probe"},
      {{"exporter", "--probe", "localhost"}, 2, "--probe"},
      {{"exporter", "--probe-timeout", "abc"}, 2, "--probe-timeout"},
      {{"exporter", "--max-listening-series", "0"}, 2, "--max-listening-series"},
      {{"exporter", "--max-destinations", "-1"}, 2, "--max-destinations"},
      {{"exporter", "--ignore", "nosuchrule"}, 2, "--ignore"},
      {{"exporter", "--map", ""}, 2, "--map"},
      {{"quiz", "--count", "0"}, 2, "--count"},
      {{"quiz", "--count", "-1"}, 2, "--count"},
      {{"quiz", "--count", "999999999999"}, 2, "--count"},
      {{"quiz", "--seed", "-1"}, 2, "--seed"},
      {{"quiz", "--seed", "abc"}, 2, "--seed"},
      {{"quiz", "extra"}, 2, "not expected: extra"},
      {{"--color", "sometimes", "ranges"}, 2, "--color"},
      {{"--color"}, 2, "--color"},
      {{"nosuchcommand"}, 2, "'nosuchcommand'"},
      {{""}, 2, "''"},
      {{"scan", "127.0.0.1:22"}, 2, "'127.0.0.1:22'"},
      {{"scan", "--exclude", "", "127.0.0.1"}, 2, "--exclude"},
      {{"scan", "--exclude", "10.0.0.0/99", "127.0.0.1"}, 2, "--exclude"},
      {{"listen", "80", "--count", "-1"}, 2, "--count"},
      {{"audit", "--compose", "@F@/k8s-good.yaml"}, 2, "k8s-good.yaml:"},
      {{"audit", "--k8s", "@F@/compose-good.yml"}, 2, "compose-good.y"},
      {{"audit", "--compose", "@F@/empty.yml"}, 2, "empty.yml: emp"},
      {{"audit", "--k8s", "@F@/empty.yml"}, 2, "'kind'"},
      {{"audit", "--compose", "@F@/binary.yml"}, 1, ""},
      {{"audit", "--config", "@F@/bad-utf8.toml"}, 2, "bad-utf8.toml:"},
      {{"forward", "--config", "@F@/bad-utf8.toml"}, 2, "bad-utf8.toml:"},
      {{"who", "22", "--kill", "--signal", "0064", "--json"}, 2, "--signal"},
      {{"ls", "--sport",
        "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39,41,43,45,47,49,51,53,55,57,59,61,"
        "63,65,67,69,71,73,75,77,79,81,83,85,87,89,91,93,95,97,99,101,103,105,107,109,111,113,115,"
        "117,119,121,123,125,127,129,131,133,135,137,139,141,143,145,147,149,151,153,155,157,159,"
        "161,163,165,167,169,171,173,175,177,179,181,183,185,187,189,191,193,195,197,199,201,203,"
        "205,207,209,211,213,215,217,219,221,223,225,227,229,231,233,235,237,239,241,243,245,247,"
        "249,251,253,255,257,259,261,263,265,267,269,271,273,275,277,279,281,283,285,287,289,291,"
        "293,295,297,299,301,303,305,307,309,311,313,315,317,319,321,323,325,327,329,331,333,335,"
        "337,339,341,343,345,347,349,351,353,355,357,359,361,363,365,367,369,371,373,375,377,379,"
        "381,383,385,387,389,391,393,395,397,399,401,403,405,407,409,411,413,415,417,419",
        "--state", "sleepy"},
       2,
       "--state"},
      {{"check", "localhost:ssh/xyz"}, 2, "'xyz'"},
      {{"check", " "}, 2, "empty endpoint"},
      {{"lookup", " "}, 2, "empty query"},
      {{"scan", "-p", " ", "127.0.0.1"}, 2, "-p"},
      {{"wait", " "}, 2, "empty endpoint"},
      {{"listen", " "}, 2, "empty port"},
      {{"free", "--range", " "}, 2, "--range"},
  };
  return table;
}

class HostileInvocation : public testing::TestWithParam<std::size_t> {};

TEST_P(HostileInvocation, EndsBoundedWithOneLineNamingTheBadPart) {
  const auto& invocation = invocations()[GetParam()];
  std::vector<std::string> args;
  std::string shown;
  for (const auto& arg : invocation.args) {
    args.push_back(fixture_paths(arg));
    shown += " '" + arg + "'";
  }
  const auto result = run_portkit(args);
  EXPECT_EQ(result.exit_code, invocation.exit_code) << shown << "\n" << result.err;
  EXPECT_LT(result.wall_ms, 5000.0) << shown;
  EXPECT_LT(result.peak_rss_kib, kPeakRssLimitKib) << shown;
  EXPECT_FALSE(has_raw_control_bytes(result.out)) << shown;
  EXPECT_FALSE(has_raw_control_bytes(result.err)) << shown;
  if (invocation.exit_code != 2) return;  // an answer, not a refusal
  EXPECT_TRUE(result.out.empty()) << shown << "\n" << result.out;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << shown << "\n"
                                                                       << result.err;
  const auto command = command_of(invocation.args);
  const bool known = command == "lookup" || command == "ranges" || command == "ls" ||
                     command == "who" || command == "stats" || command == "check" ||
                     command == "wait" || command == "listen" || command == "scan" ||
                     command == "forward" || command == "free" || command == "audit" ||
                     command == "exporter" || command == "quiz";
  const auto prefix = known ? "portkit: " + command + ": " : std::string("portkit: ");
  EXPECT_EQ(result.err.rfind(prefix, 0), 0u) << shown << "\n" << result.err;
  EXPECT_NE(result.err.find(invocation.names), std::string::npos)
      << shown << "\n"
      << result.err << "should name: " << invocation.names;
}

INSTANTIATE_TEST_SUITE_P(EveryCommand, HostileInvocation,
                         testing::Range(std::size_t{0}, invocations().size()));

TEST(HostileInvocations, AreAtLeastTwoHundred) {
  EXPECT_GE(invocations().size(), 200u);
}

}  // namespace
}  // namespace portkit

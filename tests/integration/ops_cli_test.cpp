// `portkit free` and `portkit audit` on real sockets and on fixture files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ops_support.hpp"
#include "process.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using namespace testing_support;

std::vector<int> free_ports(const std::vector<std::string>& args, int* exit_code = nullptr) {
  std::vector<std::string> argv{"free", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_portkit(argv);
  if (exit_code) *exit_code = result.exit_code;
  EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
  return json::parse(result.out)["ports"].get<std::vector<int>>();
}

TEST(FreeCli, ResultsAreBindableAndOutsideTheEphemeralRange) {
  int low = 0, high = 0;
  std::istringstream(read_file("/proc/sys/net/ipv4/ip_local_port_range")) >> low >> high;
  ASSERT_GT(high, low);
  const auto ports = free_ports({"--count", "20"});
  ASSERT_EQ(ports.size(), 20u);
  EXPECT_EQ(std::set<int>(ports.begin(), ports.end()).size(), 20u);
  for (const int port : ports) {
    EXPECT_TRUE(bindable(port)) << port;
    EXPECT_GE(port, 1024);
    EXPECT_FALSE(port >= low && port <= high) << port;
  }
}

TEST(FreeCli, AHeldPortIsNeverOffered) {
  const HeldSocket held("127.0.0.1", 0);
  const int free_one = free_tcp_port();
  int exit_code = 0;
  const auto ports =
      free_ports({"--range", std::to_string(held.port()) + "," + std::to_string(free_one),
                  "--count", "2", "--lowest"},
                 &exit_code);
  EXPECT_EQ(ports, std::vector<int>{free_one});
  EXPECT_EQ(exit_code, 1);  // fewer than --count

  // --near the held port: the closest free one instead.
  const auto near = free_ports({"--near", std::to_string(held.port())});
  ASSERT_EQ(near.size(), 1u);
  EXPECT_NE(near[0], held.port());
  EXPECT_LE(std::abs(near[0] - held.port()), 64);
}

TEST(FreeCli, EachTransportIsCheckedOnItsOwn) {
  // A port outside the ephemeral range: a kernel-chosen one could meanwhile be the local port
  // of some parallel test's TCP connection (scans churn through the whole range).
  const auto chosen = free_ports({"--proto", "both"});
  ASSERT_EQ(chosen.size(), 1u);
  const HeldSocket udp("0.0.0.0", chosen[0], SOCK_DGRAM);
  const auto range = std::to_string(udp.port());
  int exit_code = 0;
  EXPECT_EQ(free_ports({"--range", range, "--proto", "tcp", "--include-known"}, &exit_code),
            std::vector<int>{udp.port()});
  EXPECT_EQ(exit_code, 0);
  EXPECT_TRUE(
      free_ports({"--range", range, "--proto", "udp", "--include-known"}, &exit_code).empty());
  EXPECT_EQ(exit_code, 1);
  EXPECT_TRUE(free_ports({"--range", range, "--proto", "both", "--include-known"}).empty());
}

TEST(FreeCli, HoldKeepsThePortBoundUntilStdinCloses) {
  BackgroundProcess holder(
      {"sh", "-c", std::string("sleep 3 | exec ") + PORTKIT_BINARY + " free --hold"});
  const auto line = holder.read_line(5000);
  ASSERT_FALSE(line.empty());
  const int port = std::stoi(line);
  EXPECT_FALSE(bindable(port)) << "port " << port << " should be held";
  EXPECT_EQ(holder.wait(10000), 0);
  EXPECT_TRUE(bindable(port)) << "port " << port << " should be free after stdin closed";
}

TEST(FreeCli, BadInputIsExitTwoWithOneLine) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"free", "--range", "70000"},
                                             {"free", "--count", "0"},
                                             {"free", "--proto", "sctp"},
                                             {"free", "--near", "x1"},
                                             {"free", "--address", "not-an-address"}}) {
    const auto result = run_portkit(args);
    EXPECT_EQ(result.exit_code, 2) << args[1] << " " << args[2];
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_TRUE(result.out.empty());
  }
  // An address this host does not have is a runtime failure, not a free port.
  const auto foreign = run_portkit({"free", "--address", "192.0.2.1"});
  EXPECT_EQ(foreign.exit_code, 3) << foreign.err;
}

// ---- audit

struct AuditRun {
  int exit_code = -1;
  json document;
};

AuditRun audit(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"audit", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_portkit(argv);
  AuditRun run{result.exit_code, {}};
  if (result.exit_code == 0 || result.exit_code == 1) {
    run.document = json::parse(result.out);
  } else {
    ADD_FAILURE() << "audit failed: " << result.err;
  }
  return run;
}

using RuleAtPort = std::pair<std::string, int>;

std::set<RuleAtPort> findings_on(const json& document, const std::set<int>& ports) {
  std::set<RuleAtPort> found;
  for (const auto& finding : document["findings"]) {
    if (finding.contains("port") && ports.count(finding["port"].get<int>()))
      found.emplace(finding["id"], finding["port"]);
  }
  return found;
}

TEST(AuditCli, FindsExactlyTheExposedDatastores) {
  const HeldSocket redis_all("0.0.0.0", 0);
  const HeldSocket redis_local("127.0.0.1", 0);
  const HeldSocket postgres_all("::", 0);
  const HeldSocket mongo_local("::1", 0);
  const std::set<int> ports{redis_all.port(), redis_local.port(), postgres_all.port(),
                            mongo_local.port()};
  const std::vector<std::string> maps{
      "--map",    std::to_string(redis_all.port()) + "=redis",
      "--map",    std::to_string(redis_local.port()) + "=redis",
      "--map",    std::to_string(postgres_all.port()) + "=postgresql",
      "--map",    std::to_string(mongo_local.port()) + "=mongodb",
      "--ignore", "service-in-ephemeral-range"};
  const auto run = audit(maps);
  EXPECT_EQ(findings_on(run.document, ports),
            (std::set<RuleAtPort>{{"datastore-exposed", redis_all.port()},
                                  {"datastore-exposed", postgres_all.port()}}));
  EXPECT_EQ(run.exit_code, 1);
  for (const auto& finding : run.document["findings"]) {
    if (finding["port"] == redis_all.port()) {
      EXPECT_EQ(finding["severity"], "high");
      EXPECT_EQ(finding["process"].get<std::string>().rfind(std::to_string(getpid()) + " ", 0), 0u)
          << finding.dump();
    }
  }

  // Without the mapping nothing says these ports are databases; ignored, the rule is silent.
  EXPECT_TRUE(
      findings_on(audit({"--ignore", "service-in-ephemeral-range"}).document, ports).empty());
  auto ignored = maps;
  ignored.insert(ignored.end(), {"--ignore", "datastore-exposed"});
  EXPECT_TRUE(findings_on(audit(ignored).document, ports).empty());
}

TEST(AuditCli, FailOnDecidesTheExitCode) {
  const HeldSocket ephemeral("127.0.0.1", 0);  // the kernel picks from the ephemeral range
  const auto args = std::vector<std::string>{"--map", std::to_string(ephemeral.port()) + "=redis"};
  auto low = args;
  low.insert(low.end(), {"--fail-on", "low"});
  const auto run = audit(low);
  EXPECT_EQ(findings_on(run.document, {ephemeral.port()}),
            (std::set<RuleAtPort>{{"service-in-ephemeral-range", ephemeral.port()}}));
  EXPECT_EQ(run.exit_code, 1);
}

// A real critical finding (a Docker API, plain, on all interfaces) fails --fail-on critical; the
// same run without it passes. Every other rule is ignored, so the host's own sockets cannot
// decide either exit code: each expectation is fixed before the run.
TEST(AuditCli, FailOnCriticalFailsOnlyForACriticalFinding) {
  const HeldSocket docker("0.0.0.0", 0);
  const auto rules = json::parse(run_portkit({"audit", "--rules", "--json"}).out);
  std::vector<std::string> args{"--map", std::to_string(docker.port()) + "=docker", "--fail-on",
                                "critical"};
  for (const auto& rule : rules["rules"]) {
    if (rule["id"] != "docker-api-plaintext") {
      args.insert(args.end(), {"--ignore", rule["id"].get<std::string>()});
    }
  }
  ASSERT_GT(args.size(), 20u) << "every other rule is ignored";
  const auto failing = audit(args);
  EXPECT_EQ(failing.exit_code, 1);
  EXPECT_EQ(findings_on(failing.document, {docker.port()}),
            (std::set<RuleAtPort>{{"docker-api-plaintext", docker.port()}}));
  ASSERT_FALSE(failing.document["findings"].empty());
  EXPECT_EQ(failing.document["findings"][0]["severity"], "critical");
  args.insert(args.end(), {"--ignore", "docker-api-plaintext"});
  const auto passing = audit(args);
  EXPECT_EQ(passing.exit_code, 0);
  EXPECT_TRUE(passing.document["findings"].empty());
}

using RuleAtLine = std::pair<std::string, int>;

std::multiset<RuleAtLine> file_findings(const json& document) {
  std::multiset<RuleAtLine> found;
  for (const auto& finding : document["findings"]) {
    if (finding.contains("file") && finding["id"] != "host-port-in-use")
      found.emplace(finding["id"], finding["line"]);
  }
  return found;
}

const std::string kFixtures = PORTKIT_FIXTURES_DIR;

TEST(AuditCli, ComposeFixtures) {
  const auto good = audit({"--compose", kFixtures + "/compose-good.yml"});
  EXPECT_TRUE(file_findings(good.document).empty()) << good.document.dump(2);

  const auto bad = audit({"--compose", kFixtures + "/compose-bad.yml"});
  EXPECT_EQ(file_findings(bad.document), (std::multiset<RuleAtLine>{{"datastore-published", 5},
                                                                    {"privileged-host-port", 9},
                                                                    {"duplicate-host-port", 14},
                                                                    {"datastore-published", 18}}));
  EXPECT_EQ(bad.exit_code, 1);

  // From standard input, as `docker compose config | portkit audit --compose -` gives it.
  const auto piped =
      run_portkit({"audit", "--json", "--compose", "-"}, read_file(kFixtures + "/compose-bad.yml"));
  EXPECT_EQ(piped.exit_code, 1) << piped.err;
  EXPECT_EQ(file_findings(json::parse(piped.out)).size(), 4u) << piped.out;

  const auto malformed = audit({"--compose", kFixtures + "/compose-malformed.yml"});
  std::multiset<RuleAtLine> expected;
  for (const int line : {5, 6, 7, 8, 9, 10, 11, 15}) expected.emplace("malformed-port", line);
  EXPECT_EQ(file_findings(malformed.document), expected);
  EXPECT_EQ(malformed.exit_code, 1);
}

TEST(AuditCli, KubernetesFixtures) {
  const auto good = audit({"--k8s", kFixtures + "/k8s-good.yaml"});
  EXPECT_TRUE(file_findings(good.document).empty()) << good.document.dump(2);
  EXPECT_EQ(good.exit_code, 0);

  const auto bad = audit({"--k8s", kFixtures + "/k8s-bad.yaml"});
  EXPECT_EQ(file_findings(bad.document), (std::multiset<RuleAtLine>{{"nodeport-out-of-range", 10},
                                                                    {"target-port-mismatch", 10},
                                                                    {"privileged-host-port", 28},
                                                                    {"datastore-published", 42},
                                                                    {"datastore-published", 54}}));

  const auto malformed = audit({"--k8s", kFixtures + "/k8s-malformed.yaml"});
  std::multiset<RuleAtLine> expected;
  for (const int line : {7, 8, 10, 12, 23, 24, 26}) expected.emplace("malformed-port", line);
  EXPECT_EQ(file_findings(malformed.document), expected);
}

TEST(AuditCli, HostPortAlreadyListeningHere) {
  const HeldSocket listener("127.0.0.1", 0);
  const auto path = ::testing::TempDir() + "portkit-compose-" + std::to_string(getpid()) + ".yml";
  std::ofstream(path) << "services:\n  app:\n    ports:\n      - \"127.0.0.1:" << listener.port()
                      << ":80\"\n";
  const auto run = audit({"--compose", path});
  std::remove(path.c_str());
  ASSERT_EQ(run.document["findings"].size(), 1u) << run.document.dump(2);
  const auto& finding = run.document["findings"][0];
  EXPECT_EQ(finding["id"], "host-port-in-use");
  EXPECT_EQ(finding["line"], 4);
  EXPECT_NE(finding["detail"].get<std::string>().find(std::to_string(getpid())), std::string::npos);
  EXPECT_EQ(run.exit_code, 0);  // medium is below the default --fail-on high
}

TEST(AuditCli, BadFilesAndFlags) {
  const auto not_yaml = run_portkit({"audit", "--compose", kFixtures + "/not-yaml.yml"});
  EXPECT_EQ(not_yaml.exit_code, 2);
  EXPECT_NE(not_yaml.err.find("not-yaml.yml:"), std::string::npos) << not_yaml.err;
  EXPECT_EQ(std::count(not_yaml.err.begin(), not_yaml.err.end(), '\n'), 1);

  const auto missing = run_portkit({"audit", "--k8s", "/nonexistent/deploy.yaml"});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("/nonexistent/deploy.yaml"), std::string::npos);

  for (const auto& args :
       std::vector<std::vector<std::string>>{{"audit", "--ignore", "no-such-rule"},
                                             {"audit", "--map", "16379=nosuchthing"},
                                             {"audit", "--fail-on", "severe"}}) {
    const auto result = run_portkit(args);
    EXPECT_EQ(result.exit_code, 2) << args[1];
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
}

TEST(AuditCli, RulesAreListedWithTheirIds) {
  const auto result = run_portkit({"audit", "--rules", "--json"});
  ASSERT_EQ(result.exit_code, 0);
  std::set<std::string> ids;
  const auto document = json::parse(result.out);
  for (const auto& rule : document["rules"]) ids.insert(rule["id"].get<std::string>());
  for (const char* id : {"datastore-exposed", "cleartext-telnet", "docker-api-plaintext",
                         "duplicate-host-port", "nodeport-out-of-range", "malformed-port"})
    EXPECT_TRUE(ids.count(id)) << id;
}

}  // namespace
}  // namespace portkit

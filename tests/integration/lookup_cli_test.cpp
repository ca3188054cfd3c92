// `portkit lookup` end to end, cross-checked against getent (netbase) and the sysctls.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "process.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using testing_support::run_portkit;
using testing_support::run_process;

std::string sysctl(const std::string& name) {
  const auto result = run_process({"sysctl", "-n", name});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

json parse_json(const std::string& text) {
  auto document = json::parse(text, nullptr, false);
  EXPECT_FALSE(document.is_discarded()) << text;
  return document;
}

TEST(LookupCli, AgreesWithGetentOnAPort) {
  const auto getent = run_process({"getent", "services", "5432/tcp"});
  ASSERT_EQ(getent.exit_code, 0) << "getent services 5432/tcp failed: " << getent.err;
  std::istringstream fields(getent.out);
  std::string name;
  fields >> name;
  const auto result = run_portkit({"lookup", "--all", "--json", "5432/tcp"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto answer = parse_json(result.out)["results"][0];
  std::set<std::string> names;
  for (const auto& entry : answer["entries"]) {
    names.insert(entry["name"]);
    for (const auto& alias : entry["aliases"]) names.insert(alias);
  }
  EXPECT_TRUE(names.count(name)) << "getent says " << name;
}

// Every service netbase knows must mean the same port to portkit.
TEST(LookupCli, AgreesWithGetentOnEveryNetbaseService) {
  const auto getent = run_process({"getent", "services"});
  ASSERT_EQ(getent.exit_code, 0) << getent.err;
  std::vector<std::string> queries;
  std::map<std::string, int> expected_port;
  std::istringstream lines(getent.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string name, port_proto;
    fields >> name >> port_proto;
    const auto slash = port_proto.find('/');
    if (slash == std::string::npos) continue;
    const auto proto = port_proto.substr(slash + 1);
    if (proto != "tcp" && proto != "udp") continue;  // portkit's grammar speaks tcp and udp
    const auto query = name + port_proto.substr(slash);
    if (expected_port.emplace(query, std::stoi(port_proto.substr(0, slash))).second) {
      queries.push_back(query);
    }
  }
  ASSERT_GT(queries.size(), 100u);
  std::vector<std::string> args{"lookup", "--all", "--json"};
  args.insert(args.end(), queries.begin(), queries.end());
  const auto result = run_portkit(args);
  ASSERT_LE(result.exit_code, 1) << result.err;
  const auto results = parse_json(result.out)["results"];
  ASSERT_EQ(results.size(), queries.size());
  std::vector<std::string> disagreements;
  std::size_t named = 0;
  for (const auto& answer : results) {
    if (answer["kind"] != "name") continue;  // unknown names fall back to keyword search
    ++named;
    const auto query = answer["query"].get<std::string>();
    bool agrees = false;
    for (const auto& entry : answer["entries"]) {
      const auto low = entry.contains("port") ? entry["port"] : entry["port_low"];
      const auto high = entry.contains("port") ? entry["port"] : entry["port_high"];
      agrees = agrees || (low <= expected_port[query] && expected_port[query] <= high);
    }
    if (!agrees) disagreements.push_back(query);
  }
  EXPECT_TRUE(disagreements.empty()) << "first: " << disagreements.front();
  // netbase also carries names IANA never registered (netstat, imap2, kerberos4...).
  EXPECT_GE(named * 4, queries.size() * 3) << named << " of " << queries.size();
}

// A port that appears nowhere in the registry file is still classified, with exit 1.
TEST(LookupCli, UnregisteredPortIsClassified) {
  const auto registry_text = testing_support::read_file(PORTKIT_SERVICES_FILE);
  std::set<int> registered;
  std::istringstream lines(registry_text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, port_proto;
    fields >> name >> port_proto;
    const auto dash = port_proto.find('-');
    const int low = std::atoi(port_proto.c_str());
    const int high = dash == std::string::npos ? low : std::atoi(port_proto.c_str() + dash + 1);
    for (int port = low; port <= high; ++port) registered.insert(port);
  }
  int unregistered = 0;
  for (int port = 60000; port < 65536 && unregistered == 0; ++port) {
    if (!registered.count(port)) unregistered = port;
  }
  ASSERT_NE(unregistered, 0);
  const auto result = run_portkit({"lookup", "--json", std::to_string(unregistered)});
  EXPECT_EQ(result.exit_code, 1);
  const auto answer = parse_json(result.out)["results"][0];
  EXPECT_EQ(answer["found"], false);
  EXPECT_EQ(answer["port"], unregistered);
  EXPECT_EQ(answer["range_class"], "dynamic");
  EXPECT_TRUE(answer["entries"].empty());
}

TEST(LookupCli, HostFactsMatchTheSysctls) {
  std::istringstream range(sysctl("net.ipv4.ip_local_port_range"));
  int low = 0, high = 0;
  range >> low >> high;
  const int unprivileged = std::stoi(sysctl("net.ipv4.ip_unprivileged_port_start"));
  const auto result = run_portkit({"lookup", "--json", std::to_string(low), std::to_string(low - 1),
                                   std::to_string(high), std::to_string(high + 1),
                                   std::to_string(unprivileged), std::to_string(unprivileged - 1)});
  ASSERT_LE(result.exit_code, 1) << result.err;
  const auto results = parse_json(result.out)["results"];
  EXPECT_EQ(results[0]["in_ephemeral_range"], true);
  EXPECT_EQ(results[1]["in_ephemeral_range"], false);
  EXPECT_EQ(results[2]["in_ephemeral_range"], true);
  EXPECT_EQ(results[3]["in_ephemeral_range"], false);
  EXPECT_EQ(results[4]["needs_privilege"], false);
  EXPECT_EQ(results[5]["needs_privilege"], unprivileged - 1 > 0);
}

TEST(LookupCli, HumanOutputAndExitCodes) {
  const auto found = run_portkit({"lookup", "postgres", "53/udp", "6881-6889", "icmp", "database"});
  EXPECT_EQ(found.exit_code, 0) << found.err;
  for (const auto* text : {"5432/tcp", "postgresql", "53/tcp/udp", "bittorrent", "no port numbers",
                           "mongodb", "registered range"}) {
    EXPECT_NE(found.out.find(text), std::string::npos) << text;
  }
  const auto partly = run_portkit({"lookup", "22", "zzzznothing"});
  EXPECT_EQ(partly.exit_code, 1);
  EXPECT_NE(partly.out.find("ssh"), std::string::npos);
  EXPECT_NE(partly.out.find("zzzznothing: nothing known"), std::string::npos);
}

TEST(LookupCli, BadInputIsOneLineAndExit2) {
  const std::vector<std::vector<std::string>> cases{
      {"lookup", "70000"}, {"lookup", "10-5"},    {"lookup", "ssh/sctp"}, {"lookup", "22", "1-"},
      {"lookup"},          {"lookup", "--bogus"}, {"lookup", "22,80"},    {"lookup", ""}};
  for (const auto& args : cases) {
    const auto result = run_portkit(args);
    EXPECT_EQ(result.exit_code, 2) << args.back();
    EXPECT_TRUE(result.out.empty()) << "stdout must stay empty: " << result.out;
    EXPECT_EQ(result.err.rfind("portkit: lookup: ", 0), 0u) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
}

}  // namespace
}  // namespace portkit

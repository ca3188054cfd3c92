#include "portkit/registry/registry.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>

#include "registry/services_format.hpp"

namespace portkit {
namespace {

// design.md's seed list and its "go beyond" list: each must have a curated entry.
TEST(Registry, CuratedCoversTheSeedList) {
  const std::vector<std::pair<std::uint16_t, ProtoMask>> required{
      {20, kProtoTcp},   {21, kProtoTcp},    {22, kProtoTcp},    {23, kProtoTcp},
      {25, kProtoTcp},   {53, kProtoUdp},    {53, kProtoTcp},    {67, kProtoUdp},
      {68, kProtoUdp},   {80, kProtoTcp},    {110, kProtoTcp},   {123, kProtoUdp},
      {143, kProtoTcp},  {161, kProtoUdp},   {162, kProtoUdp},   {389, kProtoTcp},
      {443, kProtoTcp},  {445, kProtoTcp},   {587, kProtoTcp},   {636, kProtoTcp},
      {1433, kProtoTcp}, {1521, kProtoTcp},  {3306, kProtoTcp},  {3307, kProtoTcp},
      {3389, kProtoTcp}, {5432, kProtoTcp},  {5900, kProtoTcp},  {6379, kProtoTcp},
      {6881, kProtoTcp}, {6889, kProtoUdp},  {8080, kProtoTcp},  {8443, kProtoTcp},
      {9200, kProtoTcp}, {27017, kProtoTcp}, {30000, kProtoTcp}, {32767, kProtoTcp},
      {2375, kProtoTcp}, {2376, kProtoTcp},  {2379, kProtoTcp},  {2380, kProtoTcp},
      {6443, kProtoTcp}, {10250, kProtoTcp}, {9090, kProtoTcp},  {9100, kProtoTcp},
      {5672, kProtoTcp}, {9092, kProtoTcp},  {11211, kProtoTcp}, {8500, kProtoTcp},
      {3000, kProtoTcp}};
  for (const auto& [port, proto] : required) {
    const auto entries = registry::curated_for_port(port, proto);
    ASSERT_FALSE(entries.empty()) << port << "/" << proto_mask_text(proto);
    for (const auto* entry : entries) {
      EXPECT_FALSE(entry->description.empty());
      EXPECT_FALSE(entry->category.empty());
      EXPECT_FALSE(entry->devops_note.empty());
      EXPECT_FALSE(entry->exposure_advice.empty());
    }
  }
}

TEST(Registry, IcmpIsKnownWithoutPort) {
  const auto* icmp = registry::portless_by_name("ICMP");
  ASSERT_NE(icmp, nullptr);
  EXPECT_EQ(icmp->ip_protocol, 1);
  EXPECT_EQ(registry::portless_by_name("ping"), icmp);
}

// The registry is generated from whichever services(5) file the build found (Wireshark's IANA
// copy, or netbase's /etc/services as the fallback): every line of that file must be in it, and
// only the IANA copy promises the whole registry.
TEST(Registry, HoldsEveryEntryOfTheFileItWasBuiltFrom) {
  std::ifstream file(PORTKIT_SERVICES_FILE);
  ASSERT_TRUE(file) << PORTKIT_SERVICES_FILE;
  const std::string text{std::istreambuf_iterator<char>(file), {}};
  const auto lines = parse_services(text);
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  ASSERT_FALSE(lines.value().empty());
  for (const auto& line : lines.value()) {
    bool found = false;
    for (const auto& entry : registry::iana_for_port(line.ports.low, line.protocols)) {
      found = found || (entry.name == line.name && entry.ports.high == line.ports.high);
    }
    EXPECT_TRUE(found) << line.name << " " << line.ports.low;
    // An entry spanning ports (IANA's x11 6000-6063) is found from any port inside it.
    if (line.ports.high > line.ports.low) {
      const auto middle = static_cast<std::uint16_t>(line.ports.low + 1);
      bool spans = false;
      for (const auto& entry : registry::iana_for_port(middle, line.protocols)) {
        spans = spans || entry.name == line.name;
      }
      EXPECT_TRUE(spans) << line.name << " " << middle;
    }
  }
  if (text.find("local copy of the IANA port-numbers file") != std::string::npos) {
    EXPECT_GT(registry::iana_size(), 6000u);  // the full IANA list, not netbase's few hundred
    const auto ssh = registry::iana_for_port(22, kProtoTcp);
    ASSERT_FALSE(ssh.empty());
    EXPECT_EQ(ssh.front().description, "The Secure Shell (SSH) Protocol");
  }
}

TEST(Registry, IanaEntriesAreSortedAndNameTheWellKnownPorts) {
  for (std::size_t i = 1; i < registry::iana_size(); ++i) {
    EXPECT_LE(registry::iana_entry(i - 1).ports.low, registry::iana_entry(i).ports.low);
  }
  const auto ssh = registry::iana_for_port(22, kProtoTcp);
  ASSERT_FALSE(ssh.empty());
  EXPECT_EQ(ssh.front().name, "ssh");  // in both sources
}

TEST(Registry, NamesAreCaseInsensitiveAndAliasesWork) {
  for (const auto* name : {"postgres", "PostgreSQL", "pg", "POSTGRESQL"}) {
    const auto entries = registry::curated_by_name(name);
    ASSERT_EQ(entries.size(), 1u) << name;
    EXPECT_EQ(entries.front()->ports.low, 5432);
  }
  EXPECT_TRUE(registry::curated_by_name("nope").empty());
}

TEST(Registry, IanaNameLookup) {
  const auto entries = registry::iana_by_name("domain");
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.front().ports.low, 53);
}

TEST(Registry, PortByNamePrefersCuratedAndRespectsTransport) {
  EXPECT_EQ(registry::port_by_name("ssh", Proto::tcp), 22);
  EXPECT_EQ(registry::port_by_name("k8s", Proto::tcp), 6443);
  EXPECT_EQ(registry::port_by_name("wireguard", Proto::udp), 51820);
  EXPECT_FALSE(registry::port_by_name("wireguard", Proto::tcp).has_value());
  EXPECT_FALSE(registry::port_by_name("", Proto::tcp).has_value());
}

TEST(Registry, RangeEntriesCoverTheirPorts) {
  const auto inside = registry::curated_for_port(31000, kProtoTcp);
  ASSERT_EQ(inside.size(), 1u);
  EXPECT_EQ(inside.front()->name, "kubernetes-nodeport");
}

TEST(Registry, CategoryAndKeywordSearch) {
  const auto databases = registry::curated_by_category("databases");
  std::set<std::uint16_t> ports;
  for (const auto* entry : databases) ports.insert(entry->ports.low);
  for (const std::uint16_t port : {3306, 5432, 27017, 1433, 1521}) EXPECT_TRUE(ports.count(port));
  EXPECT_TRUE(registry::curated_by_category("nonsense").empty());
  const auto word = registry::curated_by_keyword("Kubernetes");
  EXPECT_GE(word.size(), 3u);
  EXPECT_TRUE(registry::curated_by_keyword("ubernete").empty());  // whole words only
}

TEST(Registry, ServiceNameForDisplay) {
  EXPECT_EQ(registry::service_name(5432, Proto::tcp), "postgresql");
  EXPECT_EQ(registry::service_name(53, Proto::udp), "dns");
  EXPECT_EQ(registry::service_name(123, Proto::udp), "ntp");
}

// service_name is indexed for speed (ls names every socket): it must say exactly what the
// plain definition says, the first single-port curated entry, else the first IANA one.
TEST(Registry, ServiceNameAgreesWithTheTablesForEveryPort) {
  std::size_t named = 0;
  for (const auto proto : {Proto::tcp, Proto::udp}) {
    for (std::uint32_t port = 0; port <= 65535; ++port) {
      const auto number = static_cast<std::uint16_t>(port);
      std::string_view expected;
      for (const auto& entry : registry::curated()) {
        if (entry.ports.low == number && entry.ports.high == number &&
            (entry.protocols & proto_bit(proto))) {
          expected = entry.name;
          break;
        }
      }
      if (expected.empty()) {
        for (const auto& entry : registry::iana_for_port(number, proto_bit(proto))) {
          if (entry.ports.low == number && entry.ports.high == number) {
            expected = entry.name;
            break;
          }
        }
      }
      ASSERT_EQ(registry::service_name(number, proto), expected)
          << port << "/" << proto_name(proto);
      named += !expected.empty();
    }
  }
  // The full IANA registry names most ports; netbase's list a few hundred.
  EXPECT_GT(named, registry::iana_size() > 6000 ? 10000u : 300u);
}

TEST(Registry, CuratedNamesAreUnique) {
  std::set<std::string_view> names;
  for (const auto& entry : registry::curated()) {
    EXPECT_TRUE(names.insert(entry.name).second) << entry.name;
    EXPECT_NE(entry.protocols, 0);
  }
}

}  // namespace
}  // namespace portkit

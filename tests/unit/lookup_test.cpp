#include "portkit/lookup/lookup.hpp"

#include <gtest/gtest.h>

#include <set>

#include "portkit/output/knowledge.hpp"

namespace portkit {
namespace {

HostPortConfig test_host() {
  HostPortConfig host;
  host.ephemeral = {32768, 60999};
  host.unprivileged_start = 1024;
  return host;
}

LookupAnswer ask(std::string_view query, bool all = false) {
  auto answer = lookup(query, test_host(), {.include_registry = all});
  EXPECT_TRUE(answer.ok()) << query << ": " << (answer.ok() ? "" : answer.error().message);
  return answer.ok() ? std::move(answer).value() : LookupAnswer{};
}

TEST(Lookup, PortGivesCuratedEntryAndFacts) {
  const auto answer = ask("5432");
  EXPECT_EQ(answer.kind, QueryKind::port);
  ASSERT_EQ(answer.curated.size(), 1u);
  EXPECT_EQ(answer.curated.front()->name, "postgresql");
  EXPECT_TRUE(answer.iana.empty());  // curated speaks; --all adds IANA
  ASSERT_TRUE(answer.facts.has_value());
  EXPECT_EQ(answer.facts->range_class, RangeClass::registered);
  EXPECT_FALSE(answer.facts->needs_privilege);
  EXPECT_EQ(answer.facts->ephemeral_overlap, 0u);
  EXPECT_FALSE(ask("5432", true).iana.empty());
}

TEST(Lookup, TransportSuffixFilters) {
  const auto udp = ask("53/udp");
  EXPECT_EQ(udp.protocols, kProtoUdp);
  ASSERT_EQ(udp.curated.size(), 1u);
  EXPECT_EQ(ask("22/udp").curated.size(), 0u);  // ssh is curated as TCP only
}

TEST(Lookup, RangesAndTheirFacts) {
  const auto torrent = ask("6881-6889");
  EXPECT_EQ(torrent.kind, QueryKind::range);
  ASSERT_EQ(torrent.curated.size(), 1u);
  EXPECT_EQ(torrent.curated.front()->name, "bittorrent");
  const auto nodeport = ask("30000-32767");
  ASSERT_FALSE(nodeport.curated.empty());
  EXPECT_TRUE(nodeport.facts->in_nodeport_range);
  const auto spanning = ask("1000-50000");
  EXPECT_FALSE(spanning.facts->range_class.has_value());
  EXPECT_TRUE(spanning.facts->needs_privilege);
  EXPECT_EQ(spanning.facts->ephemeral_overlap, 50000u - 32768u + 1);
}

TEST(Lookup, NamesAliasesCategoriesAndKeywords) {
  for (const auto* query : {"postgres", "PostgreSQL", "pg"}) {
    const auto answer = ask(query);
    EXPECT_EQ(answer.kind, QueryKind::name);
    ASSERT_FALSE(answer.curated.empty());
    EXPECT_EQ(answer.facts->ports.low, 5432);
  }
  const auto databases = ask("database");
  EXPECT_EQ(databases.kind, QueryKind::keyword);
  EXPECT_GE(databases.curated.size(), 5u);
  const auto mail = ask("mail");
  EXPECT_GE(mail.curated.size(), 4u);
  const auto iana_only = ask("finger");  // in both registry sources, not curated
  EXPECT_EQ(iana_only.kind, QueryKind::name);
  EXPECT_FALSE(iana_only.iana.empty());
}

TEST(Lookup, IcmpHasNoPort) {
  const auto answer = ask("icmp");
  EXPECT_EQ(answer.kind, QueryKind::portless);
  ASSERT_NE(answer.portless, nullptr);
  EXPECT_FALSE(answer.facts.has_value());
  EXPECT_NE(render_lookup(answer, test_host(), {}).find("no port numbers"), std::string::npos);
}

TEST(Lookup, UnknownButWellFormed) {
  const auto word = ask("zzzznotathing");
  EXPECT_FALSE(word.found());
  // A port nobody registered still gets its classification.
  for (std::uint32_t port = 49152; port <= 65535; ++port) {
    if (!registry::iana_for_port(static_cast<std::uint16_t>(port)).empty()) continue;
    if (!registry::curated_for_port(static_cast<std::uint16_t>(port)).empty()) continue;
    const auto answer = ask(std::to_string(port));
    EXPECT_FALSE(answer.found());
    ASSERT_TRUE(answer.facts.has_value());
    EXPECT_EQ(answer.facts->range_class, RangeClass::dynamic);
    return;
  }
  FAIL() << "every dynamic port is registered?";
}

TEST(Lookup, BadSyntaxIsAnError) {
  const auto error = [](std::string_view query) {
    return lookup(query, test_host(), {}).error().message;
  };
  EXPECT_EQ(error("70000"), "port '70000' is out of range 0-65535");
  EXPECT_EQ(error("10-5"), "range '10-5' is reversed (10 > 5)");
  EXPECT_EQ(error("ssh/sctp"), "unknown protocol 'sctp' in 'ssh/sctp' (use tcp or udp)");
  EXPECT_EQ(error(""), "empty query");
  EXPECT_EQ(error("/udp"), "missing port or name before '/' in '/udp'");
  EXPECT_EQ(error("22,80"),
            "one port, range or name per query, not the list '22,80' (pass them as separate "
            "arguments)");
}

TEST(Lookup, PortZeroNeedsNoPrivilege) {
  const auto answer = ask("0");
  EXPECT_FALSE(answer.facts->needs_privilege);
  EXPECT_TRUE(ask("1").facts->needs_privilege);
}

TEST(LookupJson, SharedFieldNames) {
  const auto json = lookup_json(ask("53"));
  EXPECT_EQ(json["port"], 53);
  EXPECT_EQ(json["range_class"], "well-known");
  EXPECT_EQ(json["needs_privilege"], true);
  const auto& entry = json["entries"][0];
  for (const auto* key : {"port", "protocols", "name", "aliases", "description", "category",
                          "devops_note", "exposure_advice", "range_class"}) {
    EXPECT_TRUE(entry.contains(key)) << key;
  }
  EXPECT_EQ(entry["protocols"], nlohmann::json::array({"tcp", "udp"}));
  const auto range = lookup_json(ask("6881-6889"));
  EXPECT_EQ(range["entries"][0]["port_low"], 6881);
  EXPECT_EQ(range["entries"][0]["port_high"], 6889);
}

}  // namespace
}  // namespace portkit

namespace portkit {
namespace {

// The questions a reader of the seed port lists asks, as they write them.
TEST(LookupSeedQuestions, PairsAndEndpointsExpandToTheirPorts) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
      {"20/21", {"20", "21"}},
      {"161/162", {"161", "162"}},
      {"192.168.1.100:8080/TCP", {"8080/tcp"}},
      {"[::1]:443", {"443"}},
      {"db:5432/udp", {"5432/udp"}},
      {"53/udp", {"53/udp"}},
      {"HTTP Alt", {"HTTP Alt"}},
      {"2001:db8::1", {"2001:db8::1"}}};
  for (const auto& [query, expected] : cases) {
    EXPECT_EQ(expand_lookup_query(query), expected) << query;
  }
}

TEST(LookupSeedQuestions, WordsNamesAndKeywords) {
  const auto first_port = [](const LookupAnswer& answer) {
    return answer.curated.empty() ? 0 : answer.curated.front()->ports.low;
  };
  EXPECT_EQ(first_port(ask("HTTP Alt")), 8080);
  std::set<int> webdav, directory;
  for (const auto* entry : ask("webdav").curated) webdav.insert(entry->ports.low);
  for (const auto* entry : ask("active directory").curated) directory.insert(entry->ports.low);
  EXPECT_EQ(webdav, (std::set<int>{80, 443}));
  EXPECT_TRUE(directory.count(389) && directory.count(88) && directory.count(3268));
  const auto range = ask("20-21");
  ASSERT_EQ(range.curated.size(), 2u);
  EXPECT_EQ(range.curated[0]->ports.low, 20) << "a range lists its ports in order";
}

// Any text that is not a number is a query: unknown words are "not found", never bad input.
TEST(LookupSeedQuestions, TextThatIsNotAPortIsAQuery) {
  for (const std::string text : {"\xe6\x95\xb0\xe6\x8d\xae\xe5\xba\x93", "caf\xc3\xa9", "x y z"}) {
    const auto answer = lookup(text, test_host(), {});
    ASSERT_TRUE(answer.ok()) << text;
    EXPECT_FALSE(answer->found());
    EXPECT_EQ(answer->query, text);
  }
  EXPECT_FALSE(lookup("70000", test_host(), {}).ok());
  EXPECT_FALSE(lookup("5-", test_host(), {}).ok());
}

}  // namespace
}  // namespace portkit

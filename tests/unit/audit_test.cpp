#include "portkit/audit/audit.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "portkit/output/ops_output.hpp"

namespace portkit {
namespace {

SocketRow listener(std::string_view address, std::uint16_t port, Proto proto = Proto::tcp) {
  SocketRow row;
  row.socket.proto = proto;
  row.socket.local = *parse_ip_address(address);
  row.socket.local_port = port;
  row.socket.state = proto == Proto::tcp ? SocketState::listen : SocketState::close;
  row.exposure = exposure_of(row.socket.local);
  return row;
}

HostPortConfig audit_host() {
  HostPortConfig host;
  host.ephemeral = {32768, 60999};
  return host;
}

std::vector<std::string> ids(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& finding : findings) out.emplace_back(finding.rule->id);
  return out;
}

std::vector<Finding> audit(const std::vector<SocketRow>& rows, AuditSettings settings = {},
                           const SocketStats& stats = {}) {
  auto findings = audit_sockets(rows, stats, audit_host(), settings);
  finalize_findings(findings, settings);
  return findings;
}

TEST(AuditRules, EveryRuleHasAnIdWhyAndFixAndIdsAreUnique) {
  std::vector<std::string_view> seen;
  for (const auto& rule : audit_rules()) {
    EXPECT_FALSE(rule.id.empty());
    EXPECT_FALSE(rule.why.empty()) << rule.id;
    EXPECT_FALSE(rule.fix.empty()) << rule.id;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), rule.id), 0) << rule.id;
    seen.push_back(rule.id);
    EXPECT_EQ(find_audit_rule(rule.id), &rule);
  }
  EXPECT_EQ(find_audit_rule("no-such-rule"), nullptr);
}

TEST(AuditSockets, DatabaseOnAllInterfacesIsHighOnLoopbackIsFine) {
  const auto findings = audit({listener("0.0.0.0", 3306), listener("127.0.0.1", 5432),
                               listener("::", 6379), listener("::1", 27017)});
  ASSERT_EQ(ids(findings), (std::vector<std::string>{"datastore-exposed", "datastore-exposed"}));
  EXPECT_EQ(findings[0].severity, Severity::high);
  EXPECT_EQ(findings[0].port, 3306);
  EXPECT_EQ(findings[1].port, 6379);
  EXPECT_NE(findings[1].subject.find("[::]:6379"), std::string::npos);
}

TEST(AuditSockets, DatabaseOnOneAddressIsMedium) {
  const auto findings = audit({listener("192.0.2.10", 5432)});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::medium);
}

TEST(AuditSockets, ServiceMapTagsUnprivilegedTestPorts) {
  AuditSettings settings;
  const auto mapping = parse_service_mapping("16379=redis");
  ASSERT_TRUE(mapping.ok());
  settings.map[mapping->first] = mapping->second;
  EXPECT_EQ(ids(audit({listener("0.0.0.0", 16379)}, settings)),
            std::vector<std::string>{"datastore-exposed"});
  EXPECT_TRUE(audit({listener("0.0.0.0", 16379)}).empty());
}

TEST(AuditSockets, CleartextProtocols) {
  EXPECT_EQ(ids(audit({listener("0.0.0.0", 23)})), std::vector<std::string>{"cleartext-telnet"});
  EXPECT_EQ(audit({listener("127.0.0.1", 23)})[0].severity, Severity::medium);
  EXPECT_EQ(ids(audit({listener("0.0.0.0", 21)})), std::vector<std::string>{"cleartext-ftp"});
  EXPECT_EQ(ids(audit({listener("0.0.0.0", 143)})), std::vector<std::string>{"cleartext-imap"});
  EXPECT_TRUE(audit({listener("0.0.0.0", 143), listener("0.0.0.0", 993)}).empty());
  EXPECT_EQ(ids(audit({listener("0.0.0.0", 110)})), std::vector<std::string>{"cleartext-pop3"});
  EXPECT_TRUE(audit({listener("0.0.0.0", 110), listener("0.0.0.0", 995)}).empty());
}

TEST(AuditSockets, DockerApiWithoutTlsIsCritical) {
  const auto findings = audit({listener("0.0.0.0", 2375), listener("0.0.0.0", 2376)});
  ASSERT_EQ(ids(findings), std::vector<std::string>{"docker-api-plaintext"});
  EXPECT_EQ(findings[0].severity, Severity::critical);
}

TEST(AuditSockets, AdminUiOnAllInterfaces) {
  EXPECT_EQ(ids(audit({listener("0.0.0.0", 3000)})),
            std::vector<std::string>{"admin-http-exposed"});
  EXPECT_TRUE(audit({listener("127.0.0.1", 9090)}).empty());
}

TEST(AuditSockets, ListenerInsideTheEphemeralRangeButNotAClientSocket) {
  EXPECT_EQ(ids(audit({listener("127.0.0.1", 45000)})),
            std::vector<std::string>{"service-in-ephemeral-range"});
  EXPECT_TRUE(audit({listener("127.0.0.1", 45000, Proto::udp)}).empty());
  auto host = audit_host();
  host.reserved = {{45000, 45000}};
  EXPECT_TRUE(audit_sockets(std::vector{listener("127.0.0.1", 45000)}, {}, host, {}).empty());
}

TEST(AuditSockets, EphemeralPressureAboveTheThreshold) {
  SocketStats stats;
  stats.pressure.push_back({*parse_ip_address("127.0.0.1"), 80, 20000, 28232});
  stats.pressure.push_back({*parse_ip_address("127.0.0.1"), 81, 100, 28232});
  const auto findings = audit({}, {}, stats);
  ASSERT_EQ(ids(findings), std::vector<std::string>{"ephemeral-pressure"});
  EXPECT_EQ(findings[0].severity, Severity::medium);
  EXPECT_NE(findings[0].detail.find("20000 of 28232"), std::string::npos);
}

TEST(AuditSockets, IgnoredRulesAreDroppedAndTheRestSortedBySeverity) {
  AuditSettings settings;
  settings.ignore = {"cleartext-telnet"};
  const auto findings = audit({listener("127.0.0.1", 45000), listener("0.0.0.0", 23),
                               listener("0.0.0.0", 2375), listener("0.0.0.0", 3306)},
                              settings);
  EXPECT_EQ(ids(findings), (std::vector<std::string>{"docker-api-plaintext", "datastore-exposed",
                                                     "service-in-ephemeral-range"}));
}

TEST(AuditSockets, OwnersAreNamed) {
  ProcessInfo redis{.pid = 42, .command = "redis-server", .container = "0123456789ab"};
  const ProcessInfo* const owners[] = {&redis};
  auto row = listener("0.0.0.0", 6379);
  row.processes = owners;
  const auto findings = audit({row});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].process, "42 redis-server (container 0123456789ab)");
}

TEST(AuditSettingsParsing, ServiceMappingErrorsNameTheBadPart) {
  EXPECT_FALSE(parse_service_mapping("16379").ok());
  EXPECT_NE(parse_service_mapping("16379=nosuchservice").error().message.find("nosuchservice"),
            std::string::npos);
  EXPECT_FALSE(parse_service_mapping("70000=redis").ok());
  const auto alias = parse_service_mapping("15432/tcp=postgres");
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(alias->first, 15432);
  EXPECT_EQ(alias->second->name, "postgresql");
}

TEST(AuditSettingsParsing, ConfigFile) {
  AuditSettings settings;
  const auto fail_on = parse_audit_config(
      "ignore = [\"service-in-ephemeral-range\"]\nfail_on = \"medium\"\n[map]\n16379 = \"redis\"\n",
      "audit.toml", settings);
  ASSERT_TRUE(fail_on.ok()) << fail_on.error().message;
  EXPECT_EQ(*fail_on, Severity::medium);
  EXPECT_EQ(settings.ignore, std::vector<std::string>{"service-in-ephemeral-range"});
  ASSERT_TRUE(settings.map.count(16379));
  EXPECT_EQ(settings.map[16379]->name, "redis");

  AuditSettings untouched;
  const auto bad = parse_audit_config("ignore = [\"nope\"]\n", "audit.toml", untouched);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("audit.toml:1:", 0), 0u) << bad.error().message;
  EXPECT_TRUE(untouched.ignore.empty());
  EXPECT_FALSE(parse_audit_config("fail_on = \"severe\"\n", "a.toml", untouched).ok());
  EXPECT_FALSE(parse_audit_config("colour = 1\n", "a.toml", untouched).ok());
}

TEST(AuditOutput, JsonCountsAndFailure) {
  const auto findings = audit({listener("0.0.0.0", 3306), listener("127.0.0.1", 45000)});
  const auto json = audit_json(findings, Severity::high);
  EXPECT_EQ(json["counts"]["high"], 1);
  EXPECT_EQ(json["counts"]["low"], 1);
  EXPECT_TRUE(json["failed"].get<bool>());
  EXPECT_FALSE(audit_json(findings, Severity::critical)["failed"].get<bool>());
  const auto text = render_audit(findings, {});
  EXPECT_LT(text.find("HIGH"), text.find("LOW"));
  EXPECT_NE(text.find("2 findings: 1 high, 1 low"), std::string::npos);
}

}  // namespace
}  // namespace portkit

namespace portkit {
namespace {

TlsCheck handshake(std::int64_t not_after, bool self_signed, std::string legacy = "") {
  TlsCheck check;
  TlsFacts facts;
  facts.subject = "CN=svc.test";
  facts.not_after = not_after;
  facts.self_signed = self_signed;
  check.facts = facts;
  check.legacy_version = std::move(legacy);
  return check;
}

std::vector<std::string> sorted_ids(const std::vector<Finding>& findings) {
  auto out = ids(findings);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AuditTls, ExpiredExpiringSelfSignedAndLegacyVersions) {
  constexpr std::int64_t kNow = 1'800'000'000;
  constexpr std::int64_t kDay = 86'400;
  const std::vector<SocketRow> rows{listener("0.0.0.0", 443), listener("127.0.0.1", 8443),
                                    listener("0.0.0.0", 9443), listener("127.0.0.1", 6379)};
  std::vector<TlsCheck> checks{handshake(kNow - 3 * kDay, false),
                               handshake(kNow + 5 * kDay, true, "TLSv1.1"),
                               handshake(kNow + 100 * kDay, true), TlsCheck{}};
  const auto findings = audit_tls(rows, checks, {}, kNow);
  ASSERT_EQ(sorted_ids(findings),
            (std::vector<std::string>{"tls-cert-expired", "tls-cert-expiring", "tls-legacy-version",
                                      "tls-self-signed-exposed"}));
  for (const auto& finding : findings) {
    if (finding.rule->id == "tls-self-signed-exposed") {
      EXPECT_EQ(finding.port, 9443);
    }
    if (finding.rule->id == "tls-cert-expired") {
      EXPECT_EQ(finding.port, 443);
      EXPECT_NE(finding.detail.find("expired 3 days ago"), std::string::npos) << finding.detail;
    }
  }
  // Self-signed on loopback is a developer's certificate, not a finding; a wider warning
  // window catches the 100-day certificate too.
  AuditSettings wide;
  wide.cert_warn_days = 120;
  EXPECT_EQ(sorted_ids(audit_tls({rows.begin() + 2, rows.end()}, {checks.begin() + 2, checks.end()},
                                 wide, kNow)),
            (std::vector<std::string>{"tls-cert-expiring", "tls-self-signed-exposed"}));
  // A server of TLS 1.1 at most shows its certificate only in the legacy handshake.
  TlsCheck old;
  old.legacy_version = "TLSv1";
  old.legacy_facts = handshake(kNow - kDay, false).facts;
  EXPECT_EQ(sorted_ids(audit_tls({rows.begin(), rows.begin() + 1}, {&old, 1}, {}, kNow)),
            (std::vector<std::string>{"tls-cert-expired", "tls-legacy-version"}));
}

}  // namespace
}  // namespace portkit

// The protocol plug-ins on recorded replies (tests/fixtures/replies, captured from the Debian
// servers named in each file) and on replies built from the protocols' specifications.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>

#include "portkit/output/service_output.hpp"
#include "service/identify.hpp"
#include "service/protocol.hpp"
#include "service/udp_payloads.hpp"

namespace portkit::service {
namespace {

std::string recorded(const std::string& name) {
  std::ifstream in(std::string(PORTKIT_FIXTURES_DIR) + "/replies/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const ProtocolProbe& probe_named(std::string_view name) {
  for (const auto& probe : protocol_probes()) {
    if (probe.name == name) return probe;
  }
  ADD_FAILURE() << "no probe " << name;
  return protocol_probes().front();
}

Reading read_as(std::string_view probe, std::string_view reply) {
  return probe_named(probe).read(reply);
}

// A literal's bytes, NULs included.
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// Replies from the specifications, for servers the tests cannot start.
const std::map<std::string, std::string>& specified_replies() {
  static const std::map<std::string, std::string> replies{
      {"ftp", "220 (vsFTPd 3.0.3)\r\n"},
      {"smtp", "220 mx.example.test ESMTP Postfix (Debian/GNU)\r\n"},
      {"pop3", "+OK Dovecot (Debian) ready.\r\n"},
      {"imap", "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS] Dovecot (Debian) ready.\r\n"},
      {"mysql", bytes("\x25\x00\x00\x00\x0a"
                      "5.5.5-10.11.6-MariaDB-0+deb12u1\x00\x08\x00\x00\x00")},
      {"vnc", "RFB 003.008\n"},
      {"mongodb", bytes("\x26\x00\x00\x00\x99\x00\x00\x00\x31\x74\x6b\x70\xdd\x07\x00\x00"
                        "\x00\x00\x00\x00\x00\x11\x00\x00\x00\x10maxWireVersion\x00")},
      {"amqp", bytes("\x01\x00\x00\x00\x00\x00\x30\x00\x0a\x00\x0a\x00\x09\x00\x00\x00\x20"
                     "\x07productS\x00\x00\x00\x08RabbitMQ"
                     "\x07versionS\x00\x00\x00\x06"
                     "3.11.8\xce")},
      {"kafka", bytes("\x00\x00\x00\x06pkt1\x00\x23")},
      {"ldap", bytes("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00")},
      {"rdp",
       bytes("\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x1f\x08\x00\x02\x00\x00\x00")},
      {"smb", bytes("\x00\x00\x00\x40\xfeSMB\x40\x00")},
      {"mssql", bytes("\x04\x01\x00\x1a\x00\x00\x01\x00"
                      "\x00\x00\x0b\x00\x06\x01\x00\x11\x00\x01\xff"
                      "\x0f\x00\x07\xd0\x00\x00\x02")},
  };
  return replies;
}

TEST(ServiceProtocols, RecordedRepliesNameTheirServers) {
  const auto ssh = read_as("ssh", recorded("openssh-9.2-greeting.bin"));
  ASSERT_EQ(ssh.verdict, Verdict::match);
  EXPECT_EQ(ssh.match.name, "ssh");
  EXPECT_EQ(ssh.match.product, "OpenSSH");
  EXPECT_EQ(ssh.match.version, "9.2p1 Debian 2+deb12u10");  // as nmap -sV writes it
  EXPECT_EQ(ssh.match.info, "protocol 2.0");

  const auto redis = read_as("redis", recorded("redis-7.0-ping-info.bin"));
  ASSERT_EQ(redis.verdict, Verdict::match);
  EXPECT_EQ(redis.match.name, "redis");
  EXPECT_EQ(redis.match.version, "7.0.15");
  const auto noauth = read_as("redis", recorded("redis-7.0-noauth.bin"));
  ASSERT_EQ(noauth.verdict, Verdict::match);
  EXPECT_EQ(noauth.match.info, "authentication required");

  const auto memcached = read_as("memcached", recorded("memcached-1.6-version.bin"));
  ASSERT_EQ(memcached.verdict, Verdict::match);
  EXPECT_EQ(memcached.match.version, "1.6.18");

  const auto postgresql = read_as("postgresql", recorded("postgresql-15-sslrequest.bin"));
  ASSERT_EQ(postgresql.verdict, Verdict::match);
  EXPECT_EQ(postgresql.match.name, "postgresql");
  EXPECT_EQ(postgresql.match.info, "no TLS");

  const auto mqtt = read_as("mqtt", recorded("mosquitto-2.0-connack.bin"));
  ASSERT_EQ(mqtt.verdict, Verdict::match);
  EXPECT_EQ(mqtt.match.info, "connection accepted");

  const auto http = read_as("http", recorded("nginx-1.22-get.bin"));
  ASSERT_EQ(http.verdict, Verdict::match);
  EXPECT_EQ(http.match.product, "nginx");
  EXPECT_EQ(http.match.version, "1.22.1");
  EXPECT_TRUE(http.match.definitive);
}

TEST(ServiceProtocols, PlainHttpOnATlsPortLeavesTheAnswerToTheTlsProbe) {
  const auto reading = read_as("http", recorded("nginx-1.22-plain-on-tls.bin"));
  ASSERT_EQ(reading.verdict, Verdict::match);
  EXPECT_FALSE(reading.match.definitive);
}

TEST(ServiceProtocols, SpecifiedRepliesNameTheirServers) {
  const std::map<std::string, std::pair<std::string, std::string>> expected{
      {"ftp", {"ftp", "vsftpd"}},
      {"smtp", {"smtp", "Postfix smtpd"}},
      {"pop3", {"pop3", "Dovecot pop3d"}},
      {"imap", {"imap", "Dovecot imapd"}},
      {"mysql", {"mysql", "MariaDB"}},
      {"vnc", {"vnc", ""}},
      {"mongodb", {"mongodb", "MongoDB"}},
      {"amqp", {"amqp", "RabbitMQ"}},
      {"kafka", {"kafka", "Apache Kafka"}},
      {"ldap", {"ldap", ""}},
      {"rdp", {"ms-wbt-server", "Microsoft Terminal Services"}},
      {"smb", {"microsoft-ds", ""}},
      {"mssql", {"ms-sql-s", "Microsoft SQL Server"}}};
  for (const auto& [probe, reply] : specified_replies()) {
    const auto reading = read_as(probe, reply);
    ASSERT_EQ(reading.verdict, Verdict::match) << probe;
    EXPECT_EQ(reading.match.name, expected.at(probe).first) << probe;
    EXPECT_EQ(reading.match.product, expected.at(probe).second) << probe;
  }
  EXPECT_EQ(read_as("mysql", specified_replies().at("mysql")).match.version,
            "10.11.6-MariaDB-0+deb12u1");
  EXPECT_EQ(read_as("amqp", specified_replies().at("amqp")).match.version, "3.11.8");
  EXPECT_EQ(read_as("mssql", specified_replies().at("mssql")).match.version, "15.0.2000");
  EXPECT_EQ(read_as("vnc", specified_replies().at("vnc")).match.info, "protocol 3.8");
}

// Each reply is recognised by its own reader only: no reader claims another's protocol.
TEST(ServiceProtocols, NoReaderClaimsAnotherProtocolsReply) {
  std::map<std::string, std::string> replies = specified_replies();
  replies["ssh"] = recorded("openssh-9.2-greeting.bin");
  replies["redis"] = recorded("redis-7.0-ping-info.bin");
  replies["memcached"] = recorded("memcached-1.6-version.bin");
  replies["postgresql"] = recorded("postgresql-15-sslrequest.bin");
  replies["mqtt"] = recorded("mosquitto-2.0-connack.bin");
  replies["http"] = recorded("nginx-1.22-get.bin");
  for (const auto& [owner, reply] : replies) {
    for (const auto& probe : protocol_probes()) {
      if (probe.name == owner) continue;
      EXPECT_NE(probe.read(reply).verdict, Verdict::match)
          << probe.name << " claims the reply of " << owner;
    }
  }
}

TEST(ServiceProtocols, AReplyCutShortAsksForMore) {
  const auto greeting = recorded("openssh-9.2-greeting.bin");
  EXPECT_EQ(read_as("ssh", greeting.substr(0, 2)).verdict, Verdict::incomplete);
  EXPECT_EQ(read_as("ssh", greeting.substr(0, 20)).verdict, Verdict::incomplete);
  const auto info = recorded("redis-7.0-ping-info.bin");
  const auto pong = read_as("redis", info.substr(0, 7));
  EXPECT_EQ(pong.verdict, Verdict::incomplete);
  EXPECT_EQ(pong.match.name, "redis");  // what is known if the server stops here
  EXPECT_EQ(read_as("http", recorded("nginx-1.22-get.bin").substr(0, 40)).verdict,
            Verdict::incomplete);
  EXPECT_EQ(read_as("mssql", specified_replies().at("mssql").substr(0, 12)).verdict,
            Verdict::incomplete);
}

TEST(ServiceProtocols, GarbageAndEmptyRepliesMatchNothing) {
  const std::string garbage("\x16\x03\x01\x00\x05hello\xff\xfe\x00 garbage\r\n", 21);
  const std::string zeros(64, '\0');
  for (const auto& probe : protocol_probes()) {
    EXPECT_NE(probe.read(garbage).verdict, Verdict::match) << probe.name;
    EXPECT_NE(probe.read(zeros).verdict, Verdict::match) << probe.name;
    EXPECT_NE(probe.read("").verdict, Verdict::match) << probe.name;
  }
}

TEST(ServiceProtocols, RequestsAreWellFormed) {
  const ProbeContext context{"db.example.test"};
  const auto request = [&](std::string_view name) { return probe_named(name).request(context); };
  const auto mqtt = request("mqtt");
  EXPECT_EQ(static_cast<std::size_t>(mqtt[1]), mqtt.size() - 2);  // remaining length
  const auto kafka = request("kafka");
  EXPECT_EQ(read_be32(kafka, 0), kafka.size() - 4);
  const auto smb = request("smb");
  EXPECT_EQ(read_be16(smb, 2), smb.size() - 4);  // NetBIOS session length
  const auto mssql = request("mssql");
  EXPECT_EQ(read_be16(mssql, 2), mssql.size());
  const auto mongodb = request("mongodb");
  EXPECT_EQ(read_le32(mongodb, 0), mongodb.size());
  EXPECT_EQ(read_le32(mongodb, 21), mongodb.size() - 21);  // the BSON document's own length
  EXPECT_NE(request("http").find("Host: db.example.test\r\n"), std::string::npos);
  EXPECT_EQ(request("postgresql").size(), 8u);
  for (const auto& probe : protocol_probes()) {
    EXPECT_EQ(probe.request == nullptr, probe.name == "ssh" || probe.name == "ftp" ||
                                            probe.name == "smtp" || probe.name == "pop3" ||
                                            probe.name == "imap" || probe.name == "mysql" ||
                                            probe.name == "vnc")
        << probe.name << ": only servers that speak first go without a request";
  }
}

TEST(ServiceProtocols, BudgetFollowsTheRoundTrip) {
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  EXPECT_EQ(identify_budget(microseconds(100), milliseconds(0)), milliseconds(600));
  EXPECT_EQ(identify_budget(microseconds(200'000), milliseconds(0)), milliseconds(2400));
  EXPECT_EQ(identify_budget(microseconds(5'000'000), milliseconds(0)), milliseconds(10000));
  EXPECT_EQ(identify_budget(microseconds(200'000), milliseconds(300)), milliseconds(300));
  EXPECT_EQ(greeting_wait(microseconds(100), milliseconds(600)), milliseconds(150));
  EXPECT_EQ(greeting_wait(microseconds(200'000), milliseconds(2400)), milliseconds(900));
  EXPECT_LE(greeting_wait(microseconds(2'000'000), milliseconds(2400)), milliseconds(1200));
}

TEST(ServiceOutput, LabelsAndNotesSayWhatAnswered) {
  ServiceIdentity identity;
  EXPECT_EQ(identity_label(identity), "unknown");
  identity.match = {.name = "http", .product = "nginx", .version = "1.22.1"};
  identity.tls = true;
  EXPECT_EQ(identity_label(identity), "ssl/http");
  EXPECT_EQ(identity_product_text(identity), "nginx 1.22.1");
  TlsFacts facts;
  facts.version = "TLSv1.3";
  facts.not_after = 1'798'588'800;  // 2026-12-30
  facts.days_left = -2.5;
  facts.expired = true;
  facts.server_name = "a.test";
  identity.tls_facts = facts;
  const auto notes = identity_notes(identity);
  const auto joined = [&] {
    std::string all;
    for (const auto& note : notes) all += note + "\n";
    return all;
  }();
  EXPECT_NE(joined.find("to 2026-12-30 (expired 3 days ago)"), std::string::npos) << joined;
  EXPECT_NE(joined.find("name a.test does not match"), std::string::npos) << joined;
  nlohmann::json out;
  add_identity_json(out, identity);
  EXPECT_EQ(out["service"], "http");
  EXPECT_EQ(out["tunnel"], "ssl");
  EXPECT_EQ(out["service_source"], "probe");
  EXPECT_EQ(out["tls"]["expired"], true);
  EXPECT_EQ(out["tls"]["not_after"], 1'798'588'800);
}

}  // namespace
}  // namespace portkit::service

namespace portkit {
namespace {

// A DNS server's answer to udp_payload(53): its id, QR and RA set, NOERROR.
std::string dns_answer_to(const std::string& query) {
  std::string reply = query;
  reply[2] = static_cast<char>(0x81);
  reply[3] = static_cast<char>(0x80);
  return reply;
}

TEST(UdpReplies, DnsNtpAndSnmpRepliesNameTheirServices) {
  const auto dns = read_udp_reply(53, dns_answer_to(udp_payload(53)));
  ASSERT_TRUE(dns);
  EXPECT_EQ(dns->name, "domain");
  EXPECT_EQ(dns->info, "NOERROR, recursion available");
  // The query itself (QR clear) and another id are not answers.
  EXPECT_FALSE(read_udp_reply(53, udp_payload(53)));
  auto other = dns_answer_to(udp_payload(53));
  other[0] = 0x11;
  EXPECT_FALSE(read_udp_reply(53, other));

  std::string ntp(48, '\0');
  ntp[0] = 0x24;  // version 4, mode 4 (server)
  ntp[1] = 2;     // stratum
  const auto time = read_udp_reply(123, ntp);
  ASSERT_TRUE(time);
  EXPECT_EQ(time->name, "ntp");
  EXPECT_EQ(time->info, "v4, stratum 2");
  EXPECT_FALSE(read_udp_reply(123, udp_payload(123)));  // a client's packet (mode 3)

  // The GetRequest turned into a GetResponse whose sysDescr.0 holds a value.
  const std::string descr = "Linux test 6.1.0";
  const std::string oid("\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00", 10);
  const std::string varbind = std::string("\x30", 1) +
                              static_cast<char>(oid.size() + 2 + descr.size()) + oid + "\x04" +
                              static_cast<char>(descr.size()) + descr;
  const std::string pdu_body = std::string("\x02\x04\x50\x4b\x00\x01\x02\x01\x00\x02\x01\x00", 12) +
                               "\x30" + static_cast<char>(varbind.size()) + varbind;
  const std::string body = std::string("\x02\x01\x00\x04\x06public", 11) + "\xa2" +
                           static_cast<char>(pdu_body.size()) + pdu_body;
  const std::string message = "\x30" + std::string(1, static_cast<char>(body.size())) + body;
  const auto snmp = read_udp_reply(161, message);
  ASSERT_TRUE(snmp);
  EXPECT_EQ(snmp->name, "snmp");
  EXPECT_EQ(snmp->product, descr);
  EXPECT_FALSE(read_udp_reply(161, udp_payload(161)));  // a GetRequest (0xa0)
  for (std::size_t cut = 0; cut < message.size(); ++cut) {
    const auto partial = read_udp_reply(161, message.substr(0, cut));
    if (partial) {
      EXPECT_EQ(partial->name, "snmp");  // never a crash on a cut datagram
    }
  }
  EXPECT_FALSE(read_udp_reply(9999, message));  // no payload was sent there
}

}  // namespace
}  // namespace portkit

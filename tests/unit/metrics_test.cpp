#include "portkit/exporter/metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace portkit {
namespace {

SocketRecord record(std::string_view local, std::uint16_t port, SocketState state,
                    Proto proto = Proto::tcp) {
  SocketRecord socket;
  socket.proto = proto;
  socket.local = *parse_ip_address(local);
  socket.local_port = port;
  socket.state = state;
  return socket;
}

// `owners` must outlive the row, as a listing's Owners do.
SocketRow row_of(const SocketRecord& socket, std::span<const ProcessInfo* const> owners = {}) {
  SocketRow row;
  row.socket = socket;
  row.exposure = exposure_of(socket.local);
  row.processes = owners;
  return row;
}

std::vector<std::string> lines_starting(const std::string& text, std::string_view prefix) {
  std::vector<std::string> out;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

TEST(Metrics, SocketCountsPerProtoFamilyAndState) {
  const std::vector<SocketRecord> sockets{record("127.0.0.1", 80, SocketState::listen),
                                          record("127.0.0.1", 40000, SocketState::established),
                                          record("127.0.0.1", 40001, SocketState::close_wait),
                                          record("::1", 40002, SocketState::time_wait),
                                          record("0.0.0.0", 53, SocketState::close, Proto::udp)};
  MetricsInput input;
  input.sockets = sockets;
  const auto text = render_metrics(input, {});
  EXPECT_NE(text.find("portkit_sockets{proto=\"tcp\",family=\"ipv4\",state=\"listen\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("portkit_sockets{proto=\"tcp\",family=\"ipv6\",state=\"time_wait\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("portkit_sockets{proto=\"udp\",family=\"ipv4\",state=\"unconn\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("portkit_tcp_current_established 2\n"), std::string::npos);
  // Every TCP state of both families, and UDP's two, always present.
  EXPECT_EQ(lines_starting(text, "portkit_sockets{").size(), 2u * 11 + 2 * 2);
}

TEST(Metrics, ListeningSeriesWithOwnersAndAnAggregatedTail) {
  ProcessInfo nginx{.pid = 7, .command = "ng\"inx\\"};
  const ProcessInfo* const owners[] = {&nginx};
  std::vector<SocketRow> rows;
  for (std::uint16_t port : {8080, 80, 443, 9000}) {
    rows.push_back(row_of(record("0.0.0.0", port, SocketState::listen), owners));
  }
  rows.push_back(row_of(record("127.0.0.1", 9001, SocketState::listen)));
  MetricsInput input;
  input.listening = rows;
  const auto text = render_metrics(input, {.max_listening_series = 3});
  const auto series = lines_starting(text, "portkit_listening_sockets{");
  ASSERT_EQ(series.size(), 5u);
  EXPECT_NE(text.find("portkit_listening_sockets{proto=\"tcp\",address=\"0.0.0.0\",port=\"80\","
                      "exposure=\"all\",process=\"ng\\\"inx\\\\\",service=\"\"} 1\n"),
            std::string::npos);
  // 80, 443 and 8080 keep their own series; 9000 and 9001 are summed per exposure.
  EXPECT_NE(text.find("port=\"other\",exposure=\"all\",process=\"\",service=\"\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("port=\"other\",exposure=\"loopback\",process=\"\",service=\"\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(text.find("port=\"9000\""), std::string::npos);
}

TEST(Metrics, FindingsPressureAndProbes) {
  const AuditRule* rule = find_audit_rule("datastore-exposed");
  const std::vector<Finding> findings{{.rule = rule, .severity = Severity::high},
                                      {.rule = rule, .severity = Severity::high}};
  SocketStats stats;
  stats.ephemeral = {32768, 60999};
  stats.pressure.push_back({*parse_ip_address("127.0.0.1"), 80, 1000, 28232});
  const std::vector<ProbeOutcome> probes{{"db:5432", Proto::tcp, true, "open", 0.0015},
                                         {"dns:53/udp", Proto::udp, false, "closed", {}}};
  MetricsInput input;
  input.findings = findings;
  input.stats = &stats;
  input.probes = probes;
  const auto text = render_metrics(input, {});
  EXPECT_NE(text.find("portkit_audit_findings{severity=\"high\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("portkit_audit_findings{severity=\"critical\"} 0\n"), std::string::npos);
  EXPECT_NE(
      text.find("portkit_audit_rule_findings{rule=\"datastore-exposed\",severity=\"high\"} 2\n"),
      std::string::npos);
  // Every rule has its series, 0 when it found nothing.
  for (const auto& rule : audit_rules()) {
    EXPECT_NE(text.find(fmt::format("portkit_audit_rule_findings{{rule=\"{}\",", rule.id)),
              std::string::npos)
        << rule.id;
  }
  EXPECT_NE(text.find("portkit_ephemeral_port_range_size 28232\n"), std::string::npos);
  EXPECT_NE(text.find("portkit_ephemeral_ports_in_use{peer_address=\"127.0.0.1\",peer_port=\"80\"} "
                      "1000\n"),
            std::string::npos);
  EXPECT_NE(text.find("portkit_probe_success{endpoint=\"db:5432\",proto=\"tcp\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("portkit_probe_success{endpoint=\"dns:53/udp\",proto=\"udp\"} 0\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("portkit_probe_duration_seconds{endpoint=\"db:5432\",proto=\"tcp\"} 0.0015\n"),
      std::string::npos);
  EXPECT_EQ(text.find("portkit_probe_duration_seconds{endpoint=\"dns"), std::string::npos);
}

TEST(Metrics, EveryFamilyHasHelpAndTypeOnce) {
  MetricsInput input;
  SocketStats stats;
  input.stats = &stats;
  const auto text = render_metrics(input, {});
  const auto type_lines = lines_starting(text, "# TYPE ");
  // Even with nothing to count, the families are declared (an empty exposition would pass).
  ASSERT_GE(type_lines.size(), 5u) << text;
  EXPECT_EQ(type_lines.size(), lines_starting(text, "# HELP ").size());
  for (const auto& type_line : type_lines) {
    std::istringstream words(type_line);
    std::string hash, type, name, kind;
    words >> hash >> type >> name >> kind;
    EXPECT_EQ(name.rfind("portkit_", 0), 0u);
    EXPECT_EQ(lines_starting(text, "# HELP " + name + " ").size(), 1u) << name;
    EXPECT_TRUE(kind == "gauge" || kind == "counter") << name;
    if (kind == "counter") {
      EXPECT_TRUE(name.ends_with("_total")) << name;
    }
  }
}

TEST(Metrics, LabelEscaping) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace portkit

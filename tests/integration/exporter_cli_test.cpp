// `portkit exporter`: its exposition checked by promtool, scraped by a real Prometheus server
// and compared, through Prometheus' HTTP API, with what `portkit ls --json` says.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ops_support.hpp"
#include "process.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using namespace testing_support;

int started_port(BackgroundProcess& exporter) {
  const auto line = exporter.read_line(10000);
  if (line.empty()) return 0;
  return json::parse(line)["port"].get<int>();
}

ProcessResult http_get(const std::string& url, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{"curl", "-s", "--max-time", "10"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  return run_process(argv);
}

TEST(ExporterCli, PromtoolAcceptsTheExposition) {
  const HeldSocket listener("127.0.0.1", 0);
  const auto once = run_portkit(
      {"exporter", "--once", "--probe", "127.0.0.1:" + std::to_string(listener.port())});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  const auto lint = run_process({"promtool", "check", "metrics"}, once.out);
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  EXPECT_NE(once.out.find("port=\"" + std::to_string(listener.port()) + "\""), std::string::npos);
  EXPECT_NE(once.out.find("portkit_probe_success{endpoint=\"127.0.0.1:" +
                          std::to_string(listener.port()) + "\",proto=\"tcp\"} 1"),
            std::string::npos);
}

TEST(ExporterCli, ServesMetricsReadOnly) {
  for (const std::string listen : {"127.0.0.1:0", "[::1]:0"}) {
    BackgroundProcess exporter({PORTKIT_BINARY, "exporter", "--listen", listen, "--json"});
    const int port = started_port(exporter);
    ASSERT_GT(port, 0) << listen;
    const std::string base = listen[0] == '[' ? "http://[::1]:" : "http://127.0.0.1:";
    const auto metrics = http_get(base + std::to_string(port) + "/metrics", {"-i"});
    EXPECT_NE(metrics.out.find("200 OK"), std::string::npos) << metrics.out.substr(0, 200);
    EXPECT_NE(metrics.out.find("text/plain; version=0.0.4"), std::string::npos);
    EXPECT_NE(metrics.out.find("portkit_sockets{"), std::string::npos);
    const auto code = [&](const std::vector<std::string>& args, const std::string& path) {
      std::vector<std::string> extra{"-o", "/dev/null", "-w", "%{http_code}"};
      extra.insert(extra.end(), args.begin(), args.end());
      return http_get(base + std::to_string(port) + path, extra).out;
    };
    EXPECT_EQ(code({}, "/nothing"), "404");
    EXPECT_EQ(code({"-X", "POST"}, "/metrics"), "405");
    EXPECT_EQ(code({}, "/"), "200");
    exporter.signal(SIGTERM);
    EXPECT_EQ(exporter.wait(), 0);
  }
}

// Anyone who reaches the exporter may hold connections open with half a request; scrapes must
// still be answered at once (civetweb's four workers were all held by 60 such clients), and
// the clients must cost bounded memory. node_exporter answered in 5 ms with 1,000 of them.
TEST(ExporterCli, ThousandSlowClientsDoNotBlindTheScrapes) {
  BackgroundProcess exporter(
      {PORTKIT_BINARY, "exporter", "--listen", "127.0.0.1:0", "--min-interval", "0s", "--json"});
  const int port = started_port(exporter);
  ASSERT_GT(port, 0);
  const auto url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  ASSERT_EQ(timed_get(url).status, 200);
  const long resident_before = resident_kib(exporter.pid());
  const SlowClients slow(port, 1000, "GET /metrics HTTP/1.1\r\nHost: exporter\r\n");
  ASSERT_EQ(slow.connected(), 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<double> times;
  for (int scrape = 0; scrape < 5; ++scrape) {
    const auto got = timed_get(url);
    EXPECT_EQ(got.status, 200) << "scrape " << scrape;
    times.push_back(got.ms);
  }
  std::sort(times.begin(), times.end());
  // 100 ms in the release run; the sanitizer run (PORTKIT_TEST_LIGHT) is about 3x slower.
  EXPECT_LT(times[times.size() / 2], std::getenv("PORTKIT_TEST_LIGHT") ? 300.0 : 100.0)
      << "median scrape, ms, with 1,000 slow clients";
  const long grown = resident_kib(exporter.pid()) - resident_before;
  EXPECT_LT(grown, 32 * 1024) << "KiB for 1,000 idle connections";
}

// A request head must arrive in time once it has begun: a client that stops mid-head is closed.
TEST(ExporterCli, AHalfSentRequestIsClosedAfterTheHeadTimeout) {
  BackgroundProcess exporter({PORTKIT_BINARY, "exporter", "--listen", "127.0.0.1:0", "--json"});
  const int port = started_port(exporter);
  ASSERT_GT(port, 0);
  const SlowClients client(port, 1, "GET /metrics HTTP/1.1\r\n");
  ASSERT_EQ(client.connected(), 1);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.wait_closed(std::chrono::seconds(14))) << "still open after 14 s";
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::seconds(9)) << "closed before the 10 s head timeout";
}

TEST(ExporterCli, ScrapesWithinMinIntervalShareOneCollection) {
  BackgroundProcess exporter(
      {PORTKIT_BINARY, "exporter", "--listen", "127.0.0.1:0", "--json", "--min-interval", "1h"});
  const int port = started_port(exporter);
  ASSERT_GT(port, 0);
  const auto url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  const auto first = http_get(url).out;
  const HeldSocket later("127.0.0.1", 0);  // not seen until the cache expires
  const auto second = http_get(url).out;
  EXPECT_EQ(first, second);
  EXPECT_NE(first.find("portkit_collections_total 1\n"), std::string::npos);
  EXPECT_EQ(second.find("port=\"" + std::to_string(later.port()) + "\""), std::string::npos);
}

TEST(ExporterCli, BadFlagsAreExitTwo) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"exporter", "--listen", "nowhere"},
                                             {"exporter", "--listen", "example.com:9163"},
                                             {"exporter", "--probe", "db"},
                                             {"exporter", "--min-interval", "soon"}}) {
    const auto result = run_portkit(args);
    EXPECT_EQ(result.exit_code, 2) << args[2] << ": " << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
  // A busy port is said as such (civetweb said "Failed to setup server ports").
  const HeldSocket taken("127.0.0.1", 0);
  const auto busy =
      run_portkit({"exporter", "--listen", "127.0.0.1:" + std::to_string(taken.port())});
  EXPECT_EQ(busy.exit_code, 3) << busy.err;
  EXPECT_NE(busy.err.find("address in use"), std::string::npos) << busy.err;
  EXPECT_EQ(std::count(busy.err.begin(), busy.err.end(), '\n'), 1) << busy.err;
}

// ---- a real Prometheus server

class PrometheusServer {
 public:
  PrometheusServer(int target_port) {
    directory_ = ::testing::TempDir() + "portkit-prometheus-" + std::to_string(getpid());
    std::filesystem::create_directories(directory_ + "/data");
    std::ofstream(directory_ + "/prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        << "scrape_configs:\n  - job_name: portkit\n    static_configs:\n"
        << "      - targets: ['127.0.0.1:" << target_port << "']\n";
    port_ = free_tcp_port();
    server_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
        "prometheus", "--config.file=" + directory_ + "/prometheus.yml",
        "--storage.tsdb.path=" + directory_ + "/data",
        "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=error"});
  }
  ~PrometheusServer() {
    server_.reset();
    std::filesystem::remove_all(directory_);
  }

  // The instant-query result vector, or an empty array when Prometheus has nothing yet.
  json query(const std::string& promql) {
    const auto result = run_process({"curl", "-s", "--max-time", "5", "-G",
                                     "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/query",
                                     "--data-urlencode", "query=" + promql});
    if (result.exit_code != 0 || result.out.empty()) return json::array();
    const auto document = json::parse(result.out, nullptr, false);
    if (document.is_discarded() || document.value("status", "") != "success") return json::array();
    return document["data"]["result"];
  }

  // Polls until the query has a result (Prometheus starts, then scrapes every second).
  json wait_for(const std::string& promql, int timeout_seconds = 60) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      auto result = query(promql);
      if (!result.empty()) return result;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return json::array();
  }

 private:
  std::string directory_;
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> server_;
};

using Listening = std::tuple<std::string, std::string, int, std::string, std::string>;

TEST(ExporterPrometheus, ScrapedByPrometheusAgreesWithLs) {
  const HeldSocket tcp_all("0.0.0.0", 0);
  const HeldSocket tcp_local("127.0.0.1", 0);
  const HeldSocket udp_local("127.0.0.1", 0, SOCK_DGRAM);
  const int closed = free_tcp_port();
  const std::set<int> ours{tcp_all.port(), tcp_local.port(), udp_local.port()};

  BackgroundProcess exporter({PORTKIT_BINARY, "exporter", "--listen", "127.0.0.1:0", "--json",
                              "--min-interval", "0s", "--probe",
                              "127.0.0.1:" + std::to_string(tcp_local.port()), "--probe",
                              "127.0.0.1:" + std::to_string(closed)});
  const int exporter_port = started_port(exporter);
  ASSERT_GT(exporter_port, 0);
  PrometheusServer prometheus(exporter_port);

  const auto up = prometheus.wait_for("up{job=\"portkit\"} == 1");
  ASSERT_FALSE(up.empty()) << "Prometheus never scraped the exporter successfully";

  // Our three sockets as Prometheus stored them: (proto, address, port, exposure, process).
  std::set<Listening> from_prometheus;
  for (const auto& series : prometheus.wait_for("portkit_listening_sockets")) {
    const auto& labels = series["metric"];
    const int port = std::stoi(labels["port"].get<std::string>());
    if (!ours.count(port)) continue;
    from_prometheus.emplace(labels["proto"], labels["address"], port, labels["exposure"],
                            labels["process"]);
    EXPECT_EQ(series["value"][1], "1");
  }

  // ... and as `portkit ls --json` sees them.
  const auto ls = run_portkit({"ls", "--json"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  std::set<Listening> from_ls;
  const auto listing = json::parse(ls.out);
  for (const auto& socket : listing["sockets"]) {
    const int port = socket["local_port"];
    if (!ours.count(port)) continue;
    const auto& processes = socket["processes"];
    from_ls.emplace(socket["proto"], socket["local_address"], port, socket["exposure"],
                    processes.empty() ? "" : processes[0]["command"].get<std::string>());
  }
  EXPECT_EQ(from_ls.size(), 3u);
  EXPECT_EQ(from_prometheus, from_ls);

  // Counts per state match ls over the same view (only our own listeners are stable here,
  // so the check is that Prometheus holds at least those).
  const auto listen_count =
      prometheus.query("sum(portkit_sockets{proto=\"tcp\",state=\"listen\"})");
  ASSERT_FALSE(listen_count.empty());
  EXPECT_GE(std::stoi(listen_count[0]["value"][1].get<std::string>()), 2);

  const auto open = prometheus.query(
      "portkit_probe_success{endpoint=\"127.0.0.1:" + std::to_string(tcp_local.port()) + "\"}");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0]["value"][1], "1");
  const auto refused = prometheus.query(
      "portkit_probe_success{endpoint=\"127.0.0.1:" + std::to_string(closed) + "\"}");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0]["value"][1], "0");
}

}  // namespace
}  // namespace portkit

namespace portkit::testing_support {
namespace {

// Every query of deploy/grafana/portkit-dashboard.json, run against a real Prometheus scraping a
// real exporter that probes a TLS server, returns data: the dashboard has no empty panel.
TEST(ExporterPrometheus, EveryDashboardQueryReturnsData) {
  const auto directory = ::testing::TempDir() + "portkit-dashboard-" + std::to_string(getpid());
  std::filesystem::create_directories(directory);
  const auto made = run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                 "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
                                 "-days", "30", "-subj", "/CN=localhost"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const int tls_port = free_tcp_port();
  BackgroundProcess tls({"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(tls_port),
                         "-cert", directory + "/cert.pem", "-key", directory + "/key.pem", "-www",
                         "-quiet"});
  const auto tls_endpoint = "127.0.0.1:" + std::to_string(tls_port);
  ASSERT_EQ(run_portkit({"wait", tls_endpoint, "--timeout", "10s", "-q"}).exit_code, 0);
  const HeldSocket exposed("0.0.0.0", 0);  // a listener beyond loopback

  BackgroundProcess exporter({PORTKIT_BINARY, "exporter", "--listen", "127.0.0.1:0", "--json",
                              "--min-interval", "0s", "--probe", tls_endpoint, "--probe-tls"});
  const int exporter_port = started_port(exporter);
  ASSERT_GT(exporter_port, 0);
  PrometheusServer prometheus(exporter_port);
  ASSERT_FALSE(prometheus.wait_for("up{job=\"portkit\"} == 1").empty())
      << "Prometheus never scraped the exporter successfully";

  const auto dashboard = json::parse(
      read_file(std::string(PORTKIT_SOURCE_DIR) + "/deploy/grafana/portkit-dashboard.json"));
  int queries = 0;
  for (const auto& panel : dashboard["panels"]) {
    for (const auto& target : panel["targets"]) {
      auto expr = target["expr"].get<std::string>();
      // Grafana's "All" for $instance is the panel's allValue, .*
      for (auto at = expr.find("$instance"); at != std::string::npos; at = expr.find("$instance")) {
        expr.replace(at, 9, ".*");
      }
      ++queries;
      EXPECT_FALSE(prometheus.wait_for(expr, 20).empty())
          << "panel '" << panel["title"].get<std::string>() << "': no data for " << expr;
    }
  }
  EXPECT_GE(queries, 10);
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace portkit::testing_support

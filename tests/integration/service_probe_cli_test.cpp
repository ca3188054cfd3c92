// Service identification against real Debian servers on free loopback ports: names as nmap -sV
// gives them, TLS facts as openssl s_client and openssl x509 give them, and hostile servers
// that flood, babble, close or stall.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "real_servers.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using namespace testing_support;

json check_json(const std::vector<std::string>& endpoints, const std::vector<std::string>& flags) {
  std::vector<std::string> args{"check", "--json"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), endpoints.begin(), endpoints.end());
  const auto result = run_portkit(args);
  EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
  return json::parse(result.out)["results"];
}

std::string endpoint(int port) {
  return "127.0.0.1:" + std::to_string(port);
}

// What `openssl s_client` and `openssl x509` say about the certificate on a port.
std::map<std::string, std::string> openssl_facts(int port) {
  const auto session = run_process(
      {"openssl", "s_client", "-connect", endpoint(port), "-servername", "portkit.test"}, "");
  std::map<std::string, std::string> facts;
  std::smatch found;
  if (std::regex_search(session.out, found, std::regex(R"(New, (\S+), Cipher is (\S+))"))) {
    facts["version"] = found[1];
    facts["cipher"] = found[2];
  }
  const auto pem_start = session.out.find("-----BEGIN CERTIFICATE-----");
  const auto pem_end = session.out.find("-----END CERTIFICATE-----");
  if (pem_start == std::string::npos || pem_end == std::string::npos) return facts;
  const auto pem = session.out.substr(pem_start, pem_end + 25 - pem_start) + "\n";
  const auto x509 = run_process({"openssl", "x509", "-noout", "-subject", "-issuer", "-serial",
                                 "-enddate", "-nameopt", "RFC2253"},
                                pem);
  for (const auto& key : {"subject", "issuer", "serial", "notAfter"}) {
    if (std::regex_search(x509.out, found, std::regex(std::string(key) + "=(.*)"))) {
      facts[key] = found[1];
    }
  }
  return facts;
}

// "Feb  1 00:00:00 2024 GMT" as seconds since the epoch.
std::int64_t openssl_time(const std::string& text) {
  std::tm parts{};
  if (::strptime(text.c_str(), "%b %d %H:%M:%S %Y GMT", &parts) == nullptr) return -1;
  return ::timegm(&parts);
}

TEST(ServiceProbe, NamesRealServersWithinASecondEach) {
  const TempDir dir;
  const auto certificate = make_certificate(dir, "server", "20250101000000Z", "20351231000000Z");
  std::vector<std::unique_ptr<RealServer>> servers;
  servers.push_back(start_redis());
  servers.push_back(start_memcached());
  servers.push_back(start_sshd(dir));
  servers.push_back(start_postgres(dir));
  servers.push_back(start_mosquitto(dir));
  servers.push_back(start_s_server(certificate));
  const Nginx nginx(dir, certificate);
  // What each is, as nmap -sV names it (name, tunnel, product's start).
  std::vector<std::tuple<int, std::string, std::string, std::string>> expected{
      {servers[0]->port(), "redis", "", "Redis key-value store"},
      {servers[1]->port(), "memcached", "", "Memcached"},
      {servers[2]->port(), "ssh", "", "OpenSSH"},
      {servers[3]->port(), "postgresql", "", "PostgreSQL DB"},
      {servers[4]->port(), "mqtt", "", "MQTT broker"},
      {servers[5]->port(), "http", "ssl", "OpenSSL s_server -www httpd"},
      {nginx.http_port, "http", "", "nginx"},
      {nginx.https_port, "http", "ssl", "nginx"},
      {nginx.h2_port, "http", "ssl", "nginx"}};
  std::vector<std::string> endpoints;
  for (const auto& item : expected) endpoints.push_back(endpoint(std::get<0>(item)));
  const auto results = check_json(endpoints, {"--service"});
  ASSERT_EQ(results.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& [port, name, tunnel, product] = expected[i];
    const auto& result = results[i];
    EXPECT_EQ(result["service"], name) << result.dump();
    EXPECT_EQ(result["service_source"], "probe");
    EXPECT_EQ(result["tunnel"], tunnel.empty() ? json(nullptr) : json(tunnel)) << result.dump();
    ASSERT_TRUE(result["product"].is_string()) << result.dump();
    EXPECT_EQ(result["product"].get<std::string>().rfind(product, 0), 0u) << result.dump();
    EXPECT_LT(result["identify_ms"].get<double>(), 1000.0) << result.dump();
  }
  std::smatch version;
  const auto said = run_process({"redis-server", "--version"}).out;
  ASSERT_TRUE(std::regex_search(said, version, std::regex(R"(v=(\S+))"))) << said;
  EXPECT_EQ(results[0]["version"], version[1].str());
}

// The same servers through scan -sV and its XML, read by nmap's own tools (ndiff), against
// nmap -sV on the same ports: names equal, or as the written mapping says where nmap has none.
TEST(ServiceProbe, ScanServiceAgreesWithNmapVersionScan) {
  const TempDir dir;
  const auto certificate = make_certificate(dir, "server", "20250101000000Z", "20351231000000Z");
  const auto redis = start_redis();
  const auto sshd = start_sshd(dir);
  const auto memcached = start_memcached();
  const auto mosquitto = start_mosquitto(dir);
  const Nginx nginx(dir, certificate);
  const std::vector<int> ports{redis->port(),     sshd->port(),    memcached->port(),
                               mosquitto->port(), nginx.http_port, nginx.https_port};
  std::string list;
  for (const int port : ports) list += (list.empty() ? "" : ",") + std::to_string(port);
  const auto ours_xml = dir.path() + "/portkit.xml";
  const auto nmap_xml = dir.path() + "/nmap.xml";
  const auto ours = run_portkit({"scan", "127.0.0.1", "-p", list, "-sV", "-oX", ours_xml});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  const auto nmap =
      run_process({"nmap", "-sT", "-sV", "-Pn", "-n", "-p", list, "127.0.0.1", "-oX", nmap_xml});
  ASSERT_EQ(nmap.exit_code, 0) << nmap.err;
  const auto service_of = [](const std::string& xml, int port) {
    std::smatch found;
    const std::regex element("portid=\"" + std::to_string(port) +
                             "\">.*?<service name=\"([^\"]*)\"([^>]*)>");
    if (!std::regex_search(xml, found, element)) return std::pair<std::string, std::string>{};
    std::smatch tunnel;
    const std::string rest = found[2];
    const bool ssl = std::regex_search(rest, tunnel, std::regex("tunnel=\"ssl\""));
    std::smatch product;
    std::string product_name;
    if (std::regex_search(rest, product, std::regex("product=\"([^\"]*)\"")))
      product_name = product[1];
    return std::pair{(ssl ? "ssl/" : "") + std::string(found[1]), product_name};
  };
  const auto our_text = read_file(ours_xml);
  const auto nmap_text = read_file(nmap_xml);
  // Where nmap has no name for a service, ours is checked against this mapping instead.
  // (nmap 7.93 writes no service element for mosquitto on a port other than 1883.)
  const std::map<std::string, std::string> nmap_unnamed{{"", "mqtt"}, {"unknown", "mqtt"}};
  for (const int port : ports) {
    const auto [our_name, our_product] = service_of(our_text, port);
    const auto [nmap_name, nmap_product] = service_of(nmap_text, port);
    if (nmap_unnamed.count(nmap_name) != 0) {
      EXPECT_EQ(our_name, nmap_unnamed.at(nmap_name)) << port;
      continue;
    }
    EXPECT_EQ(our_name, nmap_name) << "port " << port;
    EXPECT_EQ(our_product, nmap_product) << "port " << port;
  }
  // ndiff reads our XML as nmap's (exit 2 would be an error; 1 lists version differences).
  const auto diff = run_process({"ndiff", nmap_xml, ours_xml});
  EXPECT_NE(diff.exit_code, 2) << diff.err;
}

TEST(ServiceProbe, TlsFactsEqualOpensslsOnTheSamePort) {
  const TempDir dir;
  const auto valid = make_certificate(dir, "valid", "20250101000000Z", "20351231000000Z");
  const auto expired = make_certificate(dir, "expired", "20240101000000Z", "20240201000000Z");
  const Nginx nginx(dir, valid);
  const auto old = start_s_server(expired);
  for (const int port : {nginx.https_port, old->port()}) {
    const auto results = check_json({endpoint(port)}, {"--tls"});
    ASSERT_EQ(results.size(), 1u);
    const auto& tls = results[0]["tls"];
    ASSERT_TRUE(tls.is_object()) << results.dump();
    const auto openssl = openssl_facts(port);
    EXPECT_EQ(tls["version"], openssl.at("version")) << port;
    EXPECT_EQ(tls["cipher"], openssl.at("cipher")) << port;
    EXPECT_EQ(tls["subject"], openssl.at("subject")) << port;
    EXPECT_EQ(tls["issuer"], openssl.at("issuer")) << port;
    EXPECT_EQ(tls["serial"], openssl.at("serial")) << port;
    EXPECT_EQ(tls["not_after"].get<std::int64_t>(), openssl_time(openssl.at("notAfter"))) << port;
    EXPECT_EQ(tls["self_signed"], true);
    EXPECT_EQ(tls["chain_verified"], false);
    EXPECT_EQ(tls["name_matches"], true) << "the certificate names IP:127.0.0.1";
    EXPECT_EQ(tls["subject_alt_names"], json({"DNS:portkit.test", "IP:127.0.0.1"}));
  }
  const auto stale = check_json({endpoint(old->port())}, {"--tls"})[0]["tls"];
  EXPECT_EQ(stale["expired"], true);
  EXPECT_LT(stale["days_left"].get<double>(), -300);
  const auto fresh = check_json({endpoint(nginx.https_port)}, {"--tls"})[0]["tls"];
  EXPECT_EQ(fresh["expired"], false);
  EXPECT_GT(fresh["days_left"].get<double>(), 300);
}

TEST(ServiceProbe, TlsOnAPlainPortSaysSoAndStillNamesTheService) {
  const auto redis = start_redis();
  const auto results = check_json({endpoint(redis->port())}, {"--tls"});
  EXPECT_EQ(results[0]["service"], "redis");
  EXPECT_TRUE(results[0]["tls"].is_null());
  EXPECT_TRUE(results[0]["service_error"].is_string()) << results.dump();
}

// A server on 127.0.0.1 that behaves badly with every client, on a thread of its own.
class HostileServer {
 public:
  enum class Kind { flood, garbage, close_at_once, stall };
  explicit HostileServer(Kind kind) : kind_(kind) {
    LoopbackListener listener(false, 128);
    port_ = listener.port();
    listener_ = listener.release();
    thread_ = std::thread([this] { serve(); });
  }
  ~HostileServer() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    for (const int fd : clients_) ::close(fd);
    ::close(listener_);
  }
  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;
  [[nodiscard]] int port() const { return port_; }

 private:
  void serve() {
    while (!stop_) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      if (kind_ == Kind::close_at_once) {
        ::close(fd);
        continue;
      }
      clients_.push_back(fd);
      if (kind_ == Kind::garbage) {
        const std::string noise("\x8f\x00\x13garbage\xff\xfe\x01\x02 not a protocol\x7f", 30);
        (void)::send(fd, noise.data(), noise.size(), MSG_NOSIGNAL);
      } else if (kind_ == Kind::flood) {
        std::thread([fd, this] {
          const std::string chunk(65536, 'A');
          while (!stop_ && ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
          }
        }).detach();
      }
    }
  }

  Kind kind_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> clients_;
  std::thread thread_;
};

// Peak resident memory of `check --service` on one quiet port: the bound the hostile cases are
// held to (a sanitizer build's shadow memory makes any fixed number wrong).
long quiet_baseline_kib() {
  HostileServer quiet(HostileServer::Kind::stall);
  return run_portkit(
             {"check", "--json", "--tls", "--service-timeout", "300ms", endpoint(quiet.port())})
      .peak_rss_kib;
}

constexpr long kMemorySlackKib = 24 * 1024;

TEST(ServiceProbe, HostileServersGetAClearAnswerInBoundedTimeAndMemory) {
  const auto baseline = quiet_baseline_kib();
  HostileServer flood(HostileServer::Kind::flood);
  HostileServer garbage(HostileServer::Kind::garbage);
  HostileServer closer(HostileServer::Kind::close_at_once);
  HostileServer staller(HostileServer::Kind::stall);
  const auto result = run_portkit({"check", "--json", "--service", "--service-timeout", "800ms",
                                   endpoint(flood.port()), endpoint(garbage.port()),
                                   endpoint(closer.port()), endpoint(staller.port())});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_LT(result.wall_ms, 2000) << "each port is cut at its budget, all at once";
  EXPECT_LT(result.peak_rss_kib, baseline + kMemorySlackKib)
      << "a flood is read up to a bound, not kept (quiet run: " << baseline << " KiB)";
  const auto results = json::parse(result.out)["results"];
  ASSERT_EQ(results.size(), 4u);
  for (const auto& item : results) {
    EXPECT_EQ(item["state"], "open");
    EXPECT_EQ(item["service"], "unknown") << item.dump();
  }
  EXPECT_NE(results[0].value("fingerprint", "").find("AAAA"), std::string::npos) << results[0];
  EXPECT_NE(results[1].value("fingerprint", "").find("garbage"), std::string::npos) << results[1];
  EXPECT_EQ(results[2].value("fingerprint", ""), "") << results[2];
}

TEST(ServiceProbe, TlsServersWithAHugeChainOrNoCommonNameAreRead) {
  const TempDir dir;
  const auto nameless =
      make_certificate(dir, "nameless", "20250101000000Z", "20351231000000Z", "-");
  // 60 certificates after the leaf: a chain of ~60 KB.
  std::string chain_file = dir.path() + "/chain.pem";
  std::string chain;
  for (int i = 0; i < 60; ++i) chain += read_file(nameless.cert);
  { std::ofstream(chain_file) << chain; }
  const auto baseline = quiet_baseline_kib();
  const auto plain = start_s_server(nameless);
  const auto huge = start_s_server(nameless, {"-cert_chain", chain_file});
  for (const int port : {plain->port(), huge->port()}) {
    const auto result = run_portkit({"check", "--json", "--tls", endpoint(port)});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto tls = json::parse(result.out)["results"][0]["tls"];
    ASSERT_TRUE(tls.is_object()) << result.out;
    EXPECT_EQ(tls["subject"], "O=Portkit Test");
    EXPECT_LT(result.peak_rss_kib, baseline + kMemorySlackKib);
  }
  const auto long_chain =
      json::parse(run_portkit({"check", "--json", "--tls", endpoint(huge->port())}).out);
  EXPECT_EQ(long_chain["results"][0]["tls"]["chain_length"], 61);
}

}  // namespace
}  // namespace portkit

namespace portkit {
namespace {

// The TLS findings for a port (free test ports also fall in the ephemeral range).
std::vector<std::string> finding_ids_for(const json& document, int port) {
  std::vector<std::string> ids;
  for (const auto& finding : document["findings"]) {
    const std::string id = finding["id"];
    if (finding.value("port", 0) == port && id.rfind("tls-", 0) == 0) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(ServiceProbe, AuditProbeTlsFindsExpiredCertificatesAndLegacyVersions) {
  const TempDir dir;
  const auto valid = make_certificate(dir, "valid", "20250101000000Z", "20351231000000Z");
  const auto expired = make_certificate(dir, "expired", "20240101000000Z", "20240201000000Z");
  const Nginx nginx(dir, valid);
  const auto old = start_s_server(expired, {"-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"});
  const auto audit = [](std::vector<std::string> extra) {
    std::vector<std::string> args{"audit", "--json", "--probe-tls"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = run_portkit(args);
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
    return json::parse(result.out);
  };
  const auto found = audit({});
  EXPECT_EQ(finding_ids_for(found, old->port()),
            (std::vector<std::string>{"tls-cert-expired", "tls-legacy-version"}));
  EXPECT_TRUE(finding_ids_for(found, nginx.https_port).empty()) << "valid until 2035, TLS 1.2+";
  // Warned 4000 days ahead, the 2035 certificate is expiring.
  EXPECT_EQ(finding_ids_for(audit({"--cert-warn-days", "3650"}), nginx.https_port),
            std::vector<std::string>{"tls-cert-expiring"});
  // Without --probe-tls no handshake is made.
  const auto plain = json::parse(run_portkit({"audit", "--json"}).out);
  EXPECT_TRUE(finding_ids_for(plain, old->port()).empty());
}

}  // namespace
}  // namespace portkit

namespace portkit {
namespace {

// One series' value from a text exposition, or NaN.
double series_value(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return std::nan("");
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(ServiceProbe, ExporterProbesCarryServiceAndTlsSeries) {
  const TempDir dir;
  const auto valid = make_certificate(dir, "valid", "20250101000000Z", "20351231000000Z");
  const Nginx nginx(dir, valid);
  const auto redis = start_redis();
  const auto tls_endpoint = endpoint(nginx.https_port);
  const auto redis_endpoint = endpoint(redis->port());
  const auto scraped = run_portkit({"exporter", "--once", "--probe", tls_endpoint, "--probe",
                                    redis_endpoint, "--probe-service", "--probe-tls"});
  ASSERT_EQ(scraped.exit_code, 0) << scraped.err;
  const auto& text = scraped.out;
  const auto not_after = openssl_time(openssl_facts(nginx.https_port).at("notAfter"));
  EXPECT_EQ(series_value(text, "portkit_probe_tls_cert_not_after_seconds{endpoint=\"" +
                                   tls_endpoint + "\"}"),
            static_cast<double>(not_after));
  EXPECT_EQ(series_value(text, "portkit_probe_tls_self_signed{endpoint=\"" + tls_endpoint + "\"}"),
            1.0);
  EXPECT_NE(
      text.find("portkit_probe_service_info{endpoint=\"" + redis_endpoint + "\",service=\"redis\""),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("portkit_probe_service_info{endpoint=\"" + tls_endpoint +
                      "\",service=\"http\",product=\"nginx\""),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("portkit_probe_tls_cert_not_after_seconds{endpoint=\"" + redis_endpoint),
            std::string::npos)
      << "redis speaks no TLS";
  // Prometheus' own checker accepts the exposition.
  const auto checked = run_process({"promtool", "check", "metrics"}, text);
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  // --probe-tls alone: the TLS series, no service identification.
  const auto tls_only = run_portkit({"exporter", "--once", "--probe", tls_endpoint, "--probe-tls"});
  EXPECT_NE(tls_only.out.find("portkit_probe_tls_version_info{endpoint=\"" + tls_endpoint),
            std::string::npos);
  EXPECT_EQ(tls_only.out.find("portkit_probe_service_info"), std::string::npos);
}

}  // namespace
}  // namespace portkit

namespace portkit {
namespace {

// A UDP service is named by the reply to its protocol payload: dnsmasq's DNS answer.
TEST(ServiceProbe, UdpServicesAreNamedFromTheirReplies) {
  const std::string address = "127.77." + std::to_string(::getpid() % 250 + 1) + ".1";
  const Dnsmasq dns(address);
  const auto checked = check_json({address + ":53/udp"}, {"--service"});
  ASSERT_EQ(checked.size(), 1u);
  EXPECT_EQ(checked[0]["state"], "open");
  EXPECT_EQ(checked[0]["service"], "domain") << checked.dump();
  EXPECT_EQ(checked[0]["service_source"], "probe");
  // Without --service the registry's name stands, marked as such.
  const auto plain = check_json({address + ":53/udp"}, {});
  EXPECT_EQ(plain[0]["service_source"], "registry");
  const auto scanned = run_portkit({"scan", address, "-u", "-p", "53", "--service", "-oX", "-"});
  ASSERT_EQ(scanned.exit_code, 0) << scanned.err;
  EXPECT_NE(scanned.out.find("<port protocol=\"udp\" portid=\"53\"><state state=\"open\" "
                             "reason=\"udp-response\" reason_ttl=\"0\"/><service name=\"domain\""),
            std::string::npos)
      << scanned.out;
  EXPECT_NE(scanned.out.find("method=\"probed\""), std::string::npos);
}

}  // namespace
}  // namespace portkit

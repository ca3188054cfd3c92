#include "real_servers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace portkit::testing_support {
namespace {

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

std::string require(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw std::runtime_error(path + " is missing: scripts/install-deps installs it");
  }
  return path;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// PostgreSQL's binaries live under a versioned directory.
std::string postgres_bin(const std::string& program) {
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
    const auto candidate = entry.path() / "bin" / program;
    if (std::filesystem::exists(candidate)) return candidate.string();
  }
  throw std::runtime_error("PostgreSQL is missing: scripts/install-deps installs it");
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = "/tmp/portkit-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
  std::filesystem::permissions(path_, std::filesystem::perms::all);  // servers drop privileges
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void wait_accepting(int port, const std::string& what) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (accepts(port)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error(what + " did not listen on port " + std::to_string(port));
}

Certificate make_certificate(const TempDir& dir, const std::string& name, const std::string& start,
                             const std::string& end, const std::string& cn) {
  const auto made = run_process(
      {std::string(PORTKIT_TEST_TOOLS) + "/make-cert", dir.path(), name, start, end, cn});
  if (made.exit_code != 0) throw std::runtime_error("make-cert failed: " + made.err);
  return {dir.path() + "/" + name + ".pem", dir.path() + "/" + name + ".key"};
}

RealServer::RealServer(std::string what, int port, const std::vector<std::string>& argv)
    : what_(std::move(what)), port_(port), process_(std::make_unique<BackgroundProcess>(argv)) {
  wait_accepting(port_, what_);
}

std::unique_ptr<RealServer> start_redis() {
  const int port = free_tcp_port();
  return std::make_unique<RealServer>(
      "redis", port,
      std::vector<std::string>{require("/usr/bin/redis-server"), "--port", std::to_string(port),
                               "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--daemonize", "no", "--dir", "/tmp"});
}

std::unique_ptr<RealServer> start_memcached() {
  const int port = free_tcp_port();
  return std::make_unique<RealServer>(
      "memcached", port,
      std::vector<std::string>{require("/usr/bin/memcached"), "-u", "nobody", "-l", "127.0.0.1",
                               "-p", std::to_string(port), "-U", "0"});
}

std::unique_ptr<RealServer> start_sshd(const TempDir& dir) {
  const int port = free_tcp_port();
  const auto key = dir.path() + "/ssh_host_ed25519_key";
  const auto made = run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key});
  if (made.exit_code != 0) throw std::runtime_error("ssh-keygen failed: " + made.err);
  std::filesystem::create_directories("/run/sshd");  // its privilege separation directory
  return std::make_unique<RealServer>(
      "sshd", port,
      std::vector<std::string>{require("/usr/sbin/sshd"), "-D", "-e", "-f", "/dev/null", "-h", key,
                               "-p", std::to_string(port), "-o", "ListenAddress=127.0.0.1", "-o",
                               "PidFile=none"});
}

std::unique_ptr<RealServer> start_postgres(const TempDir& dir) {
  const int port = free_tcp_port();
  const auto data = dir.path() + "/pgdata";
  const auto as_postgres = std::vector<std::string>{"setpriv", "--reuid=postgres",
                                                    "--regid=postgres", "--clear-groups", "--"};
  auto initdb = as_postgres;
  initdb.insert(initdb.end(), {postgres_bin("initdb"), "-D", data, "-A", "trust", "-N"});
  const auto made = run_process(initdb);
  if (made.exit_code != 0) throw std::runtime_error("initdb failed: " + made.err);
  auto server = as_postgres;
  server.insert(server.end(),
                {postgres_bin("postgres"), "-D", data, "-p", std::to_string(port), "-k", dir.path(),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"});
  return std::make_unique<RealServer>("postgres", port, server);
}

std::unique_ptr<RealServer> start_mosquitto(const TempDir& dir) {
  const int port = free_tcp_port();
  const auto config = dir.path() + "/mosquitto.conf";
  write_file(config, "listener " + std::to_string(port) +
                         " 127.0.0.1\nallow_anonymous true\npersistence false\n");
  return std::make_unique<RealServer>(
      "mosquitto", port, std::vector<std::string>{require("/usr/sbin/mosquitto"), "-c", config});
}

std::unique_ptr<RealServer> start_s_server(const Certificate& certificate,
                                           const std::vector<std::string>& extra) {
  const int port = free_tcp_port();
  std::vector<std::string> argv{
      "openssl", "s_server",       "-accept", "127.0.0.1:" + std::to_string(port),
      "-cert",   certificate.cert, "-key",    certificate.key,
      "-www",    "-quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<RealServer>("openssl s_server", port, argv);
}

Dnsmasq::Dnsmasq(const std::string& address) {
  process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
      require("/usr/sbin/dnsmasq"), "-k", "-p", "53", "--listen-address=" + address,
      "--bind-interfaces", "--no-resolv", "--no-hosts", "-u", "root", "--pid-file"});
  // Ready when a query is answered: dig is not assumed, so ask with a bare UDP query.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto answered = run_process({"python3", "-c",
                                       "import socket,sys\n"
                                       "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                                       "s.settimeout(0.1)\n"
                                       "s.sendto(bytes.fromhex('504b01000001000000000000000002"
                                       "0001'),(sys.argv[1],53))\n"
                                       "s.recvfrom(512)",
                                       address});
    if (answered.exit_code == 0) return;
  }
  throw std::runtime_error("dnsmasq did not answer on " + address + ":53");
}

Nginx::Nginx(const TempDir& dir, const Certificate& certificate)
    : http_port(free_tcp_port()), https_port(free_tcp_port()), h2_port(free_tcp_port()) {
  const auto config = dir.path() + "/nginx.conf";
  const auto tls = " ssl_certificate " + certificate.cert + "; ssl_certificate_key " +
                   certificate.key + "; location / { return 200 \"tls\\n\"; } }\n";
  write_file(config, "daemon off;\nmaster_process off;\npid " + dir.path() +
                         "/nginx.pid;\nerror_log " + dir.path() +
                         "/nginx.err;\nevents {}\nhttp {\naccess_log off;\n"
                         "client_body_temp_path " +
                         dir.path() +
                         ";\n"
                         "server { listen 127.0.0.1:" +
                         std::to_string(http_port) +
                         "; location / { return 200 \"hello\\n\"; } }\n"
                         "server { listen 127.0.0.1:" +
                         std::to_string(https_port) + " ssl;" + tls + "server { listen 127.0.0.1:" +
                         std::to_string(h2_port) + " ssl http2;" + tls + "}\n");
  process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
      require("/usr/sbin/nginx"), "-c", config, "-e", dir.path() + "/nginx.err"});
  for (const int port : {http_port, https_port, h2_port}) wait_accepting(port, "nginx");
}

}  // namespace portkit::testing_support

#pragma once
// Real servers from Debian packages on free loopback ports, for service identification tests:
// each starts in the foreground, is ready when its port accepts, and is killed on destruction.
#include <memory>
#include <string>
#include <vector>

#include "process.hpp"

namespace portkit::testing_support {

// A directory of its own under /tmp, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Certificate {
  std::string cert;  // PEM files
  std::string key;
};
// tests/tools/make-cert: START and END as openssl ca dates (20240101000000Z); cn "-" for none.
Certificate make_certificate(const TempDir& dir, const std::string& name, const std::string& start,
                             const std::string& end, const std::string& cn = "portkit.test");

class RealServer {
 public:
  RealServer(std::string what, int port, const std::vector<std::string>& argv);
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::string& what() const { return what_; }

 private:
  std::string what_;
  int port_;
  std::unique_ptr<BackgroundProcess> process_;
};

std::unique_ptr<RealServer> start_redis();
std::unique_ptr<RealServer> start_memcached();
std::unique_ptr<RealServer> start_sshd(const TempDir& dir);
std::unique_ptr<RealServer> start_postgres(const TempDir& dir);
std::unique_ptr<RealServer> start_mosquitto(const TempDir& dir);
// dnsmasq on `address`:53, answering from nothing (no upstream, no hosts file); root.
class Dnsmasq {
 public:
  explicit Dnsmasq(const std::string& address);

 private:
  std::unique_ptr<BackgroundProcess> process_;
};
std::unique_ptr<RealServer> start_s_server(const Certificate& certificate,
                                           const std::vector<std::string>& extra = {});

// nginx with a plain HTTP port, a TLS port and a TLS port with HTTP/2, one master process.
class Nginx {
 public:
  Nginx(const TempDir& dir, const Certificate& certificate);
  int http_port;
  int https_port;
  int h2_port;

 private:
  std::unique_ptr<BackgroundProcess> process_;
};

// Waits until 127.0.0.1:port accepts a connection; throws naming `what` when it never does.
void wait_accepting(int port, const std::string& what);

}  // namespace portkit::testing_support

// Service identity from the owner, against real servers from Debian packages on free ports:
// a Redis on a port the registry knows nothing about is still Redis to ls and audit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "process.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using namespace testing_support;

constexpr const char* kRedisServer = "/usr/bin/redis-server";

// redis-server on 0.0.0.0:PORT, in the foreground, without persistence; stopped at the end.
class RedisServer {
 public:
  RedisServer() : port_(free_tcp_port()) {
    if (!std::filesystem::exists(kRedisServer)) {
      throw std::runtime_error("redis-server is missing: scripts/install-deps installs it");
    }
    process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
        kRedisServer, "--port", std::to_string(port_), "--bind", "0.0.0.0", "--protected-mode",
        "no", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp"});
    for (int attempt = 0; attempt < 100; ++attempt) {
      const auto ping = run_process({"redis-cli", "-p", std::to_string(port_), "ping"});
      if (ping.out == "PONG\n") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("redis-server did not answer PING");
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] int pid() const { return process_->pid(); }

 private:
  int port_;
  std::unique_ptr<BackgroundProcess> process_;
};

TEST(ServiceIdentity, LsNamesRedisOnAnUnregisteredPortFromItsProcess) {
  const RedisServer redis;
  const auto listed = run_portkit({"ls", "--json", "-t", "--sport", std::to_string(redis.port())});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto document = json::parse(listed.out);
  ASSERT_FALSE(document["sockets"].empty()) << listed.out;
  for (const auto& socket : document["sockets"]) {
    EXPECT_EQ(socket["service"], "redis") << socket.dump();
    EXPECT_EQ(socket["service_source"], "process") << socket.dump();
    // A const json's operator[] past the end is undefined (it crashed the binary once): check.
    ASSERT_FALSE(socket.value("processes", json::array()).empty()) << listed.out;
    EXPECT_EQ(socket["processes"][0]["pid"], redis.pid());
  }
  // Without owners (-n) only the registry speaks, and says so.
  const auto numeric =
      run_portkit({"ls", "--json", "-t", "-n", "--sport", std::to_string(redis.port())});
  const auto bare = json::parse(numeric.out);
  ASSERT_FALSE(bare["sockets"].empty());
  EXPECT_NE(bare["sockets"][0]["service"], "redis");
}

// The audit's headline gap: `redis-server --port 16379 --bind 0.0.0.0 --protected-mode no`
// passed with no finding, because rules keyed on port numbers.
TEST(ServiceIdentity, AuditFindsAnExposedRedisWithoutBeingTold) {
  const RedisServer redis;
  const auto result = run_portkit({"audit", "--json", "--ignore", "service-in-ephemeral-range"});
  ASSERT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
  const auto document = json::parse(result.out);
  bool found = false;
  for (const auto& finding : document["findings"]) {
    if (finding.value("port", 0) != redis.port()) continue;
    EXPECT_EQ(finding["id"], "datastore-exposed") << finding.dump();
    EXPECT_EQ(finding["severity"], "high");
    EXPECT_NE(finding["subject"].get<std::string>().find("redis"), std::string::npos);
    found = true;
  }
  EXPECT_TRUE(found) << "no finding for redis on " << redis.port();
  EXPECT_EQ(result.exit_code, 1);
}

}  // namespace
}  // namespace portkit

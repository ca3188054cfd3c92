#include <gtest/gtest.h>

#include "inventory/owner_service.hpp"

namespace portkit {
namespace {

ProcessInfo process(std::string command, std::string cmdline) {
  return ProcessInfo{.pid = 42, .command = std::move(command), .cmdline = std::move(cmdline)};
}

std::string_view service_name(const ProcessInfo& owner, std::uint16_t port,
                              Proto proto = Proto::tcp) {
  const auto* entry = service_of_process(owner, port, proto);
  return entry == nullptr ? std::string_view("-") : entry->name;
}

// Recorded from real processes (comm, cmdline with NULs shown as spaces, as the inventory keeps).
TEST(ServiceOfProcess, NamesServersOnAnyPort) {
  const std::vector<std::tuple<ProcessInfo, std::uint16_t, std::string_view>> cases{
      {process("redis-server", "/usr/bin/redis-server 0.0.0.0:16379"), 16379, "redis"},
      {process("redis-server", "redis-server *:26379 [sentinel]"), 26379, "redis-sentinel"},
      {process("postgres", "/usr/lib/postgresql/15/bin/postgres -D /tmp/pg -p 5433"), 5433,
       "postgresql"},
      {process("postgres", "postgres: 15/main: checkpointer"), 5432, "postgresql"},
      {process("mariadbd", "/usr/sbin/mariadbd"), 3307, "mysql"},
      {process("mongod", "/usr/bin/mongod --config /etc/mongod.conf"), 27018, "mongodb"},
      {process("memcached", "/usr/bin/memcached -p 21211 -u memcache"), 21211, "memcached"},
      {process("sshd", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"), 2222, "ssh"},
      {process("etcd", "/usr/local/bin/etcd --listen-peer-urls http://0.0.0.0:2380"), 2380,
       "etcd-peer"},
      {process("etcd", "/usr/local/bin/etcd"), 12379, "etcd"},
      {process("prometheus-node", "/usr/bin/prometheus-node-exporter"), 19100, "node-exporter"},
      {process("docker-proxy",
               "/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 15432 -container-ip "
               "172.17.0.2 -container-port 5432"),
       15432, "postgresql"},
      {process("java", "/usr/bin/java -Xms1g -cp lib/* org.elasticsearch.bootstrap.Elasticsearch"),
       9201, "elasticsearch"},
      {process("java", "java -cp kafka.jar kafka.Kafka config/server.properties"), 19092, "kafka"},
      {process("beam.smp", "/usr/lib/erlang/erts/bin/beam.smp -- -root /usr/lib/erlang -s rabbit"),
       15672, "rabbitmq-management"},
      {process("nginx", "nginx: master process /usr/sbin/nginx"), 8443, "https-alt"},
      {process("nginx", "nginx: worker process"), 18080, "http"},
  };
  for (const auto& [owner, port, expected] : cases) {
    EXPECT_EQ(service_name(owner, port), expected) << owner.cmdline << " on " << port;
  }
}

TEST(ServiceOfProcess, SaysNothingForRuntimesAndUnknownPrograms) {
  EXPECT_EQ(service_name(process("java", "java -jar app.jar"), 8080), "-");
  EXPECT_EQ(service_name(process("python3", "python3 -m http.server 8000"), 8000), "-");
  EXPECT_EQ(service_name(process("portkit", "portkit listen 6379"), 6379), "-");
  EXPECT_EQ(service_name(process("docker-proxy", "docker-proxy -container-port x"), 1), "-");
  EXPECT_EQ(service_name(process("memcached", "memcached"), 11211, Proto::udp), "memcached");
  EXPECT_EQ(service_name(process("sshd", "sshd"), 22, Proto::udp), "-") << "ssh is TCP only";
}

TEST(ServiceOfProcess, ProgramNameIgnoresPathsAndRetitles) {
  EXPECT_EQ(program_name(process("postgres", "postgres: 15/main: walwriter")), "postgres");
  EXPECT_EQ(program_name(process("redis-server", "/usr/bin/redis-server *:6379")), "redis-server");
  EXPECT_EQ(program_name(process("kworker", "")), "kworker");
}

// The table refers to the knowledge base by name: every name must be a curated entry.
TEST(ServiceOfProcess, EveryServiceTheTableNamesIsCurated) {
  ASSERT_GT(programs_services().size(), 30u);
  for (const auto name : programs_services()) {
    EXPECT_FALSE(registry::curated_by_name(name).empty()) << name;
  }
}

}  // namespace
}  // namespace portkit

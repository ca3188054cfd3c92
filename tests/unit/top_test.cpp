// portkit top's arithmetic (TopTracker), ordering, filter and frames, on made-up samples.
#include "portkit/top/top.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "portkit/output/top_output.hpp"

namespace portkit {
namespace {

SocketRecord tcp(const char* local, std::uint16_t local_port, const char* peer,
                 std::uint16_t peer_port, SocketState state, std::uint64_t received = 0,
                 std::uint64_t acked = 0) {
  SocketRecord record;
  record.local = *parse_ip_address(local);
  record.local_port = local_port;
  record.peer = *parse_ip_address(peer);
  record.peer_port = peer_port;
  record.state = state;
  if (state != SocketState::listen && state != SocketState::time_wait) {
    auto details = std::make_shared<SocketDetails>();
    details->tcp = TcpInfo{.bytes_acked = acked, .bytes_received = received};
    record.details = std::move(details);
  }
  return record;
}

SocketRecord listener(const char* local, std::uint16_t port, std::uint32_t queue,
                      std::uint32_t limit) {
  auto record = tcp(local, port, local[0] == ':' ? "::" : "0.0.0.0", 0, SocketState::listen);
  record.receive_queue = queue;
  record.send_queue = limit;
  record.inode = 1000 + port;
  return record;
}

HostPortConfig host() {
  HostPortConfig config;
  config.ephemeral = {40000, 40999};
  return config;
}

const PortActivity& port_of(const TopView& view, std::uint16_t port) {
  const auto found = std::find_if(view.ports.begin(), view.ports.end(),
                                  [&](const PortActivity& p) { return p.port == port; });
  EXPECT_NE(found, view.ports.end()) << port;
  return *found;
}

TEST(TopTracker, FirstSampleGroupsListenersAndHasNoRates) {
  TopTracker tracker(host());
  const std::vector<SocketRecord> sample{
      listener("0.0.0.0", 80, 3, 128), listener("::", 80, 1, 128), listener("127.0.0.1", 22, 0, 5),
      tcp("10.0.0.1", 80, "10.0.0.7", 50000, SocketState::established, 500, 900)};
  const auto view = tracker.update(sample, 123);
  EXPECT_EQ(view.interval_seconds, 0);
  EXPECT_EQ(view.sockets, 4u);
  EXPECT_EQ(view.states[static_cast<int>(SocketState::listen)], 3u);
  ASSERT_EQ(view.ports.size(), 2u);
  EXPECT_EQ(view.ports[0].port, 22);  // by port number
  const auto& web = port_of(view, 80);
  EXPECT_EQ(web.addresses.size(), 2u);  // one row for 0.0.0.0:80 and [::]:80
  EXPECT_EQ(web.listener_inodes.size(), 2u);
  EXPECT_EQ(web.accept_queue, 4u);
  EXPECT_EQ(web.accept_limit, 256u);
  EXPECT_EQ(web.established, 1u);
  EXPECT_EQ(web.new_connections, 0u);  // everything is new in a first sample: nothing counted
  EXPECT_EQ(web.bytes_in, 0u);
  EXPECT_EQ(web.new_per_second, 0);
}

TEST(TopTracker, RatesAreCounterGrowthAndNewConnectionsOverTheInterval) {
  TopTracker tracker(host());
  tracker.update({listener("0.0.0.0", 80, 0, 128),
                  tcp("10.0.0.1", 80, "10.0.0.7", 50000, SocketState::established, 1000, 4000),
                  tcp("10.0.0.1", 80, "10.0.0.8", 50001, SocketState::established, 10, 10)},
                 1);
  const auto view = tracker.update(
      {listener("0.0.0.0", 80, 0, 128),
       // Grew by 3000 in and 1000 out.
       tcp("10.0.0.1", 80, "10.0.0.7", 50000, SocketState::established, 4000, 5000),
       // Closed by now: TIME_WAIT has no tcp_info and adds nothing.
       tcp("10.0.0.1", 80, "10.0.0.8", 50001, SocketState::time_wait),
       // New: all of their bytes are this interval's.
       tcp("10.0.0.1", 80, "10.0.0.7", 50002, SocketState::established, 200, 100),
       tcp("10.0.0.1", 80, "10.0.0.9", 50003, SocketState::syn_recv),
       tcp("10.0.0.1", 80, "10.0.0.7", 50004, SocketState::established, 0, 0),
       // Not on a listened port: an outgoing connection, not the web server's.
       tcp("10.0.0.1", 40001, "10.0.0.7", 5432, SocketState::established, 99999, 99999)},
      2.0);
  EXPECT_DOUBLE_EQ(view.interval_seconds, 2.0);
  const auto& web = port_of(view, 80);
  EXPECT_EQ(web.established, 3u);
  EXPECT_EQ(web.connections, 5u);
  EXPECT_EQ(web.new_connections, 3u);
  EXPECT_DOUBLE_EQ(web.new_per_second, 1.5);
  EXPECT_EQ(web.bytes_in, 3200u);
  EXPECT_EQ(web.bytes_out, 1100u);
  EXPECT_DOUBLE_EQ(web.bytes_in_per_second, 1600);
  EXPECT_DOUBLE_EQ(web.bytes_out_per_second, 550);
  ASSERT_EQ(web.top_peers.size(), 1u);  // established only: 10.0.0.7 holds three
  EXPECT_EQ(web.top_peers[0].peer.to_string(), "10.0.0.7");
  EXPECT_EQ(web.top_peers[0].connections, 3u);
}

TEST(TopTracker, ACounterThatWentBackIsNotNegativeAndTimeWaitIsNotCountedTwice) {
  TopTracker tracker(host());
  tracker.update({listener("0.0.0.0", 80, 0, 128),
                  tcp("10.0.0.1", 80, "10.0.0.7", 50000, SocketState::established, 5000, 5000)},
                 1);
  tracker.update({listener("0.0.0.0", 80, 0, 128),
                  tcp("10.0.0.1", 80, "10.0.0.7", 50000, SocketState::time_wait)},
                 1);
  // The same four reused by a new connection whose counters start again.
  const auto view =
      tracker.update({listener("0.0.0.0", 80, 0, 128),
                      tcp("10.0.0.1", 80, "10.0.0.7", 50000, SocketState::established, 100, 100)},
                     1);
  EXPECT_EQ(port_of(view, 80).bytes_in, 0u);
  EXPECT_EQ(port_of(view, 80).new_connections, 0u);
}

TEST(TopTracker, TopPeersAreTheBusiestThree) {
  TopTracker tracker(host());
  std::vector<SocketRecord> sample{listener("0.0.0.0", 443, 0, 128)};
  const char* peers[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"};
  std::uint16_t next_port = 50000;
  for (int peer = 0; peer < 4; ++peer) {
    for (int i = 0; i <= peer; ++i) {
      sample.push_back(tcp("10.0.0.9", 443, peers[peer], next_port++, SocketState::established));
    }
  }
  const auto view = tracker.update(sample, 1);
  const auto& port = port_of(view, 443);
  ASSERT_EQ(port.top_peers.size(), PortActivity::kTopPeers);
  EXPECT_EQ(port.top_peers[0].peer.to_string(), "10.0.0.4");
  EXPECT_EQ(port.top_peers[0].connections, 4u);
  EXPECT_EQ(port.top_peers[2].peer.to_string(), "10.0.0.2");
}

TEST(TopTracker, EphemeralUsePerDestinationHasATrend) {
  TopTracker tracker(host(), 2);
  std::vector<SocketRecord> sample{
      tcp("10.0.0.1", 40001, "10.0.0.9", 5432, SocketState::established),
      tcp("10.0.0.1", 40002, "10.0.0.9", 5432, SocketState::time_wait)};
  const auto first = tracker.update(sample, 1);
  ASSERT_EQ(first.destinations.size(), 1u);
  EXPECT_EQ(first.destinations[0].change, 0);  // no trend from one sample
  for (std::uint16_t port = 40003; port < 40007; ++port) {
    sample.push_back(tcp("10.0.0.1", port, "10.0.0.9", 5432, SocketState::established));
  }
  sample.push_back(tcp("10.0.0.1", 40100, "10.0.0.8", 80, SocketState::established));
  sample.push_back(tcp("10.0.0.1", 40101, "10.0.0.7", 80, SocketState::established));
  const auto second = tracker.update(sample, 2);
  ASSERT_EQ(second.destinations.size(), 2u);  // the two busiest only
  EXPECT_EQ(second.destinations[0].pressure.connections, 6u);
  EXPECT_EQ(second.destinations[0].change, 4);
  EXPECT_DOUBLE_EQ(second.destinations[0].change_per_second, 2);
  EXPECT_EQ(second.destinations[1].change, 1);  // new since the last sample
  EXPECT_EQ(second.ephemeral.low, 40000);
}

std::vector<PortActivity> three_ports() {
  std::vector<PortActivity> ports(3);
  ports[0] = {.port = 22, .service = "ssh", .established = 9, .new_per_second = 0.5};
  ports[1] = {.port = 80,
              .service = "http",
              .established = 2,
              .new_per_second = 7,
              .accept_queue = 100,
              .accept_limit = 128,
              .bytes_in_per_second = 10};
  ports[2] = {.port = 6379, .service = "redis", .bytes_out_per_second = 99};
  ports[2].processes.push_back(
      {.pid = 42, .command = "redis-server", .cmdline = "/usr/bin/redis-server *:6379"});
  return ports;
}

std::vector<std::uint16_t> order(std::vector<PortActivity> ports, TopSort sort) {
  sort_ports(ports, sort);
  std::vector<std::uint16_t> numbers;
  for (const auto& port : ports) numbers.push_back(port.port);
  return numbers;
}

TEST(TopSorting, EachOrderPutsTheBusiestFirst) {
  const auto ports = three_ports();
  EXPECT_EQ(order(ports, TopSort::new_rate), (std::vector<std::uint16_t>{80, 22, 6379}));
  EXPECT_EQ(order(ports, TopSort::established), (std::vector<std::uint16_t>{22, 80, 6379}));
  EXPECT_EQ(order(ports, TopSort::bytes_in), (std::vector<std::uint16_t>{80, 22, 6379}));
  EXPECT_EQ(order(ports, TopSort::bytes_out), (std::vector<std::uint16_t>{6379, 22, 80}));
  EXPECT_EQ(order(ports, TopSort::accept_queue), (std::vector<std::uint16_t>{80, 22, 6379}));
  EXPECT_EQ(order(ports, TopSort::port), (std::vector<std::uint16_t>{22, 80, 6379}));
  // Every order has a name that parses back, and `s` steps through all of them.
  auto sort = TopSort::new_rate;
  for (int step = 0; step < 6; ++step) {
    EXPECT_EQ(parse_top_sort(top_sort_name(sort)), sort);
    sort = next_top_sort(sort);
  }
  EXPECT_EQ(sort, TopSort::new_rate);
  EXPECT_FALSE(parse_top_sort("bogus"));
}

TEST(TopFilter, PortNumberOrProcessOrServiceText) {
  const auto ports = three_ports();
  EXPECT_TRUE(port_matches(ports[0], ""));
  EXPECT_TRUE(port_matches(ports[1], "80"));
  EXPECT_FALSE(port_matches(ports[1], "8"));  // a number is a whole port
  EXPECT_FALSE(port_matches(ports[2], "80"));
  EXPECT_TRUE(port_matches(ports[2], "REDIS"));
  EXPECT_TRUE(port_matches(ports[2], "server"));
  EXPECT_TRUE(port_matches(ports[0], "ss"));
  EXPECT_FALSE(port_matches(ports[0], "nginx"));
}

TopView view_of(std::vector<PortActivity> ports) {
  TopView view;
  view.interval_seconds = 1;
  view.sockets = 12;
  view.states[static_cast<int>(SocketState::established)] = 11;
  view.ports = std::move(ports);
  view.ephemeral = {32768, 60999};
  return view;
}

std::string text_of(const std::vector<TopLine>& lines) {
  std::string text;
  for (const auto& line : lines) text += line.text + "\n";
  return text;
}

TEST(TopFrame, RowsSortedFilteredAndFullAcceptQueueWarned) {
  const auto lines = render_top(view_of(three_ports()), {.sort = TopSort::new_rate});
  const auto text = text_of(lines);
  EXPECT_NE(text.find("TCP: 12 sockets (ESTABLISHED 11)"), std::string::npos) << text;
  EXPECT_LT(text.find("   80  http"), text.find("   22  ssh")) << text;
  EXPECT_NE(text.find("redis-server[42]"), std::string::npos) << text;
  EXPECT_NE(text.find("100/128"), std::string::npos) << text;
  EXPECT_NE(text.find("99B/s"), std::string::npos) << text;
  const auto web = std::find_if(lines.begin(), lines.end(), [](const TopLine& line) {
    return line.text.find("   80  http") == 0;
  });
  ASSERT_NE(web, lines.end());
  EXPECT_EQ(web->tone, Tone::warn);  // 100 of 128 waiting for accept()

  const auto filtered = text_of(render_top(view_of(three_ports()), {.filter = "redis"}));
  EXPECT_EQ(filtered.find("   80  http"), std::string::npos);
  EXPECT_NE(filtered.find(" 6379  redis"), std::string::npos);
  EXPECT_NE(filtered.find("filter: redis"), std::string::npos);
  const auto none = text_of(render_top(view_of(three_ports()), {.filter = "nginx"}));
  EXPECT_NE(none.find("no listening TCP port matches the filter"), std::string::npos);
}

TEST(TopFrame, ASmallScreenKeepsTheSummaryAndCutsPortRows) {
  std::vector<PortActivity> many;
  for (std::uint16_t port = 1000; port < 1040; ++port) many.push_back({.port = port});
  const auto lines = render_top(
      view_of(many), {.sort = TopSort::port, .keys_line = true, .width = 40, .height = 15});
  ASSERT_EQ(lines.size(), 15u);
  for (const auto& line : lines) EXPECT_LE(line.text.size(), 40u);
  const auto text = text_of(lines);
  EXPECT_NE(text.find("more ports"), std::string::npos) << text;
  EXPECT_NE(text.find("EPHEMERAL PORTS"), std::string::npos) << text;
  EXPECT_EQ(lines.back().text.rfind("keys:", 0), 0u) << text;
}

TEST(TopFrame, ControlBytesInANameAreEscaped) {
  auto ports = three_ports();
  ports[2].processes[0].command = "evil\x1b[2J";
  const auto text = text_of(render_top(view_of(ports), {}));
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("evil\\x1b[2J"), std::string::npos) << text;
}

TEST(TopJson, SharedVocabularyAndNoRatesBeforeAnInterval) {
  auto view = view_of(three_ports());
  auto json = top_json(view);
  EXPECT_EQ(json["event"], "snapshot");
  EXPECT_EQ(json["interval_ms"], 1000.0);
  EXPECT_EQ(json["tcp"]["states"]["established"], 11);
  ASSERT_EQ(json["ports"].size(), 3u);
  const auto& redis = json["ports"][2];
  EXPECT_EQ(redis["local_port"], 6379);
  EXPECT_EQ(redis["proto"], "tcp");
  EXPECT_EQ(redis["processes"][0]["pid"], 42);
  EXPECT_EQ(redis["bytes_out_per_second"], 99.0);
  EXPECT_EQ(json["ephemeral"]["port_low"], 32768);
  view.interval_seconds = 0;
  json = top_json(view);
  EXPECT_TRUE(json["ports"][0]["new_per_second"].is_null());
  EXPECT_TRUE(json["ports"][0]["bytes_in"].is_null());
}

}  // namespace
}  // namespace portkit

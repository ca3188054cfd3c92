#include "portkit/inventory/inventory.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include <cstddef>
#include <cstring>

#include "diag_bytecode_model.hpp"
#include "portkit/inventory/sockets.hpp"

namespace portkit {
namespace {

// Captured from this machine's /proc/net/tcp and tcp6.
constexpr const char* kProcTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n"
    "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
    "1059 1 0000000005a9f05c 100 0 0 10 0\n"
    "   1: 0100007F:BEEC 0100007F:AE87 06 00000000:00000000 03:000012F0 00000000     0        0 0 "
    "3 00000000b020ffd5\n"
    "   2: 0100007F:1B59 0100007F:C1AE 01 0000000A:00000002 00:00000000 00000000  1000        0 "
    "196753 1 0\n"
    "   3: garbage line\n";
constexpr const char* kProcTcp6 =
    "  sl  local_address                         remote_address                        st tx_queue "
    "rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:1B5B 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 196760 1 0\n";

TEST(ProcNet, SockstatCountsTcpUdpAndTimeWait) {
  const std::string_view v4 =
      "sockets: used 812\n"
      "TCP: inuse 40001 orphan 2 tw 19999 alloc 40010 mem 523\n"
      "UDP: inuse 100 mem 12\n"
      "UDPLITE: inuse 7\n"
      "RAW: inuse 1\n"
      "FRAG: inuse 0 memory 0\n";
  const std::string_view v6 =
      "TCP6: inuse 5\nUDP6: inuse 3\nUDPLITE6: inuse 0\nRAW6: inuse 1\nFRAG6: inuse 0 memory 0\n";
  EXPECT_EQ(parse_sockstat_sockets(v4), 40001u + 19999 + 100);
  EXPECT_EQ(parse_sockstat_sockets(v6), 8u);
  EXPECT_EQ(parse_sockstat_sockets(""), 0u);
  EXPECT_EQ(parse_sockstat_sockets("TCP: inuse\nTCP: tw x inuse 4"), 4u);
}

TEST(ProcNet, ParsesCapturedText) {
  const auto records = parse_proc_net(kProcTcp, Proto::tcp, false);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].local.to_string(), "0.0.0.0");
  EXPECT_EQ(records[0].local_port, 2024);
  EXPECT_EQ(records[0].state, SocketState::listen);
  EXPECT_EQ(records[0].inode, 1059u);
  EXPECT_EQ(records[1].state, SocketState::time_wait);
  EXPECT_EQ(records[2].local.to_string(), "127.0.0.1");
  EXPECT_EQ(records[2].local_port, 7001);
  EXPECT_EQ(records[2].peer_port, 49582);
  EXPECT_EQ(records[2].uid, 1000u);
  EXPECT_EQ(records[2].send_queue, 10u);
  EXPECT_EQ(records[2].receive_queue, 2u);
  const auto v6 = parse_proc_net(kProcTcp6, Proto::tcp, true);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].local.to_string(), "::1");
  EXPECT_EQ(v6[0].local_port, 7003);
  EXPECT_TRUE(parse_proc_net("header only\n", Proto::udp, false).empty());
}

TEST(InetDiag, DecodesAMessage) {
  inet_diag_msg message{};
  message.idiag_family = AF_INET6;
  message.idiag_state = 10;
  message.id.idiag_sport = htons(443);
  message.id.idiag_dport = htons(0);
  inet_pton(AF_INET6, "2001:db8::7", message.id.idiag_src);
  message.idiag_uid = 33;
  message.idiag_inode = 123456;
  std::vector<std::uint8_t> bytes(sizeof message + 8);  // attributes follow; ignored
  std::memcpy(bytes.data(), &message, sizeof message);
  const auto record = parse_inet_diag_message(bytes, Proto::tcp);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->local.to_string(), "2001:db8::7");
  EXPECT_EQ(record->local_port, 443);
  EXPECT_EQ(record->state, SocketState::listen);
  EXPECT_EQ(record->uid, 33u);
  EXPECT_EQ(record->inode, 123456u);
  EXPECT_FALSE(parse_inet_diag_message(std::span(bytes).first(10), Proto::tcp).has_value());
  message.idiag_state = 0;
  std::memcpy(bytes.data(), &message, sizeof message);
  EXPECT_FALSE(parse_inet_diag_message(bytes, Proto::tcp).has_value());
}

// ls -i and -m: the tcp_info and socket-memory attributes after the message, a short
// (older kernel's) tcp_info read as far as it goes, and a cut-short attribute ignored.
TEST(InetDiag, DecodesTcpInfoAndMemoryAttributes) {
  inet_diag_msg message{};
  message.idiag_family = AF_INET;
  message.idiag_state = 1;
  tcp_info info{};
  info.tcpi_rtt = 1250;  // microseconds
  info.tcpi_rttvar = 500;
  info.tcpi_snd_cwnd = 10;
  info.tcpi_snd_mss = 1448;
  info.tcpi_total_retrans = 3;
  info.tcpi_bytes_acked = 5000;
  info.tcpi_bytes_received = 700;
  info.tcpi_last_data_sent = 40;
  const std::uint32_t memory[SK_MEMINFO_VARS] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<std::uint8_t> bytes(sizeof message);
  std::memcpy(bytes.data(), &message, sizeof message);
  const auto attribute = [&](std::uint16_t type, const void* value, std::size_t size) {
    const auto length = static_cast<std::uint16_t>(4 + size);
    const auto at = bytes.size();
    bytes.resize(at + ((length + 3U) & ~3U));
    std::memcpy(bytes.data() + at, &length, 2);
    std::memcpy(bytes.data() + at + 2, &type, 2);
    std::memcpy(bytes.data() + at + 4, value, size);
  };
  attribute(INET_DIAG_INFO, &info, offsetof(tcp_info, tcpi_bytes_received) + 8);
  attribute(INET_DIAG_SKMEMINFO, memory, sizeof memory);
  attribute(99, memory, 6);  // unknown: skipped
  const auto record = parse_inet_diag_message(bytes, Proto::tcp);
  ASSERT_TRUE(record && record->details && record->details->tcp && record->details->memory);
  const auto& tcp = *record->details->tcp;
  EXPECT_DOUBLE_EQ(tcp.rtt_ms, 1.25);
  EXPECT_DOUBLE_EQ(tcp.rttvar_ms, 0.5);
  EXPECT_EQ(tcp.cwnd, 10u);
  EXPECT_EQ(tcp.mss, 1448u);
  EXPECT_EQ(tcp.retransmits, 3u);
  EXPECT_EQ(tcp.bytes_acked, 5000u);
  EXPECT_EQ(tcp.bytes_received, 700u);
  EXPECT_EQ(tcp.last_send_ms, 40u);
  EXPECT_EQ(tcp.bytes_sent, 0u);  // beyond what this kernel sent: zero
  const auto& skmem = *record->details->memory;
  EXPECT_EQ(skmem.receive_allocated, 1u);
  EXPECT_EQ(skmem.receive_buffer, 2u);
  EXPECT_EQ(skmem.drops, 9u);
  // UDP has no tcp_info; an attribute running past the end is not read.
  const auto udp = parse_inet_diag_message(bytes, Proto::udp);
  ASSERT_TRUE(udp && udp->details);
  EXPECT_FALSE(udp->details->tcp);
  bytes.resize(sizeof message + 10);
  const auto cut = parse_inet_diag_message(bytes, Proto::tcp);
  ASSERT_TRUE(cut.has_value());
  EXPECT_FALSE(cut->details);
}

TEST(Sockets, StateNamesAndFilters) {
  EXPECT_EQ(socket_state_name(SocketState::listen, Proto::tcp), "LISTEN");
  EXPECT_EQ(socket_state_name(SocketState::close, Proto::udp), "UNCONN");
  EXPECT_EQ(socket_state_name(SocketState::close, Proto::tcp), "CLOSED");
  EXPECT_EQ(socket_state_name(SocketState::fin_wait1, Proto::tcp), "FIN_WAIT1");
  const auto bit = [](SocketState s) { return 1u << static_cast<unsigned>(s); };
  EXPECT_EQ(*parse_state_filter("established"), bit(SocketState::established));
  EXPECT_EQ(*parse_state_filter("TIME_WAIT"), bit(SocketState::time_wait));
  EXPECT_EQ(*parse_state_filter("time-wait"), bit(SocketState::time_wait));
  EXPECT_EQ(*parse_state_filter("fin-wait-1"), bit(SocketState::fin_wait1));
  const auto connected = *parse_state_filter("connected");
  EXPECT_FALSE(connected & bit(SocketState::listen));
  EXPECT_TRUE(connected & bit(SocketState::time_wait));
  EXPECT_EQ(parse_state_filter("sleepy").error().message,
            "unknown state 'sleepy' (use a state such as listen or established, or all, connected, "
            "synchronized, bucket, big)");
}

SocketRecord make(Proto proto, const char* local, std::uint16_t local_port, const char* peer,
                  std::uint16_t peer_port, SocketState state) {
  SocketRecord record;
  record.proto = proto;
  record.local = *parse_ip_address(local);
  record.local_port = local_port;
  record.peer = *parse_ip_address(peer);
  record.peer_port = peer_port;
  record.state = state;
  return record;
}

TEST(Sockets, DefaultViewIsListeningAndPortFiltersMatchEitherEnd) {
  const auto listener = make(Proto::tcp, "0.0.0.0", 80, "0.0.0.0", 0, SocketState::listen);
  const auto connection =
      make(Proto::tcp, "10.0.0.1", 40000, "10.0.0.2", 5432, SocketState::established);
  const auto bound_udp = make(Proto::udp, "127.0.0.1", 53, "0.0.0.0", 0, SocketState::close);
  SocketFilter filter;
  EXPECT_TRUE(passes(listener, filter));
  EXPECT_FALSE(passes(connection, filter));
  EXPECT_TRUE(passes(bound_udp, filter));
  filter.all_states = true;
  filter.any_port = {{5432, 5432}};
  EXPECT_TRUE(passes(connection, filter));
  EXPECT_FALSE(passes(listener, filter));
  filter.any_port.clear();
  filter.local_port = {{5432, 5432}};
  EXPECT_FALSE(passes(connection, filter));
}

// Rows are computed from the listing; dropping sockets keeps each namespace's block labelled,
// including a block whose first socket goes and one that empties.
TEST(Sockets, ListingRowsAndKeepIfKeepNamespaceBlocks) {
  SocketListing listing;
  listing.numeric = true;
  for (std::uint16_t port = 1; port <= 6; ++port) {
    listing.sockets.push_back(
        make(Proto::tcp, "10.0.0.1", port, "0.0.0.0", 0, SocketState::listen));
  }
  listing.namespace_starts = {{"blue", 2}, {"green", 4}, {"red", 5}};
  EXPECT_EQ(listing.row(1).netns, "");
  EXPECT_EQ(listing.row(2).netns, "blue");
  EXPECT_EQ(listing.row(5).netns, "red");
  EXPECT_EQ(listing.row(0).exposure, Exposure::one_address);
  EXPECT_TRUE(listing.row(0).processes.empty());
  // Drop port 3 (blue's first) and 5 (all of green).
  listing.keep_if([](const SocketRow& row) {
    return row.socket.local_port != 3 && row.socket.local_port != 5;
  });
  ASSERT_EQ(listing.size(), 4u);
  std::vector<std::pair<std::uint16_t, std::string_view>> seen;
  for (const auto& row : listing.rows()) seen.emplace_back(row.socket.local_port, row.netns);
  EXPECT_EQ(seen, (std::vector<std::pair<std::uint16_t, std::string_view>>{
                      {1, ""}, {2, ""}, {4, "blue"}, {6, "red"}}));
}

TEST(Sockets, Exposure) {
  EXPECT_EQ(exposure_of(*parse_ip_address("127.0.0.53")), Exposure::loopback);
  EXPECT_EQ(exposure_of(*parse_ip_address("::1")), Exposure::loopback);
  EXPECT_EQ(exposure_of(*parse_ip_address("::ffff:127.0.0.1")), Exposure::loopback);
  EXPECT_EQ(exposure_of(*parse_ip_address("0.0.0.0")), Exposure::all_interfaces);
  EXPECT_EQ(exposure_of(*parse_ip_address("::")), Exposure::all_interfaces);
  EXPECT_EQ(exposure_of(*parse_ip_address("10.1.2.3")), Exposure::one_address);
  EXPECT_EQ(exposure_name(Exposure::all_interfaces), "all");
}

TEST(Sockets, EphemeralPressurePerDestination) {
  HostPortConfig host;
  host.ephemeral = {40000, 40009};  // 10 ports
  std::vector<SocketRecord> sockets;
  for (std::uint16_t port = 40000; port < 40006; ++port) {
    sockets.push_back(make(Proto::tcp, "10.0.0.1", port, "10.0.0.9", 5432,
                           port % 2 ? SocketState::time_wait : SocketState::established));
  }
  sockets.push_back(make(Proto::tcp, "10.0.0.1", 40007, "10.0.0.8", 80, SocketState::established));
  sockets.push_back(make(Proto::tcp, "10.0.0.1", 22, "10.0.0.7", 50000, SocketState::established));
  sockets.push_back(make(Proto::tcp, "0.0.0.0", 22, "0.0.0.0", 0, SocketState::listen));
  const auto stats = compute_stats(sockets, host, 5);
  EXPECT_EQ(stats.total_tcp, 9u);
  EXPECT_EQ(stats.by_state[0][static_cast<int>(SocketState::time_wait)], 3u);
  ASSERT_EQ(stats.pressure.size(), 2u);  // the inbound ssh connection is not ours to count
  EXPECT_EQ(stats.pressure[0].peer_port, 5432);
  EXPECT_EQ(stats.pressure[0].connections, 6u);
  EXPECT_DOUBLE_EQ(stats.pressure[0].used_fraction(), 0.6);
}

TEST(Sockets, AcceptedConnectionsOnAListenedEphemeralPortAreNotPressure) {
  HostPortConfig host;
  host.ephemeral = {40000, 40009};
  std::vector<SocketRecord> sockets{
      make(Proto::tcp, "0.0.0.0", 40005, "0.0.0.0", 0, SocketState::listen),
      // Accepted on the listened port, which lies inside the ephemeral range.
      make(Proto::tcp, "10.0.0.1", 40005, "10.0.0.7", 51000, SocketState::established),
      make(Proto::tcp, "10.0.0.1", 40005, "10.0.0.8", 51001, SocketState::time_wait),
      // Made from an ephemeral port: counted.
      make(Proto::tcp, "10.0.0.1", 40001, "10.0.0.9", 5432, SocketState::established)};
  const auto stats = compute_stats(sockets, host, 5);
  ASSERT_EQ(stats.pressure.size(), 1u);
  EXPECT_EQ(stats.pressure[0].peer_port, 5432);
}

TEST(Owners, ContainerIdFromCgroup) {
  const std::string id(64, 'a');
  EXPECT_EQ(container_from_cgroup("0::/system.slice/docker-" + id + ".scope\n"), "aaaaaaaaaaaa");
  EXPECT_EQ(container_from_cgroup("12:pids:/docker/" + id + "\n"), "aaaaaaaaaaaa");
  EXPECT_EQ(container_from_cgroup("0::/kubepods/burstable/pod1/cri-containerd-" + id + ".scope"),
            "aaaaaaaaaaaa");
  EXPECT_EQ(container_from_cgroup("0::/user.slice/user-1000.slice/session-2.scope\n"), "");
  EXPECT_EQ(container_from_cgroup(std::string(65, 'b')), "");
}

}  // namespace
}  // namespace portkit

// ---- inet_diag bytecode for local ports, run by a model of the kernel's interpreter and
// checked by a model of its audit (net/ipv4/inet_diag.c).
namespace portkit {
namespace {

using testing_model::kernel_accepts;
using testing_model::kernel_audit_passes;

TEST(LocalPortBytecode, AcceptsExactlyThePortsInTheRanges) {
  EXPECT_TRUE(local_port_bytecode({}).empty());
  const std::vector<std::vector<PortRange>> cases{
      {{22, 22}}, {{80, 80}, {443, 443}}, {{1, 1023}, {8000, 8999}, {65535, 65535}}};
  for (const auto& ranges : cases) {
    const auto bytes = local_port_bytecode(ranges);
    ASSERT_TRUE(kernel_audit_passes(bytes)) << ranges.size();
    for (std::uint32_t port = 0; port <= 65535; port += (port < 1100 || port > 65000) ? 1 : 97) {
      const bool wanted = std::any_of(ranges.begin(), ranges.end(), [&](PortRange range) {
        return range.contains(static_cast<std::uint16_t>(port));
      });
      ASSERT_EQ(kernel_accepts(bytes, static_cast<std::uint16_t>(port)), wanted) << port;
    }
  }
}

}  // namespace
}  // namespace portkit

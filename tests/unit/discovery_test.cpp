// Host discovery's pure parts: the ICMP bytes sent and read, and the walk that keeps only the
// hosts found up.
#include "portkit/scan/discovery.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "scan/icmp_packets.hpp"
#include "scan/tcp_packets.hpp"

namespace portkit {
namespace {

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

IpAddress v4(const char* text) {
  return *parse_ip_address(text);
}

// An IPv4 header (20 bytes, no options) from `source` to `destination`, protocol `protocol`.
std::vector<std::uint8_t> ip_header(const IpAddress& source, const IpAddress& destination,
                                    std::uint8_t protocol) {
  std::vector<std::uint8_t> header(20, 0);
  header[0] = 0x45;
  header[8] = 64;
  header[9] = protocol;
  std::copy_n(source.bytes.begin(), 4, header.begin() + 12);
  std::copy_n(destination.bytes.begin(), 4, header.begin() + 16);
  return header;
}

std::vector<std::uint8_t> unreachable4(std::uint8_t code, const IpAddress& probed) {
  std::vector<std::uint8_t> packet{3, code, 0, 0, 0, 0, 0, 0};
  const auto quoted = ip_header(v4("198.51.100.1"), probed, 6);
  packet.insert(packet.end(), quoted.begin(), quoted.end());
  packet.insert(packet.end(), 8, 0);  // the first 8 bytes of the TCP header
  return packet;
}

TEST(IcmpPackets, EchoRequestCarriesIdentifierSequenceAndAValidChecksum) {
  const auto packet = bytes_of(icmp_echo_request(false, 0xbeef, 0x0102));
  ASSERT_EQ(packet.size(), 16u);
  EXPECT_EQ(packet[0], 8);  // echo request
  EXPECT_EQ(packet[4], 0xbe);
  EXPECT_EQ(packet[5], 0xef);
  EXPECT_EQ(packet[6], 0x01);
  EXPECT_EQ(packet[7], 0x02);
  // A packet with its checksum in place sums to zero.
  EXPECT_EQ(internet_checksum(packet), 0);
  const auto v6 = bytes_of(icmp_echo_request(true, 1, 2));
  EXPECT_EQ(v6[0], 128);
  EXPECT_EQ(v6[2], 0);  // the kernel fills ICMPv6's
}

TEST(IcmpPackets, ChecksumMatchesRfc1071sExample) {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, so the checksum is 220d.
  const std::array<std::uint8_t, 8> words{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internet_checksum(words), 0x220d);
  const std::array<std::uint8_t, 3> odd{0x01, 0x02, 0x03};
  EXPECT_EQ(internet_checksum(odd), static_cast<std::uint16_t>(~(0x0102 + 0x0300)));
}

TEST(IcmpPackets, EchoReplyFromARawSocketSkipsTheIpHeaderAndChecksOurIdentifier) {
  const auto host = v4("198.19.0.5");
  auto packet = ip_header(host, v4("198.19.0.1"), 1);
  auto reply = bytes_of(icmp_echo_request(false, 0x1234, 7));
  reply[0] = 0;  // echo reply
  packet.insert(packet.end(), reply.begin(), reply.end());
  const auto reading = read_icmp_packet(false, true, packet, host, 0x1234);
  ASSERT_TRUE(reading);
  EXPECT_EQ(reading->verdict, IcmpVerdict::echo_reply);
  EXPECT_EQ(reading->about, host);
  EXPECT_FALSE(read_icmp_packet(false, true, packet, host, 0x9999)) << "another process's ping";
  // A ping socket's reply has no IP header and an identifier the kernel chose.
  EXPECT_TRUE(read_icmp_packet(false, false, reply, host, 0x9999, false));
}

TEST(IcmpPackets, UnreachableFromARouterMarksTheProbedHostDown) {
  const auto probed = v4("198.19.2.9");
  const auto router = v4("198.51.100.1");
  const std::vector<std::pair<std::uint8_t, IcmpVerdict>> cases{
      {1, IcmpVerdict::host_unreachable},
      {0, IcmpVerdict::net_unreachable},
      {13, IcmpVerdict::admin_prohibited},
      {10, IcmpVerdict::admin_prohibited}};
  for (const auto& [code, verdict] : cases) {
    const auto reading = read_icmp_packet(false, false, unreachable4(code, probed), router, 1);
    ASSERT_TRUE(reading) << int{code};
    EXPECT_EQ(reading->about, probed);
    EXPECT_EQ(reading->verdict, verdict) << int{code};
  }
  // A router cannot speak for a port: port unreachable counts only from the host itself.
  EXPECT_FALSE(read_icmp_packet(false, false, unreachable4(3, probed), router, 1));
}

TEST(IcmpPackets, UnreachableFromTheHostItselfMeansItIsUp) {
  const auto probed = v4("198.19.2.9");
  auto reading = read_icmp_packet(false, false, unreachable4(3, probed), probed, 1);
  ASSERT_TRUE(reading);
  EXPECT_EQ(reading->verdict, IcmpVerdict::host_answered);
  reading = read_icmp_packet(false, false, unreachable4(13, probed), probed, 1);
  ASSERT_TRUE(reading);
  EXPECT_EQ(reading->verdict, IcmpVerdict::host_refused);
}

TEST(IcmpPackets, Icmpv6UnreachableQuotesTheIpv6Destination) {
  const auto probed = *parse_ip_address("2001:2:0:9::2");
  const auto router = *parse_ip_address("2001:2:0:9::1");
  std::vector<std::uint8_t> packet{1, 3, 0, 0, 0, 0, 0, 0};  // address unreachable
  std::vector<std::uint8_t> quoted(40, 0);
  quoted[0] = 0x60;
  std::copy(probed.bytes.begin(), probed.bytes.end(), quoted.begin() + 24);
  packet.insert(packet.end(), quoted.begin(), quoted.end());
  auto reading = read_icmp_packet(true, false, packet, router, 1);
  ASSERT_TRUE(reading);
  EXPECT_EQ(reading->verdict, IcmpVerdict::host_unreachable);
  EXPECT_EQ(reading->about, probed);
  packet[1] = 4;  // port unreachable, from the host
  reading = read_icmp_packet(true, false, packet, probed, 1);
  ASSERT_TRUE(reading);
  EXPECT_EQ(reading->verdict, IcmpVerdict::host_answered);
}

TEST(IcmpPackets, ShortAndForeignPacketsAreIgnored) {
  const auto host = v4("198.19.0.5");
  EXPECT_FALSE(read_icmp_packet(false, false, std::vector<std::uint8_t>{0, 0, 0}, host, 0));
  EXPECT_FALSE(read_icmp_packet(false, true, std::vector<std::uint8_t>(19, 0x45), host, 0));
  auto cut = unreachable4(1, host);
  cut.resize(8 + 12);  // the quoted header cut short
  EXPECT_FALSE(read_icmp_packet(false, false, cut, host, 0));
  std::vector<std::uint8_t> redirect{5, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(read_icmp_packet(false, false, redirect, host, 0));
  // An IP header length field that points past the packet.
  std::vector<std::uint8_t> bad_header(24, 0);
  bad_header[0] = 0x4f;
  EXPECT_FALSE(read_icmp_packet(false, true, bad_header, host, 0));
}

TEST(HostDiscovery, ReasonsUseNmapsWords) {
  EXPECT_EQ(host_reason_name(HostReason::echo_reply), "echo-reply");
  EXPECT_EQ(host_reason_name(HostReason::user_set), "user-set");
  EXPECT_EQ(host_reason_name(HostReason::reset), "reset");
  EXPECT_EQ(host_reason_name(HostReason::no_response), "no-response");
}

TEST(HostDiscovery, KeepOnlyWalksTheHostsFoundUpInOrderWithTheirReasons) {
  const auto block = parse_target("192.0.2.0/29");
  const auto excluded = parse_target("192.0.2.1");
  ASSERT_TRUE(block && excluded);
  auto source = HostSource::create({*block}, {*excluded}, FamilyFilter::any);
  ASSERT_TRUE(source);
  auto copy = *source;
  std::vector<ScanHost> walked;
  while (auto host = copy.next()) walked.push_back(*host);
  ASSERT_EQ(walked.size(), 7u);  // .0 and .2-.7
  // Discovery reports in any order; positions are those of the walk.
  source->keep_only(
      {{walked[5].sequence, HostReason::syn_ack}, {walked[1].sequence, HostReason::echo_reply}});
  EXPECT_EQ(source->total(), 2u);
  auto first = source->next();
  auto second = source->next();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->address.to_string(), "192.0.2.2");
  EXPECT_EQ(first->status_reason, HostReason::echo_reply);
  EXPECT_EQ(first->sequence, 0u);
  EXPECT_EQ(second->address.to_string(), "192.0.2.6");
  EXPECT_EQ(second->status_reason, HostReason::syn_ack);
  EXPECT_FALSE(source->next());
}

}  // namespace
}  // namespace portkit

namespace portkit {
namespace {

TEST(TcpPackets, SynHasItsPortsSequenceFlagsAndAChecksumOverThePseudoHeader) {
  const auto source = *parse_ip_address("198.18.1.1");
  const auto destination = *parse_ip_address("198.18.1.2");
  const auto syn = tcp_syn(source, destination, 61234, 443, 0x01020304);
  ASSERT_EQ(syn.size(), 20u);
  const std::vector<std::uint8_t> bytes(syn.begin(), syn.end());
  EXPECT_EQ(read_be16(bytes, 0), 61234);
  EXPECT_EQ(read_be16(bytes, 2), 443);
  EXPECT_EQ(bytes[4], 1);
  EXPECT_EQ(bytes[7], 4);
  EXPECT_EQ(bytes[12], 0x50);  // 5 words, no options
  EXPECT_EQ(bytes[13], 0x02);  // SYN alone
  // Summed with its pseudo-header, a segment with a correct checksum gives zero.
  std::vector<std::uint8_t> summed{198, 18, 1, 1, 198, 18, 1, 2, 0, 6, 0, 20};
  summed.insert(summed.end(), bytes.begin(), bytes.end());
  EXPECT_EQ(internet_checksum(summed), 0);
  const auto v6 = tcp_syn(*parse_ip_address("::1"), *parse_ip_address("::1"), 1, 2, 3);
  EXPECT_EQ(v6[16], 0);  // the kernel's to fill (IPV6_CHECKSUM)
  EXPECT_EQ(v6[17], 0);
}

TEST(TcpPackets, ReadsSynAckAndResetBehindAnIpv4HeaderOrAtTheStart) {
  const auto host = *parse_ip_address("198.18.1.2");
  std::vector<std::uint8_t> segment(20, 0);
  segment[0] = 0x01;  // from port 443
  segment[1] = 0xbb;
  segment[2] = 0xef;  // to port 61234
  segment[3] = 0x32;
  segment[11] = 5;     // acknowledges 5
  segment[13] = 0x12;  // SYN+ACK
  std::vector<std::uint8_t> packet(20, 0);
  packet[0] = 0x45;
  packet[9] = 6;
  std::copy_n(host.bytes.begin(), 4, packet.begin() + 12);
  packet.insert(packet.end(), segment.begin(), segment.end());
  auto answer = read_tcp_segment(false, packet, IpAddress{});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->from, host);
  EXPECT_EQ(answer->from_port, 443);
  EXPECT_EQ(answer->to_port, 61234);
  EXPECT_TRUE(answer->syn && answer->ack && !answer->rst);
  EXPECT_EQ(answer->acknowledged, 5u);
  segment[13] = 0x14;  // RST+ACK, over IPv6 (no IP header)
  const auto v6 = *parse_ip_address("2001:2:0:1::2");
  answer = read_tcp_segment(true, segment, v6);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->from, v6);
  EXPECT_TRUE(answer->rst && !answer->syn);
  packet[9] = 17;  // UDP is not ours
  EXPECT_FALSE(read_tcp_segment(false, packet, IpAddress{}));
  EXPECT_FALSE(read_tcp_segment(true, std::vector<std::uint8_t>(19, 0), v6));
}

TEST(TcpPackets, TheKernelFilterComparesTheDestinationPort) {
  const auto v4 = tcp_port_filter(false, 61234);
  ASSERT_EQ(v4.size(), 5u);
  EXPECT_EQ(v4[0].code, BPF_LDX | BPF_B | BPF_MSH);  // IPv4: skip a header of any length
  EXPECT_EQ(v4[2].k, 61234u);
  const auto v6 = tcp_port_filter(true, 61234);
  ASSERT_EQ(v6.size(), 4u);
  EXPECT_EQ(v6[0].k, 2u);  // the port at offset 2 of the TCP header
  EXPECT_EQ(v6[1].k, 61234u);
}

TEST(IcmpPackets, AnErrorQuotingTcpCarriesItsPorts) {
  const auto probed = *parse_ip_address("198.19.2.9");
  std::vector<std::uint8_t> packet{3, 13, 0, 0, 0, 0, 0, 0};
  std::vector<std::uint8_t> quoted(20, 0);
  quoted[0] = 0x45;
  quoted[9] = 6;
  std::copy_n(probed.bytes.begin(), 4, quoted.begin() + 16);
  quoted.insert(quoted.end(), {0xef, 0x32, 0x00, 0x1a, 0, 0, 0, 0});  // 61234 -> 26
  packet.insert(packet.end(), quoted.begin(), quoted.end());
  const auto reading = read_icmp_packet(false, false, packet, probed, 0, false);
  ASSERT_TRUE(reading);
  EXPECT_EQ(reading->quoted_protocol, 6);
  EXPECT_EQ(reading->quoted_source_port, 61234);
  EXPECT_EQ(reading->quoted_destination_port, 26);
  EXPECT_EQ(reading->type, 3);
  EXPECT_EQ(reading->code, 13);
}

}  // namespace
}  // namespace portkit

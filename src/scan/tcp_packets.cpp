#include "scan/tcp_packets.hpp"

#include <algorithm>

#include "scan/icmp_packets.hpp"

namespace portkit {
namespace {

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;
constexpr std::size_t kTcpHeader = 20;

void put16(std::string& bytes, std::size_t at, std::uint16_t value) {
  bytes[at] = static_cast<char>(value >> 8);
  bytes[at + 1] = static_cast<char>(value & 0xff);
}

void put32(std::string& bytes, std::size_t at, std::uint32_t value) {
  put16(bytes, at, static_cast<std::uint16_t>(value >> 16));
  put16(bytes, at + 2, static_cast<std::uint16_t>(value & 0xffff));
}

std::uint32_t read32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return (static_cast<std::uint32_t>(read_be16(bytes, at)) << 16) | read_be16(bytes, at + 2);
}

}  // namespace

std::string tcp_syn(const IpAddress& source, const IpAddress& destination,
                    std::uint16_t source_port, std::uint16_t destination_port,
                    std::uint32_t sequence) {
  std::string segment(kTcpHeader, '\0');
  put16(segment, 0, source_port);
  put16(segment, 2, destination_port);
  put32(segment, 4, sequence);
  segment[12] = static_cast<char>(5 << 4);  // data offset: 5 words
  segment[13] = static_cast<char>(kSyn);
  put16(segment, 14, 1024);  // window, as nmap's
  if (!destination.is_v6) {
    // The checksum covers a pseudo-header: source, destination, zero, protocol 6, length.
    std::vector<std::uint8_t> summed(source.bytes.begin(), source.bytes.begin() + 4);
    summed.insert(summed.end(), destination.bytes.begin(), destination.bytes.begin() + 4);
    summed.insert(summed.end(), {0, 6, 0, static_cast<std::uint8_t>(kTcpHeader)});
    summed.insert(summed.end(), segment.begin(), segment.end());
    put16(segment, 16, internet_checksum(summed));
  }
  return segment;
}

std::optional<TcpAnswer> read_tcp_segment(bool is_v6, std::span<const std::uint8_t> packet,
                                          const IpAddress& from) {
  TcpAnswer answer;
  answer.from = from;
  if (!is_v6) {
    if (packet.size() < 20 || (packet[0] >> 4) != 4 || packet[9] != 6) return std::nullopt;
    const std::size_t header = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
    if (header < 20 || packet.size() < header) return std::nullopt;
    answer.from = IpAddress{};
    std::copy_n(packet.begin() + 12, 4, answer.from.bytes.begin());
    packet = packet.subspan(header);
  }
  if (packet.size() < kTcpHeader) return std::nullopt;
  answer.from_port = read_be16(packet, 0);
  answer.to_port = read_be16(packet, 2);
  answer.acknowledged = read32(packet, 8);
  const auto flags = packet[13];
  answer.syn = (flags & kSyn) != 0;
  answer.ack = (flags & kAck) != 0;
  answer.rst = (flags & kRst) != 0;
  if ((flags & kFin) != 0 && !answer.rst) return std::nullopt;  // not an answer to a SYN
  return answer;
}

std::vector<sock_filter> tcp_port_filter(bool is_v6, std::uint16_t port) {
  if (is_v6) {
    return {
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 2),            // destination port
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),  //
        BPF_STMT(BPF_RET | BPF_K, 0xffff),                // keep
        BPF_STMT(BPF_RET | BPF_K, 0),                     // drop
    };
  }
  return {
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),           // X = IP header length
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),            // destination port behind it
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),  //
      BPF_STMT(BPF_RET | BPF_K, 0xffff),                // keep
      BPF_STMT(BPF_RET | BPF_K, 0),                     // drop
  };
}

}  // namespace portkit

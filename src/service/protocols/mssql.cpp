// Microsoft SQL Server: a TDS pre-login packet (type 0x12) with VERSION and ENCRYPTION options;
// the server answers a type 0x04 packet whose VERSION option holds its own version.
#include "service/protocol.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kMssqlPorts[] = {1433, 1434};
constexpr std::size_t kPacketHeader = 8;

std::string mssql_request(const ProbeContext&) {
  // options: VERSION at offset 11 (6 bytes), ENCRYPTION at 17 (1 byte), terminator
  const std::string options("\x00\x00\x0b\x00\x06\x01\x00\x11\x00\x01\xff", 11);
  const std::string data("\x00\x00\x00\x00\x00\x00\x02", 7);  // version 0, encryption off
  const auto length = kPacketHeader + options.size() + data.size();
  std::string packet("\x12\x01\x00", 3);
  packet += static_cast<char>(length);
  packet += std::string_view("\x00\x00\x01\x00", 4);
  packet += options;
  packet += data;
  return packet;
}

Reading read_mssql(std::string_view reply) {
  if (reply.size() < kPacketHeader)
    return reply.empty() || reply[0] == 4 ? incomplete() : mismatch();
  if (reply[0] != 4) return mismatch();
  const auto length = read_be16(reply, 2);
  if (length < kPacketHeader + 1 || length > 4096) return mismatch();
  if (reply.size() < length) return incomplete();
  const auto payload = reply.substr(kPacketHeader, length - kPacketHeader);
  ServiceMatch match{.name = "ms-sql-s", .product = "Microsoft SQL Server"};
  for (std::size_t at = 0; at + 5 <= payload.size() && payload[at] != '\xff'; at += 5) {
    if (payload[at] != 0) continue;  // VERSION
    const auto offset = read_be16(payload, at + 1);
    if (read_be16(payload, at + 3) < 4 || offset + 4u > payload.size()) break;
    match.version = std::to_string(static_cast<unsigned char>(payload[offset])) + "." +
                    std::to_string(static_cast<unsigned char>(payload[offset + 1])) + "." +
                    std::to_string(read_be16(payload, offset + 2));
    break;
  }
  return matched(match);
}

}  // namespace

const ProtocolProbe& mssql_probe() {
  static const ProtocolProbe probe{"mssql", mssql_request, read_mssql, kMssqlPorts};
  return probe;
}

}  // namespace portkit::service

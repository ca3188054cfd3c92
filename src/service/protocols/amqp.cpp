// AMQP 0-9-1: the protocol header; a broker answers Connection.Start (class 10, method 10)
// with its product and version in the server properties, or its own header when it speaks
// another version.
#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kAmqpPorts[] = {5671, 5672};
constexpr std::string_view kAmqpHeader("AMQP\x00\x00\x09\x01", 8);

std::string amqp_request(const ProbeContext&) {
  return std::string(kAmqpHeader);
}

// A long string field of the server-properties table: name, 'S', 4-byte length, bytes.
std::string table_string(std::string_view frame, std::string_view name) {
  std::string key;
  key += static_cast<char>(name.size());
  key += name;
  key += 'S';
  const auto at = frame.find(key);
  if (at == std::string_view::npos || at + key.size() + 4 > frame.size()) return {};
  const auto length = read_be32(frame, at + key.size());
  const auto start = at + key.size() + 4;
  if (length > 256 || start + length > frame.size()) return {};
  return std::string(frame.substr(start, length));
}

Reading read_amqp(std::string_view reply) {
  ServiceMatch match{.name = "amqp"};
  if (starts_with(reply, "AMQP")) {
    if (reply.size() < 8) return incomplete(match);
    match.info = "AMQP " + std::to_string(static_cast<unsigned char>(reply[5])) + "-" +
                 std::to_string(static_cast<unsigned char>(reply[6])) + "-" +
                 std::to_string(static_cast<unsigned char>(reply[7]));
    return matched(match);
  }
  if (reply.size() < 11) return reply.empty() || reply[0] == 1 ? incomplete() : mismatch();
  // frame: type 1 (method), channel 0, size, then class 10 method 10
  if (reply[0] != 1 || reply[1] != 0 || reply[2] != 0 || read_be16(reply, 7) != 10 ||
      read_be16(reply, 9) != 10) {
    return mismatch();
  }
  const auto size = read_be32(reply, 3);
  if (reply.size() < 7 + std::min<std::size_t>(size, 4096) + 1) return incomplete(match);
  match.product = table_string(reply, "product");
  match.version = table_string(reply, "version");
  if (reply.size() >= 13) {
    match.info = "AMQP " + std::to_string(static_cast<unsigned char>(reply[11])) + "-" +
                 std::to_string(static_cast<unsigned char>(reply[12]));
  }
  return matched(match);
}

}  // namespace

const ProtocolProbe& amqp_probe() {
  static const ProtocolProbe probe{"amqp", amqp_request, read_amqp, kAmqpPorts};
  return probe;
}

}  // namespace portkit::service

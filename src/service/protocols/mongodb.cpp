// MongoDB: an OP_MSG "hello" to the admin database; any server since 3.6 answers with an OP_MSG
// whose responseTo is our request id (wire protocol docs).
#include "service/protocol.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kMongodbPorts[] = {27017, 27018, 27019};
constexpr std::uint32_t kRequestId = 0x706b7431;  // "1tkp"
constexpr std::uint32_t kOpMsg = 2013;
constexpr std::uint32_t kOpReply = 1;

void put_le32(std::string& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>(value >> shift));
}

std::string mongodb_request(const ProbeContext&) {
  std::string document;  // BSON {hello: 1, $db: "admin"}
  document += '\x10';
  document += std::string_view("hello\0", 6);
  put_le32(document, 1);
  document += '\x02';
  document += std::string_view("$db\0", 4);
  put_le32(document, 6);
  document += std::string_view("admin\0", 6);
  document += '\0';
  std::string bson;
  put_le32(bson, static_cast<std::uint32_t>(document.size() + 4));
  bson += document;
  std::string body;
  put_le32(body, 0);  // flagBits
  body += '\0';       // section kind 0: one document
  body += bson;
  std::string message;
  put_le32(message, static_cast<std::uint32_t>(16 + body.size()));
  put_le32(message, kRequestId);
  put_le32(message, 0);
  put_le32(message, kOpMsg);
  return message + body;
}

Reading read_mongodb(std::string_view reply) {
  if (reply.size() < 16) return incomplete();
  const auto length = read_le32(reply, 0);
  if (read_le32(reply, 8) != kRequestId || length < 16 || length > (48u << 20)) return mismatch();
  const auto opcode = read_le32(reply, 12);
  if (opcode != kOpMsg && opcode != kOpReply) return mismatch();
  ServiceMatch match{.name = "mongodb", .product = "MongoDB"};
  if (reply.find("maxWireVersion") != std::string_view::npos) match.info = "hello answered";
  return matched(match);
}

}  // namespace

const ProtocolProbe& mongodb_probe() {
  static const ProtocolProbe probe{"mongodb", mongodb_request, read_mongodb, kMongodbPorts};
  return probe;
}

}  // namespace portkit::service

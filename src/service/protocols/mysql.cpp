// MySQL and MariaDB speak first: a handshake packet (protocol 10 and the server version), or an
// error packet when this host may not connect ("Host '...' is not allowed").
#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kMysqlPorts[] = {3306, 3307, 33060};
constexpr std::size_t kMysqlHeader = 4;  // 3-byte little-endian length, sequence number

Reading read_mysql(std::string_view reply) {
  if (reply.size() < kMysqlHeader + 1)
    return reply.size() >= 4 && reply[3] != 0 ? mismatch() : incomplete();
  const std::size_t length = static_cast<unsigned char>(reply[0]) |
                             static_cast<unsigned char>(reply[1]) << 8 |
                             static_cast<unsigned char>(reply[2]) << 16;
  if (reply[3] != 0 || length < 2 || length > 1024) return mismatch();
  const auto kind = static_cast<unsigned char>(reply[4]);
  if (kind != 10 && kind != 0xff) return mismatch();
  if (reply.size() < kMysqlHeader + length) return incomplete();
  const auto body = reply.substr(kMysqlHeader + 1, length - 1);
  ServiceMatch match{.name = "mysql", .product = "MySQL"};
  if (kind == 0xff) {  // error: code (2), then "#" + SQL state (5) in 4.1+, then the message
    if (body.size() < 3) return mismatch();
    auto message = body.substr(2);
    if (starts_with(message, "#") && message.size() > 6) message = message.substr(6);
    match.info = "unauthorized";
    if (contains_word(message, "MariaDB")) match.product = "MariaDB";
    if (!contains_word(message, "MySQL") && !contains_word(message, "MariaDB") &&
        !contains_word(message, "not allowed to connect")) {
      return mismatch();
    }
    return matched(match);
  }
  const auto end = body.find('\0');
  if (end == std::string_view::npos || end == 0) return mismatch();
  std::string version(body.substr(0, end));
  // MariaDB 10+ puts "5.5.5-" before its own version for old clients' sake.
  if (version.find("MariaDB") != std::string::npos) {
    match.product = "MariaDB";
    if (starts_with(version, "5.5.5-")) version.erase(0, 6);
  }
  for (const char c : version) {
    if (c < 0x20 || c > 0x7e) return mismatch();
  }
  match.version = std::move(version);
  return matched(match);
}

}  // namespace

const ProtocolProbe& mysql_probe() {
  static const ProtocolProbe probe{"mysql", nullptr, read_mysql, kMysqlPorts};
  return probe;
}

}  // namespace portkit::service

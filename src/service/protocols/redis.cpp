// Redis (RESP): PING, then INFO server for the version. A server that wants a password answers
// -NOAUTH, one in protected mode -DENIED; both are still Redis.
#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kRedisPorts[] = {6379, 6380, 16379, 26379};

std::string redis_request(const ProbeContext&) {
  return "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n";
}

Reading read_redis(std::string_view reply) {
  ServiceMatch match{.name = "redis", .product = "Redis key-value store"};
  if (starts_with(reply, "-NOAUTH") || starts_with(reply, "-DENIED")) {
    if (first_line(reply).size() == reply.size()) return incomplete(match);
    match.info = starts_with(reply, "-NOAUTH") ? "authentication required" : "protected mode";
    return matched(match);
  }
  if (reply.size() < 5)
    return could_become(reply, "+PONG") || could_become(reply, "-NOAUTH") ||
                   could_become(reply, "-DENIED")
               ? incomplete()
               : mismatch();
  if (!starts_with(reply, "+PONG\r\n"))
    return could_become(reply, "+PONG\r\n") ? incomplete(match) : mismatch();
  const auto info = reply.substr(7);
  if (starts_with(info, "-")) return matched(match);  // INFO refused (renamed or ACL)
  constexpr std::string_view kVersion = "redis_version:";
  if (const auto at = info.find(kVersion); at != std::string_view::npos) {
    const auto rest = info.substr(at + kVersion.size());
    const auto end = rest.find_first_of("\r\n");
    if (end == std::string_view::npos) return incomplete(match);
    match.version = std::string(rest.substr(0, end));
    return matched(match);
  }
  return info.size() > 8192 ? matched(match) : incomplete(match);
}

}  // namespace

const ProtocolProbe& redis_probe() {
  static const ProtocolProbe probe{"redis", redis_request, read_redis, kRedisPorts};
  return probe;
}

}  // namespace portkit::service

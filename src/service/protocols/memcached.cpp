// Memcached stays silent until asked; "version" is answered "VERSION 1.6.18" (protocol.txt).
#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kMemcachedPorts[] = {11211};

std::string memcached_request(const ProbeContext&) {
  return "version\r\n";
}

Reading read_memcached(std::string_view reply) {
  constexpr std::string_view kPrefix = "VERSION ";
  if (reply.size() < kPrefix.size())
    return could_become(reply, kPrefix) ? incomplete() : mismatch();
  if (!starts_with(reply, kPrefix)) return mismatch();
  ServiceMatch match{.name = "memcached", .product = "Memcached"};
  const auto line = first_line(reply);
  if (line.size() == reply.size()) return reply.size() > 256 ? mismatch() : incomplete(match);
  match.version = std::string(line.substr(kPrefix.size()));
  return matched(match);
}

}  // namespace

const ProtocolProbe& memcached_probe() {
  static const ProtocolProbe probe{"memcached", memcached_request, read_memcached, kMemcachedPorts};
  return probe;
}

}  // namespace portkit::service

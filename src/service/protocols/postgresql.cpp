// PostgreSQL: an SSLRequest (length 8, code 80877103) is answered with one byte, 'S' (TLS may
// follow) or 'N', before any authentication (protocol docs, "SSL Session Encryption").
#include "service/protocol.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kPostgresqlPorts[] = {5432, 5433, 15432};

std::string postgresql_request(const ProbeContext&) {
  return std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
}

Reading read_postgresql(std::string_view reply) {
  if (reply.size() != 1 || (reply[0] != 'S' && reply[0] != 'N')) return mismatch();
  return matched({.name = "postgresql",
                  .product = "PostgreSQL DB",
                  .info = reply[0] == 'S' ? "TLS offered" : "no TLS"});
}

}  // namespace

const ProtocolProbe& postgresql_probe() {
  static const ProtocolProbe probe{"postgresql", postgresql_request, read_postgresql,
                                   kPostgresqlPorts};
  return probe;
}

}  // namespace portkit::service

#pragma once
// One plug-in per protocol (src/service/protocols/*.cpp): the bytes that make a server of that
// protocol answer, and a reader that says whether a reply is that protocol. Pure: the engine
// (identify.cpp) does the sockets.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "portkit/service/service_identity.hpp"

namespace portkit::service {

enum class Verdict : std::uint8_t {
  mismatch,    // not this protocol: stop reading for it
  incomplete,  // could be: read more (`match` holds what is known so far, if anything)
  match,       // it is; `match` says what
};

struct Reading {
  Verdict verdict = Verdict::mismatch;
  ServiceMatch match;
};

inline Reading mismatch() {
  return {};
}
inline Reading incomplete(ServiceMatch so_far = {}) {
  return {Verdict::incomplete, std::move(so_far)};
}
inline Reading matched(ServiceMatch match) {
  return {Verdict::match, std::move(match)};
}

struct ProbeContext {
  std::string host;  // for an HTTP Host header: the name asked, or the address
};

struct ProtocolProbe {
  std::string_view name;
  // The request; null for a protocol whose server speaks first (its reader is then applied to
  // every reply, since a greeting precedes the answer to any request).
  std::string (*request)(const ProbeContext&);
  Reading (*read)(std::string_view reply);
  // Ports where this probe goes out at once, with the greeting wait, instead of after it.
  std::span<const std::uint16_t> ports;
};

// Every plug-in, greeting readers first.
std::span<const ProtocolProbe> protocol_probes();

// Each plug-in's table entry (defined in its own file).
const ProtocolProbe& ssh_probe();
const ProtocolProbe& ftp_probe();
const ProtocolProbe& smtp_probe();
const ProtocolProbe& pop3_probe();
const ProtocolProbe& imap_probe();
const ProtocolProbe& mysql_probe();
const ProtocolProbe& vnc_probe();
const ProtocolProbe& http_probe();
const ProtocolProbe& redis_probe();
const ProtocolProbe& postgresql_probe();
const ProtocolProbe& mongodb_probe();
const ProtocolProbe& memcached_probe();
const ProtocolProbe& amqp_probe();
const ProtocolProbe& mqtt_probe();
const ProtocolProbe& kafka_probe();
const ProtocolProbe& ldap_probe();
const ProtocolProbe& rdp_probe();
const ProtocolProbe& smb_probe();
const ProtocolProbe& mssql_probe();

// Shared by the readers.
std::string_view first_line(std::string_view text);  // up to CR or LF
bool starts_with(std::string_view text, std::string_view prefix);
std::uint32_t read_be32(std::string_view bytes, std::size_t at);  // caller checks the size
std::uint32_t read_le32(std::string_view bytes, std::size_t at);
std::uint16_t read_be16(std::string_view bytes, std::size_t at);

}  // namespace portkit::service

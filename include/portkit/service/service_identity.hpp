#pragma once
// What answers on a port, as the protocol says it: the result of service identification
// (src/service), carried by probe results of check and scan. No Asio, no OpenSSL here.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portkit {

// What one protocol plug-in read from a reply.
struct ServiceMatch {
  std::string name;     // nmap's service name where nmap has one: ssh, http, redis, postgresql
  std::string product;  // OpenSSH, nginx, Redis key-value store
  std::string version;  // 9.2p1 Debian 2+deb12u3
  std::string info;     // nmap's extrainfo: protocol 2.0, Ubuntu, ...
  // False when a reply fits but a better reading may come from another probe (an HTTP 400
  // that says the port speaks TLS).
  bool definitive = true;
};

// The certificate and session facts of one TLS handshake.
struct TlsFacts {
  std::string version;  // TLSv1.3
  std::string cipher;   // TLS_AES_256_GCM_SHA384
  std::string alpn;     // h2, http/1.1, or empty
  std::string subject;  // one line, RFC 2253: CN=example.test,O=Example
  std::string issuer;
  std::vector<std::string> subject_alt_names;  // DNS:..., IP:...
  std::string serial;                          // hex
  std::int64_t not_before = 0;                 // seconds since the epoch
  std::int64_t not_after = 0;
  double days_left = 0;  // negative once expired
  bool expired = false;
  bool self_signed = false;
  bool chain_verified = false;  // against the system store
  std::string verify_error;     // OpenSSL's words when not verified
  std::string server_name;      // the name asked (SNI), or the address when none was given
  bool name_matches = false;    // the certificate is valid for server_name
  int chain_length = 0;         // certificates the server sent
};

// The identity of one open TCP port.
struct ServiceIdentity {
  ServiceMatch match;  // empty name: nothing recognised it
  std::string method;  // "probed" (a reply to a probe) or "greeting" (spoken first)
  std::string probe;   // the plug-in that recognised it: ssh, tls+http, redis, ...
  bool tls = false;    // the service speaks inside TLS (nmap's tunnel="ssl")
  std::optional<TlsFacts> tls_facts;
  std::string fingerprint;  // the first bytes a reply held, sanitized, when unrecognised
  double elapsed_ms = 0;    // from the first connect to the answer
  std::string error;        // why identification stopped short (TLS library missing, ...)
};

// What a server said first, made safe for a terminal: printable ASCII kept, line breaks as
// " | ", anything else as '.', at most `max_length` characters.
std::string sanitize_banner(std::string_view bytes, std::size_t max_length = 160);

// "ssl/http" style, as nmap prints it; "unknown" when nothing recognised it.
std::string identity_label(const ServiceIdentity& identity);

}  // namespace portkit

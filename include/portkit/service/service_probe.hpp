#pragma once
// Service identification by protocol: which service answers on open TCP ports, and the TLS
// facts where it speaks TLS. Concurrent, bounded: a port that accepts and never speaks costs at
// most its budget and never delays the others.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "portkit/service/service_identity.hpp"

namespace portkit {

struct IdentifyOptions {
  // Per port, from the first connect to the answer. 0: from the measured connect time
  // (12 round trips, at least 600 ms, at most 10 s).
  std::chrono::milliseconds budget{0};
  // Always try a TLS handshake and wait for it (check --tls), not only when no other answer
  // came first.
  bool want_tls = false;
  std::size_t concurrency = 32;  // ports identified at once (each uses up to ~20 connections)
};

struct IdentifyTarget {
  std::string address;  // numeric
  std::uint16_t port = 0;
  std::string server_name;  // SNI, Host header and the name the certificate must match
};

// One identity per target, in order. SIGINT/SIGTERM are the caller's business.
std::vector<ServiceIdentity> identify_services(const std::vector<IdentifyTarget>& targets,
                                               const IdentifyOptions& options);

struct TlsCheck {
  std::optional<TlsFacts> facts;         // null: no handshake (not TLS, or it failed: see error)
  std::string legacy_version;            // "TLSv1" or "TLSv1.1" when the server accepted one
  std::optional<TlsFacts> legacy_facts;  // that handshake's, when the modern one failed
  std::string error;
  // The certificate facts from whichever handshake succeeded.
  [[nodiscard]] const std::optional<TlsFacts>& any_facts() const {
    return facts ? facts : legacy_facts;
  }
};

// A TLS handshake with each target, all at once (and a second one offering only TLS 1.0 and
// 1.1 when `legacy`), each cut at `timeout`.
std::vector<TlsCheck> check_tls(const std::vector<IdentifyTarget>& targets,
                                std::chrono::milliseconds timeout, bool legacy);

}  // namespace portkit

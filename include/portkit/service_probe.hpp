#pragma once
// Service identification by protocol: which service answers on open TCP ports, and the TLS
// facts where it speaks TLS. Concurrent, bounded: a port that accepts and never speaks costs at
// most its budget and never delays the others.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "portkit/service_identity.hpp"

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

}  // namespace portkit

#pragma once
// `check`: probe endpoints concurrently and report each one's state.
#include <chrono>
#include <string>
#include <vector>

#include "portkit/probe/probe.hpp"
#include "portkit/service/service_probe.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {

struct CheckOptions {
  ProbeOptions probe;
  FamilyFilter family = FamilyFilter::any;
  bool all_addresses = false;  // report every resolved address, not just the best answer
  // A name the resolver has not answered for by then is reported unresolved.
  std::chrono::milliseconds resolve_timeout{5000};
  // SIGINT and SIGTERM end the run early with what is known (the CLI's Ctrl-C).
  bool stop_on_signal = false;
  // Open TCP answers are identified (--service), with a TLS handshake always tried (--tls).
  bool identify = false;
  IdentifyOptions identify_options;
};

struct CheckResult {
  std::string endpoint;  // as the user wrote it
  Endpoint target;
  std::vector<ProbeResult> answers;  // the best first; one per address with all_addresses
  std::string service;               // knowledge-base name of the port, if any
  std::string unresolved;            // why the host has no address (then no answers)
};

struct CheckReport {
  std::vector<CheckResult> results;  // in the order given; a result without answers is unknown
  bool interrupted = false;          // a signal ended the run before every answer came
};

// Resolves every host first, then probes every address at once. A name that does not resolve
// is a result (unresolved), not an error: the other endpoints are still checked.
CheckReport run_checks(const std::vector<std::string>& texts,
                       const std::vector<Endpoint>& endpoints, const CheckOptions& options);

}  // namespace portkit

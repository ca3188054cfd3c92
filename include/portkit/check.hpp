#pragma once
// `check`: probe endpoints concurrently and report each one's state.
#include <string>
#include <vector>

#include "portkit/async_probe.hpp"

namespace portkit {

struct CheckOptions {
  ProbeOptions probe;
  FamilyFilter family = FamilyFilter::any;
  bool all_addresses = false;  // report every resolved address, not just the best answer
};

struct CheckResult {
  std::string endpoint;  // as the user wrote it
  Endpoint target;
  std::vector<ProbeResult> answers;  // the best first; one per address with all_addresses
  std::string service;               // knowledge-base name of the port, if any
};

// Resolves every host first: an unresolvable one is an Error before anything is probed.
Result<std::vector<CheckResult>> run_checks(const std::vector<std::string>& texts,
                                            const std::vector<Endpoint>& endpoints,
                                            const CheckOptions& options);

}  // namespace portkit

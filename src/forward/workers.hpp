#pragma once
#include <functional>
#include <vector>

#include "portkit/forwarder.hpp"

namespace portkit::forward {

struct WorkerHooks {
  std::function<void()> before_fork;  // Asio's fork_prepare
  std::function<void()> after_fork;   // in this process: Asio's fork_parent
  // In the child, before signals are unblocked (a signal must find Asio's fork_child done).
  std::function<void(unsigned index)> prepare_child;
  std::function<std::vector<RuleCounters>()> run_child;
};

// Forks `workers` children that run run_child, relays SIGINT/SIGTERM/SIGHUP to them, and
// returns the sum of their counters once all have exited.
std::vector<RuleCounters> run_worker_processes(unsigned workers, const WorkerHooks& hooks);

}  // namespace portkit::forward

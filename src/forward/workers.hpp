#pragma once
#include <functional>
#include <vector>

#include "portkit/forward/forwarder.hpp"

namespace portkit::forward {

struct WorkerHooks {
  std::function<void()> before_fork;  // Asio's fork_prepare
  std::function<void()> after_fork;   // in this process: Asio's fork_parent
  // In the child, before signals are unblocked (a signal must find Asio's fork_child done).
  std::function<void(unsigned index)> prepare_child;
  std::function<std::vector<RuleCounters>()> run_child;
  // This process serves as worker 0; `relay` passes a signal it hears on to the others.
  std::function<std::vector<RuleCounters>(const std::function<void(int)>& relay)> run_here;
};

// Forks `workers - 1` children that run run_child, serves in this process with run_here
// (relaying SIGINT/SIGTERM/SIGHUP to the children, then to those still running), and returns
// the sum of every worker's counters once all have ended. A worker of its own for waiting
// would add a whole process's resident memory and do nothing.
std::vector<RuleCounters> run_worker_processes(unsigned workers, const WorkerHooks& hooks);

}  // namespace portkit::forward

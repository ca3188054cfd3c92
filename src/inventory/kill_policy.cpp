#include "portkit/inventory/kill_policy.hpp"

#include <csignal>
#include <set>

namespace portkit {

KillPlan plan_kill(std::span<const SocketRow> rows, int self_pid, bool owners_hidden) {
  std::set<int> targets;
  bool init_holds_it = false;
  for (const auto& row : rows) {
    if (!is_listening(row.socket)) continue;
    for (const auto* process : row.processes) {
      if (process->pid == 1) init_holds_it = true;
      if (process->pid > 1 && process->pid != self_pid) targets.insert(process->pid);
    }
  }
  KillPlan plan{{targets.begin(), targets.end()}, {}};
  if (!plan.targets.empty()) return plan;
  if (init_holds_it) {
    plan.refusal =
        "the port is held by PID 1 (init or a container's entry process), which portkit never "
        "signals: stop its service instead";
  } else if (owners_hidden) {
    plan.refusal = "no listening owner that this user may see: run as root";
  } else {
    plan.refusal = "nothing listens there to kill";
  }
  return plan;
}

KillReport run_kill(const std::vector<int>& targets, const KillOptions& options,
                    const KillActions& actions) {
  KillReport report;
  for (const int pid : targets) {
    if (const int error = actions.send(pid, options.signal); error == 0) {
      actions.sent(pid, options.signal);
    } else {
      ++report.failures;
      actions.refused(pid, error);
    }
  }
  if (!options.wait) return report;
  const auto wait_free = [&](std::chrono::milliseconds limit) {
    const auto deadline = actions.now() + limit;
    while (actions.now() < deadline) {
      if (actions.port_free()) return true;
      actions.sleep(options.poll);
    }
    return actions.port_free();
  };
  if (wait_free(options.grace)) {
    report.outcome = KillOutcome::freed;
    return report;
  }
  if (options.force) {
    for (const int pid : targets) {
      if (actions.send(pid, SIGKILL) == 0) actions.sent(pid, SIGKILL);
    }
    if (wait_free(options.after_force)) {
      report.outcome = KillOutcome::freed;
      return report;
    }
  }
  report.outcome = KillOutcome::still_in_use;
  return report;
}

}  // namespace portkit

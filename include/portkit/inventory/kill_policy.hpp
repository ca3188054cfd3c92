#pragma once
// `who --kill`: which owners of a port may be signalled, and the escalation that frees it
// (signal, wait up to a grace period, SIGKILL when forced). Pure, with the system calls passed
// in, so every path is unit-tested without killing anything.
#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "portkit/inventory/sockets.hpp"

namespace portkit {

struct KillPlan {
  std::vector<int> targets;  // ascending, each once
  std::string refusal;       // why there is nobody to signal, when targets is empty
};

// The processes owning the listening sockets among `rows`: never PID 1 (init, or a container's
// entry process) and never `self_pid`.
KillPlan plan_kill(std::span<const SocketRow> rows, int self_pid, bool owners_hidden);

struct KillOptions {
  int signal = 15;
  bool wait = false;   // until the port is free, up to grace
  bool force = false;  // then SIGKILL, and wait a little more
  std::chrono::milliseconds grace{5000};
  std::chrono::milliseconds poll{20};
  std::chrono::milliseconds after_force{2000};
};

// What escalation touches: sending a signal (0 or an errno), asking whether the port is free,
// the clock and sleeping, and reporting each signal sent or refused.
struct KillActions {
  std::function<int(int pid, int signal)> send;
  std::function<bool()> port_free;
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<void(int pid, int signal)> sent;
  std::function<void(int pid, int error)> refused;
};

enum class KillOutcome { signalled, freed, still_in_use };

struct KillReport {
  KillOutcome outcome = KillOutcome::signalled;  // signalled: not asked to wait
  int failures = 0;                              // signals the kernel refused
};

KillReport run_kill(const std::vector<int>& targets, const KillOptions& options,
                    const KillActions& actions);

}  // namespace portkit

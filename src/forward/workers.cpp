// Worker processes: fork after binding, so every worker accepts on the same sockets.
#include "forward/workers.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>

namespace portkit::forward {
namespace {

nlohmann::json to_json(const std::vector<RuleCounters>& counters) {
  auto rules = nlohmann::json::array();
  for (const auto& rule : counters) {
    rules.push_back({rule.rule, rule.proto == Proto::udp, rule.connections, rule.active,
                     rule.bytes_up, rule.bytes_down, rule.denied, rule.upstream_errors, rule.resets,
                     rule.dropped});
  }
  return rules;
}

void add_counters(const RuleCounters& counters, std::vector<RuleCounters>& totals) {
  auto found = std::find_if(totals.begin(), totals.end(), [&](const RuleCounters& c) {
    return c.rule == counters.rule && c.proto == counters.proto;
  });
  if (found == totals.end()) {
    totals.push_back(counters);
    return;
  }
  found->connections += counters.connections;
  found->active += counters.active;
  found->bytes_up += counters.bytes_up;
  found->bytes_down += counters.bytes_down;
  found->denied += counters.denied;
  found->upstream_errors += counters.upstream_errors;
  found->resets += counters.resets;
  found->dropped += counters.dropped;
}

void add_json(const std::string& text, std::vector<RuleCounters>& totals) {
  const auto rules = nlohmann::json::parse(text, nullptr, false);
  if (!rules.is_array()) return;
  for (const auto& row : rules) {
    if (!row.is_array() || row.size() != 10) continue;
    RuleCounters counters;
    counters.rule = row[0].get<std::string>();
    counters.proto = row[1].get<bool>() ? Proto::udp : Proto::tcp;
    counters.connections = row[2].get<std::uint64_t>();
    counters.active = row[3].get<std::uint64_t>();
    counters.bytes_up = row[4].get<std::uint64_t>();
    counters.bytes_down = row[5].get<std::uint64_t>();
    counters.denied = row[6].get<std::uint64_t>();
    counters.upstream_errors = row[7].get<std::uint64_t>();
    counters.resets = row[8].get<std::uint64_t>();
    counters.dropped = row[9].get<std::uint64_t>();
    add_counters(counters, totals);
  }
}

std::string read_all(int fd) {
  std::string text;
  char chunk[4096];
  while (true) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      text.append(chunk, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return text;
    }
  }
}

}  // namespace

std::vector<RuleCounters> run_worker_processes(unsigned workers, const WorkerHooks& hooks) {
  sigset_t relayed;
  sigemptyset(&relayed);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGCHLD}) sigaddset(&relayed, signal);
  sigset_t previous;
  ::sigprocmask(SIG_BLOCK, &relayed, &previous);
  const pid_t parent = ::getpid();

  struct Child {
    pid_t pid;
    int counters_fd;
  };
  std::vector<Child> children;
  hooks.before_fork();
  for (unsigned index = 1; index < workers; ++index) {
    int channel[2];
    if (::pipe2(channel, O_CLOEXEC) != 0) break;
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(channel[0]);
      // Ctrl-C reaches this process once, through the parent; the parent's death ends us.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(0);
      hooks.prepare_child(index);
      ::sigprocmask(SIG_SETMASK, &previous, nullptr);
      const auto counters = hooks.run_child();
      const auto text = to_json(counters).dump();
      [[maybe_unused]] const auto written = ::write(channel[1], text.data(), text.size());
      ::_exit(0);
    }
    ::close(channel[1]);
    if (pid < 0) {
      ::close(channel[0]);
      break;
    }
    children.push_back({pid, channel[0]});
  }
  hooks.after_fork();
  const auto relay = [&children](int signal) {
    for (const auto& child : children) {
      if (child.pid > 0) ::kill(child.pid, signal);
    }
  };
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  std::vector<RuleCounters> totals;
  for (const auto& counters : hooks.run_here(relay)) add_counters(counters, totals);
  // Served and drained here; the children finish their own drains. Signals wait blocked, so
  // none falls between a reap and the wait for the next.
  ::sigprocmask(SIG_BLOCK, &relayed, nullptr);
  std::size_t running = children.size();
  const auto reap = [&] {
    for (auto& child : children) {
      if (child.pid <= 0) continue;
      int status = 0;
      if (::waitpid(child.pid, &status, WNOHANG) != child.pid) continue;
      add_json(read_all(child.counters_fd), totals);
      ::close(child.counters_fd);
      child.pid = 0;
      --running;
    }
  };
  reap();
  while (running > 0) {
    siginfo_t info{};
    const int signal = ::sigwaitinfo(&relayed, &info);
    if (signal == SIGCHLD) {
      reap();
    } else if (signal > 0) {
      relay(signal);
    }
  }
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  return totals;
}

}  // namespace portkit::forward

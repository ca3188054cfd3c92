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

void add_json(const std::string& text, std::vector<RuleCounters>& totals) {
  const auto rules = nlohmann::json::parse(text, nullptr, false);
  if (!rules.is_array()) return;
  for (const auto& row : rules) {
    if (!row.is_array() || row.size() != 10) continue;
    const auto name = row[0].get<std::string>();
    auto found = std::find_if(totals.begin(), totals.end(),
                              [&](const RuleCounters& c) { return c.rule == name; });
    if (found == totals.end()) {
      totals.push_back({});
      found = totals.end() - 1;
      found->rule = name;
      found->proto = row[1].get<bool>() ? Proto::udp : Proto::tcp;
    }
    found->connections += row[2].get<std::uint64_t>();
    found->active += row[3].get<std::uint64_t>();
    found->bytes_up += row[4].get<std::uint64_t>();
    found->bytes_down += row[5].get<std::uint64_t>();
    found->denied += row[6].get<std::uint64_t>();
    found->upstream_errors += row[7].get<std::uint64_t>();
    found->resets += row[8].get<std::uint64_t>();
    found->dropped += row[9].get<std::uint64_t>();
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
  for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&relayed, signal);
  sigset_t previous;
  ::sigprocmask(SIG_BLOCK, &relayed, &previous);
  const pid_t parent = ::getpid();

  struct Child {
    pid_t pid;
    int counters_fd;
  };
  std::vector<Child> children;
  hooks.before_fork();
  for (unsigned index = 0; index < workers; ++index) {
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

  std::vector<RuleCounters> totals;
  std::size_t running = children.size();
  while (running > 0) {
    siginfo_t info{};
    const int signal = ::sigwaitinfo(&relayed, &info);
    if (signal == SIGCHLD) {
      for (auto& child : children) {
        if (child.pid <= 0) continue;
        int status = 0;
        if (::waitpid(child.pid, &status, WNOHANG) != child.pid) continue;
        add_json(read_all(child.counters_fd), totals);
        ::close(child.counters_fd);
        child.pid = 0;
        --running;
      }
    } else if (signal > 0) {
      for (const auto& child : children) {
        if (child.pid > 0) ::kill(child.pid, signal);
      }
    }
  }
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  return totals;
}

}  // namespace portkit::forward

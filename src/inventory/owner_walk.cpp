// A process's fd numbers are probed directly (readlinkat "N" for N = 0, 1, ...) in chunks any
// thread may take. The st_size of /proc/PID/fd is its count of open fds (Linux 6.2+), which
// tells the probe when it has seen them all; where that count is 0 (older kernels) or the fds
// are sparse beyond the probe's reach, the directory is read instead. Reading the directory
// first would cost a quarter of the walk and could not be shared between threads.
#include "owner_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "sys/file.hpp"
#include "text_util.hpp"

namespace portkit {
namespace {

constexpr int kChunk = 256;

std::optional<std::uint64_t> inode_of_link(std::string_view link) {
  constexpr std::string_view prefix = "socket:[";
  if (link.size() <= prefix.size() || link.substr(0, prefix.size()) != prefix ||
      link.back() != ']') {
    return std::nullopt;
  }
  return parse_decimal(link.substr(prefix.size(), link.size() - prefix.size() - 1));
}

}  // namespace

struct OwnerWalk::State {
  struct ProcessJob {
    int pid = 0;
    sys::Fd dir;
    std::size_t expected = 0;  // open fds, from st_size; 0 when the kernel does not say
    int probe_limit = 0;       // fds at or above it are found by reading the directory
    std::atomic<int> next_fd{0};
    std::atomic<std::size_t> seen{0};
  };

  std::vector<int> pids;
  std::atomic<std::size_t> next_pid{0};
  std::vector<std::uint64_t> wanted;  // sorted, unique; empty: every socket
  std::unique_ptr<std::atomic<bool>[]> wanted_seen;
  std::atomic<std::size_t> missing{0};
  bool stop_when_all_found = false;
  std::atomic<bool> hidden{false};
  std::mutex mutex;  // guards shared_jobs and found
  std::vector<std::shared_ptr<ProcessJob>> shared_jobs;
  std::vector<FdOwner> found;
  std::size_t expected_sockets = 0;  // a size hint for each thread's results

  [[nodiscard]] bool finished() const {
    return stop_when_all_found && !wanted.empty() && missing.load(std::memory_order_relaxed) == 0;
  }

  void record(std::string_view link, int pid, int fd, std::vector<FdOwner>& out) {
    const auto inode = inode_of_link(link);
    if (!inode) return;
    if (!wanted.empty()) {
      const auto it = std::lower_bound(wanted.begin(), wanted.end(), *inode);
      if (it == wanted.end() || *it != *inode) return;
      if (!wanted_seen[static_cast<std::size_t>(it - wanted.begin())].exchange(true)) {
        missing.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    out.push_back({*inode, pid, fd});
  }

  std::shared_ptr<ProcessJob> open_job(int pid) {
    const auto path = "/proc/" + std::to_string(pid) + "/fd";
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == EACCES || errno == EPERM) hidden = true;
      return nullptr;  // ENOENT: the process ended
    }
    auto job = std::make_shared<ProcessJob>();
    job->pid = pid;
    job->dir = sys::Fd(fd);
    struct stat info {};
    if (::fstat(fd, &info) == 0 && info.st_size > 0) {
      job->expected = static_cast<std::size_t>(info.st_size);
      // Room for a few holes; a process with fds far beyond its count is read as a directory.
      job->probe_limit = static_cast<int>(job->expected + job->expected / 4 + kChunk);
    }
    return job;
  }

  // The directory's entries from `from_fd` up (all of them for a job without a count).
  void read_directory(ProcessJob& job, int from_fd, std::vector<FdOwner>& out) {
    const int copy = ::dup(job.dir.get());
    if (copy < 0) return;
    DIR* dir = fdopendir(copy);
    if (!dir) {
      ::close(copy);
      return;
    }
    while (const auto* entry = readdir(dir)) {
      const auto fd = parse_decimal(entry->d_name);
      if (!fd || static_cast<int>(*fd) < from_fd) continue;
      char link[64];
      const auto length = readlinkat(job.dir.get(), entry->d_name, link, sizeof link);
      if (length > 0) {
        record({link, static_cast<std::size_t>(length)}, job.pid, static_cast<int>(*fd), out);
      }
    }
    closedir(dir);
  }

  void probe(ProcessJob& job, std::vector<FdOwner>& out) {
    while (job.seen.load(std::memory_order_relaxed) < job.expected && !finished()) {
      const int start = job.next_fd.fetch_add(kChunk);
      if (start >= job.probe_limit) {
        if (start < job.probe_limit + kChunk) read_directory(job, job.probe_limit, out);
        return;
      }
      const int end = std::min(start + kChunk, job.probe_limit);
      std::size_t hits = 0;
      for (int fd = start; fd < end; ++fd) {
        char name[16];
        *std::to_chars(name, name + sizeof name - 1, fd).ptr = '\0';
        char link[64];
        const auto length = readlinkat(job.dir.get(), name, link, sizeof link);
        if (length <= 0) continue;  // a hole, or closed meanwhile
        ++hits;
        record({link, static_cast<std::size_t>(length)}, job.pid, fd, out);
      }
      job.seen.fetch_add(hits, std::memory_order_relaxed);
    }
  }

  std::shared_ptr<ProcessJob> job_to_help() {
    const std::lock_guard lock(mutex);
    for (const auto& job : shared_jobs) {
      if (job->seen.load() < job->expected && job->next_fd.load() < job->probe_limit) return job;
    }
    return nullptr;
  }
};

OwnerWalk::OwnerWalk(std::span<const std::uint64_t> wanted_inodes, bool stop_when_all_found,
                     std::vector<int> pids)
    : state_(std::make_unique<State>()) {
  auto& state = *state_;
  state.wanted.assign(wanted_inodes.begin(), wanted_inodes.end());
  std::sort(state.wanted.begin(), state.wanted.end());
  state.wanted.erase(std::unique(state.wanted.begin(), state.wanted.end()), state.wanted.end());
  state.wanted_seen = std::make_unique<std::atomic<bool>[]>(state.wanted.size());
  state.missing = state.wanted.size();
  state.stop_when_all_found = stop_when_all_found;
  if (state.wanted.empty()) {
    for (const char* path : {"/proc/net/sockstat", "/proc/net/sockstat6"}) {
      if (const auto text = sys::read_text_file(path)) {
        state.expected_sockets += parse_sockstat_sockets(*text);
      }
    }
  } else {
    state.expected_sockets = state.wanted.size();
  }
  const int self = getpid();
  if (!pids.empty()) {
    std::erase(pids, self);
    state.pids = std::move(pids);
  } else if (DIR* proc = opendir("/proc")) {
    while (const auto* entry = readdir(proc)) {
      const auto pid = parse_decimal(entry->d_name);
      if (pid && static_cast<int>(*pid) != self) state.pids.push_back(static_cast<int>(*pid));
    }
    closedir(proc);
  }
}

OwnerWalk::~OwnerWalk() = default;

void OwnerWalk::work() {
  auto& state = *state_;
  std::vector<FdOwner> found;
  // Room for every socket in each thread: untouched capacity costs no memory, while growing
  // would copy (and briefly double) the results.
  found.reserve(state.expected_sockets + state.expected_sockets / 8 + 64);
  // Helping a process already begun comes first: when few sockets are wanted, it finishes the
  // process that holds them sooner than starting another one would.
  while (!state.finished()) {
    auto job = state.job_to_help();
    if (!job) {
      const auto index = state.next_pid.fetch_add(1);
      if (index >= state.pids.size()) break;
      job = state.open_job(state.pids[index]);
      if (!job) continue;
      if (job->expected == 0) {
        state.read_directory(*job, 0, found);
        continue;
      }
      if (job->expected > 2 * kChunk) {
        const std::lock_guard lock(state.mutex);
        state.shared_jobs.push_back(job);
      }
    }
    state.probe(*job, found);
  }
  const std::lock_guard lock(state.mutex);
  if (state.found.empty()) {
    state.found = std::move(found);
  } else {
    state.found.insert(state.found.end(), found.begin(), found.end());
  }
}

std::vector<FdOwner> OwnerWalk::take_found() {
  auto found = std::move(state_->found);
  std::sort(found.begin(), found.end(), [](const FdOwner& a, const FdOwner& b) {
    return a.inode != b.inode ? a.inode < b.inode : a.pid != b.pid ? a.pid < b.pid : a.fd < b.fd;
  });
  found.erase(std::unique(found.begin(), found.end(),
                          [](const FdOwner& a, const FdOwner& b) {
                            return a.inode == b.inode && a.pid == b.pid;
                          }),
              found.end());
  return found;
}

bool OwnerWalk::hidden_for_lack_of_privilege() const {
  return state_->hidden;
}

unsigned owner_walk_threads() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  const int usable = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  return static_cast<unsigned>(std::clamp(usable, 1, 4));
}

void run_owner_walk(OwnerWalk& walk) {
  std::vector<std::thread> helpers;
  try {
    for (unsigned i = 1; i < owner_walk_threads(); ++i) {
      helpers.emplace_back([&walk] { walk.work(); });
    }
  } catch (const std::system_error&) {
    // No thread to spare: the threads already started and this one do the whole walk.
  }
  walk.work();
  for (auto& helper : helpers) helper.join();
}

}  // namespace portkit

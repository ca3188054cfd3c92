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
#include <span>
#include <string>
#include <system_error>
#include <thread>

#include "base/text_util.hpp"
#include "sys/file.hpp"

namespace portkit {
namespace {

constexpr int kChunk = 256;

bool by_inode_pid_fd(const FdOwner& a, const FdOwner& b) {
  return a.inode != b.inode ? a.inode < b.inode : a.pid != b.pid ? a.pid < b.pid : a.fd < b.fd;
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
    std::atomic<bool> done{false};  // counted in `completed`
  };

  // What one thread found: its own lock, taken once per chunk of fds, so narrow() can read it.
  struct Results {
    std::mutex mutex;
    std::vector<FdOwner> found;
  };

  std::vector<int> pids;
  std::atomic<std::size_t> next_pid{0};
  // Set by narrow(), before or during the walk: sorted, unique, and read without a lock once
  // `narrowed` is seen. Until then every socket is kept.
  std::vector<std::uint64_t> wanted;
  std::unique_ptr<std::atomic<bool>[]> wanted_seen;
  std::atomic<bool> narrowed{false};
  std::atomic<std::size_t> missing{0};
  bool stop_when_all_found = false;
  std::atomic<bool> hidden{false};
  std::mutex mutex;  // guards shared_jobs and results
  std::vector<std::shared_ptr<ProcessJob>> shared_jobs;
  std::vector<std::unique_ptr<Results>> results;
  std::vector<int> completed;        // processes whose every fd was read
  std::size_t expected_sockets = 0;  // a size hint for each thread's results

  [[nodiscard]] bool finished() const {
    return stop_when_all_found && narrowed.load(std::memory_order_acquire) &&
           missing.load(std::memory_order_relaxed) == 0;
  }

  void mark_seen(std::span<const FdOwner> owners) {
    for (const auto& owner : owners) {
      const auto it = std::lower_bound(wanted.begin(), wanted.end(), owner.inode);
      if (it == wanted.end() || *it != owner.inode) continue;
      if (!wanted_seen[static_cast<std::size_t>(it - wanted.begin())].exchange(true)) {
        missing.fetch_sub(1, std::memory_order_relaxed);
      }
    }
  }

  // A chunk's finds into the thread's results; whoever sees `narrowed` marks them (narrow()
  // marks what was there before).
  void publish(std::vector<FdOwner>& chunk, Results& mine) {
    if (chunk.empty()) return;
    const std::lock_guard lock(mine.mutex);
    const auto first = mine.found.size();
    mine.found.insert(mine.found.end(), chunk.begin(), chunk.end());
    if (narrowed.load(std::memory_order_acquire)) {
      mark_seen(std::span<const FdOwner>(mine.found).subspan(first));
    }
    chunk.clear();
  }

  static void record(std::string_view link, int pid, int fd, std::vector<FdOwner>& out) {
    if (const auto inode = socket_inode_of_link(link)) out.push_back({*inode, pid, fd});
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
  void read_directory(ProcessJob& job, int from_fd, std::vector<FdOwner>& out, Results& mine) {
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
      if (out.size() >= kChunk) publish(out, mine);
    }
    closedir(dir);
    publish(out, mine);
  }

  void complete(int pid) {
    const std::lock_guard lock(mutex);
    completed.push_back(pid);
  }

  void probe(ProcessJob& job, std::vector<FdOwner>& out, Results& mine) {
    while (!finished()) {
      if (job.seen.load(std::memory_order_relaxed) >= job.expected) {
        if (!job.done.exchange(true)) complete(job.pid);
        return;
      }
      const int start = job.next_fd.fetch_add(kChunk);
      if (start >= job.probe_limit) {
        if (start < job.probe_limit + kChunk) {
          read_directory(job, job.probe_limit, out, mine);
          if (!job.done.exchange(true)) complete(job.pid);
        }
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
      publish(out, mine);
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
  state.stop_when_all_found = stop_when_all_found;
  if (!wanted_inodes.empty()) {
    narrow(wanted_inodes);
    state.expected_sockets = state.wanted.size();
  } else {
    state.expected_sockets = sockets_in_use();
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

void OwnerWalk::narrow(std::span<const std::uint64_t> wanted_inodes) {
  auto& state = *state_;
  std::vector<std::uint64_t> wanted(wanted_inodes.begin(), wanted_inodes.end());
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  state.wanted_seen = std::make_unique<std::atomic<bool>[]>(wanted.size());
  state.missing = wanted.size();
  state.wanted = std::move(wanted);
  state.narrowed.store(true, std::memory_order_release);
  // What threads published before they could see `narrowed`.
  const std::lock_guard lock(state.mutex);
  for (const auto& results : state.results) {
    const std::lock_guard results_lock(results->mutex);
    state.mark_seen(results->found);
  }
}

void OwnerWalk::work() {
  auto& state = *state_;
  State::Results* mine = nullptr;
  {
    const std::lock_guard lock(state.mutex);
    mine = state.results.emplace_back(std::make_unique<State::Results>()).get();
  }
  // Room for every socket in each thread: untouched capacity costs no memory, while growing
  // would copy (and briefly double) the results.
  mine->found.reserve(state.expected_sockets + state.expected_sockets / 8 + 64);
  std::vector<FdOwner> chunk;
  chunk.reserve(kChunk);
  // When few sockets are wanted, helping a process already begun comes first: it finishes the
  // process that holds them sooner than starting another one would. A full walk starts new
  // processes first, so threads do not contend for one directory, and helps at the end.
  while (!state.finished()) {
    auto job = state.stop_when_all_found ? state.job_to_help() : nullptr;
    if (!job) {
      const auto index = state.next_pid.fetch_add(1);
      if (index < state.pids.size()) {
        job = state.open_job(state.pids[index]);
        if (!job) continue;
        if (job->expected == 0) {
          state.read_directory(*job, 0, chunk, *mine);
          state.complete(job->pid);
          continue;
        }
        if (job->expected > 2 * kChunk) {
          const std::lock_guard lock(state.mutex);
          state.shared_jobs.push_back(job);
        }
      } else if (!(job = state.job_to_help())) {
        break;
      }
    }
    state.probe(*job, chunk, *mine);
  }
  // Each thread sorts its own finds, in parallel; take_found then only merges.
  const std::lock_guard lock(mine->mutex);
  std::sort(mine->found.begin(), mine->found.end(), by_inode_pid_fd);
}

std::vector<FdOwner> OwnerWalk::take_found() {
  auto& state = *state_;
  std::vector<FdOwner> found;
  for (auto& results : state.results) {
    if (found.empty()) {
      found = std::move(results->found);
    } else {
      const auto middle = static_cast<std::ptrdiff_t>(found.size());
      found.insert(found.end(), results->found.begin(), results->found.end());
      std::inplace_merge(found.begin(), found.begin() + middle, found.end(), by_inode_pid_fd);
    }
  }
  state.results.clear();
  if (state.narrowed) {
    std::erase_if(found, [&](const FdOwner& owner) {
      return !std::binary_search(state.wanted.begin(), state.wanted.end(), owner.inode);
    });
  }
  found.erase(std::unique(found.begin(), found.end(),
                          [](const FdOwner& a, const FdOwner& b) {
                            return a.inode == b.inode && a.pid == b.pid;
                          }),
              found.end());
  return found;
}

std::vector<int> OwnerWalk::completed_pids() const {
  const std::lock_guard lock(state_->mutex);
  return state_->completed;
}

std::optional<std::uint64_t> socket_inode_of_link(std::string_view link) {
  constexpr std::string_view prefix = "socket:[";
  if (link.size() <= prefix.size() || link.substr(0, prefix.size()) != prefix ||
      link.back() != ']') {
    return std::nullopt;
  }
  return parse_decimal(link.substr(prefix.size(), link.size() - prefix.size() - 1));
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

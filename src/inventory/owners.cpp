// Who owns a socket: one pass over /proc/*/fd, reading each link ("socket:[INODE]").
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "portkit/inventory.hpp"
#include "sys/file.hpp"
#include "text_util.hpp"

namespace portkit {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};
using Dir = std::unique_ptr<DIR, DirCloser>;

std::optional<std::uint64_t> socket_inode(std::string_view link) {
  constexpr std::string_view prefix = "socket:[";
  if (link.substr(0, prefix.size()) != prefix || link.back() != ']') return std::nullopt;
  return parse_decimal(link.substr(prefix.size(), link.size() - prefix.size() - 1));
}

ProcessInfo describe(int pid) {
  ProcessInfo info;
  info.pid = pid;
  const auto base = "/proc/" + std::to_string(pid);
  if (auto comm = sys::read_text_file(base + "/comm")) {
    info.command = std::string(trim_spaces(*comm));
  }
  if (auto cmdline = sys::read_text_file(base + "/cmdline")) {
    std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
    info.cmdline = std::string(trim_spaces(*cmdline));
  }
  if (auto cgroup = sys::read_text_file(base + "/cgroup"))
    info.container = container_from_cgroup(*cgroup);
  return info;
}

}  // namespace

const std::vector<const ProcessInfo*>* Owners::find(std::uint64_t inode) const {
  const auto it =
      std::lower_bound(by_inode.begin(), by_inode.end(), inode,
                       [](const auto& entry, std::uint64_t key) { return entry.first < key; });
  return it != by_inode.end() && it->first == inode ? &it->second : nullptr;
}

std::string container_from_cgroup(std::string_view text) {
  // docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope,
  // or a plain /docker/<id> path: a run of 64 hex digits.
  std::size_t run = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const bool hex = i < text.size() && std::isxdigit(static_cast<unsigned char>(text[i])) &&
                     !std::isupper(static_cast<unsigned char>(text[i]));
    if (hex) {
      ++run;
      continue;
    }
    if (run == 64) return std::string(text.substr(i - 64, 12));
    run = 0;
  }
  return {};
}

namespace {

struct Walk {
  std::unordered_map<std::uint64_t, std::vector<OwnerCache::Location>> found;
  bool hidden_for_lack_of_privilege = false;
};

// One pass over /proc/*/fd; the first fd of each (inode, process) is kept.
Walk walk_fds(std::span<const std::uint64_t> wanted_inodes, bool stop_when_all_found) {
  Walk walk;
  const std::unordered_set<std::uint64_t> wanted(wanted_inodes.begin(), wanted_inodes.end());
  walk.found.reserve(wanted.empty() ? 4096 : wanted.size());
  std::unordered_set<std::uint64_t> missing = wanted;
  const Dir proc(opendir("/proc"));
  if (!proc) return walk;
  const int self = getpid();
  while (const auto* entry = readdir(proc.get())) {
    if (stop_when_all_found && !wanted.empty() && missing.empty()) break;
    const auto pid = parse_decimal(entry->d_name);
    if (!pid || static_cast<int>(*pid) == self) continue;
    const auto fd_path = "/proc/" + std::string(entry->d_name) + "/fd";
    const Dir fds(opendir(fd_path.c_str()));
    if (!fds) {
      if (errno == EACCES || errno == EPERM) walk.hidden_for_lack_of_privilege = true;
      continue;  // ENOENT: the process ended mid-walk
    }
    const int dir_fd = dirfd(fds.get());
    while (const auto* fd_entry = readdir(fds.get())) {
      if (fd_entry->d_name[0] == '.') continue;
      char link[64];
      const auto length = readlinkat(dir_fd, fd_entry->d_name, link, sizeof link);
      if (length <= 0) continue;
      const auto inode = socket_inode(std::string_view(link, static_cast<std::size_t>(length)));
      if (!inode) continue;
      if (!wanted.empty() && !wanted.count(*inode)) continue;
      auto& locations = walk.found[*inode];
      const int owner = static_cast<int>(*pid);
      if (std::none_of(locations.begin(), locations.end(),
                       [&](const auto& location) { return location.pid == owner; })) {
        const auto fd = parse_decimal(fd_entry->d_name);
        locations.push_back({owner, fd ? static_cast<int>(*fd) : -1});
      }
      missing.erase(*inode);
    }
  }
  return walk;
}

Owners assemble(const std::unordered_map<std::uint64_t, std::vector<OwnerCache::Location>>& found,
                bool hidden) {
  Owners owners;
  owners.hidden_for_lack_of_privilege = hidden;
  owners.by_inode.reserve(found.size());
  for (const auto& [inode, locations] : found) {
    if (locations.empty()) continue;
    std::vector<const ProcessInfo*> processes;
    for (const auto& location : locations) {
      auto it = owners.processes.find(location.pid);
      if (it == owners.processes.end())
        it = owners.processes.emplace(location.pid, describe(location.pid)).first;
      processes.push_back(&it->second);
    }
    owners.by_inode.emplace_back(inode, std::move(processes));
  }
  std::sort(owners.by_inode.begin(), owners.by_inode.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return owners;
}

bool still_there(std::uint64_t inode, const OwnerCache::Location& location) {
  char link[64];
  const auto path = "/proc/" + std::to_string(location.pid) + "/fd/" + std::to_string(location.fd);
  const auto length = readlink(path.c_str(), link, sizeof link);
  return length > 0 &&
         socket_inode(std::string_view(link, static_cast<std::size_t>(length))) == inode;
}

}  // namespace

Owners find_owners(std::span<const std::uint64_t> wanted_inodes, bool stop_when_all_found) {
  auto walk = walk_fds(wanted_inodes, stop_when_all_found);
  return assemble(walk.found, walk.hidden_for_lack_of_privilege);
}

Owners OwnerCache::find(std::span<const std::uint64_t> inodes) {
  std::unordered_map<std::uint64_t, std::vector<Location>> current;
  std::vector<std::uint64_t> misses;
  for (const auto inode : inodes) {
    const auto known = known_.find(inode);
    if (known != known_.end() &&
        std::all_of(known->second.begin(), known->second.end(),
                    [&](const Location& location) { return still_there(inode, location); })) {
      current.emplace(inode, known->second);
    } else {
      misses.push_back(inode);
    }
  }
  if (!misses.empty()) {
    auto walk = walk_fds(misses, true);
    hidden_ = walk.hidden_for_lack_of_privilege;
    for (const auto inode : misses) {
      // Not found means no process we can see holds it (or it is our own): remembered as
      // ownerless until the socket goes away, so it does not force a full walk every time.
      auto found = walk.found.find(inode);
      current[inode] =
          found != walk.found.end() ? std::move(found->second) : std::vector<Location>{};
    }
  }
  known_ = current;
  return assemble(current, hidden_);
}

}  // namespace portkit

// Who owns a socket: one pass over /proc/*/fd, reading each link ("socket:[INODE]").
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <unordered_map>

#include "base/text_util.hpp"
#include "owner_walk.hpp"
#include "portkit/inventory/inventory.hpp"
#include "sys/file.hpp"

namespace portkit {
namespace {

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

std::span<const ProcessInfo* const> Owners::find(std::uint64_t inode) const {
  const auto it =
      std::lower_bound(by_inode.begin(), by_inode.end(), inode,
                       [](const Entry& entry, std::uint64_t key) { return entry.inode < key; });
  if (it == by_inode.end() || it->inode != inode) return {};
  return {owner_list.data() + it->first, it->count};
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

Owners owners_from(const std::vector<FdOwner>& found, bool hidden_for_lack_of_privilege) {
  Owners owners;
  owners.hidden_for_lack_of_privilege = hidden_for_lack_of_privilege;
  owners.owner_list.reserve(found.size());
  owners.by_inode.reserve(found.size());
  for (const auto& owner : found) {
    auto it = owners.processes.find(owner.pid);
    if (it == owners.processes.end()) {
      it = owners.processes.emplace(owner.pid, describe(owner.pid)).first;
    }
    if (owners.by_inode.empty() || owners.by_inode.back().inode != owner.inode) {
      owners.by_inode.push_back(
          {owner.inode, static_cast<std::uint32_t>(owners.owner_list.size()), 0});
    }
    owners.owner_list.push_back(&it->second);
    ++owners.by_inode.back().count;
  }
  return owners;
}

namespace {

bool still_there(const FdOwner& owner) {
  char link[64];
  const auto path = "/proc/" + std::to_string(owner.pid) + "/fd/" + std::to_string(owner.fd);
  const auto length = readlink(path.c_str(), link, sizeof link);
  return length > 0 && socket_inode_of_link(
                           std::string_view(link, static_cast<std::size_t>(length))) == owner.inode;
}

}  // namespace

namespace {

// pid -> parent pid, from each /proc/PID/stat ("PID (COMM) STATE PPID ...").
std::unordered_map<int, int> parent_pids() {
  std::unordered_map<int, int> parents;
  DIR* proc = opendir("/proc");
  if (!proc) return parents;
  while (const auto* entry = readdir(proc)) {
    const auto pid = parse_decimal(entry->d_name);
    if (!pid) continue;
    const auto stat = sys::read_text_file("/proc/" + std::string(entry->d_name) + "/stat");
    if (!stat) continue;
    const auto close = stat->rfind(')');  // the command itself may hold ")"
    if (close == std::string::npos || close + 4 >= stat->size()) continue;
    auto rest = std::string_view(*stat).substr(close + 4);  // past ") S "
    if (const auto parent = parse_decimal(rest.substr(0, rest.find(' ')))) {
      parents.emplace(static_cast<int>(*pid), static_cast<int>(*parent));
    }
  }
  closedir(proc);
  return parents;
}

// The ancestors and descendants of `owners`, without the owners themselves.
std::vector<int> relatives_of(const std::set<int>& owners) {
  const auto parents = parent_pids();
  std::unordered_map<int, std::vector<int>> children;
  for (const auto& [pid, parent] : parents) children[parent].push_back(pid);
  std::set<int> relatives;
  for (const int owner : owners) {
    auto up = parents.find(owner);
    for (std::size_t depth = 0; up != parents.end() && up->second > 0 && depth < 4096; ++depth) {
      relatives.insert(up->second);
      up = parents.find(up->second);
    }
    std::vector<int> pending{owner};
    while (!pending.empty()) {
      const int pid = pending.back();
      pending.pop_back();
      for (const int child : children[pid]) {
        if (relatives.insert(child).second) pending.push_back(child);
      }
    }
  }
  for (const int owner : owners) relatives.erase(owner);
  return {relatives.begin(), relatives.end()};
}

}  // namespace

std::vector<FdOwner> add_relatives(std::vector<FdOwner> found, std::span<const int> walked) {
  std::set<int> owners;
  for (const auto& owner : found) owners.insert(owner.pid);
  auto relatives = relatives_of(owners);
  const std::set<int> done(walked.begin(), walked.end());
  std::erase_if(relatives, [&](int pid) { return done.count(pid) > 0; });
  if (relatives.empty()) return found;
  // Only a socket already found can be shared with a relative.
  std::vector<std::uint64_t> inodes;
  for (const auto& owner : found) {
    if (inodes.empty() || inodes.back() != owner.inode) inodes.push_back(owner.inode);
  }
  OwnerWalk second(inodes, false, std::move(relatives));
  run_owner_walk(second);
  const auto more = second.take_found();
  found.insert(found.end(), more.begin(), more.end());
  std::sort(found.begin(), found.end(), [](const FdOwner& a, const FdOwner& b) {
    return a.inode != b.inode ? a.inode < b.inode : a.pid < b.pid;
  });
  return found;
}

std::vector<FdOwner> find_owners_quickly(std::span<const std::uint64_t> wanted_inodes,
                                         bool& hidden_for_lack_of_privilege) {
  if (wanted_inodes.empty()) return {};
  OwnerWalk first(wanted_inodes, true);
  run_owner_walk(first);
  hidden_for_lack_of_privilege = first.hidden_for_lack_of_privilege();
  return add_relatives(first.take_found(), first.completed_pids());
}

Owners find_owners(std::span<const std::uint64_t> wanted_inodes, bool stop_when_all_found) {
  if (stop_when_all_found) {
    bool hidden = false;
    auto found = find_owners_quickly(wanted_inodes, hidden);
    return owners_from(found, hidden);
  }
  OwnerWalk walk(wanted_inodes, false);
  run_owner_walk(walk);
  return owners_from(walk.take_found(), walk.hidden_for_lack_of_privilege());
}

Owners OwnerCache::find(std::span<const std::uint64_t> inodes) {
  std::vector<FdOwner> current;
  std::vector<std::uint64_t> misses;
  for (const auto inode : inodes) {
    const auto known = known_.find(inode);
    if (known != known_.end() &&
        std::all_of(known->second.begin(), known->second.end(), [&](const Location& location) {
          return still_there({inode, location.pid, location.fd});
        })) {
      for (const auto& location : known->second)
        current.push_back({inode, location.pid, location.fd});
    } else {
      misses.push_back(inode);
    }
  }
  std::unordered_map<std::uint64_t, std::vector<Location>> remembered;
  if (!misses.empty()) {
    const auto found = find_owners_quickly(misses, hidden_);
    current.insert(current.end(), found.begin(), found.end());
  }
  std::sort(current.begin(), current.end(), [](const FdOwner& a, const FdOwner& b) {
    return a.inode != b.inode ? a.inode < b.inode : a.pid < b.pid;
  });
  for (const auto& owner : current) remembered[owner.inode].push_back({owner.pid, owner.fd});
  // A socket no process we can see holds (or our own) is remembered as ownerless until it
  // goes away, so it does not force a full walk every time.
  for (const auto inode : inodes) remembered.try_emplace(inode);
  known_ = std::move(remembered);
  return owners_from(current, hidden_);
}

}  // namespace portkit

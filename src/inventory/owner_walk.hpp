#pragma once
// The /proc/*/fd walk behind socket owners, shared by several threads (internal).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "portkit/inventory/inventory.hpp"

namespace portkit {

// One socket fd of one process: (inode, pid) is unique in a walk's result, fd the lowest.
struct FdOwner {
  std::uint64_t inode = 0;
  int pid = 0;
  int fd = -1;
};

// Each thread that calls work() takes processes, and chunks of the fds of a process holding
// many, until none is left: a process with ten thousand sockets does not leave one core
// working alone at the end. No wanted inodes means every socket.
class OwnerWalk {
 public:
  // `pids` empty: every process in /proc.
  OwnerWalk(std::span<const std::uint64_t> wanted_inodes, bool stop_when_all_found,
            std::vector<int> pids = {});
  ~OwnerWalk();
  OwnerWalk(const OwnerWalk&) = delete;
  OwnerWalk& operator=(const OwnerWalk&) = delete;

  // From now on only these sockets are kept, and with stop_when_all_found the walk ends once
  // each has an owner; callable while threads work, so a walk begun before the socket list was
  // known (during the kernel's dump) narrows when it arrives. Once, at most.
  void narrow(std::span<const std::uint64_t> wanted_inodes);
  void work();
  // After every work() has returned: sorted by inode, then pid.
  std::vector<FdOwner> take_found();
  [[nodiscard]] bool hidden_for_lack_of_privilege() const;
  // Processes whose every fd was read (a walk that stopped early leaves some half read).
  [[nodiscard]] std::vector<int> completed_pids() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The inode in a /proc/PID/fd link to a socket ("socket:[12345]"); nothing for other links.
std::optional<std::uint64_t> socket_inode_of_link(std::string_view link);

// Threads worth running a walk on: the CPUs this process may use, at most 4.
unsigned owner_walk_threads();

// Runs `walk` on owner_walk_threads() threads, the caller's included.
void run_owner_walk(OwnerWalk& walk);

// Every socket's owners found the quick way: a walk that stops once each wanted socket has one
// owner, then a full look at that owner's ancestors and descendants, the processes that share
// a socket after fork (nginx workers, a pre-fork server, systemd socket activation).
std::vector<FdOwner> find_owners_quickly(std::span<const std::uint64_t> wanted_inodes,
                                         bool& hidden_for_lack_of_privilege);
// The second half of that: `found` (from a walk that stopped early) with the further owners
// among its processes' relatives; those in `walked` were read whole already and are skipped,
// so no process is read twice.
std::vector<FdOwner> add_relatives(std::vector<FdOwner> found, std::span<const int> walked);

// Owners from a walk's result: each process described once.
Owners owners_from(const std::vector<FdOwner>& found, bool hidden_for_lack_of_privilege);

}  // namespace portkit

#pragma once
// The scan engine's probes in flight, one slot each. Slots are reused, and a slot keeps the
// socket of a refused connect for its next TCP probe (see ConnectPool).
#include <cstdint>
#include <deque>
#include <vector>

#include "scan/connect_pool.hpp"
#include "scan/scan_scheduler.hpp"

namespace portkit {

struct ProbeSlot {
  int fd = -1;  // kept between TCP probes while it can connect again
  bool fd_v6 = false;
  bool watched = false;  // its connect is in the pool's epoll set, not yet collected
  ProbeTask task;
  ScanClock::time_point sent;
  unsigned generation = 0;  // bumped at each release: a late callback sees it is stale
  bool busy = false;
  bool tcp = true;
};

class ProbeSlots {
 public:
  explicit ProbeSlots(ConnectPool& connections) : connections_(connections) {}
  ~ProbeSlots() {
    for (auto& slot : slots_) connections_.close_socket(slot.fd, false, slot.watched);
  }
  ProbeSlots(const ProbeSlots&) = delete;
  ProbeSlots& operator=(const ProbeSlots&) = delete;

  // A free slot's index (its socket, if it kept one, still in it).
  std::uint32_t take() {
    if (free_.empty()) {
      slots_.emplace_back();
      return static_cast<std::uint32_t>(slots_.size() - 1);
    }
    const auto index = free_.back();
    free_.pop_back();
    return index;
  }

  // `keep_socket`: its connect was refused or failed, which leaves it ready to connect again.
  void release(std::uint32_t index, bool connected = false, bool keep_socket = false) {
    auto& slot = slots_[index];
    ++slot.generation;
    slot.busy = false;
    if (!keep_socket || connected || slot.watched) {
      connections_.close_socket(slot.fd, connected, slot.watched);
      slot.fd = -1;
    }
    slot.watched = false;
    free_.push_back(index);
  }

  ProbeSlot& operator[](std::uint32_t index) { return slots_[index]; }
  [[nodiscard]] std::uint32_t size() const { return static_cast<std::uint32_t>(slots_.size()); }

 private:
  ConnectPool& connections_;
  std::deque<ProbeSlot> slots_;  // a deque: references stay valid as it grows
  std::vector<std::uint32_t> free_;
};

}  // namespace portkit

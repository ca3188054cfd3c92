#pragma once
// Datagrams moved in batches: one recvmmsg takes up to kSlots, one sendmmsg passes a run of them
// on. A system call costs about a microsecond here, as much as the relay's own work on a
// datagram, so a batch roughly halves the cost of each.
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace portkit::forward {

class DatagramBatch {
 public:
  static constexpr int kSlots = 16;
  static constexpr std::size_t kSlotBytes = 65536;  // the largest datagram fits whole

  DatagramBatch();

  // Reads what `fd` has queued, up to kSlots datagrams; with their sources when `sources`.
  // Returns the count, 0 when none was waiting, or -1 with errno on an error to report.
  int receive(int fd, bool sources);

  [[nodiscard]] std::size_t size(int slot) const { return messages_[slot].msg_len; }
  [[nodiscard]] const sockaddr_storage& source(int slot) const { return sources_[slot]; }
  [[nodiscard]] socklen_t source_length(int slot) const {
    return messages_[slot].msg_hdr.msg_namelen;
  }

  // Outcome of passing a run on: how many went, and the errno of the first that did not.
  struct Sent {
    int count = 0;
    std::uint64_t bytes = 0;
    int first_error = 0;
  };
  // Sends slots [first, first + count) through `fd`, to `destination` when it is given (an
  // unconnected socket). A datagram the kernel refuses is skipped, as UDP would drop it.
  Sent send(int fd, int first, int count, const sockaddr_storage* destination,
            socklen_t destination_length);

 private:
  // Pages are touched only as datagrams fill them, so small datagrams cost a page a slot.
  std::unique_ptr<char[]> buffer_;
  std::array<mmsghdr, kSlots> messages_{};
  std::array<iovec, kSlots> vectors_{};
  std::array<sockaddr_storage, kSlots> sources_{};
};

}  // namespace portkit::forward

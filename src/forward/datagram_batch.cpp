#include "forward/datagram_batch.hpp"

#include <cerrno>

namespace portkit::forward {

DatagramBatch::DatagramBatch()
    : buffer_(std::make_unique_for_overwrite<char[]>(kSlots * kSlotBytes)) {
  for (int slot = 0; slot < kSlots; ++slot) {
    vectors_[slot] = {buffer_.get() + static_cast<std::size_t>(slot) * kSlotBytes, kSlotBytes};
  }
}

int DatagramBatch::receive(int fd, bool sources) {
  for (int slot = 0; slot < kSlots; ++slot) {
    auto& header = messages_[slot].msg_hdr;
    header = {};
    header.msg_iov = &vectors_[slot];
    header.msg_iovlen = 1;
    if (sources) {
      header.msg_name = &sources_[slot];
      header.msg_namelen = sizeof(sockaddr_storage);
    }
  }
  while (true) {
    const int received = ::recvmmsg(fd, messages_.data(), kSlots, MSG_DONTWAIT, nullptr);
    if (received >= 0) return received;
    if (errno == EAGAIN) return 0;
    if (errno != EINTR) return -1;
  }
}

DatagramBatch::Sent DatagramBatch::send(int fd, int first, int count,
                                        const sockaddr_storage* destination,
                                        socklen_t destination_length) {
  std::array<mmsghdr, kSlots> out{};
  for (int index = 0; index < count; ++index) {
    const int slot = first + index;
    auto& header = out[index].msg_hdr;
    header.msg_iov = &vectors_[slot];
    header.msg_iovlen = 1;
    // The slot's vector still spans the whole slot: send only what was received.
    vectors_[slot].iov_len = messages_[slot].msg_len;
    if (destination != nullptr) {
      header.msg_name = const_cast<sockaddr_storage*>(destination);
      header.msg_namelen = destination_length;
    }
  }
  Sent sent;
  int next = 0;
  while (next < count) {
    const int went = ::sendmmsg(fd, out.data() + next, static_cast<unsigned>(count - next), 0);
    if (went > 0) {
      for (int index = next; index < next + went; ++index) sent.bytes += out[index].msg_len;
      sent.count += went;
      next += went;
      continue;
    }
    if (went < 0 && errno == EINTR) continue;
    if (sent.first_error == 0) sent.first_error = went < 0 ? errno : EIO;
    if (went < 0 && errno == EAGAIN) break;  // the socket is full: the rest would be too
    ++next;  // an error that belongs to this datagram (or a reported ICMP error): skip it
  }
  for (int index = 0; index < count; ++index) vectors_[first + index].iov_len = kSlotBytes;
  return sent;
}

}  // namespace portkit::forward

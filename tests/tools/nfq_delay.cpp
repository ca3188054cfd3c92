// nfq_delay: the delay line behind `netns-host up --delay MS` (this kernel has no netem).
// usage: nfq_delay QUEUE MS
// Every packet the NFQUEUE rule hands over is held and accepted MS milliseconds after it arrived,
// in arrival order, so the path gains a constant latency and keeps its packet order. Only the
// packet's id is kept (copy mode "meta"), so a held packet costs 16 bytes here.
#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

struct HeldPacket {
  std::uint32_t id;
  Clock::time_point release_at;
};

struct DelayLine {
  std::chrono::microseconds delay{};
  std::deque<HeldPacket> held;
  nfq_q_handle* queue = nullptr;
};

int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* context) {
  auto& line = *static_cast<DelayLine*>(context);
  if (const auto* header = nfq_get_msg_packet_hdr(data)) {
    line.held.push_back({ntohl(header->packet_id), Clock::now() + line.delay});
  }
  return 0;
}

// One batch verdict accepts every queued packet up to the last one due: ids rise in arrival order
// (the kernel compares them modulo 2^32), so it releases exactly the due ones. A verdict per
// packet cost one syscall each and, at a few hundred thousand packets a second, a whole core.
void release_due(DelayLine& line) {
  const auto now = Clock::now();
  std::optional<std::uint32_t> last_due;
  while (!line.held.empty() && line.held.front().release_at <= now) {
    last_due = line.held.front().id;
    line.held.pop_front();
  }
  if (last_due) nfq_set_verdict_batch(line.queue, *last_due, NF_ACCEPT);
}

int poll_timeout_ms(const DelayLine& line) {
  if (line.held.empty()) return -1;
  const auto wait = line.held.front().release_at - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: nfq_delay QUEUE MS\n");
    return 2;
  }
  const auto queue_number = static_cast<std::uint16_t>(std::stoi(argv[1]));
  DelayLine line;
  line.delay = std::chrono::microseconds(std::stol(argv[2]) * 1000);

  nfq_handle* handle = nfq_open();
  if (handle == nullptr) {
    std::perror("nfq_open");
    return 3;
  }
  line.queue = nfq_create_queue(handle, queue_number, &on_packet, &line);
  if (line.queue == nullptr) {
    std::perror("nfq_create_queue");
    return 3;
  }
  nfq_set_mode(line.queue, NFQNL_COPY_META, 0);
  nfq_set_queue_maxlen(line.queue, 1 << 18);
  // A full queue lets packets through rather than dropping them: a test sees less delay, not loss.
  nfq_set_queue_flags(line.queue, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  nfnl_rcvbufsiz(nfq_nfnlh(handle), 64 << 20);
  const int fd = nfq_fd(handle);

  static char buffer[1 << 16];
  for (;;) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, poll_timeout_ms(line)) > 0) {
      for (;;) {
        const auto size = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (size > 0) {
          nfq_handle_packet(handle, buffer, static_cast<int>(size));
        } else if (size < 0 && errno == ENOBUFS) {
          continue;  // the kernel dropped messages; fail-open already let those packets pass
        } else {
          break;
        }
      }
    }
    release_due(line);
  }
}

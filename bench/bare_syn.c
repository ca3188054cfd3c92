/* The floor for any SYN scanner on this machine: the least a scanner can do per probe.
 * One thread sends a SYN to every port of every address, in batches of 1,024 by sendmmsg on one
 * raw socket, as fast as the kernel takes them; another reads the answers in batches by recvmmsg
 * from a raw socket filtered in the kernel to this source port, and only counts them (a SYN-ACK
 * is open, a RST is closed). No congestion control, retries, timeouts, state per probe or
 * output: what is left is the kernel's cost of carrying each SYN and its answer, which every
 * scanner pays. It ends when every probe was answered or one second after the last answer.
 * usage: bare_syn SOURCE_IPV4 FIRST_ADDRESS ADDRESS_COUNT PORT[,PORT...] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kBatch = 1024, kSourcePort = 47001, kMaxPorts = 1024 };

static atomic_ulong answered, open_ports;
static atomic_int sending_done;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint16_t checksum(const void* data, size_t size, uint32_t sum) {
  const uint8_t* bytes = data;
  for (size_t i = 0; i + 1 < size; i += 2) sum += (uint32_t)(bytes[i] << 8 | bytes[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static void syn(struct tcphdr* segment, uint32_t source, uint32_t destination, uint16_t port) {
  memset(segment, 0, sizeof *segment);
  segment->source = htons(kSourcePort);
  segment->dest = htons(port);
  segment->seq = htonl(destination ^ port);
  segment->doff = 5;
  segment->syn = 1;
  segment->window = htons(1024);
  uint32_t pseudo = (source >> 16) + (source & 0xffff) + (destination >> 16) +
                    (destination & 0xffff) + IPPROTO_TCP + sizeof *segment;
  segment->check = htons(checksum(segment, sizeof *segment, pseudo));
}

static void* receive(void* argument) {
  const int fd = *(int*)argument;
  static uint8_t buffers[kBatch][64];
  struct iovec vectors[kBatch];
  struct mmsghdr messages[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    vectors[i] = (struct iovec){buffers[i], sizeof buffers[i]};
    messages[i].msg_hdr = (struct msghdr){.msg_iov = &vectors[i], .msg_iovlen = 1};
  }
  double last_answer = now_s();
  for (;;) {
    /* recvmmsg's own timeout is only checked between datagrams: SO_RCVTIMEO bounds the wait. */
    const int got = recvmmsg(fd, messages, kBatch, MSG_WAITFORONE, NULL);
    if (got > 0) {
      last_answer = now_s();
      for (int i = 0; i < got; ++i) {
        const uint8_t* packet = buffers[i];
        const struct tcphdr* segment = (const struct tcphdr*)(packet + (packet[0] & 15) * 4);
        if (segment->syn && segment->ack) atomic_fetch_add(&open_ports, 1);
        atomic_fetch_add(&answered, 1);
      }
    } else if (atomic_load(&sending_done) && now_s() - last_answer > 1.0) {
      return NULL;
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: bare_syn SOURCE_IPV4 FIRST_ADDRESS ADDRESS_COUNT PORT[,PORT...]\n");
    return 2;
  }
  struct in_addr source, first;
  if (inet_pton(AF_INET, argv[1], &source) != 1 || inet_pton(AF_INET, argv[2], &first) != 1) {
    fprintf(stderr, "bare_syn: bad address\n");
    return 2;
  }
  const uint32_t count = (uint32_t)strtoul(argv[3], NULL, 10);
  uint16_t ports[kMaxPorts];
  int port_count = 0;
  for (char* token = strtok(argv[4], ","); token && port_count < kMaxPorts;
       token = strtok(NULL, ","))
    ports[port_count++] = (uint16_t)atoi(token);

  const int sender = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
  const int receiver = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
  if (sender < 0 || receiver < 0) {
    perror("bare_syn: raw socket");
    return 3;
  }
  /* Only segments to our source port: IPv4 header length from the first byte, then the port. */
  struct sock_filter code[] = {
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kSourcePort, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 64),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog program = {sizeof code / sizeof code[0], code};
  const int buffer = 64 << 20;
  const struct timeval wait = {0, 100 * 1000};
  if (setsockopt(receiver, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait) != 0 ||
      setsockopt(receiver, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0 ||
      setsockopt(receiver, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0) {
    perror("bare_syn: setsockopt");
    return 3;
  }
  pthread_t reader;
  pthread_create(&reader, NULL, receive, (void*)&receiver);

  static struct tcphdr segments[kBatch];
  static struct sockaddr_in destinations[kBatch];
  struct iovec vectors[kBatch];
  struct mmsghdr messages[kBatch];
  const double start = now_s();
  unsigned long sent = 0;
  int filled = 0;
  /* Port-major order, as a scanner spreads a host's probes over time. */
  for (int p = 0; p < port_count; ++p) {
    for (uint32_t a = 0; a < count; ++a) {
      const uint32_t destination = htonl(ntohl(first.s_addr) + a);
      syn(&segments[filled], ntohl(source.s_addr), ntohl(destination), ports[p]);
      destinations[filled] = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr = {destination}};
      vectors[filled] = (struct iovec){&segments[filled], sizeof segments[filled]};
      messages[filled].msg_hdr = (struct msghdr){.msg_name = &destinations[filled],
                                                 .msg_namelen = sizeof destinations[filled],
                                                 .msg_iov = &vectors[filled],
                                                 .msg_iovlen = 1};
      if (++filled == kBatch || (p == port_count - 1 && a == count - 1)) {
        int offset = 0;
        while (offset < filled) {
          const int done = sendmmsg(sender, messages + offset, (unsigned)(filled - offset), 0);
          if (done > 0)
            offset += done;
          else
            usleep(50); /* ENOBUFS: the device queue is full */
        }
        sent += (unsigned long)filled;
        filled = 0;
      }
    }
  }
  const double sent_at = now_s();
  atomic_store(&sending_done, 1);
  pthread_join(reader, NULL);
  const double end = now_s() - 1.0; /* the reader waited one silent second */
  printf("sent %lu in %.3f s (%.0f k/s); answered %lu (%lu open) by %.3f s\n", sent,
         sent_at - start, (double)sent / (sent_at - start) / 1000, atomic_load(&answered),
         atomic_load(&open_ports), end - start);
  return 0;
}

/* The floor for any TCP forwarder on this machine: the least a relay can do per connection.
 * Per worker process, all on one listening socket, one edge-triggered epoll loop: accept4,
 * a non-blocking connect, each end registered once, bytes moved by recv/send ("copy") or through
 * a pipe per direction ("splice"), end of stream passed on by shutdown, both closed when both
 * directions ended. No timeouts, limits, logging, counters or error reporting: what is left is the
 * cost of the second TCP connection itself, which every forwarder pays.
 * usage: bare_relay LISTEN_PORT UPSTREAM_PORT WORKERS copy|splice   (127.0.0.1 only) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kBuffer = 16384, kPipeCapacity = 256 << 10, kSpliceChunk = kPipeCapacity };

struct Connection;
struct End { /* one socket, and the bytes read from it not yet written to its peer */
  int fd;
  int ended;  /* its read side returned end of stream, and that was passed on */
  int eof;
  int drained; /* the last read was short: wait for the next edge before reading again */
  int pipe_fds[2];
  size_t pending, offset;
  char* buffer;
  struct End* peer;
  struct Connection* connection;
};
struct Connection {
  struct End client, upstream;
  int directions_ended;
  int closed;
  struct Connection* next_closed;
};

static int use_splice;
static struct sockaddr_in upstream_address;

/* Freed after the batch of events is handled: a later event of the batch may name it. */
static struct Connection* closed_connections;

static void close_connection(struct Connection* c) {
  if (c->closed) return;
  c->closed = 1;
  c->next_closed = closed_connections;
  closed_connections = c;
  struct End* ends[2] = {&c->client, &c->upstream};
  for (int i = 0; i < 2; ++i) {
    close(ends[i]->fd);
    if (use_splice) {
      close(ends[i]->pipe_fds[0]);
      close(ends[i]->pipe_fds[1]);
    }
    free(ends[i]->buffer);
  }
}

/* Moves what `from` has to its peer until either would block. Returns -1 on an error. */
static int pump(struct End* from) {
  struct End* to = from->peer;
  while (!from->ended) {
    if (from->pending > 0) {
      ssize_t n = use_splice ? splice(from->pipe_fds[0], NULL, to->fd, NULL, from->pending,
                                      SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
                             : send(to->fd, from->buffer + from->offset, from->pending, MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN ? 0 : -1;
      from->pending -= (size_t)n;
      from->offset += (size_t)n;
      continue;
    }
    if (from->eof) {
      from->ended = 1;
      if (++from->connection->directions_ended == 2) return 1; /* close() sends the FIN */
      shutdown(to->fd, SHUT_WR);
      break;
    }
    if (from->drained) break;
    ssize_t n = use_splice ? splice(from->fd, NULL, from->pipe_fds[1], NULL, kSpliceChunk,
                                    SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
                           : recv(from->fd, from->buffer, kBuffer, 0);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n == 0) from->eof = 1;
    /* A short recv emptied the socket; its next bytes raise a new edge. (A short splice
     * may mean a full pipe.) */
    from->drained = !use_splice && n > 0 && (size_t)n < (size_t)kBuffer;
    from->pending = (size_t)n;
    from->offset = 0;
  }
  return 0;
}

static int setup_end(int epoll_fd, struct End* end, int fd, struct End* peer, struct Connection* c) {
  end->fd = fd;
  end->peer = peer;
  end->connection = c;
  if (use_splice ? pipe2(end->pipe_fds, O_NONBLOCK) != 0 : (end->buffer = malloc(kBuffer)) == NULL)
    return -1;
  if (use_splice) fcntl(end->pipe_fds[1], F_SETPIPE_SZ, kPipeCapacity);
  struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = end};
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

static void accept_all(int epoll_fd, int listener) {
  for (;;) {
    int client = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
    if (client < 0) return;
    int upstream = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connect(upstream, (struct sockaddr*)&upstream_address, sizeof upstream_address);
    struct Connection* c = calloc(1, sizeof *c);
    if (setup_end(epoll_fd, &c->client, client, &c->upstream, c) != 0 ||
        setup_end(epoll_fd, &c->upstream, upstream, &c->client, c) != 0)
      exit(1);
  }
}

static int open_listener(int listen_port) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(listener, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* accepted sockets inherit it */
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)listen_port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr*)&address, sizeof address) != 0 || listen(listener, 4096) != 0)
    exit(1);
  return listener;
}

/* Every worker waits on the one listening socket: an idle worker takes what a busy one cannot. */
static void serve(int listener) {
  int epoll_fd = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
  struct epoll_event events[256];
  for (;;) {
    int ready = epoll_wait(epoll_fd, events, 256, -1);
    for (int i = 0; i < ready; ++i) {
      struct End* end = events[i].data.ptr;
      if (end == NULL) {
        accept_all(epoll_fd, listener);
        continue;
      }
      if (end->connection->closed) continue;
      /* Readable: our bytes can move on. Writable: the peer's waiting bytes can move to us. */
      int result = 0;
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        end->drained = 0;
        result = pump(end);
      }
      if (result == 0 && (events[i].events & EPOLLOUT) && end->peer->pending > 0)
        result = pump(end->peer);
      if (result != 0) close_connection(end->connection);
    }
    while (closed_connections != NULL) {
      struct Connection* c = closed_connections;
      closed_connections = c->next_closed;
      free(c);
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 5) return 2;
  signal(SIGPIPE, SIG_IGN);
  use_splice = strcmp(argv[4], "splice") == 0;
  upstream_address.sin_family = AF_INET;
  upstream_address.sin_port = htons((unsigned short)atoi(argv[2]));
  upstream_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int listener = open_listener(atoi(argv[1]));
  for (int worker = 1; worker < atoi(argv[3]); ++worker) {
    if (fork() == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM); /* killing the first worker ends them all */
      break;
    }
  }
  serve(listener);
}

#include "forward/tcp_session.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace portkit::forward {
namespace {

// Small messages go through a buffer (recv/send: no pipe to fill and drain); a direction
// whose read fills the buffer is bulk and splices from then on.
constexpr std::size_t kBufferSize = 16 * 1024;
// Reads per direction before yielding to the loop, so one fast stream cannot starve others.
constexpr int kReadsPerTurn = 16;
constexpr std::uint32_t kHangup = EPOLLRDHUP | EPOLLHUP | EPOLLERR;

void set_no_delay(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// close() after this sends RST: how a reset is passed on.
void arm_reset(int fd) {
  const linger abortive{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
}

int pending_socket_error(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

}  // namespace

TcpSession::TcpSession(Runtime& runtime, std::shared_ptr<RuleState> rule, int client_fd,
                       const sockaddr_storage& client_address)
    : runtime_(runtime),
      rule_(std::move(rule)),
      client_address_(client_address),
      started_(Clock::now()),
      last_activity_(started_) {
  client_ = {};
  client_.session = this;
  client_.client = true;
  client_.fd = client_fd;
  upstream_.session = this;
  up_.from = &client_;
  up_.to = &upstream_;
  up_.from_client = true;
  down_.from = &upstream_;
  down_.to = &client_;
}

TcpSession::~TcpSession() {
  if (client_.fd >= 0) ::close(client_.fd);
  if (upstream_.fd >= 0) ::close(upstream_.fd);
}

std::chrono::milliseconds TcpSession::idle_timeout() const {
  return rule_->rule.effective_idle_timeout();
}

void TcpSession::start() {
  runtime_.sessions.emplace(this, shared_from_this());
  ++rule_->counters.connections;
  ++rule_->counters.active;
  if (!runtime_.poller.add(client_.fd, &client_))
    return finish(true, false, "cannot watch the client");
  upstream_order_ = rule_->upstream_order(started_);
  try_next_upstream();
}

void TcpSession::try_next_upstream() {
  while (attempt_ < upstream_order_.size()) {
    upstream_index_ = upstream_order_[attempt_++];
    if (upstream_index_ >= rule_->upstreams.size()) continue;  // a reload shortened the list
    const auto& upstream = rule_->upstreams[upstream_index_];
    upstream_name_ = upstream.name;
    upstream_.fd =
        ::socket(upstream.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (upstream_.fd < 0) {
      ++rule_->counters.upstream_errors;
      runtime_.emit(
          {.kind = ForwardEvent::Kind::warning,
           .rule = rule_->rule.listen_text(),
           .client = endpoint_text(client_address_),
           .detail = std::string("cannot open a socket to the upstream: ") + std::strerror(errno)});
      return finish(true, false, "no socket for the upstream");
    }
    const int status = ::connect(upstream_.fd, reinterpret_cast<const sockaddr*>(&upstream.address),
                                 upstream.length);
    const int error = status == 0 ? 0 : errno;
    if (error == EINPROGRESS) {
      connecting_ = true;
      if (!runtime_.poller.add(upstream_.fd, &upstream_)) return on_connect_done(errno);
      connect_timer_ =
          std::make_unique<asio::steady_timer>(runtime_.io, rule_->rule.settings.connect_timeout);
      connect_timer_->async_wait(
          [self = shared_from_this(), attempt = attempt_](const asio::error_code& ec) {
            if (ec || self->finished_ || !self->connecting_ || attempt != self->attempt_) return;
            self->on_connect_done(ETIMEDOUT);
          });
      return;
    }
    if (error == 0 && !runtime_.poller.add(upstream_.fd, &upstream_)) return on_connect_done(errno);
    return on_connect_done(error);
  }
  runtime_.emit(
      {.kind = ForwardEvent::Kind::upstream_failed,
       .rule = rule_->rule.listen_text(),
       .client = endpoint_text(client_address_),
       .upstream = rule_->rule.targets_text(),
       .detail = upstream_order_.empty() ? "no target" : "no target accepted the connection"});
  finish(true, false, "no upstream");
}

void TcpSession::on_connect_done(int error) {
  connecting_ = false;
  connect_timer_.reset();
  if (error != 0) {
    ++rule_->counters.upstream_errors;
    rule_->mark_down(upstream_index_, Clock::now());
    ::close(upstream_.fd);  // also leaves the Poller
    upstream_.fd = -1;
    return try_next_upstream();
  }
  set_no_delay(upstream_.fd);
  if (rule_->rule.settings.proxy != ProxyProtocol::none) {
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    ::getsockname(client_.fd, reinterpret_cast<sockaddr*>(&local), &length);
    const auto header = proxy_header(
        rule_->rule.settings.proxy,
        {ip_of(client_address_), port_of(client_address_), ip_of(local), port_of(local)});
    // A fresh connection's send buffer is empty: the header (at most 52 bytes) goes in one send.
    const auto sent = ::send(upstream_.fd, header.data(), header.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(header.size())) {
      return finish(true, true, "could not send the PROXY header");
    }
  }
  relaying_ = true;
  pump(up_);
  if (!finished_) pump(down_);
}

void TcpSession::on_ready(Side& side, std::uint32_t events) {
  if (finished_) return;
  if (events & kHangup) side.hangup_seen = true;
  if (connecting_) {
    // Writable without an error is connected: SO_ERROR is only worth asking on an error.
    if (!side.client && (events & (EPOLLERR | EPOLLHUP))) {
      on_connect_done(pending_socket_error(upstream_.fd));
    } else if (!side.client && (events & EPOLLOUT)) {
      on_connect_done(0);
    }
    return;
  }
  if (!relaying_) return;
  auto& reading = side.client ? up_ : down_;  // this side is its source
  auto& writing = side.client ? down_ : up_;  // this side is its sink
  if (reading.waiting_read && (events & (EPOLLIN | kHangup))) {
    reading.waiting_read = false;
    pump(reading);
  }
  if (!finished_ && writing.waiting_write && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
    writing.waiting_write = false;
    pump(writing);
  }
}

void TcpSession::take_carrier(Direction& direction) {
  if (direction.bulk && runtime_.use_splice) {
    if (auto pipe = runtime_.pipes.acquire()) {
      direction.pipe = *pipe;
      return;
    }
  }
  direction.buffer = std::make_unique<char[]>(kBufferSize);
}

void TcpSession::drop_carrier(Direction& direction) {
  if (direction.pipe.valid()) {
    runtime_.pipes.release(direction.pipe, direction.pending == 0);
    direction.pipe = {};
  }
  direction.buffer.reset();
}

void TcpSession::pump(Direction& direction) {
  auto& counter = direction.from_client ? rule_->counters.bytes_up : rule_->counters.bytes_down;
  int reads = 0;
  while (!finished_) {
    if (direction.pending > 0) {
      const int to = direction.to->fd;
      const ssize_t sent = direction.pipe.valid()
                               ? ::splice(direction.pipe.read_fd, nullptr, to, nullptr,
                                          direction.pending, SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
                               : ::send(to, direction.buffer.get() + direction.buffer_offset,
                                        direction.pending, MSG_NOSIGNAL);
      if (sent > 0) {
        direction.pending -= static_cast<std::size_t>(sent);
        direction.buffer_offset += static_cast<std::size_t>(sent);
        direction.bytes += static_cast<std::uint64_t>(sent);
        counter += static_cast<std::uint64_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && errno == EAGAIN) {
        direction.waiting_write = true;
        return;
      }
      return fail(direction, sent < 0 ? errno : EPIPE, false);
    }
    if (direction.eof) {
      drop_carrier(direction);
      direction.done = true;
      auto& other = &direction == &up_ ? down_ : up_;
      if (other.done) return finish(false, false, "closed");  // close() sends the FIN
      ::shutdown(direction.to->fd, SHUT_WR);
      return;
    }
    if (direction.drained) {
      // The last read came back short, so the source had nothing more then; anything newer
      // raises a new edge. Saves a read that would only say EAGAIN.
      direction.drained = false;
      drop_carrier(direction);
      direction.waiting_read = true;
      return;
    }
    if (direction.bulk && direction.buffer && runtime_.use_splice) {
      // The buffer went out whole and the reads fill it: a bulk stream, spliced from here.
      drop_carrier(direction);
    }
    if (++reads > kReadsPerTurn) {
      asio::post(runtime_.io, [self = shared_from_this(), &direction] {
        if (!self->finished_) self->pump(direction);
      });
      return;
    }
    if (!direction.pipe.valid() && !direction.buffer) take_carrier(direction);
    const int from = direction.from->fd;
    const ssize_t received =
        direction.pipe.valid()
            ? ::splice(from, nullptr, direction.pipe.write_fd, nullptr, direction.pipe.capacity,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
            : ::recv(from, direction.buffer.get(), kBufferSize, 0);
    if (received > 0) {
      direction.pending = static_cast<std::size_t>(received);
      direction.buffer_offset = 0;
      last_activity_ = Clock::now();
      if (!direction.pipe.valid()) {
        const bool full = static_cast<std::size_t>(received) == kBufferSize;
        direction.bulk = full;
        direction.drained = !full && !direction.from->hangup_seen;
      }
      continue;
    }
    if (received == 0) {
      direction.eof = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      drop_carrier(direction);
      direction.waiting_read = true;
      return;
    }
    if (errno == EINVAL && direction.pipe.valid()) {
      // This socket cannot be spliced: relay it through a buffer instead.
      drop_carrier(direction);
      direction.bulk = false;
      direction.buffer = std::make_unique<char[]>(kBufferSize);
      continue;
    }
    return fail(direction, errno, true);
  }
}

void TcpSession::fail(Direction& direction, int error, bool while_reading) {
  // The broken side is the one the syscall failed on; the other one learns by a reset.
  const bool client_broken = while_reading == direction.from_client;
  const auto how = std::string(client_broken ? "reset by the client" : "reset by the upstream") +
                   " (" + std::strerror(error) + ")";
  ++rule_->counters.resets;
  finish(!client_broken, client_broken, how);
}

void TcpSession::end(bool reset, std::string_view why) {
  // Cutting a stream mid-transfer must not look like its orderly end: reset then.
  const bool cut = reset || up_.pending > 0 || down_.pending > 0;
  finish(cut, cut && relaying_, why);
}

void TcpSession::finish(bool reset_client, bool reset_upstream, std::string_view how) {
  if (finished_) return;
  finished_ = true;
  connect_timer_.reset();
  drop_carrier(up_);
  drop_carrier(down_);
  if (reset_client) arm_reset(client_.fd);
  if (reset_upstream && upstream_.fd >= 0) arm_reset(upstream_.fd);
  ::close(client_.fd);
  client_.fd = -1;
  if (upstream_.fd >= 0) ::close(upstream_.fd);
  upstream_.fd = -1;
  --rule_->counters.active;
  if (runtime_.connection_events) {
    runtime_.emit(
        {.kind = ForwardEvent::Kind::closed,
         .rule = rule_->rule.listen_text(),
         .client = endpoint_text(client_address_),
         .upstream = relaying_ ? upstream_name_ : std::string(),
         .bytes_up = up_.bytes,
         .bytes_down = down_.bytes,
         .duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count(),
         .detail = std::string(how)});
  }
  if (rule_->on_session_end) rule_->on_session_end();
  // Freed after the current batch of events: one of them may still name this session.
  if (const auto found = runtime_.sessions.find(this); found != runtime_.sessions.end()) {
    runtime_.graveyard.push_back(std::move(found->second));
    runtime_.sessions.erase(found);
  }
}

}  // namespace portkit::forward

#include "forward/tcp_session.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace portkit::forward {
namespace {

// Read/write relay buffer (when splice cannot be used); held only while bytes are in it.
constexpr std::size_t kBufferSize = 64 * 1024;
// Reads per direction before yielding to the loop, so one fast stream cannot starve others.
constexpr int kReadsPerTurn = 16;

void set_no_delay(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// close() after this sends RST: how a reset is passed on.
void arm_reset(int fd) {
  const linger abortive{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
}

int socket_error(int fd) {
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
      client_(runtime.io, client_fd),
      upstream_(runtime.io),
      client_address_(client_address),
      started_(Clock::now()),
      last_activity_(started_) {
  up_.from = &client_;
  up_.to = &upstream_;
  up_.from_client = true;
  down_.from = &upstream_;
  down_.to = &client_;
}

TcpSession::~TcpSession() {
  runtime_.sessions.erase(this);
}

std::chrono::milliseconds TcpSession::idle_timeout() const {
  return rule_->rule.effective_idle_timeout();
}

void TcpSession::start() {
  runtime_.sessions.insert(this);
  ++rule_->counters.connections;
  ++rule_->counters.active;
  upstream_order_ = rule_->upstream_order(started_);
  try_next_upstream();
}

void TcpSession::try_next_upstream() {
  while (attempt_ < upstream_order_.size()) {
    upstream_index_ = upstream_order_[attempt_++];
    if (upstream_index_ >= rule_->upstreams.size()) continue;  // a reload shortened the list
    const auto upstream = rule_->upstreams[upstream_index_];
    upstream_name_ = upstream.name;
    const int fd =
        ::socket(upstream.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ++rule_->counters.upstream_errors;
      runtime_.emit(
          {.kind = ForwardEvent::Kind::warning,
           .rule = rule_->rule.listen_text(),
           .client = endpoint_text(client_address_),
           .detail = std::string("cannot open a socket to the upstream: ") + std::strerror(errno)});
      return finish(true, false, "no socket for the upstream");
    }
    const int status =
        ::connect(fd, reinterpret_cast<const sockaddr*>(&upstream.address), upstream.length);
    const int error = status == 0 ? 0 : errno;
    asio::error_code ignored;
    upstream_.assign(fd, ignored);
    if (error == 0) return on_connect_done(0);
    if (error == EINPROGRESS) {
      connect_timer_ =
          std::make_unique<asio::steady_timer>(runtime_.io, rule_->rule.settings.connect_timeout);
      const auto attempt = attempt_;
      connect_timer_->async_wait([self = shared_from_this(), attempt](const asio::error_code& ec) {
        if (ec || self->finished_ || self->relaying_ || attempt != self->attempt_) return;
        self->on_connect_done(ETIMEDOUT);
      });
      upstream_.async_wait(
          asio::posix::stream_descriptor::wait_write,
          [self = shared_from_this(), attempt](const asio::error_code& ec) {
            if (ec || self->finished_ || self->relaying_ || attempt != self->attempt_) return;
            self->on_connect_done(socket_error(self->upstream_.native_handle()));
          });
      return;
    }
    on_connect_done(error);
    return;
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
  connect_timer_.reset();
  if (error != 0) {
    ++rule_->counters.upstream_errors;
    rule_->mark_down(upstream_index_, Clock::now());
    asio::error_code ignored;
    upstream_.close(ignored);
    return try_next_upstream();
  }
  set_no_delay(client_.native_handle());
  set_no_delay(upstream_.native_handle());
  if (rule_->rule.settings.proxy != ProxyProtocol::none) {
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    ::getsockname(client_.native_handle(), reinterpret_cast<sockaddr*>(&local), &length);
    const auto header = proxy_header(
        rule_->rule.settings.proxy,
        {ip_of(client_address_), port_of(client_address_), ip_of(local), port_of(local)});
    // A fresh connection's send buffer is empty: the header (at most 52 bytes) goes in one send.
    const auto sent = ::send(upstream_.native_handle(), header.data(), header.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(header.size())) {
      return finish(true, true, "could not send the PROXY header");
    }
  }
  relaying_ = true;
  pump(up_);
  if (!finished_) pump(down_);
}

bool TcpSession::take_carrier(Direction& direction) {
  if (runtime_.use_splice) {
    if (auto pipe = runtime_.pipes.acquire()) {
      direction.pipe = *pipe;
      return true;
    }
  }
  direction.buffer = std::make_unique<char[]>(kBufferSize);
  return true;
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
      const int to = direction.to->native_handle();
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
      if (sent < 0 && errno == EAGAIN) return wait_writable(direction);
      return fail(direction, sent < 0 ? errno : EPIPE, false);
    }
    if (direction.eof) {
      drop_carrier(direction);
      ::shutdown(direction.to->native_handle(), SHUT_WR);
      direction.done = true;
      if (up_.done && down_.done) finish(false, false, "closed");
      return;
    }
    if (++reads > kReadsPerTurn) {
      asio::post(runtime_.io, [self = shared_from_this(), &direction] { self->pump(direction); });
      return;
    }
    if (!direction.pipe.valid() && !direction.buffer) take_carrier(direction);
    const int from = direction.from->native_handle();
    const ssize_t received =
        direction.pipe.valid()
            ? ::splice(from, nullptr, direction.pipe.write_fd, nullptr, direction.pipe.capacity,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
            : ::recv(from, direction.buffer.get(), kBufferSize, 0);
    if (received > 0) {
      direction.pending = static_cast<std::size_t>(received);
      direction.buffer_offset = 0;
      last_activity_ = Clock::now();
      continue;
    }
    if (received == 0) {
      direction.eof = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      drop_carrier(direction);
      return wait_readable(direction);
    }
    if (errno == EINVAL && direction.pipe.valid()) {
      // This socket cannot be spliced: relay it through a buffer instead.
      drop_carrier(direction);
      direction.buffer = std::make_unique<char[]>(kBufferSize);
      continue;
    }
    return fail(direction, errno, true);
  }
}

void TcpSession::wait_readable(Direction& direction) {
  direction.from->async_wait(asio::posix::stream_descriptor::wait_read,
                             [self = shared_from_this(), &direction](const asio::error_code& ec) {
                               if (!ec && !self->finished_) self->pump(direction);
                             });
}

void TcpSession::wait_writable(Direction& direction) {
  direction.to->async_wait(asio::posix::stream_descriptor::wait_write,
                           [self = shared_from_this(), &direction](const asio::error_code& ec) {
                             if (!ec && !self->finished_) self->pump(direction);
                           });
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
  finish(reset, reset && relaying_, why);
}

void TcpSession::finish(bool reset_client, bool reset_upstream, std::string_view how) {
  if (finished_) return;
  finished_ = true;
  runtime_.sessions.erase(this);
  connect_timer_.reset();
  drop_carrier(up_);
  drop_carrier(down_);
  if (reset_client) arm_reset(client_.native_handle());
  if (reset_upstream && upstream_.is_open()) arm_reset(upstream_.native_handle());
  asio::error_code ignored;
  client_.close(ignored);
  upstream_.close(ignored);
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
}

}  // namespace portkit::forward

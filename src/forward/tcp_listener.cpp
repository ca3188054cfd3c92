#include "forward/tcp_listener.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "forward/tcp_session.hpp"

namespace portkit::forward {
namespace {

constexpr int kAcceptsPerTurn = 64;
constexpr auto kDescriptorRetry = std::chrono::milliseconds(100);
constexpr auto kWarningInterval = std::chrono::seconds(5);

Error socket_error(const ForwardRule& rule, std::string_view what) {
  const int error = errno;
  return make_error(
      "cannot " + std::string(what) + " " + rule.listen_text() + ": " + std::strerror(error),
      error);
}

}  // namespace

Result<int> bind_rule_socket(const ForwardRule& rule, std::uint16_t& bound_port, bool shared) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = rule.proto == Proto::udp ? SOCK_DGRAM : SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | (rule.bind.kind == HostKind::name ? 0 : AI_NUMERICHOST);
  addrinfo* found = nullptr;
  const auto port_text = std::to_string(rule.port);
  if (const int status = ::getaddrinfo(rule.bind.text.c_str(), port_text.c_str(), &hints, &found);
      status != 0) {
    return make_error("cannot resolve listen address " + rule.bind.text + ": " +
                      ::gai_strerror(status));
  }
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ::freeaddrinfo(found);
    return socket_error(rule, "open a socket for");
  }
  if (rule.proto == Proto::tcp) {
    // Rebinding right after a restart must not wait for TIME_WAIT to pass.
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    // Accepted sockets inherit it: relayed bytes go out as they come, one setsockopt saved.
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  if (shared) {
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  }
  const int bound = ::bind(fd, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (bound != 0 || (rule.proto == Proto::tcp && ::listen(fd, SOMAXCONN * 16) != 0)) {
    auto error = socket_error(rule, bound != 0 ? "bind" : "listen on");
    ::close(fd);
    return error;
  }
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  bound_port = port_of(local);
  return fd;
}

TcpListener::TcpListener(Runtime& runtime, std::shared_ptr<RuleState> state)
    : runtime_(runtime), state_(std::move(state)), socket_(runtime.io), retry_timer_(runtime.io) {}

TcpListener::~TcpListener() {
  // Cancelling the retry timer throws only when the reactor cannot be told (epoll_ctl failing);
  // a destructor must not throw, and the descriptor is closed either way.
  try {
    close();
  } catch (const std::system_error&) {
  }
}

Result<std::uint16_t> TcpListener::open(bool shared) {
  std::uint16_t port = 0;
  auto fd = bind_rule_socket(state_->rule, port, shared);
  if (!fd) return fd.error();
  socket_.assign(*fd);
  return port;
}

void TcpListener::start() {
  std::weak_ptr<TcpListener> weak = shared_from_this();
  state_->on_session_end = [weak] {
    const auto self = weak.lock();
    if (!self || self->closed_ || !self->paused_ || self->at_limit()) return;
    self->paused_ = false;
    asio::post(self->runtime_.io, [self] { self->accept_ready(); });
  };
  accept_ready();
}

void TcpListener::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  retry_timer_.cancel();
  socket_.close(ignored);
}

bool TcpListener::at_limit() const {
  const auto limit = state_->rule.settings.max_conns;
  return limit > 0 && state_->counters.active >= limit;
}

void TcpListener::wait() {
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       if (!ec && !self->closed_) self->accept_ready();
                     });
}

void TcpListener::accept_ready() {
  if (closed_) return;
  for (int accepted = 0; accepted < kAcceptsPerTurn; ++accepted) {
    if (at_limit()) {
      paused_ = true;  // on_session_end resumes
      return;
    }
    sockaddr_storage client{};
    socklen_t length = sizeof client;
    const int fd = ::accept4(socket_.native_handle(), reinterpret_cast<sockaddr*>(&client), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      if (error == EAGAIN) return wait();
      if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
      // Out of descriptors or memory: clients wait in the backlog until some close.
      const auto now = Clock::now();
      if (now - last_warning_ >= kWarningInterval) {
        last_warning_ = now;
        runtime_.emit({.kind = ForwardEvent::Kind::warning,
                       .rule = state_->rule.listen_text(),
                       .detail = std::string("cannot accept: ") + std::strerror(error) +
                                 "; new clients wait (raise ulimit -n or lower --max-conns)"});
      }
      retry_timer_.expires_after(kDescriptorRetry);
      retry_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
        if (!ec && !self->closed_) self->accept_ready();
      });
      return;
    }
    if (!state_->rule.admits(ip_of(client))) {
      ++state_->counters.denied;
      const linger abortive{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
      ::close(fd);
      runtime_.emit({.kind = ForwardEvent::Kind::denied,
                     .rule = state_->rule.listen_text(),
                     .client = endpoint_text(client),
                     .detail = "source not allowed"});
      continue;
    }
    std::make_shared<TcpSession>(runtime_, state_, fd, client)->start();
  }
  asio::post(runtime_.io, [self = shared_from_this()] { self->accept_ready(); });
}

}  // namespace portkit::forward

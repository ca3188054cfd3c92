#include "forward/udp_listener.hpp"

#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "forward/tcp_listener.hpp"

namespace portkit::forward {
namespace {

constexpr std::size_t kDefaultSessionLimit = 16384;
constexpr std::size_t kDatagramMax = 65536;
constexpr int kDatagramsPerTurn = 64;

}  // namespace

UdpListener::UdpListener(Runtime& runtime, std::shared_ptr<RuleState> state)
    : runtime_(runtime), state_(std::move(state)), socket_(runtime.io), buffer_(kDatagramMax) {}

UdpListener::~UdpListener() {
  close();
}

Result<std::uint16_t> UdpListener::open() {
  std::uint16_t port = 0;
  auto fd = bind_rule_socket(state_->rule, port);
  if (!fd) return fd.error();
  socket_.assign(*fd);
  return port;
}

void UdpListener::start() {
  receive_ready();
}

void UdpListener::close() {
  if (closed_) return;
  closed_ = true;
  const auto peers = peers_;
  for (const auto& [key, peer] : peers) end_peer(peer, "stopped");
  asio::error_code ignored;
  socket_.close(ignored);
}

std::size_t UdpListener::session_limit() const {
  const auto limit = state_->rule.settings.max_conns;
  return limit > 0 ? limit : kDefaultSessionLimit;
}

void UdpListener::sweep(Clock::time_point now) {
  const auto timeout = state_->rule.effective_idle_timeout();
  if (timeout.count() <= 0) return;
  std::vector<std::shared_ptr<Peer>> idle;
  for (const auto& [key, peer] : peers_) {
    if (now - peer->last_activity >= timeout) idle.push_back(peer);
  }
  for (const auto& peer : idle) end_peer(peer, "idle");
}

void UdpListener::wait() {
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       if (!ec && !self->closed_) self->receive_ready();
                     });
}

void UdpListener::receive_ready() {
  for (int received = 0; received < kDatagramsPerTurn && !closed_; ++received) {
    sockaddr_storage client{};
    socklen_t length = sizeof client;
    const ssize_t size = ::recvfrom(socket_.native_handle(), buffer_.data(), buffer_.size(), 0,
                                    reinterpret_cast<sockaddr*>(&client), &length);
    if (size < 0) {
      if (errno == EAGAIN) return wait();
      continue;  // EINTR, or an ICMP error queued on the listening socket
    }
    std::string key(reinterpret_cast<const char*>(&client), length);
    auto found = peers_.find(key);
    std::shared_ptr<Peer> peer;
    if (found != peers_.end()) {
      peer = found->second;
    } else {
      if (!state_->rule.admits(ip_of(client))) {
        ++state_->counters.denied;
        runtime_.emit({.kind = ForwardEvent::Kind::denied,
                       .rule = state_->rule.listen_text(),
                       .client = endpoint_text(client),
                       .detail = "source not allowed"});
        continue;
      }
      peer = open_peer(client, length, std::move(key));
      if (!peer) {
        ++state_->counters.dropped;
        continue;
      }
    }
    const ssize_t sent =
        ::send(peer->socket.native_handle(), buffer_.data(), static_cast<std::size_t>(size), 0);
    if (sent < 0) {
      ++state_->counters.dropped;
      if (errno == ECONNREFUSED) {
        ++state_->counters.upstream_errors;
        state_->mark_down(peer->upstream_index, Clock::now());
      }
      continue;
    }
    peer->last_activity = Clock::now();
    peer->bytes_up += static_cast<std::uint64_t>(sent);
    state_->counters.bytes_up += static_cast<std::uint64_t>(sent);
  }
  if (!closed_) asio::post(runtime_.io, [self = shared_from_this()] { self->receive_ready(); });
}

std::shared_ptr<UdpListener::Peer> UdpListener::open_peer(const sockaddr_storage& client,
                                                          socklen_t length, std::string key) {
  if (peers_.size() >= session_limit()) {
    const auto oldest =
        std::min_element(peers_.begin(), peers_.end(), [](const auto& a, const auto& b) {
          return a.second->last_activity < b.second->last_activity;
        });
    end_peer(oldest->second, "evicted (session limit)");
  }
  const auto now = Clock::now();
  for (const auto index : state_->upstream_order(now)) {
    const auto& upstream = state_->upstreams[index];
    const int fd =
        ::socket(upstream.address.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ++state_->counters.upstream_errors;
      return nullptr;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&upstream.address), upstream.length) != 0) {
      ::close(fd);
      ++state_->counters.upstream_errors;
      state_->mark_down(index, now);
      continue;
    }
    auto peer = std::make_shared<Peer>(runtime_.io);
    asio::error_code ignored;
    peer->socket.assign(fd, ignored);
    peer->client = client;
    peer->client_length = length;
    peer->key = std::move(key);
    peer->upstream_index = index;
    peer->upstream_name = upstream.name;
    peer->started = now;
    peer->last_activity = now;
    peers_.emplace(peer->key, peer);
    ++state_->counters.connections;
    ++state_->counters.active;
    wait_reply(peer);
    return peer;
  }
  return nullptr;
}

void UdpListener::wait_reply(const std::shared_ptr<Peer>& peer) {
  peer->socket.async_wait(asio::posix::stream_descriptor::wait_read,
                          [self = shared_from_this(), peer](const asio::error_code& ec) {
                            if (!ec && !peer->closed && !self->closed_) self->reply_ready(peer);
                          });
}

void UdpListener::reply_ready(const std::shared_ptr<Peer>& peer) {
  for (int received = 0; received < kDatagramsPerTurn; ++received) {
    const ssize_t size = ::recv(peer->socket.native_handle(), buffer_.data(), buffer_.size(), 0);
    if (size < 0) {
      if (errno == EAGAIN) return wait_reply(peer);
      if (errno == ECONNREFUSED) {  // the upstream port answered with ICMP unreachable
        ++state_->counters.upstream_errors;
        state_->mark_down(peer->upstream_index, Clock::now());
      }
      continue;
    }
    const ssize_t sent =
        ::sendto(socket_.native_handle(), buffer_.data(), static_cast<std::size_t>(size), 0,
                 reinterpret_cast<const sockaddr*>(&peer->client), peer->client_length);
    if (sent < 0) {
      ++state_->counters.dropped;
      continue;
    }
    peer->last_activity = Clock::now();
    peer->bytes_down += static_cast<std::uint64_t>(sent);
    state_->counters.bytes_down += static_cast<std::uint64_t>(sent);
  }
  asio::post(runtime_.io, [self = shared_from_this(), peer] {
    if (!peer->closed && !self->closed_) self->reply_ready(peer);
  });
}

void UdpListener::end_peer(const std::shared_ptr<Peer>& peer, std::string_view why) {
  if (peer->closed) return;
  peer->closed = true;
  asio::error_code ignored;
  peer->socket.close(ignored);
  peers_.erase(peer->key);
  --state_->counters.active;
  if (runtime_.connection_events) {
    runtime_.emit(
        {.kind = ForwardEvent::Kind::closed,
         .rule = state_->rule.listen_text(),
         .client = endpoint_text(peer->client),
         .upstream = peer->upstream_name,
         .bytes_up = peer->bytes_up,
         .bytes_down = peer->bytes_down,
         .duration_ms =
             std::chrono::duration<double, std::milli>(Clock::now() - peer->started).count(),
         .detail = std::string(why)});
  }
}

}  // namespace portkit::forward

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
// Then other work gets a turn: 64 datagrams.
constexpr int kBatchesPerTurn = 64 / DatagramBatch::kSlots;

}  // namespace

UdpListener::UdpListener(Runtime& runtime, std::shared_ptr<RuleState> state)
    : runtime_(runtime), state_(std::move(state)), socket_(runtime.io) {}

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
  for (int turn = 0; turn < kBatchesPerTurn && !closed_; ++turn) {
    const int received = batch_.receive(socket_.native_handle(), true);
    if (received == 0) return wait();
    if (received < 0) continue;  // an ICMP error queued on the listening socket
    const auto now = Clock::now();
    for (int first = 0, run = 1; first < received; first += run) {
      // A client's consecutive datagrams go on in one system call.
      const std::string_view source = source_key(first);
      for (run = 1; first + run < received && source_key(first + run) == source;) ++run;
      const auto peer = peer_for(first, run, now);
      if (peer) relay_up(*peer, first, run, now);
    }
  }
  if (!closed_) asio::post(runtime_.io, [self = shared_from_this()] { self->receive_ready(); });
}

std::string_view UdpListener::source_key(int slot) const {
  return {reinterpret_cast<const char*>(&batch_.source(slot)), batch_.source_length(slot)};
}

std::shared_ptr<UdpListener::Peer> UdpListener::peer_for(int slot, int run, Clock::time_point now) {
  const std::string_view key = source_key(slot);
  if (const auto found = peers_.find(key); found != peers_.end()) return found->second;
  const auto& client = batch_.source(slot);
  if (!state_->rule.admits(ip_of(client))) {
    state_->counters.denied += static_cast<std::uint64_t>(run);
    runtime_.emit({.kind = ForwardEvent::Kind::denied,
                   .rule = state_->rule.listen_text(),
                   .client = endpoint_text(client),
                   .detail = "source not allowed"});
    return nullptr;
  }
  auto peer = open_peer(client, batch_.source_length(slot), std::string(key), now);
  if (!peer) state_->counters.dropped += static_cast<std::uint64_t>(run);
  return peer;
}

void UdpListener::relay_up(Peer& peer, int first, int run, Clock::time_point now) {
  const auto sent = batch_.send(peer.socket.native_handle(), first, run, nullptr, 0);
  state_->counters.dropped += static_cast<std::uint64_t>(run - sent.count);
  if (sent.first_error == ECONNREFUSED) {  // an earlier datagram met ICMP port unreachable
    ++state_->counters.upstream_errors;
    state_->mark_down(peer.upstream_index, now);
  }
  if (sent.count == 0) return;
  peer.last_activity = now;
  peer.bytes_up += sent.bytes;
  state_->counters.bytes_up += sent.bytes;
}

std::shared_ptr<UdpListener::Peer> UdpListener::open_peer(const sockaddr_storage& client,
                                                          socklen_t length, std::string key,
                                                          Clock::time_point now) {
  if (peers_.size() >= session_limit()) {
    const auto oldest =
        std::min_element(peers_.begin(), peers_.end(), [](const auto& a, const auto& b) {
          return a.second->last_activity < b.second->last_activity;
        });
    end_peer(oldest->second, "evicted (session limit)");
  }
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
  for (int turn = 0; turn < kBatchesPerTurn; ++turn) {
    const int received = batch_.receive(peer->socket.native_handle(), false);
    if (received == 0) return wait_reply(peer);
    if (received < 0) {
      if (errno == ECONNREFUSED) {  // the upstream port answered with ICMP unreachable
        ++state_->counters.upstream_errors;
        state_->mark_down(peer->upstream_index, Clock::now());
      }
      continue;
    }
    const auto sent =
        batch_.send(socket_.native_handle(), 0, received, &peer->client, peer->client_length);
    state_->counters.dropped += static_cast<std::uint64_t>(received - sent.count);
    if (sent.count == 0) continue;
    peer->last_activity = Clock::now();
    peer->bytes_down += sent.bytes;
    state_->counters.bytes_down += sent.bytes;
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

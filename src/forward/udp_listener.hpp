#pragma once
// A UDP rule: one session per client address, each with its own connected socket to the
// upstream so replies find their way back; sessions end after the idle timeout, and past
// --max-conns (default 16384) the least recently active one makes room.
#include <asio/posix/stream_descriptor.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "forward/datagram_batch.hpp"
#include "forward/runtime.hpp"

namespace portkit::forward {

class UdpListener : public std::enable_shared_from_this<UdpListener> {
 public:
  UdpListener(Runtime& runtime, std::shared_ptr<RuleState> state);
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  Result<std::uint16_t> open();
  void start();
  void close();
  void sweep(Clock::time_point now);  // ends idle sessions
  [[nodiscard]] const std::shared_ptr<RuleState>& state() const { return state_; }

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  struct Peer {
    explicit Peer(asio::io_context& io) : socket(io) {}
    asio::posix::stream_descriptor socket;
    sockaddr_storage client{};
    socklen_t client_length = 0;
    std::string key;
    std::size_t upstream_index = 0;
    std::string upstream_name;
    Clock::time_point started;
    Clock::time_point last_activity;
    std::uint64_t bytes_up = 0;
    std::uint64_t bytes_down = 0;
    bool closed = false;
  };

  void wait();
  void receive_ready();
  [[nodiscard]] std::string_view source_key(int slot) const;  // the source address's bytes
  // The session of the datagrams in slots [slot, slot + run), all from one source; opened
  // when new. nullptr when the source is refused or no upstream can be reached.
  std::shared_ptr<Peer> peer_for(int slot, int run, Clock::time_point now);
  std::shared_ptr<Peer> open_peer(const sockaddr_storage& client, socklen_t length, std::string key,
                                  Clock::time_point now);
  void relay_up(Peer& peer, int first, int run, Clock::time_point now);
  void wait_reply(const std::shared_ptr<Peer>& peer);
  void reply_ready(const std::shared_ptr<Peer>& peer);
  void end_peer(const std::shared_ptr<Peer>& peer, std::string_view why);
  [[nodiscard]] std::size_t session_limit() const;

  Runtime& runtime_;
  std::shared_ptr<RuleState> state_;
  asio::posix::stream_descriptor socket_;
  // Keyed by the source address's bytes; looked up by view, without a copy per datagram.
  std::unordered_map<std::string, std::shared_ptr<Peer>, KeyHash, std::equal_to<>> peers_;
  DatagramBatch batch_;
  bool closed_ = false;
};

}  // namespace portkit::forward

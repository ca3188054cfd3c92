#pragma once
// One forwarded TCP connection: connects to an upstream (trying the rule's targets in turn),
// then relays both directions independently through spliced pipes (or a small buffer when
// splice cannot be used), propagating half-close and resets. Both sockets sit in the
// relay's Poller; the session owns itself through Runtime::sessions until it finishes.
#include <asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "forward/runtime.hpp"

namespace portkit::forward {

class TcpSession final : public Session, public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(Runtime& runtime, std::shared_ptr<RuleState> rule, int client_fd,
             const sockaddr_storage& client_address);
  ~TcpSession() override;
  TcpSession(const TcpSession&) = delete;
  TcpSession& operator=(const TcpSession&) = delete;

  void start();

  [[nodiscard]] Clock::time_point last_activity() const override { return last_activity_; }
  [[nodiscard]] std::chrono::milliseconds idle_timeout() const override;
  void end(bool reset, std::string_view why) override;

 private:
  // One socket as the Poller sees it.
  struct Side final : Poller::Watcher {
    TcpSession* session = nullptr;
    bool client = false;
    bool hangup_seen = false;  // FIN, RST or an error was reported: read on to the end
    int fd = -1;
    void on_ready(std::uint32_t events) override { session->on_ready(*this, events); }
  };

  // Bytes from one socket to the other. A carrier (pipe or buffer) is held only while bytes
  // are in it, so an idle connection holds neither.
  struct Direction {
    Side* from = nullptr;
    Side* to = nullptr;
    Pipe pipe;
    std::unique_ptr<char[]> buffer;
    std::size_t buffer_offset = 0;
    std::size_t pending = 0;  // bytes read, not yet written
    std::uint64_t bytes = 0;
    bool bulk = false;     // a read filled the buffer: splice from now on
    bool drained = false;  // the last read was short: wait for the next edge
    bool eof = false;      // the source sent FIN
    bool done = false;     // FIN passed on
    bool waiting_read = false;
    bool waiting_write = false;
    bool from_client = false;
  };

  void on_ready(Side& side, std::uint32_t events);
  void try_next_upstream();
  void on_connect_done(int error);
  void pump(Direction& direction);
  void take_carrier(Direction& direction);
  void drop_carrier(Direction& direction);
  void fail(Direction& direction, int error, bool while_reading);
  void finish(bool reset_client, bool reset_upstream, std::string_view how);

  Runtime& runtime_;
  std::shared_ptr<RuleState> rule_;
  Side client_;
  Side upstream_;
  sockaddr_storage client_address_{};
  std::unique_ptr<asio::steady_timer> connect_timer_;  // only while connecting
  std::vector<std::size_t> upstream_order_;
  std::size_t attempt_ = 0;
  std::size_t upstream_index_ = 0;
  std::string upstream_name_;
  Direction up_;    // client to upstream
  Direction down_;  // upstream to client
  Clock::time_point started_;
  Clock::time_point last_activity_;
  bool connecting_ = false;
  bool relaying_ = false;
  bool finished_ = false;
};

}  // namespace portkit::forward

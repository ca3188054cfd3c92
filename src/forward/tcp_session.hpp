#pragma once
// One forwarded TCP connection: connects to an upstream (trying the rule's targets in turn),
// then relays both directions independently through spliced pipes (or a small buffer when
// splice cannot be used), propagating half-close and resets.
#include <asio/posix/stream_descriptor.hpp>
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
  // Bytes from one socket to the other. A carrier (pipe or buffer) is held only while bytes
  // are in it, so an idle connection holds neither.
  struct Direction {
    asio::posix::stream_descriptor* from = nullptr;
    asio::posix::stream_descriptor* to = nullptr;
    Pipe pipe;
    std::unique_ptr<char[]> buffer;
    std::size_t buffer_offset = 0;
    std::size_t pending = 0;  // bytes read, not yet written
    std::uint64_t bytes = 0;
    bool eof = false;   // the source sent FIN
    bool done = false;  // FIN passed on
    bool from_client = false;
  };

  void try_next_upstream();
  void on_connect_done(int error);
  void start_relay();
  void pump(Direction& direction);
  bool take_carrier(Direction& direction);
  void drop_carrier(Direction& direction);
  void wait_readable(Direction& direction);
  void wait_writable(Direction& direction);
  void fail(Direction& direction, int error, bool while_reading);
  void finish(bool reset_client, bool reset_upstream, std::string_view how);

  Runtime& runtime_;
  std::shared_ptr<RuleState> rule_;
  asio::posix::stream_descriptor client_;
  asio::posix::stream_descriptor upstream_;
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
  bool relaying_ = false;
  bool finished_ = false;
};

}  // namespace portkit::forward

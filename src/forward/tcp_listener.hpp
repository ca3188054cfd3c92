#pragma once
// A TCP rule's listening socket: accepts in batches, applies --allow/--deny, stops accepting
// at --max-conns (clients wait in the backlog, as with haproxy's maxconn) and on descriptor
// exhaustion (retried shortly), and starts a TcpSession per client.
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <memory>

#include "forward/runtime.hpp"

namespace portkit::forward {

class TcpListener : public std::enable_shared_from_this<TcpListener> {
 public:
  TcpListener(Runtime& runtime, std::shared_ptr<RuleState> state);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Binds and listens; the error names the address (EADDRINUSE, EACCES, ...).
  // shared: SO_REUSEPORT, for a listener each worker process binds on its own (a reload's).
  Result<std::uint16_t> open(bool shared = false);
  void start();
  void close();
  [[nodiscard]] const std::shared_ptr<RuleState>& state() const { return state_; }

 private:
  void accept_ready();
  void wait();
  bool at_limit() const;

  Runtime& runtime_;
  std::shared_ptr<RuleState> state_;
  asio::posix::stream_descriptor socket_;
  asio::steady_timer retry_timer_;
  bool paused_ = false;
  bool closed_ = false;
  Clock::time_point last_warning_{};
};

// Socket helpers shared with the UDP side: a bound socket for a rule's listen address.
Result<int> bind_rule_socket(const ForwardRule& rule, std::uint16_t& bound_port,
                             bool shared = false);

}  // namespace portkit::forward

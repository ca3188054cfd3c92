#pragma once
// What the forwarder's parts share: the loop, the pipe pool, each rule's lasting state.
#include <sys/socket.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "forward/pipe_pool.hpp"
#include "forward/poller.hpp"
#include "portkit/forward/forwarder.hpp"

namespace portkit::forward {

using Clock = std::chrono::steady_clock;

// One resolved address of a target.
struct Upstream {
  std::string name;  // "host:port" as configured, with the address when it was a name
  sockaddr_storage address{};
  socklen_t length = 0;
  Clock::time_point down_until{};  // refused or timed out: tried after the others until then
};

// Resolves every target of a rule (a name may give several addresses, each an Upstream).
Result<std::vector<Upstream>> resolve_upstreams(const ForwardRule& rule);

// A rule's state that survives reloads: its config, upstreams and counters.
struct RuleState {
  ForwardRule rule;
  std::vector<Upstream> upstreams;
  std::size_t next_upstream = 0;
  RuleCounters counters;
  std::function<void()> on_session_end;  // the listener resumes accepting below --max-conns

  // The order to try upstreams for a new connection: round-robin or first-healthy, the ones
  // that failed lately last.
  std::vector<std::size_t> upstream_order(Clock::time_point now);
  void mark_down(std::size_t index, Clock::time_point now);
};

class Session {
 public:
  virtual ~Session() = default;
  [[nodiscard]] virtual Clock::time_point last_activity() const = 0;
  [[nodiscard]] virtual std::chrono::milliseconds idle_timeout() const = 0;
  // Ends it now: on idle timeout (orderly) or at the end of a drain.
  virtual void end(bool reset, std::string_view why) = 0;
};

struct Runtime {
  Runtime(asio::io_context& io_in, std::size_t pipe_size, Forwarder::Emit emit_in)
      : io(io_in),
        pipes(pipe_size),
        emit(std::move(emit_in)),
        poller(io_in, [this] { graveyard.clear(); }) {}

  asio::io_context& io;
  PipePool pipes;
  Forwarder::Emit emit;
  Poller poller;
  bool use_splice = true;
  bool connection_events = false;  // emit `closed` per connection (costs a few strings each)
  // TCP sessions alive (for idle sweeps and the drain); they own themselves through this map.
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
  // Sessions that finished during a batch of events: freed after it, since a later event of
  // the same batch may still name them.
  std::vector<std::shared_ptr<Session>> graveyard;
};

// "address:port" (IPv6 in brackets, IPv4-mapped shown as IPv4).
std::string endpoint_text(const sockaddr_storage& address);
IpAddress ip_of(const sockaddr_storage& address);
std::uint16_t port_of(const sockaddr_storage& address);

}  // namespace portkit::forward

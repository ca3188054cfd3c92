#pragma once
// The forwarder: runs ForwardRules on one event loop until SIGINT/SIGTERM (then drains),
// reloads them on SIGHUP. It never prints: what happens arrives as ForwardEvents.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "portkit/forward/forward.hpp"

namespace portkit {

// Per rule, since start (the exporter reads these).
struct RuleCounters {
  std::string rule;
  Proto proto = Proto::tcp;
  std::uint64_t connections = 0;  // TCP connections relayed, UDP sessions opened
  std::uint64_t active = 0;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
  std::uint64_t denied = 0;
  std::uint64_t upstream_errors = 0;  // connects that failed (each target tried counts)
  std::uint64_t resets = 0;           // connections ended by a reset on either side
  std::uint64_t dropped = 0;          // UDP datagrams that could not be sent
};

struct ForwardEvent {
  enum class Kind : std::uint8_t {
    listening,        // a rule's socket is bound (detail: targets)
    closed,           // a TCP connection or UDP session ended (bytes, duration, detail: how)
    denied,           // --allow/--deny turned a client away
    upstream_failed,  // no target answered; the client was reset
    warning,          // resource trouble (descriptors), a listener that could not be rebound
    reloaded,         // SIGHUP applied (detail: what changed)
    reload_failed,    // SIGHUP config rejected; the running rules stay
    draining,         // SIGINT/SIGTERM: listeners closed, connections finishing
    stopped,
    counters,  // SIGUSR1: one rule's counters so far, in the worker that tells (like dd)
  } kind = Kind::warning;
  std::string rule{};            // the rule's listen_text()
  std::string client{};          // "address:port"
  std::string upstream{};        // "address:port" of the target used
  std::uint64_t bytes_up = 0;    // client to upstream
  std::uint64_t bytes_down = 0;  // upstream to client
  double duration_ms = 0;
  std::string detail{};
  bool all_interfaces = false;  // listening: the rule listens on every interface
  // With several worker processes, the one that tells (0 is the first); -1 with one process.
  // Each worker reloads and drains on its own, and says so.
  int worker = -1;
  RuleCounters counters{};  // counters: the rule and its numbers
};
std::string_view forward_event_name(ForwardEvent::Kind kind);

struct ForwardOptions {
  std::vector<ForwardRule> rules;
  std::chrono::milliseconds drain{10'000};
  bool use_splice = true;  // false: the plain read/write relay
  std::size_t pipe_size = 256 * 1024;
  bool connection_events = false;  // a `closed` event per connection (for -v and --json)
  // Called on SIGHUP for the new rule set; empty: SIGHUP only says there is nothing to reload.
  std::function<Result<std::vector<ForwardRule>>()> reload;
};

class Forwarder {
 public:
  using Emit = std::function<void(const ForwardEvent&)>;
  Forwarder(ForwardOptions options, Emit emit);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Resolves targets and binds every rule; the error names the rule that failed.
  Result<bool> start();
  // Serves until a signal ends it (after the drain) or stop() is called.
  void run();
  // Serves in `workers` processes sharing the bound sockets (each has its own descriptor
  // table, so together they hold more connections than one process may, and use more cores).
  // UDP rules are served by the first worker only, so a client's datagrams keep one session.
  // This process is the first worker: it relays SIGINT/SIGTERM/SIGHUP to the others and
  // returns when all have ended; counters() then sums every worker's. workers <= 1 is run().
  void run_workers(unsigned workers);
  void stop();
  [[nodiscard]] std::vector<RuleCounters> counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace portkit

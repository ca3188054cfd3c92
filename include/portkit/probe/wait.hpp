#pragma once
// `wait`: block until endpoints are open (or, with `closed`, until they stop answering).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "portkit/probe/probe.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {

struct WaitTarget {
  std::string text;  // as written
  Endpoint endpoint;
  std::optional<std::string> http_path;  // also wait for an HTTP 2xx on this path
};

// HOST:PORT forms of the shared grammar, plus tcp://host:port and http://host[:port][/path]
// as dockerize and wait-on take them.
Result<WaitTarget> parse_wait_target(std::string_view text);

struct WaitStatus;

struct WaitOptions {
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds interval{20};           // cap of the backoff between attempts
  std::chrono::milliseconds attempt_timeout{1000};  // one connect or HTTP exchange
  bool closed = false;
  FamilyFilter family = FamilyFilter::any;
  std::optional<std::string> http_path;  // for targets without one of their own
  // Called once per endpoint when it reaches the wanted state.
  std::function<void(const std::string& text, double after_ms)> on_ready;
  // Called every `progress_interval` while waiting (the CLI's progress line on a terminal).
  std::function<void(const std::vector<WaitStatus>& endpoints, double elapsed_ms)> on_progress;
  std::chrono::milliseconds progress_interval{200};
  // SIGINT and SIGTERM end the wait early, with what is known (the CLI's Ctrl-C).
  bool stop_on_signal = false;
};

struct WaitStatus {
  std::string text;
  std::string host;
  std::uint16_t port = 0;
  Proto proto = Proto::tcp;
  bool ready = false;
  std::optional<ProbeResult> last;  // the last answer seen
  std::optional<int> http_status;
  std::string problem;  // e.g. "cannot resolve 'db': ..." while it could not be probed
  std::optional<double> ready_after_ms;
  int attempts = 0;
};

struct WaitReport {
  bool ready = false;
  bool interrupted = false;  // a signal ended the wait
  double elapsed_ms = 0;
  std::vector<WaitStatus> endpoints;
};

WaitReport run_wait(const std::vector<WaitTarget>& targets, const WaitOptions& options);

// Pure backoff: 10 ms first, then doubling, never above `cap`.
std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous,
                                       std::chrono::milliseconds cap);

}  // namespace portkit

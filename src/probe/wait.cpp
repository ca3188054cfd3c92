#include "portkit/probe/wait.hpp"

#include <asio/steady_timer.hpp>
#include <memory>

#include "base/text_util.hpp"
#include "probe/async_probe.hpp"
#include "probe/http_probe.hpp"
#include "probe/stop_on_signal.hpp"

namespace portkit {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// One endpoint's loop: resolve, probe every address, maybe ask HTTP, then wait and repeat.
class Waiter : public std::enable_shared_from_this<Waiter> {
 public:
  Waiter(asio::io_context& io, const WaitTarget& target, const WaitOptions& options,
         Clock::time_point start, Clock::time_point deadline, WaitStatus& status,
         std::function<void()> on_ready)
      : io_(io),
        target_(target),
        options_(options),
        start_(start),
        deadline_(deadline),
        status_(status),
        timer_(io),
        on_ready_(std::move(on_ready)) {
    if (!target_.http_path) target_.http_path = options.http_path;
  }

  void poll() {
    ++status_.attempts;
    // A name is resolved again only when its answer is old: a probe every 20 ms must not be
    // a DNS query every 20 ms.
    if (!addresses_.empty() && Clock::now() - resolved_at_ < kKeepAddresses) {
      return probe(addresses_);
    }
    if (status_.problem.empty() && !status_.last) {
      status_.problem =
          "no answer yet from the resolver for " + single_quoted(target_.endpoint.host.text);
    }
    start_resolve(io_, target_.endpoint.host, options_.family,
                  [self = shared_from_this()](Result<std::vector<asio::ip::address>> addresses) {
                    if (!addresses) {
                      self->status_.problem = addresses.error().message;
                      self->addresses_.clear();
                      // A name that does not resolve is asked again with a back-off of its own.
                      self->resolve_backoff_ =
                          std::max(kFirstResolveRetry,
                                   next_backoff(self->resolve_backoff_, kLastResolveRetry));
                      return self->again(self->resolve_backoff_);
                    }
                    self->resolve_backoff_ = milliseconds(0);
                    self->addresses_ = std::move(addresses).value();
                    self->resolved_at_ = Clock::now();
                    self->probe(self->addresses_);
                  });
  }

 private:
  milliseconds attempt_timeout() const {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now());
    return std::clamp(left, milliseconds(1), options_.attempt_timeout);
  }

  void probe(const std::vector<asio::ip::address>& addresses) {
    pending_ = addresses.size();
    best_.reset();
    ProbeOptions probe_options{.timeout = attempt_timeout(), .retries = 0};
    for (const auto& address : addresses) {
      start_probe(io_, address, target_.endpoint.port, target_.endpoint.proto, probe_options,
                  [self = shared_from_this()](const ProbeResult& answer) {
                    if (!self->best_ || better_answer(answer, *self->best_)) self->best_ = answer;
                    if (--self->pending_ == 0) self->judge();
                  });
    }
  }

  void judge() {
    status_.last = best_;
    status_.problem.clear();
    const bool open = best_->state == PortState::open;
    if (options_.closed) return open ? again() : ready();
    if (!open) return again();
    if (!target_.http_path) return ready();
    const auto address = asio::ip::make_address(best_->address);
    start_http_probe(
        io_, address, target_.endpoint.port,
        format_endpoint(target_.endpoint.host, target_.endpoint.port), *target_.http_path,
        attempt_timeout(),
        [self = shared_from_this()](std::optional<int> code, const std::string& problem) {
          self->status_.http_status = code;
          if (code && *code >= 200 && *code < 300) return self->ready();
          self->status_.problem = code ? "HTTP " + std::to_string(*code) : "HTTP: " + problem;
          self->again();
        });
  }

  void ready() {
    status_.ready = true;
    status_.ready_after_ms = ms_since(start_);
    on_ready_();
  }

  void again(milliseconds at_least = milliseconds(0)) {
    backoff_ = next_backoff(backoff_, options_.interval);
    timer_.expires_after(std::max(backoff_, at_least));
    timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (!error) self->poll();
    });
  }

  asio::io_context& io_;
  WaitTarget target_;
  const WaitOptions& options_;
  Clock::time_point start_;
  Clock::time_point deadline_;
  WaitStatus& status_;
  asio::steady_timer timer_;
  std::function<void()> on_ready_;
  std::optional<ProbeResult> best_;
  std::size_t pending_ = 0;
  milliseconds backoff_{0};
  static constexpr auto kKeepAddresses = std::chrono::seconds(5);
  static constexpr milliseconds kFirstResolveRetry{250};
  static constexpr milliseconds kLastResolveRetry{2000};
  std::vector<asio::ip::address> addresses_;  // the last answer for the name, while fresh
  Clock::time_point resolved_at_;
  milliseconds resolve_backoff_{0};
};

std::optional<std::uint16_t> default_port(std::string_view scheme) {
  if (scheme == "http") return 80;
  return std::nullopt;
}

}  // namespace

milliseconds next_backoff(milliseconds previous, milliseconds cap) {
  const auto next = previous.count() <= 0 ? milliseconds(10) : previous * 2;
  return std::max(milliseconds(1), std::min(next, cap));
}

Result<WaitTarget> parse_wait_target(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    auto endpoint = parse_endpoint(text);
    if (!endpoint) return endpoint.error();
    return WaitTarget{std::string(text), std::move(endpoint).value(), std::nullopt};
  }
  const auto scheme = to_lower(text.substr(0, scheme_end));
  auto rest = text.substr(scheme_end + 3);
  if (scheme == "https") {
    return make_error("https:// is not supported in " + single_quoted(text) +
                      " (wait for the port with tcp://HOST:443)");
  }
  if (scheme != "tcp" && scheme != "http") {
    return make_error("unknown scheme " + single_quoted(scheme) + " in " + single_quoted(text) +
                      " (use tcp:// or http://)");
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') {
    return make_error(single_quoted(text) + " has no host");
  }
  std::optional<std::string> path;
  if (scheme == "http") {
    const auto slash = rest.find('/');
    path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    rest = rest.substr(0, slash);
  }
  // "http://host" has an implied port; an IPv6 literal then still has its brackets.
  const bool has_port = rest.empty()          ? false
                        : rest.front() == '[' ? rest.find("]:") != std::string_view::npos
                                              : rest.find(':') != std::string_view::npos;
  std::string with_port(rest);
  if (!has_port) {
    const auto port = default_port(scheme);
    if (!port) return make_error("endpoint " + single_quoted(text) + " has no port");
    with_port += ":" + std::to_string(*port);
  }
  auto endpoint = parse_endpoint(with_port);
  if (!endpoint) return endpoint.error();
  if (endpoint->proto_given && endpoint->proto == Proto::udp) {
    return make_error(single_quoted(text) + ": " + scheme + ":// is TCP, not UDP");
  }
  return WaitTarget{std::string(text), std::move(endpoint).value(), std::move(path)};
}

WaitReport run_wait(const std::vector<WaitTarget>& targets, const WaitOptions& options) {
  asio::io_context io;
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  WaitReport report;
  report.endpoints.resize(targets.size());
  std::size_t remaining = targets.size();
  asio::steady_timer overall(io);
  overall.expires_at(deadline);
  overall.async_wait([&io](const asio::error_code& error) {
    if (!error) io.stop();
  });
  const StopOnSignal on_signal(io, options.stop_on_signal, report.interrupted);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto& status = report.endpoints[i];
    status.text = targets[i].text;
    status.host = targets[i].endpoint.host.text;
    status.port = targets[i].endpoint.port;
    status.proto = targets[i].endpoint.proto;
    std::make_shared<Waiter>(io, targets[i], options, start, deadline, status, [&, i] {
      if (options.on_ready) options.on_ready(targets[i].text, *report.endpoints[i].ready_after_ms);
      if (--remaining == 0) io.stop();
    })->poll();
  }
  asio::steady_timer progress(io);
  std::function<void()> tick = [&] {
    progress.expires_after(options.progress_interval);
    progress.async_wait([&](const asio::error_code& error) {
      if (error) return;
      options.on_progress(report.endpoints, ms_since(start));
      tick();
    });
  };
  if (options.on_progress) tick();
  if (!targets.empty()) io.run();
  report.ready = remaining == 0;
  report.elapsed_ms = ms_since(start);
  return report;
}

}  // namespace portkit

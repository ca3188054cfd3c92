#include "portkit/forward/forwarder.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <csignal>
#include <map>
#include <optional>

#include "forward/tcp_listener.hpp"
#include "forward/udp_listener.hpp"
#include "forward/workers.hpp"
#include "sys/fd_limit.hpp"
#include "sys/file.hpp"
#include "sys/resident.hpp"

namespace portkit {
namespace {

using forward::Clock;
using forward::RuleState;
using forward::TcpListener;
using forward::UdpListener;

constexpr auto kSweepInterval = std::chrono::milliseconds(250);
constexpr int kSweepsPerPipeTrim = 8;

}  // namespace

std::string_view forward_event_name(ForwardEvent::Kind kind) {
  switch (kind) {
    case ForwardEvent::Kind::listening:
      return "listening";
    case ForwardEvent::Kind::closed:
      return "closed";
    case ForwardEvent::Kind::denied:
      return "denied";
    case ForwardEvent::Kind::upstream_failed:
      return "upstream_failed";
    case ForwardEvent::Kind::warning:
      return "warning";
    case ForwardEvent::Kind::reloaded:
      return "reloaded";
    case ForwardEvent::Kind::reload_failed:
      return "reload_failed";
    case ForwardEvent::Kind::counters:
      return "counters";
    case ForwardEvent::Kind::draining:
      return "draining";
    case ForwardEvent::Kind::stopped:
      return "stopped";
  }
  return "unknown";
}

struct Forwarder::Impl {
  Impl(ForwardOptions options_in, Emit emit_in)
      : options(std::move(options_in)),
        emit([emit_in = std::move(emit_in), worker = worker_index](ForwardEvent event) {
          event.worker = *worker;
          emit_in(event);
        }),
        runtime(io, options.pipe_size, emit) {
    runtime.use_splice = options.use_splice;
    runtime.connection_events = options.connection_events;
    signals.add(SIGUSR1);
  }

  ForwardOptions options;
  // In a worker process: its index, stamped on every event it emits; -1 with one process.
  std::shared_ptr<int> worker_index = std::make_shared<int>(-1);
  Emit emit;
  asio::io_context io{1};
  forward::Runtime runtime;
  asio::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};  // and SIGUSR1, added below
  asio::steady_timer sweep_timer{io};
  std::map<std::string, std::shared_ptr<TcpListener>> tcp;
  std::map<std::string, std::shared_ptr<UdpListener>> udp;
  int sweeps = 0;
  bool draining = false;
  std::optional<std::vector<RuleCounters>> worker_totals;
  std::function<void(int)> relay_signal;  // in worker 0: on to the other workers
  Clock::time_point drain_deadline{};

  // Bound and set up: the pages start-up used are let go, then the loop runs.
  void serve() {
    sys::drop_startup_pages();
    io.run();
  }

  Result<bool> add_rule(const ForwardRule& rule) {
    auto upstreams = forward::resolve_upstreams(rule);
    if (!upstreams) return upstreams.error();
    auto state = std::make_shared<RuleState>();
    state->rule = rule;
    state->upstreams = std::move(upstreams).value();
    state->counters.rule = rule.listen_text();
    state->counters.proto = rule.proto;
    Result<std::uint16_t> port = std::uint16_t{0};
    if (rule.proto == Proto::tcp) {
      auto listener = std::make_shared<TcpListener>(runtime, state);
      port = listener->open(*worker_index >= 0);
      if (!port) return port.error();
      tcp.emplace(rule.listen_text(), listener);
      listener->start();
    } else if (*worker_index > 0) {
      return true;  // UDP rules belong to the first worker
    } else {
      auto listener = std::make_shared<UdpListener>(runtime, state);
      port = listener->open();
      if (!port) return port.error();
      udp.emplace(rule.listen_text(), listener);
      listener->start();
    }
    auto bound = rule;
    bound.port = *port;
    emit({.kind = ForwardEvent::Kind::listening,
          .rule = bound.listen_text(),
          .upstream = rule.targets_text(),
          .detail = std::string(balance_name(rule.settings.balance)),
          .all_interfaces = rule.all_interfaces()});
    return true;
  }

  std::shared_ptr<RuleState> find_state(const std::string& key) {
    if (const auto found = tcp.find(key); found != tcp.end()) return found->second->state();
    if (const auto found = udp.find(key); found != udp.end()) return found->second->state();
    return nullptr;
  }

  void reload() {
    if (!options.reload) {
      emit({.kind = ForwardEvent::Kind::reload_failed, .detail = "no --config file to reload"});
      return;
    }
    auto rules = options.reload();
    if (!rules) {
      emit({.kind = ForwardEvent::Kind::reload_failed, .detail = rules.error().message});
      return;
    }
    // Resolve every kept rule's targets first, so a bad name changes nothing.
    std::map<std::string, std::vector<forward::Upstream>> resolved;
    for (const auto& rule : *rules) {
      if (!find_state(rule.listen_text())) continue;
      auto upstreams = forward::resolve_upstreams(rule);
      if (!upstreams) {
        emit({.kind = ForwardEvent::Kind::reload_failed, .detail = upstreams.error().message});
        return;
      }
      resolved.emplace(rule.listen_text(), std::move(upstreams).value());
    }
    std::size_t added = 0;
    std::size_t kept = 0;
    std::size_t removed = 0;
    std::map<std::string, bool> wanted;
    for (const auto& rule : *rules) {
      const auto key = rule.listen_text();
      wanted[key] = true;
      if (auto state = find_state(key)) {
        state->rule = rule;
        state->upstreams = std::move(resolved[key]);
        ++kept;
      } else if (auto status = add_rule(rule); !status) {
        emit({.kind = ForwardEvent::Kind::warning, .rule = key, .detail = status.error().message});
      } else {
        ++added;
      }
    }
    const auto retire = [&](auto& listeners) {
      for (auto it = listeners.begin(); it != listeners.end();) {
        if (wanted.count(it->first)) {
          ++it;
          continue;
        }
        it->second->close();  // established connections carry on
        it = listeners.erase(it);
        ++removed;
      }
    };
    retire(tcp);
    retire(udp);
    emit({.kind = ForwardEvent::Kind::reloaded,
          .detail = fmt::format("{} rules: {} added, {} kept, {} removed", rules->size(), added,
                                kept, removed)});
  }

  void wait_signal() {
    signals.async_wait([this](const asio::error_code& ec, int signal) {
      if (ec) return;
      if (relay_signal) relay_signal(signal);
      if (signal == SIGUSR1) {
        report_counters();
      } else if (signal == SIGHUP) {
        reload();
      } else if (!draining) {
        begin_drain();
      } else {
        end_sessions("stopped by a second signal");
        finish();
        return;
      }
      wait_signal();
    });
  }

  void report_counters() {
    for (auto& counters : own_counters())
      emit({.kind = ForwardEvent::Kind::counters, .counters = std::move(counters)});
  }

  // This process's rules, as they stand.
  [[nodiscard]] std::vector<RuleCounters> own_counters() const {
    std::vector<RuleCounters> all;
    for (const auto& [key, listener] : tcp) all.push_back(listener->state()->counters);
    for (const auto& [key, listener] : udp) all.push_back(listener->state()->counters);
    return all;
  }

  void begin_drain() {
    draining = true;
    drain_deadline = Clock::now() + options.drain;
    for (auto& [key, listener] : tcp) listener->close();
    for (auto& [key, listener] : udp) listener->close();
    emit({.kind = ForwardEvent::Kind::draining,
          .detail = fmt::format("{} connections open, waiting up to {} ms", runtime.sessions.size(),
                                options.drain.count())});
    if (runtime.sessions.empty()) finish();
  }

  void end_sessions(std::string_view why) {
    std::vector<std::shared_ptr<forward::Session>> open;
    for (const auto& [key, session] : runtime.sessions) open.push_back(session);
    for (const auto& session : open) session->end(false, why);
  }

  void finish() {
    emit({.kind = ForwardEvent::Kind::stopped});
    sweep_timer.cancel();
    signals.cancel();
    io.stop();
  }

  void sweep() {
    sweep_timer.expires_after(kSweepInterval);
    sweep_timer.async_wait([this](const asio::error_code& ec) {
      if (ec) return;
      const auto now = Clock::now();
      std::vector<std::shared_ptr<forward::Session>> idle;
      for (const auto& [key, session] : runtime.sessions) {
        const auto timeout = session->idle_timeout();
        if (timeout.count() > 0 && now - session->last_activity() >= timeout)
          idle.push_back(session);
      }
      for (const auto& session : idle) session->end(false, "idle timeout");
      runtime.graveyard.clear();
      for (auto& [key, listener] : udp) listener->sweep(now);
      if (++sweeps % kSweepsPerPipeTrim == 0) runtime.pipes.trim();
      if (draining && (runtime.sessions.empty() || now >= drain_deadline)) {
        end_sessions("drain timeout");
        finish();
        return;
      }
      sweep();
    });
  }
};

Forwarder::Forwarder(ForwardOptions options, Emit emit)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(emit))) {}

Forwarder::~Forwarder() = default;

Result<bool> Forwarder::start() {
  std::signal(SIGPIPE, SIG_IGN);  // a peer gone mid-splice must be an error code, not death
  // Each relayed connection holds two sockets (and up to two pipes while bytes move).
  const auto descriptors = sys::raise_descriptor_limit();
  if (descriptors > 0 && descriptors < 4096) {
    impl_->emit(
        {.kind = ForwardEvent::Kind::warning,
         .detail = fmt::format("the descriptor limit ({}) allows about {} connections at once",
                               descriptors, descriptors / 2)});
  }
  for (const auto& rule : impl_->options.rules) {
    if (auto added = impl_->add_rule(rule); !added) return added.error();
  }
  impl_->wait_signal();
  impl_->sweep();
  return true;
}

void Forwarder::run() {
  impl_->serve();
}

void Forwarder::run_workers(unsigned workers) {
  if (workers <= 1) return run();
  auto& impl = *impl_;
  impl.worker_totals = forward::run_worker_processes(
      workers, {.before_fork = [&] { impl.io.notify_fork(asio::execution_context::fork_prepare); },
                .after_fork =
                    [&] {
                      impl.io.notify_fork(asio::execution_context::fork_parent);
                      *impl.worker_index = 0;
                    },
                .prepare_child =
                    [&](unsigned index) {
                      impl.io.notify_fork(asio::execution_context::fork_child);
                      *impl.worker_index = static_cast<int>(index);
                      impl.runtime.poller.reopen();
                      if (index > 0) {
                        for (auto& [key, listener] : impl.udp) listener->close();
                        impl.udp.clear();
                      }
                    },
                .run_child =
                    [&] {
                      impl.serve();
                      return counters();
                    },
                .run_here =
                    [&](const std::function<void(int)>& relay) {
                      impl.relay_signal = relay;
                      impl.serve();
                      impl.relay_signal = nullptr;
                      return counters();
                    }});
}

void Forwarder::stop() {
  asio::post(impl_->io, [impl = impl_.get()] {
    if (!impl->draining) impl->begin_drain();
  });
}

std::vector<RuleCounters> Forwarder::counters() const {
  if (impl_->worker_totals) return *impl_->worker_totals;
  return impl_->own_counters();
}

}  // namespace portkit

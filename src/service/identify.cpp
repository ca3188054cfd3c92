// The identification engine: a connection that waits for a greeting, the probes for this port
// at once beside it, and every other probe when the greeting wait passes in silence. The first
// definitive reading wins; everything is cut at the port's budget.
#include "service/identify.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <array>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <memory>

#include "portkit/service/service_identity.hpp"
#include "service/protocol.hpp"
#include "service/sigpipe.hpp"
#include "service/tls_session.hpp"

namespace portkit::service {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxReply = 16384;
constexpr int kGreeting = -1;
constexpr int kTls = -2;
constexpr int kTlsHttp1 = -3;  // again with ALPN http/1.1 only, when the first chose h2

constexpr std::array<std::uint16_t, 24> kTlsPorts{
    443,  465,  563,  636,  853,  989,  990,  992,  993,  994,   995,   2376,
    2379, 2380, 4443, 5061, 5671, 6443, 8443, 8883, 9443, 10250, 10257, 10259};

bool listed(std::span<const std::uint16_t> ports, std::uint16_t port) {
  return std::find(ports.begin(), ports.end(), port) != ports.end();
}

struct Attempt {
  explicit Attempt(asio::io_context& io, int which) : probe(which), socket(io) {}
  int probe;  // index into protocol_probes(), or kGreeting, or kTls
  asio::ip::tcp::socket socket;
  std::shared_ptr<TlsSession> tls;
  std::string request;
  std::string received;
  std::array<char, 4096> buffer{};
  bool done = false;
};

struct Candidate {
  ServiceMatch match;
  std::string probe;
  std::string method;
  bool tls = false;
  bool present = false;
};

class Identification : public std::enable_shared_from_this<Identification> {
 public:
  Identification(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint,
                 std::string server_name, const IdentifyOptions& options, IdentifyDone done)
      : io_(io),
        endpoint_(endpoint),
        server_name_(std::move(server_name)),
        options_(options),
        deadline_(io),
        greeting_timer_(io),
        done_(std::move(done)) {
    context_.host = server_name_.empty() ? endpoint.address().to_string() : server_name_;
    if (endpoint.address().is_v6() && server_name_.empty())
      context_.host = "[" + context_.host + "]";
  }

  void start() {
    started_ = Clock::now();
    // Until the connect says how far away the server is, the budget is the configured one or
    // the longest.
    arm_deadline(options_.budget.count() > 0 ? options_.budget : std::chrono::seconds(10));
    auto& greeting = add_attempt(kGreeting);
    greeting.socket.async_connect(
        endpoint_, [self = shared_from_this(), &greeting](const asio::error_code& error) {
          self->on_greeting_connect(greeting, error);
        });
  }

 private:
  Attempt& add_attempt(int which) {
    attempts_.push_back(std::make_unique<Attempt>(io_, which));
    return *attempts_.back();
  }

  void arm_deadline(std::chrono::milliseconds after) {
    deadline_.expires_at(started_ + after);
    deadline_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (!error) self->finish();
    });
  }

  void on_greeting_connect(Attempt& greeting, const asio::error_code& error) {
    if (finished_) return;
    if (error) {
      error_ = "connect: " + error.message();
      return finish();
    }
    const auto connect_time =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_);
    const auto budget = identify_budget(connect_time, options_.budget);
    arm_deadline(budget);
    // The probes for this port go out beside the greeting wait.
    const auto probes = protocol_probes();
    for (std::size_t i = 0; i < probes.size(); ++i) {
      if (probes[i].request != nullptr && listed(probes[i].ports, endpoint_.port())) {
        launch(static_cast<int>(i));
      }
    }
    if (options_.want_tls || listed(kTlsPorts, endpoint_.port())) launch(kTls);
    greeting_timer_.expires_after(greeting_wait(connect_time, budget));
    greeting_timer_.async_wait([self = shared_from_this()](const asio::error_code& e) {
      if (!e) self->second_wave();
    });
    read_plain(greeting);
  }

  void second_wave() {
    if (finished_ || second_wave_started_) return;
    second_wave_started_ = true;
    greeting_timer_.cancel();
    const auto probes = protocol_probes();
    for (std::size_t i = 0; i < probes.size(); ++i) {
      if (probes[i].request != nullptr && !launched(static_cast<int>(i))) {
        launch(static_cast<int>(i));
      }
    }
    if (!launched(kTls)) launch(kTls);
    // A greeting that has not come will come on every other connection too.
    for (auto& attempt : attempts_) {
      if (attempt->probe == kGreeting && attempt->received.empty()) end_attempt(*attempt);
    }
    check_all_done();
  }

  bool launched(int which) const {
    return std::any_of(attempts_.begin(), attempts_.end(),
                       [which](const auto& attempt) { return attempt->probe == which; });
  }

  void launch(int which) {
    auto& attempt = add_attempt(which);
    if (which >= 0)
      attempt.request = protocol_probes()[static_cast<std::size_t>(which)].request(context_);
    attempt.socket.async_connect(
        endpoint_, [self = shared_from_this(), &attempt](const asio::error_code& error) {
          if (self->finished_) return;
          if (error) return self->end_attempt(attempt);
          if (attempt.probe == kTls || attempt.probe == kTlsHttp1) return self->start_tls(attempt);
          asio::async_write(attempt.socket, asio::buffer(attempt.request),
                            [self, &attempt](const asio::error_code& write_error, std::size_t) {
                              if (self->finished_) return;
                              if (write_error) return self->end_attempt(attempt);
                              self->read_plain(attempt);
                            });
        });
  }

  void read_plain(Attempt& attempt) {
    attempt.socket.async_read_some(
        asio::buffer(attempt.buffer),
        [self = shared_from_this(), &attempt](const asio::error_code& error, std::size_t got) {
          if (self->finished_ || attempt.done) return;
          const auto room = kMaxReply - attempt.received.size();
          attempt.received.append(attempt.buffer.data(), std::min(got, room));
          const bool closed = error || attempt.received.size() >= kMaxReply;
          self->evaluate(attempt, closed, false);
          if (self->finished_ || attempt.done) return;
          if (closed) return self->end_attempt(attempt);
          self->read_plain(attempt);
        });
  }

  // Reads what the attempt holds with every reader that applies to it.
  void evaluate(Attempt& attempt, bool closed, bool inside_tls) {
    const std::string_view reply = attempt.received;
    if (reply.empty()) {
      if (closed && attempt.probe == kGreeting) second_wave();
      return;
    }
    const auto probes = protocol_probes();
    const std::string method = attempt.probe == kGreeting ? "greeting" : "probed";
    bool greeting_may_come = false;
    for (const auto& probe : probes) {
      if (probe.request != nullptr) continue;
      const auto reading = probe.read(reply);
      if (reading.verdict == Verdict::match) {
        return consider(reading.match, std::string(probe.name), method, inside_tls);
      }
      if (reading.verdict == Verdict::incomplete) greeting_may_come = true;
    }
    if (attempt.probe >= 0) {
      const auto& probe = probes[static_cast<std::size_t>(attempt.probe)];
      const auto reading = probe.read(reply);
      if (reading.verdict == Verdict::match) {
        return consider(reading.match, std::string(probe.name), method, inside_tls);
      }
      if (reading.verdict == Verdict::incomplete && closed && !reading.match.name.empty()) {
        auto partial = reading.match;
        partial.definitive = false;
        return consider(partial, std::string(probe.name), method, inside_tls);
      }
      if (reading.verdict == Verdict::mismatch && !greeting_may_come) end_attempt(attempt);
      return;
    }
    if (attempt.probe == kGreeting && (!greeting_may_come || closed)) {
      // Bytes no greeting reader knows: ask at once, and keep them as the fingerprint.
      end_attempt(attempt);
      second_wave();
    }
  }

  void start_tls(Attempt& attempt) {
    std::string error;
    const auto name = server_name_.empty() ? endpoint_.address().to_string() : server_name_;
    attempt.tls = TlsSession::create(
        std::move(attempt.socket), name,
        attempt.probe == kTls ? TlsOffer::h2_and_http1 : TlsOffer::http1, &error);
    if (!attempt.tls) {
      tls_error_ = error;
      return end_attempt(attempt);
    }
    attempt.tls->handshake([self = shared_from_this(), &attempt](bool ok, std::string why) {
      if (self->finished_) return;
      if (!ok) {
        self->tls_error_ = std::move(why);
        return self->end_attempt(attempt);
      }
      if (attempt.probe == kTls) {
        self->tls_facts_ = attempt.tls->facts();
        self->keep_fallback({.name = "ssl", .definitive = false}, "tls", "probed", true);
      }
      if (attempt.probe == kTls && self->tls_facts_->alpn == "h2") {
        // HTTP/2 it is; an HTTP/1.1 request on a second session names the server.
        self->keep_fallback({.name = "http", .info = "HTTP/2", .definitive = false}, "tls+alpn",
                            "probed", true);
        self->launch(kTlsHttp1);
        return self->end_attempt(attempt);
      }
      self->read_tls(attempt);
      self->ask_inside_tls(attempt);
    });
  }

  // A server that speaks first inside TLS (IMAPS, SMTPS) has its chance; then an HTTP request.
  void ask_inside_tls(Attempt& attempt) {
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(150));
    timer->async_wait([self = shared_from_this(), &attempt, timer](const asio::error_code& e) {
      if (e || self->finished_ || attempt.done || !attempt.received.empty()) return;
      attempt.request = http_probe().request(self->context_);
      self->tls_asked_http_ = true;
      attempt.tls->write(attempt.request, [self, &attempt](bool ok, const std::string&) {
        if (!ok && !self->finished_) self->end_attempt(attempt);
      });
    });
  }

  void read_tls(Attempt& attempt) {
    attempt.tls->read([self = shared_from_this(), &attempt](std::string_view bytes, bool closed) {
      if (self->finished_ || attempt.done) return;
      const auto room = kMaxReply - attempt.received.size();
      attempt.received.append(bytes.substr(0, room));
      self->evaluate_tls(attempt, closed || attempt.received.size() >= kMaxReply);
    });
  }

  void evaluate_tls(Attempt& attempt, bool closed) {
    const std::string_view reply = attempt.received;
    if (!reply.empty()) {
      for (const auto& probe : protocol_probes()) {
        if (probe.request != nullptr && (!tls_asked_http_ || probe.name != "http")) continue;
        const auto reading = probe.read(reply);
        if (reading.verdict == Verdict::match ||
            (closed && reading.verdict == Verdict::incomplete && !reading.match.name.empty())) {
          return consider(reading.match, "tls+" + std::string(probe.name), "probed", true);
        }
      }
    }
    if (closed) end_attempt(attempt);
  }

  void keep_fallback(ServiceMatch match, std::string probe, std::string method, bool tls) {
    // A reading inside TLS beats a plain one that only hinted at TLS, and a named one the bare
    // "ssl"; the first one else.
    const bool better = !fallback_.present || (tls && !fallback_.tls) ||
                        (tls && fallback_.match.name == "ssl" && match.name != "ssl");
    if (!better) return;
    fallback_ = {std::move(match), std::move(probe), std::move(method), tls, true};
  }

  void consider(ServiceMatch match, std::string probe, std::string method, bool tls) {
    if (finished_) return;
    if (!match.definitive) return keep_fallback(std::move(match), probe, method, tls);
    if (!best_.present || (tls && !best_.tls)) {
      best_ = {std::move(match), std::move(probe), std::move(method), tls, true};
    }
    if (!(options_.want_tls && tls_pending())) finish();
  }

  bool tls_pending() const {
    return !std::any_of(attempts_.begin(), attempts_.end(), [](const auto& attempt) {
      return attempt->probe == kTls && attempt->done;
    }) && !tls_facts_;
  }

  void end_attempt(Attempt& attempt) {
    if (attempt.done) return;
    attempt.done = true;
    close(attempt);
    if (attempt.probe == kTls && best_.present && options_.want_tls) return finish();
    check_all_done();
  }

  void check_all_done() {
    if (finished_ || !second_wave_started_) return;
    const bool all_done = std::all_of(attempts_.begin(), attempts_.end(),
                                      [](const auto& attempt) { return attempt->done; });
    if (all_done) finish();
  }

  static void close(Attempt& attempt) {
    asio::error_code ignored;
    if (attempt.tls) attempt.tls->close();
    attempt.socket.close(ignored);
  }

  std::string fingerprint() const {
    for (const int which : {kGreeting, http_index(), kTls}) {
      for (const auto& attempt : attempts_) {
        if (attempt->probe == which && !attempt->received.empty()) {
          return sanitize_banner(attempt->received);
        }
      }
    }
    for (const auto& attempt : attempts_) {
      if (!attempt->received.empty()) return sanitize_banner(attempt->received);
    }
    return {};
  }

  static int http_index() {
    const auto probes = protocol_probes();
    for (std::size_t i = 0; i < probes.size(); ++i) {
      if (probes[i].name == "http") return static_cast<int>(i);
    }
    return kGreeting;
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    greeting_timer_.cancel();
    ServiceIdentity identity;
    const auto& chosen = best_.present ? best_ : fallback_;
    if (chosen.present) {
      identity.match = chosen.match;
      identity.probe = chosen.probe;
      identity.method = chosen.method;
      identity.tls = chosen.tls;
    } else {
      identity.fingerprint = fingerprint();
    }
    identity.tls_facts = tls_facts_;
    identity.error = error_;
    if (identity.error.empty() && options_.want_tls && !tls_facts_) {
      identity.error = tls_error_.empty() ? "no TLS handshake within the budget" : tls_error_;
    }
    identity.elapsed_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    for (auto& attempt : attempts_) close(*attempt);
    done_(std::move(identity));
  }

  asio::io_context& io_;
  asio::ip::tcp::endpoint endpoint_;
  std::string server_name_;
  IdentifyOptions options_;
  ProbeContext context_;
  asio::steady_timer deadline_;
  asio::steady_timer greeting_timer_;
  IdentifyDone done_;
  Clock::time_point started_;
  std::vector<std::unique_ptr<Attempt>> attempts_;
  Candidate best_;
  Candidate fallback_;
  std::optional<TlsFacts> tls_facts_;
  std::string tls_error_;
  std::string error_;
  bool second_wave_started_ = false;
  bool tls_asked_http_ = false;
  bool finished_ = false;
};

}  // namespace

std::chrono::milliseconds identify_budget(std::chrono::microseconds connect_time,
                                          std::chrono::milliseconds configured) {
  if (configured.count() > 0) return configured;
  const auto scaled = std::chrono::duration_cast<std::chrono::milliseconds>(connect_time * 12);
  return std::clamp(scaled, std::chrono::milliseconds(600), std::chrono::milliseconds(10000));
}

std::chrono::milliseconds greeting_wait(std::chrono::microseconds connect_time,
                                        std::chrono::milliseconds budget) {
  const auto scaled = std::chrono::duration_cast<std::chrono::milliseconds>(connect_time * 4) +
                      std::chrono::milliseconds(100);
  return std::clamp(scaled, std::chrono::milliseconds(150),
                    std::max(std::chrono::milliseconds(150), budget / 2));
}

void start_identify(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint,
                    const std::string& server_name, const IdentifyOptions& options,
                    IdentifyDone done) {
  std::make_shared<Identification>(io, endpoint, server_name, options, std::move(done))->start();
}

}  // namespace portkit::service

namespace portkit {

std::vector<ServiceIdentity> identify_services(const std::vector<IdentifyTarget>& targets,
                                               const IdentifyOptions& options) {
  const service::SigpipeBlocked no_sigpipe;
  std::vector<ServiceIdentity> identities(targets.size());
  asio::io_context io;
  std::size_t next = 0;
  const auto concurrency = std::max<std::size_t>(1, options.concurrency);
  std::function<void()> start_next = [&] {
    while (next < targets.size()) {
      const auto index = next++;
      asio::error_code error;
      const auto address = asio::ip::make_address(targets[index].address, error);
      if (error) {
        identities[index].error = "not a numeric address: " + targets[index].address;
        continue;
      }
      service::start_identify(io, {address, targets[index].port}, targets[index].server_name,
                              options, [&, index](ServiceIdentity identity) {
                                identities[index] = std::move(identity);
                                asio::post(io, [&] { start_next(); });
                              });
      return;
    }
  };
  for (std::size_t i = 0; i < concurrency; ++i) start_next();
  io.run();
  return identities;
}

std::string identity_label(const ServiceIdentity& identity) {
  if (identity.match.name.empty()) return identity.tls ? "ssl/unknown" : "unknown";
  if (identity.tls && identity.match.name != "ssl") return "ssl/" + identity.match.name;
  return identity.match.name;
}

}  // namespace portkit

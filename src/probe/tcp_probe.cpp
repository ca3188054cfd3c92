#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <memory>

#include "probe/async_probe.hpp"

namespace portkit {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// Services that stay silent until the client speaks get a harmless nudge.
std::string_view nudge_for(std::uint16_t port) {
  if (port == 6379 || port == 26379) return "PING\r\n";
  return "HEAD / HTTP/1.0\r\n\r\n";
}

class TcpProbe : public std::enable_shared_from_this<TcpProbe> {
 public:
  TcpProbe(asio::io_context& io, const asio::ip::address& address, std::uint16_t port,
           const ProbeOptions& options, ProbeCallback done)
      : io_(io),
        endpoint_(address, port),
        options_(options),
        socket_(io),
        timer_(io),
        done_(std::move(done)) {
    result_.address = address.to_string();
    result_.port = port;
    result_.proto = Proto::tcp;
  }

  void attempt() {
    ++result_.attempts;
    ++generation_;
    asio::error_code error;
    socket_ = asio::ip::tcp::socket(io_);
    socket_.open(endpoint_.protocol(), error);
    if (error) return finish_local_error(error);
    started_ = Clock::now();
    timed_out_ = false;
    arm_timer(options_.timeout);
    socket_.async_connect(endpoint_, [self = shared_from_this(), generation = generation_](
                                         const asio::error_code& connect_error) {
      if (generation == self->generation_) self->on_connect(connect_error);
    });
  }

 private:
  void arm_timer(std::chrono::milliseconds after) {
    timer_.expires_after(after);
    timer_.async_wait(
        [self = shared_from_this(), generation = generation_](const asio::error_code& e) {
          if (e || generation != self->generation_) return;
          self->timed_out_ = true;
          asio::error_code ignored;
          self->socket_.close(ignored);  // the pending operation completes as aborted
        });
  }

  void on_connect(const asio::error_code& error) {
    timer_.cancel();
    if (timed_out_) {
      if (result_.attempts <= options_.retries) return attempt();
      return finish({PortState::filtered, ProbeReason::no_response});
    }
    result_.latency_ms = elapsed_ms(started_);
    const auto verdict = classify_connect_errno(error ? error.value() : 0);
    if (verdict.reason == ProbeReason::local_error) return finish_local_error(error);
    if (verdict.state == PortState::open && options_.banner) return read_banner(false);
    finish(verdict);
  }

  // Reads what the server says first; when it stays silent for half the deadline, sends a
  // nudge (PING for Redis, HEAD for everything else) and reads the reply.
  void read_banner(bool nudged) {
    ++generation_;
    timed_out_ = false;
    const auto wait = nudged ? options_.banner_timeout / 2
                             : (endpoint_.port() == 6379 ? std::chrono::milliseconds(0)
                                                         : options_.banner_timeout / 2);
    if (!nudged && wait.count() == 0) return send_nudge();
    banner_timer(wait, nudged);
    socket_.async_read_some(
        asio::buffer(buffer_), [self = shared_from_this(), generation = generation_, nudged](
                                   const asio::error_code& error, std::size_t got) {
          if (generation != self->generation_) return;
          self->timer_.cancel();
          if (!error && got > 0) {
            self->result_.banner = sanitize_banner(std::string_view(self->buffer_.data(), got));
            return self->finish({PortState::open, ProbeReason::syn_ack});
          }
          if (!nudged && self->silent_) return self->send_nudge();
          self->finish({PortState::open, ProbeReason::syn_ack});
        });
  }

  void banner_timer(std::chrono::milliseconds after, bool nudged) {
    silent_ = false;
    timer_.expires_after(after);
    timer_.async_wait(
        [self = shared_from_this(), generation = generation_, nudged](const asio::error_code& e) {
          if (e || generation != self->generation_) return;
          self->silent_ = true;
          asio::error_code ignored;
          if (nudged) {
            self->socket_.close(ignored);
          } else {
            self->socket_.cancel(ignored);
          }
        });
  }

  void send_nudge() {
    nudge_ = std::string(nudge_for(endpoint_.port()));
    asio::async_write(socket_, asio::buffer(nudge_),
                      [self = shared_from_this()](const asio::error_code& error, std::size_t) {
                        if (error) return self->finish({PortState::open, ProbeReason::syn_ack});
                        self->read_banner(true);
                      });
  }

  void finish_local_error(const asio::error_code& error) {
    result_.error = error.message();
    result_.sys_errno = error.value();
    finish({PortState::filtered, ProbeReason::local_error});
  }

  void finish(Verdict verdict) {
    if (finished_) return;
    finished_ = true;
    ++generation_;
    timer_.cancel();
    asio::error_code ignored;
    socket_.close(ignored);
    result_.state = verdict.state;
    result_.reason = verdict.reason;
    if (verdict.reason == ProbeReason::no_response) result_.latency_ms.reset();
    done_(std::move(result_));
  }

  asio::io_context& io_;
  asio::ip::tcp::endpoint endpoint_;
  ProbeOptions options_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  ProbeCallback done_;
  ProbeResult result_;
  Clock::time_point started_;
  std::array<char, 512> buffer_{};
  std::string nudge_;
  unsigned generation_ = 0;
  bool timed_out_ = false;
  bool silent_ = false;
  bool finished_ = false;
};

}  // namespace

void start_tcp_probe(asio::io_context& io, const asio::ip::address& address, std::uint16_t port,
                     const ProbeOptions& options, ProbeCallback done) {
  std::make_shared<TcpProbe>(io, address, port, options, std::move(done))->attempt();
}

}  // namespace portkit

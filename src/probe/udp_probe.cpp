#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>  // before linux/errqueue.h, which uses struct timespec
// clang-format off
#include <linux/errqueue.h>
// clang-format on

#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <memory>

#include "probe/async_probe.hpp"
#include "service/udp_payloads.hpp"

namespace portkit {
namespace {

using Clock = std::chrono::steady_clock;

// What one non-blocking read of the socket said.
struct Reading {
  enum Kind { nothing, verdict } kind = nothing;
  Verdict result{PortState::open_filtered, ProbeReason::no_response};
  std::string reply;  // the datagram that came back, when one did
};

// The error queue first (ICMP type and code, via IP_RECVERR), then ordinary data.
Reading read_socket(int fd, bool is_v6) {
  char data[512];
  char control[512];
  iovec vector{data, sizeof data};
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  if (::recvmsg(fd, &message, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
    for (auto* header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
      const bool v4_error = header->cmsg_level == SOL_IP && header->cmsg_type == IP_RECVERR;
      const bool v6_error = header->cmsg_level == SOL_IPV6 && header->cmsg_type == IPV6_RECVERR;
      if (!v4_error && !v6_error) continue;
      sock_extended_err error{};
      std::memcpy(&error, CMSG_DATA(header), sizeof error);
      if (error.ee_origin == SO_EE_ORIGIN_ICMP || error.ee_origin == SO_EE_ORIGIN_ICMP6) {
        return {Reading::verdict, classify_udp_icmp(is_v6, error.ee_type, error.ee_code)};
      }
    }
  }
  const auto got = ::recv(fd, data, sizeof data, MSG_DONTWAIT);
  if (got >= 0) {
    return {Reading::verdict,
            {PortState::open, ProbeReason::udp_response},
            std::string(data, static_cast<std::size_t>(got))};
  }
  if (errno == ECONNREFUSED)
    return {Reading::verdict, {PortState::closed, ProbeReason::port_unreach}};
  if (errno == EHOSTUNREACH)
    return {Reading::verdict, {PortState::filtered, ProbeReason::host_unreach}};
  return {};
}

class UdpProbe : public std::enable_shared_from_this<UdpProbe> {
 public:
  UdpProbe(asio::io_context& io, const asio::ip::address& address, std::uint16_t port,
           const ProbeOptions& options, ProbeCallback done)
      : endpoint_(address, port),
        options_(options),
        socket_(io),
        timer_(io),
        payload_(udp_payload(port)),
        done_(std::move(done)) {
    result_.address = address.to_string();
    result_.port = port;
    result_.proto = Proto::udp;
  }

  void start() {
    asio::error_code error;
    socket_.open(endpoint_.protocol(), error);
    if (!error) {
      const int on = 1;
      const bool v6 = endpoint_.address().is_v6();
      if (::setsockopt(socket_.native_handle(), v6 ? SOL_IPV6 : SOL_IP,
                       v6 ? IPV6_RECVERR : IP_RECVERR, &on, sizeof on) != 0) {
        error.assign(errno, asio::system_category());
      }
    }
    if (!error) socket_.connect(endpoint_, error);  // no packet: it only fixes the peer
    if (error) return finish_local_error(error);
    send();
  }

 private:
  void send() {
    ++result_.attempts;
    sent_at_ = Clock::now();
    asio::error_code error;
    socket_.send(asio::buffer(payload_), 0, error);
    if (error == asio::error::connection_refused) {
      return finish({PortState::closed, ProbeReason::port_unreach});
    }
    if (error) return finish_local_error(error);
    timer_.expires_after(options_.timeout);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& e) {
      if (e || self->finished_) return;
      if (self->result_.attempts <= self->options_.retries) return self->send();
      self->finish({PortState::open_filtered, ProbeReason::no_response});
    });
    if (!waiting_) wait();
  }

  void wait() {
    waiting_ = true;
    socket_.async_wait(
        asio::socket_base::wait_read, [self = shared_from_this()](const asio::error_code& e) {
          self->waiting_ = false;
          if (e || self->finished_) return;
          const auto reading =
              read_socket(self->socket_.native_handle(), self->endpoint_.address().is_v6());
          if (reading.kind == Reading::nothing) return self->wait();
          self->result_.latency_ms =
              std::chrono::duration<double, std::milli>(Clock::now() - self->sent_at_).count();
          if (self->options_.identify && !reading.reply.empty()) {
            if (auto match = read_udp_reply(self->endpoint_.port(), reading.reply)) {
              ServiceIdentity identity;
              identity.probe = match->name;
              identity.match = std::move(*match);
              identity.method = "probed";
              identity.elapsed_ms = *self->result_.latency_ms;
              self->result_.identity = std::move(identity);
            }
          }
          self->finish(reading.result);
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
    timer_.cancel();
    asio::error_code ignored;
    socket_.close(ignored);
    result_.state = verdict.state;
    result_.reason = verdict.reason;
    done_(std::move(result_));
  }

  asio::ip::udp::endpoint endpoint_;
  ProbeOptions options_;
  asio::ip::udp::socket socket_;
  asio::steady_timer timer_;
  std::string payload_;
  ProbeCallback done_;
  ProbeResult result_;
  Clock::time_point sent_at_;
  bool waiting_ = false;
  bool finished_ = false;
};

}  // namespace

void start_tcp_probe(asio::io_context& io, const asio::ip::address& address, std::uint16_t port,
                     const ProbeOptions& options, ProbeCallback done);

void start_probe(asio::io_context& io, const asio::ip::address& address, std::uint16_t port,
                 Proto proto, const ProbeOptions& options, ProbeCallback done) {
  if (proto == Proto::tcp) return start_tcp_probe(io, address, port, options, std::move(done));
  std::make_shared<UdpProbe>(io, address, port, options, std::move(done))->start();
}

}  // namespace portkit

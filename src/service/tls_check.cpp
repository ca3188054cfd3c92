// TLS handshakes only, for the audit: the certificate facts, and whether TLS 1.0/1.1 are still
// accepted. Every target at once on one loop, each cut at its timeout.
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "portkit/service/service_probe.hpp"
#include "service/sigpipe.hpp"
#include "service/tls_session.hpp"

namespace portkit {
namespace {

using service::TlsOffer;
using service::TlsSession;

class Handshake : public std::enable_shared_from_this<Handshake> {
 public:
  using Done = std::function<void(std::optional<TlsFacts>, std::string error)>;
  Handshake(asio::io_context& io, asio::ip::tcp::endpoint endpoint, std::string name,
            TlsOffer offer, std::chrono::milliseconds timeout, Done done)
      : socket_(io),
        timer_(io, timeout),
        endpoint_(std::move(endpoint)),
        name_(std::move(name)),
        offer_(offer),
        done_(std::move(done)) {}

  void start() {
    timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (!error) self->finish(std::nullopt, "no TLS handshake within the timeout");
    });
    socket_.async_connect(endpoint_, [self = shared_from_this()](const asio::error_code& error) {
      if (self->finished_) return;
      if (error) return self->finish(std::nullopt, "connect: " + error.message());
      std::string why;
      self->session_ =
          TlsSession::create(std::move(self->socket_), self->name_, self->offer_, &why);
      if (!self->session_) return self->finish(std::nullopt, why);
      self->session_->handshake([self](bool ok, std::string failure) {
        if (!ok) return self->finish(std::nullopt, std::move(failure));
        self->finish(self->session_->facts(), {});
      });
    });
  }

 private:
  void finish(std::optional<TlsFacts> facts, std::string error) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    if (session_) session_->close();
    asio::error_code ignored;
    socket_.close(ignored);
    done_(std::move(facts), std::move(error));
  }

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  asio::ip::tcp::endpoint endpoint_;
  std::string name_;
  TlsOffer offer_;
  Done done_;
  std::shared_ptr<TlsSession> session_;
  bool finished_ = false;
};

void run_handshakes(const std::vector<IdentifyTarget>& targets, std::size_t first, std::size_t end,
                    std::chrono::milliseconds timeout, bool legacy, std::vector<TlsCheck>& checks);

}  // namespace

std::vector<TlsCheck> check_tls(const std::vector<IdentifyTarget>& targets,
                                std::chrono::milliseconds timeout, bool legacy) {
  constexpr std::size_t kAtOnce = 128;  // two sockets each: well inside the default fd limit
  const service::SigpipeBlocked no_sigpipe;
  std::vector<TlsCheck> checks(targets.size());
  for (std::size_t first = 0; first < targets.size(); first += kAtOnce) {
    run_handshakes(targets, first, std::min(targets.size(), first + kAtOnce), timeout, legacy,
                   checks);
  }
  return checks;
}

namespace {

void run_handshakes(const std::vector<IdentifyTarget>& targets, std::size_t first, std::size_t end,
                    std::chrono::milliseconds timeout, bool legacy, std::vector<TlsCheck>& checks) {
  asio::io_context io;
  for (std::size_t i = first; i < end; ++i) {
    asio::error_code error;
    const auto address = asio::ip::make_address(targets[i].address, error);
    if (error) {
      checks[i].error = "not a numeric address: " + targets[i].address;
      continue;
    }
    const asio::ip::tcp::endpoint endpoint(address, targets[i].port);
    const auto name = targets[i].server_name.empty() ? targets[i].address : targets[i].server_name;
    std::make_shared<Handshake>(io, endpoint, name, TlsOffer::h2_and_http1, timeout,
                                [&checks, i](std::optional<TlsFacts> facts, std::string why) {
                                  checks[i].facts = std::move(facts);
                                  checks[i].error = std::move(why);
                                })
        ->start();
    if (!legacy) continue;
    std::make_shared<Handshake>(io, endpoint, name, TlsOffer::legacy_only, timeout,
                                [&checks, i](std::optional<TlsFacts> facts, const std::string&) {
                                  if (!facts) return;
                                  checks[i].legacy_version = facts->version;
                                  // A server of TLS 1.1 at most shows its certificate only here.
                                  if (!checks[i].facts) checks[i].legacy_facts = std::move(facts);
                                })
        ->start();
  }
  io.run();
}

}  // namespace
}  // namespace portkit

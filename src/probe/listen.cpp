#include "portkit/probe/listen.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read_until.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>
#include <memory>
#include <set>

#include "base/text_util.hpp"

namespace portkit {
namespace {

using Clock = std::chrono::steady_clock;
using Emit = std::function<void(const ListenEvent&)>;

// Shared by every connection: when to stop, and who is still connected.
struct Server {
  asio::io_context& io;
  const ListenOptions& options;
  const Emit& emit;
  std::string local_address;
  std::uint16_t local_port = 0;
  std::uint64_t served = 0;
  bool stopping = false;
  std::set<std::shared_ptr<asio::ip::tcp::socket>> open_sockets;
  std::function<void(std::string)> stop;
};

ListenEvent event(ListenEvent::Kind kind, const Server& server) {
  ListenEvent out{kind, server.local_address, server.local_port, {}, 0, 0, 0, 0, {}};
  return out;
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, std::shared_ptr<asio::ip::tcp::socket> socket)
      : server_(server), socket_(std::move(socket)), started_(Clock::now()), deadline_(server.io) {
    asio::error_code ignored;
    const auto peer = socket_->remote_endpoint(ignored);
    peer_address_ = peer.address().to_string();
    peer_port_ = peer.port();
  }

  void start() {
    auto connected = event(ListenEvent::Kind::connected, server_);
    connected.peer_address = peer_address_;
    connected.peer_port = peer_port_;
    server_.emit(connected);
    switch (server_.options.mode) {
      case ListenMode::banner:
        return write_then_close(server_.options.banner);
      case ListenMode::http:
        return read_request();
      case ListenMode::echo:
      case ListenMode::discard:
        buffer_.resize(16384);  // only these modes read a stream
        return read_more();
    }
  }

 private:
  void read_more() {
    socket_->async_read_some(
        asio::buffer(buffer_),
        [self = shared_from_this()](const asio::error_code& error, std::size_t got) {
          if (error) return self->close();
          self->bytes_in_ += got;
          if (self->server_.options.mode == ListenMode::discard) return self->read_more();
          asio::async_write(*self->socket_, asio::buffer(self->buffer_.data(), got),
                            [self](const asio::error_code& write_error, std::size_t sent) {
                              self->bytes_out_ += sent;
                              if (write_error) return self->close();
                              self->read_more();
                            });
        });
  }

  void read_request() {
    // A request must arrive in time: a client that sends half of one is closed, not kept.
    deadline_.expires_after(kRequestTimeout);
    deadline_.async_wait([weak = weak_from_this()](const asio::error_code& error) {
      if (error) return;
      if (auto self = weak.lock()) self->close();
    });
    asio::async_read_until(
        *socket_, request_, "\r\n\r\n",
        [self = shared_from_this()](const asio::error_code& error, std::size_t got) {
          self->bytes_in_ += got;
          self->deadline_.cancel();
          if (error) return self->close();
          const auto client = self->peer_address_ + ":" + std::to_string(self->peer_port_);
          self->write_then_close(http_page(self->server_.local_port, client));
        });
  }

  void write_then_close(std::string text) {
    outgoing_ = std::move(text);
    asio::async_write(*socket_, asio::buffer(outgoing_),
                      [self = shared_from_this()](const asio::error_code&, std::size_t sent) {
                        self->bytes_out_ += sent;
                        asio::error_code ignored;
                        self->socket_->shutdown(asio::socket_base::shutdown_send, ignored);
                        self->close();
                      });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    deadline_.cancel();
    asio::error_code ignored;
    socket_->close(ignored);
    server_.open_sockets.erase(socket_);
    auto closed = event(ListenEvent::Kind::closed, server_);
    closed.peer_address = peer_address_;
    closed.peer_port = peer_port_;
    closed.bytes_in = bytes_in_;
    closed.bytes_out = bytes_out_;
    closed.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    server_.emit(closed);
    ++server_.served;
    if (server_.options.count && server_.served >= *server_.options.count) server_.stop("count");
    if (server_.stopping && server_.open_sockets.empty()) server_.io.stop();
  }

  Server& server_;
  std::shared_ptr<asio::ip::tcp::socket> socket_;
  Clock::time_point started_;
  std::string peer_address_;
  std::uint16_t peer_port_ = 0;
  static constexpr std::chrono::seconds kRequestTimeout{10};
  asio::steady_timer deadline_;
  std::vector<char> buffer_;
  asio::streambuf request_{8192};  // a request head larger than this is refused
  std::string outgoing_;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  bool closed_ = false;
};

void accept_next(Server& server, asio::ip::tcp::acceptor& acceptor) {
  auto socket = std::make_shared<asio::ip::tcp::socket>(server.io);
  acceptor.async_accept(*socket, [&server, &acceptor, socket](const asio::error_code& error) {
    if (server.stopping) return;
    if (!error) {
      server.open_sockets.insert(socket);
      std::make_shared<Connection>(server, socket)->start();
      return accept_next(server, acceptor);
    }
    // EMFILE and friends: keep serving the connections we have and try again a little later
    // (at once would spin on the same error).
    auto pause = std::make_shared<asio::steady_timer>(server.io, std::chrono::milliseconds(50));
    pause->async_wait([&server, &acceptor, pause](const asio::error_code& paused) {
      if (!paused && !server.stopping) accept_next(server, acceptor);
    });
  });
}

struct UdpState {
  asio::ip::udp::endpoint peer;
  std::array<char, 65536> buffer{};
  std::string reply;
};

void receive_next(Server& server, asio::ip::udp::socket& socket,
                  const std::shared_ptr<UdpState>& state) {
  socket.async_receive_from(
      asio::buffer(state->buffer), state->peer,
      [&server, &socket, state](const asio::error_code& error, std::size_t got) {
        if (server.stopping) return;
        if (!error) {
          auto datagram = event(ListenEvent::Kind::datagram, server);
          datagram.peer_address = state->peer.address().to_string();
          datagram.peer_port = state->peer.port();
          datagram.bytes_in = got;
          const auto mode = server.options.mode;
          if (mode == ListenMode::echo) state->reply.assign(state->buffer.data(), got);
          if (mode == ListenMode::banner) state->reply = server.options.banner;
          if (mode == ListenMode::echo || mode == ListenMode::banner) {
            asio::error_code ignored;
            datagram.bytes_out =
                socket.send_to(asio::buffer(state->reply), state->peer, 0, ignored);
          }
          server.emit(datagram);
          ++server.served;
          if (server.options.count && server.served >= *server.options.count) {
            return server.stop("count");
          }
        }
        receive_next(server, socket, state);
      });
}

}  // namespace

std::optional<ListenMode> parse_listen_mode(std::string_view text) {
  if (text == "echo") return ListenMode::echo;
  if (text == "http") return ListenMode::http;
  if (text == "banner") return ListenMode::banner;
  if (text == "discard") return ListenMode::discard;
  return std::nullopt;
}

std::string_view listen_event_name(ListenEvent::Kind kind) {
  switch (kind) {
    case ListenEvent::Kind::listening:
      return "listening";
    case ListenEvent::Kind::connected:
      return "connected";
    case ListenEvent::Kind::closed:
      return "closed";
    case ListenEvent::Kind::datagram:
      return "datagram";
    case ListenEvent::Kind::stopped:
      return "stopped";
  }
  return "unknown";
}

std::string http_page(std::uint16_t port, const std::string& client) {
  const auto body = "<!doctype html>\n<title>portkit listen</title>\n<p>portkit listen on port " +
                    std::to_string(port) + "; your socket is " + client + "</p>\n";
  return "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\nServer: portkit\r\n\r\n" + body;
}

Result<std::uint64_t> run_listener(const ListenOptions& options, const Emit& emit) {
  if (options.proto == Proto::udp && options.mode == ListenMode::http) {
    return make_error("--mode http needs TCP");
  }
  asio::error_code error;
  const auto address = asio::ip::make_address(options.bind, error);
  if (error) return make_error("--bind: invalid address " + single_quoted(options.bind));
  asio::io_context io;
  Server server{io, options, emit, address.to_string(), 0, 0, false, {}, {}};
  asio::ip::tcp::acceptor acceptor(io);
  asio::ip::udp::socket udp_socket(io);
  asio::steady_timer duration_timer(io);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  const auto bind_problem = [&](const asio::error_code& e) {
    return make_error("cannot listen on " +
                          (address.is_v6() ? "[" + options.bind + "]" : options.bind) + ":" +
                          std::to_string(options.port) + "/" +
                          std::string(proto_name(options.proto)) + ": " + e.message(),
                      e.value());
  };
  if (options.proto == Proto::tcp) {
    const asio::ip::tcp::endpoint endpoint(address, options.port);
    acceptor.open(endpoint.protocol(), error);
    if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor.bind(endpoint, error);
    if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error) return bind_problem(error);
    server.local_port = acceptor.local_endpoint().port();
  } else {
    const asio::ip::udp::endpoint endpoint(address, options.port);
    udp_socket.open(endpoint.protocol(), error);
    if (!error) udp_socket.bind(endpoint, error);
    if (error) return bind_problem(error);
    server.local_port = udp_socket.local_endpoint().port();
  }
  server.stop = [&](std::string reason) {
    if (server.stopping) return;
    server.stopping = true;
    asio::error_code ignored;
    acceptor.close(ignored);
    udp_socket.close(ignored);
    duration_timer.cancel();
    signals.cancel();
    auto stopped = event(ListenEvent::Kind::stopped, server);
    stopped.reason = std::move(reason);
    emit(stopped);
    // Whatever the reason, stopping means stopping: a client that never hangs up must not
    // keep a --duration or --count server alive.
    for (const auto& socket : server.open_sockets) socket->close(ignored);
    if (server.open_sockets.empty()) io.stop();
  };
  signals.async_wait([&](const asio::error_code& e, int) {
    if (!e) server.stop("signal");
  });
  if (options.duration) {
    duration_timer.expires_after(*options.duration);
    duration_timer.async_wait([&](const asio::error_code& e) {
      if (!e) server.stop("duration");
    });
  }
  emit(event(ListenEvent::Kind::listening, server));
  if (options.proto == Proto::tcp) {
    accept_next(server, acceptor);
  } else {
    receive_next(server, udp_socket, std::make_shared<UdpState>());
  }
  io.run();
  return server.served;
}

}  // namespace portkit

#include "exporter/http_server.hpp"

#include <fmt/format.h>

#include <array>
#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <list>
#include <thread>

#include "base/text_util.hpp"

namespace portkit {
namespace {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

Result<ParsedHead> parse_http_head(std::string_view head) {
  const auto line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) return make_error("no request line");
  const auto line = head.substr(0, line_end);
  const auto first_space = line.find(' ');
  const auto last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return make_error("the request line is not METHOD TARGET VERSION");
  }
  ParsedHead parsed;
  const auto method = line.substr(0, first_space);
  auto target = line.substr(first_space + 1, last_space - first_space - 1);
  const auto version = line.substr(last_space + 1);
  if (!is_token(method)) return make_error("bad method");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return make_error("not HTTP/1.x");
  // The absolute form (a proxy's "GET http://host/metrics") names the same path.
  if (const auto scheme = target.find("://"); scheme != std::string_view::npos) {
    const auto slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target.empty() || target.front() != '/') return make_error("bad request target");
  parsed.request.method = std::string(method);
  parsed.request.path = std::string(target.substr(0, target.find('?')));
  parsed.keep_alive = version == "HTTP/1.1";
  auto rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const auto header = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    if (header.empty()) break;
    const auto colon = header.find(':');
    if (colon == std::string_view::npos || colon == 0) return make_error("bad header line");
    if (to_lower(header.substr(0, colon)) != "connection") continue;
    const auto value = to_lower(trim_spaces(header.substr(colon + 1)));
    if (value.find("close") != std::string::npos) parsed.keep_alive = false;
    if (value.find("keep-alive") != std::string::npos) parsed.keep_alive = true;
  }
  return parsed;
}

class HttpConnection;

struct HttpServer::State {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io};
  asio::steady_timer accept_pause{io};
  HttpHandler handler;
  HttpServerLimits limits;
  std::size_t open = 0;
  // Connections waiting for a request, the longest-waiting first: the ones to close for room.
  std::list<HttpConnection*> waiting;
  std::thread thread;
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(HttpServer::State& state, asio::ip::tcp::socket socket)
      : state_(state), socket_(std::move(socket)), timer_(state.io) {
    ++state_.open;
  }

  void start() {
    wait_for_request();
    read();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    leave_waiting();
    timer_.cancel();
    asio::error_code ignored;
    socket_.close(ignored);
    --state_.open;
  }

 private:
  void wait_for_request() {
    state_.waiting.push_back(this);
    waiting_at_ = std::prev(state_.waiting.end());
    arm(state_.limits.idle_timeout);
  }

  void leave_waiting() {
    if (!waiting_at_) return;
    state_.waiting.erase(*waiting_at_);
    waiting_at_.reset();
  }

  void arm(std::chrono::milliseconds after) {
    timer_.expires_after(after);
    timer_.async_wait([weak = weak_from_this()](const asio::error_code& error) {
      if (error) return;
      if (auto self = weak.lock()) self->close();
    });
  }

  void read() {
    socket_.async_read_some(
        asio::buffer(chunk_),
        [self = shared_from_this()](const asio::error_code& error, std::size_t got) {
          if (error || self->closed_) return self->close();
          // The first byte of a request starts its clock: the whole head must follow in time.
          if (self->head_.empty()) self->arm(self->state_.limits.head_timeout);
          self->head_.append(self->chunk_.data(), got);
          self->take_request();
        });
  }

  void take_request() {
    const auto end = head_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (head_.size() > state_.limits.max_head_bytes) {
        return send({.status = 431, .body = "request head too large\n"}, false, false);
      }
      return read();
    }
    auto parsed = parse_http_head(std::string_view(head_).substr(0, end + 4));
    head_.erase(0, end + 4);
    leave_waiting();
    timer_.cancel();
    if (!parsed) return send({.status = 400, .body = parsed.error().message + "\n"}, false, false);
    const bool keep_alive = parsed->keep_alive;
    const bool head_only = parsed->request.method == "HEAD";
    state_.handler(
        parsed->request, [self = shared_from_this(), keep_alive, head_only](HttpResponse response) {
          auto& io = self->state_.io;
          asio::post(io, [self, keep_alive, head_only, response = std::move(response)]() mutable {
            self->send(std::move(response), keep_alive, head_only);
          });
        });
  }

  void send(HttpResponse response, bool keep_alive, bool head_only) {
    if (closed_) return;
    outgoing_ = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
        "Connection: {}\r\n\r\n",
        response.status, reason_phrase(response.status), response.content_type,
        response.body.size(), keep_alive ? "keep-alive" : "close");
    if (!head_only) outgoing_ += response.body;
    // A client that does not read its answer gets the head timeout to take it.
    arm(state_.limits.head_timeout);
    asio::async_write(
        socket_, asio::buffer(outgoing_),
        [self = shared_from_this(), keep_alive](const asio::error_code& error, std::size_t) {
          if (error || !keep_alive) {
            asio::error_code ignored;
            self->socket_.shutdown(asio::socket_base::shutdown_send, ignored);
            return self->close();
          }
          self->outgoing_.clear();
          self->wait_for_request();
          if (self->head_.empty()) return self->read();
          self->arm(self->state_.limits.head_timeout);
          self->take_request();  // a pipelined request already here
        });
  }

  HttpServer::State& state_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::array<char, 4096> chunk_{};
  std::string head_;
  std::string outgoing_;
  std::optional<std::list<HttpConnection*>::iterator> waiting_at_;
  bool closed_ = false;
};

namespace {

void accept_next(HttpServer::State& state) {
  state.acceptor.async_accept(
      [&state](const asio::error_code& error, asio::ip::tcp::socket socket) {
        if (error == asio::error::operation_aborted) return;
        if (error) {
          // Out of descriptors (EMFILE): make room, and pause rather than spin on the error.
          if (!state.waiting.empty()) state.waiting.front()->close();
          state.accept_pause.expires_after(std::chrono::milliseconds(50));
          state.accept_pause.async_wait([&state](const asio::error_code& paused) {
            if (!paused) accept_next(state);
          });
          return;
        }
        if (state.open >= state.limits.max_connections && !state.waiting.empty()) {
          state.waiting.front()->close();  // the longest wait without a request makes room
        }
        if (state.open >= state.limits.max_connections) {
          asio::error_code ignored;
          socket.close(ignored);  // every connection is mid-answer: this one waits its turn
        } else {
          std::make_shared<HttpConnection>(state, std::move(socket))->start();
        }
        accept_next(state);
      });
}

}  // namespace

HttpServer::HttpServer(std::unique_ptr<State> state, std::uint16_t port)
    : state_(std::move(state)), port_(port) {}

HttpServer::~HttpServer() {
  state_->io.stop();
  if (state_->thread.joinable()) state_->thread.join();
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const asio::ip::tcp::endpoint& where,
                                                      HttpHandler handler,
                                                      const HttpServerLimits& limits) {
  auto state = std::make_unique<State>();
  state->handler = std::move(handler);
  state->limits = limits;
  asio::error_code error;
  state->acceptor.open(where.protocol(), error);
  if (!error) state->acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error && where.address().is_v6()) state->acceptor.set_option(asio::ip::v6_only(true), error);
  if (!error) state->acceptor.bind(where, error);
  if (!error) state->acceptor.listen(asio::socket_base::max_listen_connections, error);
  const auto address = where.address().is_v6()
                           ? fmt::format("[{}]:{}", where.address().to_string(), where.port())
                           : fmt::format("{}:{}", where.address().to_string(), where.port());
  if (error == asio::error::address_in_use) {
    return make_error(fmt::format("cannot listen on {}: address in use (portkit who {} tells who "
                                  "holds it)",
                                  address, where.port()),
                      EADDRINUSE);
  }
  if (error) {
    return make_error(fmt::format("cannot listen on {}: {}", address, error.message()),
                      error.value() ? error.value() : EINVAL);
  }
  const auto port = state->acceptor.local_endpoint(error).port();
  accept_next(*state);
  auto* raw = state.get();
  state->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state), port));
}

}  // namespace portkit

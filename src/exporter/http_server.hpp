#pragma once
// A small event-driven HTTP/1.1 server for the exporter: one thread serves every connection, so
// idle or slow clients hold only a socket and a few KiB, never a worker. Bounds: a request head
// must arrive within `head_timeout` once its first byte has, an idle keep-alive connection is
// closed after `idle_timeout`, a head is at most 8 KiB, and at `max_connections` the
// connection that has waited longest without a request is closed to make room.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "portkit/base/result.hpp"

namespace portkit {

struct HttpRequest {
  std::string method;
  std::string path;  // without the query
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpServerLimits {
  std::chrono::milliseconds head_timeout{10000};
  std::chrono::milliseconds idle_timeout{120000};
  std::size_t max_head_bytes = 8192;
  std::size_t max_connections = 1024;
};

// The handler answers through `respond`, at once or later from any thread (a slow collection
// runs off the serving thread and answers when done).
using HttpRespond = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(const HttpRequest&, HttpRespond)>;

// Pure: the request line and headers of one head (up to and including the blank line).
struct ParsedHead {
  HttpRequest request;
  bool keep_alive = true;
};
Result<ParsedHead> parse_http_head(std::string_view head);

class HttpServer {
 public:
  // Binds and listens (port 0: the kernel picks); serving starts on a thread of its own.
  static Result<std::unique_ptr<HttpServer>> start(const asio::ip::tcp::endpoint& where,
                                                   HttpHandler handler,
                                                   const HttpServerLimits& limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }

  struct State;

 private:
  explicit HttpServer(std::unique_ptr<State> state, std::uint16_t port);
  std::unique_ptr<State> state_;
  std::uint16_t port_;
};

}  // namespace portkit

#include "probe/http_probe.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>
#include <memory>

#include "base/text_util.hpp"

namespace portkit {
namespace {

class HttpProbe : public std::enable_shared_from_this<HttpProbe> {
 public:
  HttpProbe(asio::io_context& io, asio::ip::tcp::endpoint endpoint, std::string request,
            std::chrono::milliseconds timeout, HttpCallback done)
      : socket_(io),
        timer_(io),
        endpoint_(std::move(endpoint)),
        request_(std::move(request)),
        timeout_(timeout),
        done_(std::move(done)) {}

  void start() {
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (error) return;
      self->timed_out_ = true;
      asio::error_code ignored;
      self->socket_.close(ignored);
    });
    socket_.async_connect(endpoint_, [self = shared_from_this()](const asio::error_code& error) {
      if (error) return self->finish(std::nullopt, self->problem("connect", error));
      asio::async_write(self->socket_, asio::buffer(self->request_),
                        [self](const asio::error_code& write_error, std::size_t) {
                          if (write_error)
                            return self->finish(std::nullopt, self->problem("send", write_error));
                          self->read_status();
                        });
    });
  }

 private:
  void read_status() {
    asio::async_read_until(socket_, response_, "\r\n",
                           [self = shared_from_this()](const asio::error_code& error, std::size_t) {
                             if (error)
                               return self->finish(std::nullopt, self->problem("read", error));
                             std::istream stream(&self->response_);
                             std::string line;
                             std::getline(stream, line);
                             const auto status = parse_http_status_line(line);
                             self->finish(status, status ? "" : "not an HTTP response");
                           });
  }

  std::string problem(const char* step, const asio::error_code& error) const {
    return timed_out_ ? std::string("no HTTP answer in time")
                      : std::string(step) + ": " + error.message();
  }

  void finish(std::optional<int> status, std::string problem) {
    timer_.cancel();
    asio::error_code ignored;
    socket_.close(ignored);
    if (done_) std::exchange(done_, nullptr)(status, std::move(problem));
  }

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  asio::ip::tcp::endpoint endpoint_;
  std::string request_;
  std::chrono::milliseconds timeout_;
  HttpCallback done_;
  asio::streambuf response_{4096};
  bool timed_out_ = false;
};

}  // namespace

std::optional<int> parse_http_status_line(std::string_view line) {
  line = trim_spaces(line);
  if (line.substr(0, 5) != "HTTP/") return std::nullopt;
  const auto space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4) return std::nullopt;
  const auto code = parse_decimal(line.substr(space + 1, 3));
  if (!code || *code < 100 || *code > 999) return std::nullopt;
  if (line.size() > space + 4 && line[space + 4] != ' ') return std::nullopt;
  return static_cast<int>(*code);
}

void start_http_probe(asio::io_context& io, const asio::ip::address& address, std::uint16_t port,
                      const std::string& host_header, const std::string& path,
                      std::chrono::milliseconds timeout, HttpCallback done) {
  auto request = "GET " + path + " HTTP/1.1\r\nHost: " + host_header +
                 "\r\nUser-Agent: portkit-wait\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  std::make_shared<HttpProbe>(io, asio::ip::tcp::endpoint(address, port), std::move(request),
                              timeout, std::move(done))
      ->start();
}

}  // namespace portkit

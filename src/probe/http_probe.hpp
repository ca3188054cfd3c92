#pragma once
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace portkit {

// GET `path` with Connection: close; calls back with the status code, or nothing and a reason.
using HttpCallback = std::function<void(std::optional<int> status, std::string problem)>;
void start_http_probe(asio::io_context& io, const asio::ip::address& address, std::uint16_t port,
                      const std::string& host_header, const std::string& path,
                      std::chrono::milliseconds timeout, HttpCallback done);

// "HTTP/1.1 204 No Content" -> 204; nothing for anything else.
std::optional<int> parse_http_status_line(std::string_view line);

}  // namespace portkit

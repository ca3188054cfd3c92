#pragma once
// `listen`: a throwaway test server (echo, http, banner, discard) over TCP or UDP.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "portkit/base/proto.hpp"
#include "portkit/base/result.hpp"

namespace portkit {

enum class ListenMode : std::uint8_t { echo, http, banner, discard };
std::optional<ListenMode> parse_listen_mode(std::string_view text);

struct ListenOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the kernel picks one, reported in the "listening" event
  Proto proto = Proto::tcp;
  ListenMode mode = ListenMode::echo;
  std::string banner = "portkit listen\r\n";
  std::optional<std::uint64_t> count;                 // stop after N connections/datagrams
  std::optional<std::chrono::milliseconds> duration;  // stop after this long
};

struct ListenEvent {
  enum class Kind : std::uint8_t { listening, connected, closed, datagram, stopped } kind;
  std::string address;  // ours
  std::uint16_t port = 0;
  std::string peer_address;
  std::uint16_t peer_port = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  double duration_ms = 0;
  std::string reason;  // for stopped: "count", "duration", "signal"
};
std::string_view listen_event_name(ListenEvent::Kind kind);

// The page `--mode http` serves, naming the port and the client's socket.
std::string http_page(std::uint16_t port, const std::string& client);

// Runs until --count, --duration, SIGINT or SIGTERM; events go to `on_event` (never printed
// by the library). Binding failures are Errors (EADDRINUSE names the address).
Result<std::uint64_t> run_listener(const ListenOptions& options,
                                   const std::function<void(const ListenEvent&)>& on_event);

}  // namespace portkit

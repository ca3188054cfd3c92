#pragma once
// `free`: ports that are free to bind now. Candidates are chosen by pure logic (range, host's
// ephemeral and reserved ports, order); each is then verified by really binding it.
#include <cstdint>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "portkit/base/port_range.hpp"
#include "portkit/base/proto.hpp"
#include "portkit/base/result.hpp"
#include "portkit/ranges/ranges.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {

class SocketHolder {
 public:
  SocketHolder() = default;
  SocketHolder(SocketHolder&& other) noexcept : fds_(std::exchange(other.fds_, {})) {}
  SocketHolder& operator=(SocketHolder&& other) noexcept {
    if (this != &other) {
      close_all();
      fds_ = std::exchange(other.fds_, {});
    }
    return *this;
  }
  SocketHolder(const SocketHolder&) = delete;
  SocketHolder& operator=(const SocketHolder&) = delete;
  ~SocketHolder() { close_all(); }

  void add(int fd) { fds_.push_back(fd); }
  [[nodiscard]] bool empty() const { return fds_.empty(); }
  void close_all();

 private:
  std::vector<int> fds_;
};

enum class FreeOrder : std::uint8_t { random, lowest, nearest };

struct FreeQuery {
  std::vector<PortRange> ranges;  // empty: 1024-65535 minus the ephemeral range
  std::size_t count = 1;
  bool tcp = true;
  bool udp = false;
  std::optional<std::uint16_t> near;  // closest first (ties: the lower port)
  FreeOrder order = FreeOrder::random;
  bool skip_known_services = true;   // leave ports of the curated knowledge base alone
  std::optional<IpAddress> address;  // bind here; default: every address, both families
};

// Ports of the asked ranges that were not tried, and why.
struct FreeExclusions {
  std::size_t known_services = 0;             // curated ports (--include-known offers them)
  std::vector<std::uint16_t> known_examples;  // the first few, to name in a message
  std::size_t reserved = 0;                   // net.ipv4.ip_local_reserved_ports
  std::size_t ephemeral = 0;                  // this host's ephemeral range
};

// Pure: the ports to try, in the order to try them. Reserved ports
// (net.ipv4.ip_local_reserved_ports) are always left out; the ephemeral range only when no
// range was given.
std::vector<std::uint16_t> free_port_candidates(const FreeQuery& query, const HostPortConfig& host,
                                                std::mt19937_64& random,
                                                FreeExclusions* left_out = nullptr);

struct FreePort {
  std::uint16_t port = 0;
  SocketHolder holder;  // the bound sockets, kept open while the caller holds the port
};

struct FreeResult {
  std::vector<FreePort> ports;
  std::size_t tried = 0;
  FreeExclusions left_out;
};

// Why fewer ports than asked were found, for the one-line message: "found 0 of 1 free ports
// (5432 left out as a known service: --include-known offers it)".
std::string describe_shortfall(const FreeResult& result, std::size_t wanted);

// Binds each candidate (TCP and/or UDP, no SO_REUSEADDR so any use of the port conflicts)
// until `count` are found. With `hold`, the sockets stay bound in the result.
Result<FreeResult> find_free_ports(const FreeQuery& query, const HostPortConfig& host, bool hold);

}  // namespace portkit

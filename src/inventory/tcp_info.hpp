#pragma once
// The kernel's struct tcp_info (INET_DIAG_INFO) read into TcpInfo. Its own file: <linux/tcp.h>,
// which has the fields portkit reads, clashes with glibc's <netinet/tcp.h> that the
// precompiled header pulls in (through Asio), so this file is compiled alone, without it.
#include <cstdint>
#include <span>

#include "portkit/inventory/inventory.hpp"

namespace portkit {

// The attribute may be shorter (an older kernel) or longer (a newer one) than this build's
// struct; what it lacks stays zero.
TcpInfo read_tcp_info(std::span<const std::uint8_t> bytes);

}  // namespace portkit

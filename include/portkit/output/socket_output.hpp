#pragma once
// Renderers for local sockets (ls, who) and their statistics.
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "portkit/inventory/sockets.hpp"
#include "portkit/output/table.hpp"

namespace portkit {

// proto, family, local_address, local_port, peer_address, peer_port, state, uid, user, inode,
// processes [{pid, command, cmdline, container}], service, exposure; with ls -i "tcp_info"
// {rtt_ms, rttvar_ms, cwnd, ssthresh, mss, retransmits, bytes_sent, bytes_acked,
// bytes_received, delivery_rate_bps, last_send_ms, last_receive_ms}, with -m "memory"
// {receive_allocated, receive_buffer, send_allocated, send_buffer, forward_allocated,
// send_queued, option_memory, backlog, drops}
nlohmann::json socket_json(const SocketRow& row);
// One owner as every socket listing names it: pid, command, cmdline, container (null if none).
nlohmann::json process_json(const ProcessInfo& process);
// Counts per state (index: SocketState number) as {"established": 3, ...}, nonzero only.
nlohmann::json states_json(std::span<const std::uint32_t> counts, Proto proto);
// Output in pieces: a listing of tens of thousands of sockets never exists as one string.
using TextSink = std::function<void(std::string_view)>;
void write_sockets(const SocketListing& listing, Style style, const TextSink& sink);
std::string render_sockets(const SocketListing& listing, Style style);
// {"sockets": [socket_json...], "backend": "netlink"|"procfs", "owners_incomplete": bool}
void write_sockets_json(const SocketListing& listing, const TextSink& sink);
nlohmann::json stats_json(const SocketStats& stats, double warn_fraction);
std::string render_stats(const SocketStats& stats, double warn_fraction, Style style);
std::string socket_address_text(const IpAddress& address, std::uint16_t port);

}  // namespace portkit

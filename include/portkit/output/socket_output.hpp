#pragma once
// Renderers for local sockets (ls, who) and their statistics.
#include <nlohmann/json.hpp>
#include <string>

#include "portkit/output/table.hpp"
#include "portkit/sockets.hpp"

namespace portkit {

// proto, family, local_address, local_port, peer_address, peer_port, state, uid, user, inode,
// processes [{pid, command, cmdline, container}], service, exposure
nlohmann::json socket_json(const SocketRow& row);
std::string render_sockets(const SocketListing& listing, Style style);
nlohmann::json stats_json(const SocketStats& stats, double warn_fraction);
std::string render_stats(const SocketStats& stats, double warn_fraction, Style style);
std::string socket_address_text(const IpAddress& address, std::uint16_t port);

}  // namespace portkit

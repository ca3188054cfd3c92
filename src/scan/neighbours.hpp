#pragma once
// The kernel's neighbour table (ARP for IPv4, NDP for IPv6): the addresses on directly attached
// links whose owner answered the kernel's own ARP or neighbour solicitation. Host discovery
// probes an on-link address, which makes the kernel ask; a host that then drops every probe has
// still answered that (nmap's arp-response, without a packet socket of our own).
#include <string>
#include <unordered_set>

namespace portkit {

// Keys as address_key() makes them (socket_address.hpp): the neighbours in a resolved state
// (reachable, stale, delay, probe, permanent). Empty when the table cannot be read.
std::unordered_set<std::string> resolved_neighbours();

}  // namespace portkit

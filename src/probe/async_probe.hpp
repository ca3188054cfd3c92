#pragma once
// The asynchronous core shared by check, wait, scan and forward: Asio's event loop with
// resolution and probes that call back when done. Raw syscalls on native handles where Asio
// has no word (IP_RECVERR error queues).
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <functional>
#include <vector>

#include "portkit/base/result.hpp"
#include "portkit/probe/probe.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {

using ResolveCallback = std::function<void(Result<std::vector<asio::ip::address>>)>;

// Literal addresses answer at once; names go through the resolver (getaddrinfo on Asio's
// resolver thread) without blocking the loop. The error names the host.
void start_resolve(asio::io_context& io, const Host& host, FamilyFilter family,
                   ResolveCallback done);

using ProbeCallback = std::function<void(ProbeResult)>;

// One TCP connect (optionally reading a banner) or one UDP probe with retries.
void start_probe(asio::io_context& io, const asio::ip::address& address, std::uint16_t port,
                 Proto proto, const ProbeOptions& options, ProbeCallback done);

// The better of two answers for one endpoint: open beats closed beats the rest.
bool better_answer(const ProbeResult& candidate, const ProbeResult& current);

}  // namespace portkit

#pragma once
// The asynchronous identification of one port, on the caller's event loop.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>

#include "portkit/service/service_probe.hpp"

namespace portkit::service {

using IdentifyDone = std::function<void(ServiceIdentity)>;

void start_identify(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint,
                    const std::string& server_name, const IdentifyOptions& options,
                    IdentifyDone done);

// The budget for a port whose connect took `connect_time`.
std::chrono::milliseconds identify_budget(std::chrono::microseconds connect_time,
                                          std::chrono::milliseconds configured);
// How long to wait for a server to speak first before asking.
std::chrono::milliseconds greeting_wait(std::chrono::microseconds connect_time,
                                        std::chrono::milliseconds budget);

}  // namespace portkit::service

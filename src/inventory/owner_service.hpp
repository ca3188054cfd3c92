#pragma once
// Service identity from the process that owns a socket: what listens there, whatever the port
// number says (a Redis on 16379, a PostgreSQL published by docker-proxy on 15432).
#include <cstdint>
#include <span>
#include <string_view>

#include "portkit/base/proto.hpp"
#include "portkit/inventory/inventory.hpp"
#include "portkit/registry/registry.hpp"

namespace portkit {

// The curated entry of what `process` serves on `port`, or null when its program is not one the
// knowledge base knows, or says nothing by itself (a plain java or python). A program with
// several ports (etcd 2379/2380, RabbitMQ 5672/15672) names the entry of the port it is on,
// else its main one; docker-proxy names the service of its -container-port.
const CuratedEntry* service_of_process(const ProcessInfo& process, std::uint16_t port, Proto proto);

// The name a process runs as: the base name of argv[0] (comm is cut at 15 characters).
std::string_view program_name(const ProcessInfo& process);

// Every curated name the program table refers to, for a test that each one exists.
std::span<const std::string_view> programs_services();

}  // namespace portkit

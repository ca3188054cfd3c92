// TopSampler: TCP sockets with tcp_info from netlink, and the owners of the listening ones.
#include <algorithm>

#include "inventory/owner_service.hpp"
#include "portkit/registry/registry.hpp"
#include "portkit/top/top.hpp"

namespace portkit {

namespace {

// Owners and service of each port, from the processes holding its listening sockets.
void name_owners(std::vector<PortActivity>& ports, OwnerCache& cache) {
  std::vector<std::uint64_t> inodes;
  for (const auto& port : ports) {
    for (const auto inode : port.listener_inodes) {
      if (inode != 0) inodes.push_back(inode);
    }
  }
  std::sort(inodes.begin(), inodes.end());
  inodes.erase(std::unique(inodes.begin(), inodes.end()), inodes.end());
  const auto owners = cache.find(inodes);
  for (auto& port : ports) {
    const CuratedEntry* named = nullptr;
    for (const auto inode : port.listener_inodes) {
      for (const auto* process : owners.find(inode)) {
        const bool known = std::any_of(port.processes.begin(), port.processes.end(),
                                       [&](const ProcessInfo& p) { return p.pid == process->pid; });
        if (!known) port.processes.push_back(*process);
        if (!named) named = service_of_process(*process, port.port, Proto::tcp);
      }
    }
    std::sort(port.processes.begin(), port.processes.end(),
              [](const ProcessInfo& a, const ProcessInfo& b) { return a.pid < b.pid; });
    port.service = named ? std::string(named->name)
                         : std::string(registry::service_name(port.port, Proto::tcp));
  }
}

}  // namespace

TopSampler::TopSampler(std::size_t top_destinations)
    : tracker_(read_host_port_config(), top_destinations),
      owners_(std::make_unique<OwnerCache>()) {}

TopSampler::~TopSampler() = default;

Result<TopView> TopSampler::sample() {
  InventoryQuery query;
  query.udp = false;
  query.tcp_info = true;
  query.backend = InventoryBackend::netlink;
  sockets_.clear();
  counters_.clear();
  // Each socket's tcp_info is read into its two counters and let go at once: the kernel's
  // answer is not kept (the same few blocks serve every socket, rather than 40k allocations
  // held until the next refresh).
  auto used = visit_inventory(query, [this](const SocketRecord& socket) {
    counters_.push_back(TopTracker::counters_of(socket));
    sockets_.push_back(socket);
    sockets_.back().details.reset();
  });
  if (!used) return used.error();
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  auto view = tracker_.update(sockets_, counters_, seconds);
  name_owners(view.ports, *owners_);
  return view;
}

}  // namespace portkit

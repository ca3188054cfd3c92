#include <sys/resource.h>

#include <algorithm>

#include "portkit/scan/scan.hpp"
#include "sys/fd_limit.hpp"

namespace portkit {

std::size_t HostReport::count(PortState state) const {
  return static_cast<std::size_t>(
      std::count_if(ports.begin(), ports.end(),
                    [state](const PortOutcome& port) { return port.state == state; }));
}

void HostReport::sort_ports() {
  std::sort(ports.begin(), ports.end(), [](const PortOutcome& a, const PortOutcome& b) {
    return a.proto != b.proto ? a.proto < b.proto : a.port < b.port;
  });
}

bool HostReport::answered() const {
  return std::any_of(ports.begin(), ports.end(), [](const PortOutcome& port) {
    return port.state == PortState::open || port.state == PortState::closed ||
           port.reason == ProbeReason::host_unreach || port.reason == ProbeReason::net_unreach ||
           port.reason == ProbeReason::admin_prohibited;
  });
}

std::string_view HostReport::banner_for(std::uint16_t port) const {
  for (const auto& [banner_port, banner] : banners) {
    if (banner_port == port) return banner;
  }
  return {};
}

const ServiceIdentity* HostReport::identity_for(std::uint16_t port, Proto proto) const {
  for (const auto& entry : identities) {
    if (entry.port == port && entry.proto == proto) return &entry.identity;
  }
  return nullptr;
}

FdBudget raise_fd_limit() {
  constexpr rlim_t kReserve = 32;  // stdio, the event loop, output files, the resolver
  constexpr rlim_t kDefaultWindow = 5000;
  rlimit limit{};
  FdBudget budget;
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    budget.inflight = 256;
    return budget;
  }
  limit.rlim_cur = sys::raise_descriptor_limit();
  const auto usable =
      limit.rlim_cur > kReserve * 2 ? limit.rlim_cur - kReserve : limit.rlim_cur / 2;
  budget.inflight = static_cast<std::size_t>(std::clamp<rlim_t>(usable, 1, kDefaultWindow));
  if (budget.inflight < 256) {
    budget.notice = "file descriptor limit is low (ulimit -n " + std::to_string(limit.rlim_cur) +
                    "): at most " + std::to_string(budget.inflight) +
                    " probes in flight; raise it for a faster scan";
  }
  return budget;
}

void ScanSummary::count(PortState state) {
  switch (state) {
    case PortState::open:
      ++open;
      break;
    case PortState::closed:
      ++closed;
      break;
    case PortState::filtered:
      ++filtered;
      break;
    case PortState::open_filtered:
      ++open_filtered;
      break;
  }
}

}  // namespace portkit

#include "portkit/scan/scan_service.hpp"

namespace portkit {

ServiceScanSink::ServiceScanSink(ScanSink& next, IdentifyOptions options)
    : next_(next), options_(options), worker_([this] { work(); }) {}

ServiceScanSink::~ServiceScanSink() {
  finish();
}

void ServiceScanSink::on_port(const ScanHost& host, const PortOutcome& outcome,
                              std::string_view banner) {
  const std::lock_guard lock(next_mutex_);
  next_.on_port(host, outcome, banner);
}

void ServiceScanSink::on_progress(const ScanProgress& progress) {
  const std::lock_guard lock(next_mutex_);
  next_.on_progress(progress);
}

void ServiceScanSink::on_host(const HostReport& report) {
  {
    const std::lock_guard lock(queue_mutex_);
    queue_.push_back(report);
  }
  queued_.notify_one();
}

void ServiceScanSink::finish() {
  {
    const std::lock_guard lock(queue_mutex_);
    finishing_ = true;
  }
  queued_.notify_one();
  if (worker_.joinable()) worker_.join();
}

// Takes every host waiting, identifies all their open TCP ports together, passes them on.
void ServiceScanSink::work() {
  for (;;) {
    std::deque<HostReport> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queued_.wait(lock, [this] { return finishing_ || !queue_.empty(); });
      if (queue_.empty()) return;
      batch.swap(queue_);
    }
    std::vector<IdentifyTarget> targets;
    std::vector<std::pair<std::size_t, std::uint16_t>> owners;  // host in batch, port
    for (std::size_t h = 0; h < batch.size(); ++h) {
      const auto& host = batch[h].host;
      const auto address = host.address.to_string();
      const bool named = !host.name.empty() && host.name != address;
      for (const auto& port : batch[h].ports) {
        if (port.proto != Proto::tcp || port.state != PortState::open) continue;
        targets.push_back({address, port.port, named ? host.name : ""});
        owners.emplace_back(h, port.port);
      }
    }
    auto identities = identify_services(targets, options_);
    for (std::size_t i = 0; i < owners.size(); ++i) {
      batch[owners[i].first].identities.push_back(
          {owners[i].second, Proto::tcp, std::move(identities[i])});
    }
    const std::lock_guard lock(next_mutex_);
    for (const auto& report : batch) next_.on_host(report);
  }
}

}  // namespace portkit

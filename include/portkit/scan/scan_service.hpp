#pragma once
// scan --service: a sink between the scan and its writers. Each finished host's open TCP ports
// are identified on a thread of its own, so the scan goes on meanwhile; the host reaches the
// writers with its identities.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "portkit/scan/scan.hpp"
#include "portkit/service/service_probe.hpp"

namespace portkit {

class ServiceScanSink final : public ScanSink {
 public:
  ServiceScanSink(ScanSink& next, IdentifyOptions options);
  ~ServiceScanSink() override;
  ServiceScanSink(const ServiceScanSink&) = delete;
  ServiceScanSink& operator=(const ServiceScanSink&) = delete;

  void on_port(const ScanHost& host, const PortOutcome& outcome, std::string_view banner) override;
  void on_host(const HostReport& report) override;
  void on_progress(const ScanProgress& progress) override;

  // Waits until every host handed over has been identified and passed on.
  void finish();

 private:
  void work();

  ScanSink& next_;
  IdentifyOptions options_;
  std::mutex next_mutex_;  // the scan's thread and this one both call next_
  std::mutex queue_mutex_;
  std::condition_variable queued_;
  std::deque<HostReport> queue_;
  bool finishing_ = false;
  std::thread worker_;
};

}  // namespace portkit

#pragma once
// The scan's sink in the CLI: fans results out to the chosen writers and, on a terminal,
// keeps one progress line on stderr (done/total, rate, ETA).
#include <memory>
#include <vector>

#include "portkit/output/scan_output.hpp"

namespace portkit::cli {

class ScanFanOut final : public ScanSink {
 public:
  ScanFanOut(std::vector<std::unique_ptr<ScanWriter>> writers, bool progress_line);

  void begin(const ScanInfo& info);
  void end(const ScanSummary& summary);
  void on_port(const ScanHost& host, const PortOutcome& outcome, std::string_view banner) override;
  void on_host(const HostReport& report) override;
  void on_progress(const ScanProgress& progress) override;

 private:
  void clear_progress();

  std::vector<std::unique_ptr<ScanWriter>> writers_;
  bool progress_line_;
  bool progress_shown_ = false;
};

}  // namespace portkit::cli

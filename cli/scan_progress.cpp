#include "scan_progress.hpp"

#include <fmt/format.h>

namespace portkit::cli {

ScanFanOut::ScanFanOut(std::vector<std::unique_ptr<ScanWriter>> writers, bool progress_line)
    : writers_(std::move(writers)), progress_line_(progress_line) {}

void ScanFanOut::begin(const ScanInfo& info) {
  for (auto& writer : writers_) writer->begin(info);
}

void ScanFanOut::end(const ScanSummary& summary) {
  clear_progress();
  for (auto& writer : writers_) writer->end(summary);
}

void ScanFanOut::on_port(const ScanHost& host, const PortOutcome& outcome,
                         std::string_view banner) {
  if (outcome.state == PortState::open) clear_progress();
  for (auto& writer : writers_) writer->port(host, outcome, banner);
}

void ScanFanOut::on_host(const HostReport& report) {
  clear_progress();
  for (auto& writer : writers_) writer->host(report);
}

void ScanFanOut::on_progress(const ScanProgress& progress) {
  if (!progress_line_ || progress.total == 0) return;
  const double fraction = static_cast<double>(progress.done) / static_cast<double>(progress.total);
  std::string eta = "-";
  if (progress.done > 0 && fraction < 1) {
    eta = fmt::format("{:.0f} s", progress.elapsed_s * (1 - fraction) / fraction);
  }
  fmt::print(stderr, "\r\x1b[Kscan: {}/{} ports ({:.0f}%), {:.0f} probes/s, ETA {}", progress.done,
             progress.total, fraction * 100, progress.rate, eta);
  std::fflush(stderr);
  progress_shown_ = true;
}

void ScanFanOut::clear_progress() {
  if (!progress_shown_) return;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
  progress_shown_ = false;
}

}  // namespace portkit::cli

// run_scan: one engine, or (for scans big enough to pay for a thread) one engine per core,
// each scanning every host over its own share of the TCP ports. Connect probes cost kernel
// time on the sending core; a second core nearly halves a large scan. The shares' partial
// host reports are merged before anyone sees them.
#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "scan/scan_engine.hpp"

namespace portkit {
namespace {

// Below this many probes a second thread costs more than it saves.
constexpr std::uint64_t kProbesPerExtraWorker = 8192;
constexpr unsigned kMaxWorkers = 4;

class SingleFeed final : public HostFeed {
 public:
  explicit SingleFeed(HostSource& source) : source_(source) {}
  std::optional<ScanHost> next() override { return source_.next(); }
  [[nodiscard]] std::uint64_t total() const override {
    return source_.total() - source_.excluded();
  }

 private:
  HostSource& source_;
};

// Hands every worker the same hosts in the same order; a host is kept until all took it.
class SharedFeed {
 public:
  SharedFeed(HostSource& source, unsigned workers) : source_(source), taken_(workers, 0) {}

  std::optional<ScanHost> next(unsigned worker) {
    const std::lock_guard lock(mutex_);
    const auto wanted = taken_[worker];
    while (first_ + buffer_.size() <= wanted) {
      auto host = source_.next();
      if (!host) return std::nullopt;
      buffer_.push_back(std::move(*host));
    }
    auto host = buffer_[wanted - first_];
    ++taken_[worker];
    const auto slowest = *std::min_element(taken_.begin(), taken_.end());
    while (first_ < slowest) {
      buffer_.pop_front();
      ++first_;
    }
    return host;
  }

  [[nodiscard]] std::uint64_t total() const { return source_.total() - source_.excluded(); }

 private:
  std::mutex mutex_;
  HostSource& source_;
  std::vector<std::uint64_t> taken_;
  std::deque<ScanHost> buffer_;
  std::uint64_t first_ = 0;  // sequence of buffer_.front()
};

class WorkerFeed final : public HostFeed {
 public:
  WorkerFeed(SharedFeed& shared, unsigned worker) : shared_(shared), worker_(worker) {}
  std::optional<ScanHost> next() override { return shared_.next(worker_); }
  [[nodiscard]] std::uint64_t total() const override { return shared_.total(); }

 private:
  SharedFeed& shared_;
  unsigned worker_;
};

void merge_into(HostReport& into, HostReport&& part) {
  into.ports.insert(into.ports.end(), part.ports.begin(), part.ports.end());
  std::move(part.banners.begin(), part.banners.end(), std::back_inserter(into.banners));
  std::move(part.identities.begin(), part.identities.end(), std::back_inserter(into.identities));
  if (part.srtt_ms && (!into.srtt_ms || *part.srtt_ms < *into.srtt_ms)) {
    into.srtt_ms = part.srtt_ms;
    into.rttvar_ms = part.rttvar_ms;
  }
  if (part.min_rtt_ms && (!into.min_rtt_ms || *part.min_rtt_ms < *into.min_rtt_ms)) {
    into.min_rtt_ms = part.min_rtt_ms;
  }
  into.timeout_ms = std::max(into.timeout_ms, part.timeout_ms);
  into.started = std::min(into.started, part.started);
  into.finished = std::max(into.finished, part.finished);
  into.complete = into.complete && part.complete;
}

// Serialises the workers' calls into the caller's sink and merges partial host reports.
class MergingSink final : public ScanSink {
 public:
  MergingSink(ScanSink& sink, unsigned workers)
      : sink_(sink), workers_(workers), progress_(workers) {}

  ScanSink& for_worker(unsigned worker) {
    views_.reserve(workers_);
    while (views_.size() <= worker) views_.emplace_back(*this, views_.size());
    return views_[worker];
  }

  void on_port(const ScanHost& host, const PortOutcome& outcome, std::string_view banner) override {
    const std::lock_guard lock(mutex_);
    sink_.on_port(host, outcome, banner);
  }

  void on_host(const HostReport& report) override {
    const std::lock_guard lock(mutex_);
    auto& pending = pending_[report.host.sequence];
    if (pending.parts++ == 0) {
      pending.report = report;
    } else {
      merge_into(pending.report, HostReport(report));
    }
    if (pending.parts < workers_) return;
    auto& merged = pending.report;
    merged.sort_ports();
    if (merged.answered()) ++hosts_answered_;
    sink_.on_host(merged);
    pending_.erase(report.host.sequence);
  }

  void progress(unsigned worker, const ScanProgress& progress) {
    const std::lock_guard lock(mutex_);
    progress_[worker] = progress;
    if (worker != 0) return;
    ScanProgress total;
    for (const auto& part : progress_) {
      total.done += part.done;
      total.total += part.total;
      total.rate += part.rate;
      total.elapsed_s = std::max(total.elapsed_s, part.elapsed_s);
    }
    sink_.on_progress(total);
  }

  [[nodiscard]] std::uint64_t hosts_answered() const { return hosts_answered_; }

 private:
  class WorkerView final : public ScanSink {
   public:
    WorkerView(MergingSink& owner, std::size_t worker)
        : owner_(owner), worker_(static_cast<unsigned>(worker)) {}
    void on_port(const ScanHost& host, const PortOutcome& outcome,
                 std::string_view banner) override {
      owner_.on_port(host, outcome, banner);
    }
    void on_host(const HostReport& report) override { owner_.on_host(report); }
    void on_progress(const ScanProgress& progress) override { owner_.progress(worker_, progress); }

   private:
    MergingSink& owner_;
    unsigned worker_;
  };

  struct Pending {
    HostReport report;
    unsigned parts = 0;
  };

  std::mutex mutex_;
  ScanSink& sink_;
  unsigned workers_;
  std::vector<ScanProgress> progress_;
  std::vector<WorkerView> views_;
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t hosts_answered_ = 0;
};

unsigned choose_workers(const HostSource& hosts, const ScanOptions& options) {
  const auto cores =
      options.workers > 0 ? options.workers : std::max(1U, std::thread::hardware_concurrency());
  const auto hosts_to_scan = hosts.total() - hosts.excluded();
  const auto tcp_probes = hosts_to_scan * options.tcp_ports.size();
  const auto by_size = tcp_probes / kProbesPerExtraWorker + 1;
  auto workers =
      options.workers > 0
          ? options.workers
          : static_cast<unsigned>(std::min<std::uint64_t>({cores, kMaxWorkers, by_size}));
  // Every share needs ports of its own, and a rate cap is easier kept by one pacer.
  if (options.tcp_ports.size() < workers || options.rate > 0 || options.sequential) workers = 1;
  return std::max(1U, workers);
}

ScanSummary run_sharded(HostSource& hosts, const ScanOptions& options, ScanSink& sink,
                        std::size_t window, unsigned workers) {
  SharedFeed shared(hosts, workers);
  MergingSink merging(sink, workers);
  std::vector<ScanOptions> shares(workers, options);
  for (unsigned worker = 0; worker < workers; ++worker) {
    auto& share = shares[worker];
    share.tcp_ports.clear();
    for (std::size_t i = worker; i < options.tcp_ports.size(); i += workers) {
      share.tcp_ports.push_back(options.tcp_ports[i]);
    }
    if (worker != 0) share.udp_ports.clear();  // one pacer per host for the ICMP budget
    share.max_active_hosts = std::max<std::size_t>(1, options.max_active_hosts / workers);
    merging.for_worker(worker);
  }
  std::vector<WorkerFeed> feeds;
  feeds.reserve(workers);
  for (unsigned worker = 0; worker < workers; ++worker) feeds.emplace_back(shared, worker);
  std::vector<ScanSummary> summaries(workers);
  const auto per_worker = std::max<std::size_t>(1, window / workers);
  {
    std::vector<std::jthread> threads;
    for (unsigned worker = 1; worker < workers; ++worker) {
      threads.emplace_back([&, worker] {
        summaries[worker] =
            run_engine(feeds[worker], shares[worker], merging.for_worker(worker), per_worker);
      });
    }
    summaries[0] = run_engine(feeds[0], shares[0], merging.for_worker(0), per_worker);
  }
  ScanSummary total = summaries[0];
  for (unsigned worker = 1; worker < workers; ++worker) {
    const auto& part = summaries[worker];
    total.probes_sent += part.probes_sent;
    total.open += part.open;
    total.closed += part.closed;
    total.filtered += part.filtered;
    total.open_filtered += part.open_filtered;
    total.elapsed_ms = std::max(total.elapsed_ms, part.elapsed_ms);
    total.interrupted = total.interrupted || part.interrupted;
    total.max_inflight += part.max_inflight;
    total.resource_waits += part.resource_waits;
  }
  total.hosts_answered = merging.hosts_answered();
  return total;
}

}  // namespace

Result<ScanSummary> scan_ports(HostSource& hosts, const ScanOptions& options, ScanSink& sink) {
  if (options.tcp_ports.empty() && options.udp_ports.empty()) {
    return make_error("no ports to scan");
  }
  auto budget = raise_fd_limit();
  auto window =
      options.max_inflight == 0 ? budget.inflight : std::min(options.max_inflight, budget.inflight);
  window = std::max<std::size_t>(window, 1);
  ScanOptions effective = options;
  if (effective.seed == 0) {
    effective.seed =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  const auto workers = choose_workers(hosts, effective);
  ScanSummary summary;
  if (workers == 1 || window < workers * 8) {
    SingleFeed feed(hosts);
    summary = run_engine(feed, effective, sink, window);
  } else {
    summary = run_sharded(hosts, effective, sink, window, workers);
    summary.workers = workers;
  }
  if (budget.notice) summary.notices.push_back(*budget.notice);
  if (summary.resource_waits > 0) {
    summary.notices.push_back("ran out of file descriptors or local ports " +
                              std::to_string(summary.resource_waits) +
                              " times: slowed down, no result lost");
  }
  return summary;
}

}  // namespace portkit

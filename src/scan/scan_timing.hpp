#pragma once
// Timing for the scanner, pure and driven by the caller's clock: a per-host round-trip
// estimator that sets the probe timeout (RFC 6298, as nmap and TCP do), and a token bucket for
// `--rate`.
#include <chrono>
#include <cstdint>
#include <optional>

namespace portkit {

using ScanClock = std::chrono::steady_clock;
using Micros = std::chrono::microseconds;

struct TimeoutBounds {
  Micros initial{1'000'000};  // before any round trip was measured
  Micros minimum{100'000};    // never wait less for an answer, whatever the RTT says
  Micros ceiling{1'000'000};  // `--timeout`: never wait more
};

class RttEstimator {
 public:
  explicit RttEstimator(TimeoutBounds bounds = {});

  void add_sample(Micros rtt);
  // How long to wait for an answer: srtt + 4 * rttvar within the bounds.
  [[nodiscard]] Micros timeout() const;
  [[nodiscard]] std::optional<Micros> smoothed() const;
  [[nodiscard]] Micros variation() const { return rttvar_; }
  [[nodiscard]] std::uint32_t samples() const { return samples_; }

 private:
  TimeoutBounds bounds_;
  Micros srtt_{0};
  Micros rttvar_{0};
  std::uint32_t samples_ = 0;
};

// `rate` events per second with a burst of at most `burst`; rate 0 means unlimited.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst, ScanClock::time_point now);

  // Takes a token if there is one.
  bool try_take(ScanClock::time_point now);
  // When the next token will be there (now if one is).
  [[nodiscard]] ScanClock::time_point next_token(ScanClock::time_point now) const;
  [[nodiscard]] bool unlimited() const { return rate_ <= 0; }

 private:
  void refill(ScanClock::time_point now);

  double rate_;
  double burst_;
  double tokens_;
  ScanClock::time_point last_;
};

}  // namespace portkit

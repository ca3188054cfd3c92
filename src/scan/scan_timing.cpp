#include "scan/scan_timing.hpp"

#include <algorithm>
#include <cmath>

namespace portkit {

RttEstimator::RttEstimator(TimeoutBounds bounds) : bounds_(bounds) {
  bounds_.minimum = std::min(bounds_.minimum, bounds_.ceiling);
  bounds_.initial = std::clamp(bounds_.initial, bounds_.minimum, bounds_.ceiling);
}

void RttEstimator::add_sample(Micros rtt) {
  rtt = std::max(rtt, Micros{1});
  if (samples_++ == 0) {
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    return;
  }
  const auto delta = rtt > srtt_ ? rtt - srtt_ : srtt_ - rtt;
  rttvar_ = (3 * rttvar_ + delta) / 4;
  srtt_ = (7 * srtt_ + rtt) / 8;
}

// Retries wait as long as first attempts: the estimate already covers the path, and a
// silent (firewalled) port would otherwise cost seconds of doubling.
Micros RttEstimator::timeout() const {
  const auto base = samples_ == 0 ? bounds_.initial : srtt_ + 4 * rttvar_;
  return std::clamp(base, bounds_.minimum, bounds_.ceiling);
}

std::optional<Micros> RttEstimator::smoothed() const {
  if (samples_ == 0) return std::nullopt;
  return srtt_;
}

TokenBucket::TokenBucket(double rate, double burst, ScanClock::time_point now)
    : rate_(rate), burst_(std::max(1.0, burst)), tokens_(std::max(1.0, burst)), last_(now) {}

void TokenBucket::refill(ScanClock::time_point now) {
  if (now <= last_) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + seconds * rate_);
  last_ = now;
}

bool TokenBucket::try_take(ScanClock::time_point now) {
  if (unlimited()) return true;
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

ScanClock::time_point TokenBucket::next_token(ScanClock::time_point now) const {
  if (unlimited()) return now;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  const double available = std::min(burst_, tokens_ + std::max(0.0, seconds) * rate_);
  if (available >= 1.0) return now;
  const double wait = (1.0 - available) / rate_;
  return now + std::chrono::duration_cast<ScanClock::duration>(
                   std::chrono::duration<double>(std::ceil(wait * 1e6) / 1e6));
}

}  // namespace portkit

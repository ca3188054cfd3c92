#include "scan/scan_order.hpp"

namespace portkit {
namespace {

// splitmix64's finaliser: a cheap, well-mixed round function.
std::uint64_t mix(std::uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

constexpr int kRounds = 4;

}  // namespace

PortOrder::PortOrder(std::uint32_t size, std::uint64_t key, bool shuffled)
    : size_(size), key_(key), shuffled_(shuffled) {
  unsigned bits = 0;
  while (bits < 32 && (std::uint64_t{1} << bits) < size) ++bits;
  half_bits_ = (bits + 1) / 2;
  if (half_bits_ == 0) half_bits_ = 1;
}

std::uint32_t PortOrder::encrypt(std::uint32_t value) const {
  const std::uint32_t mask = (std::uint32_t{1} << half_bits_) - 1;
  std::uint32_t left = value >> half_bits_;
  std::uint32_t right = value & mask;
  for (int round = 0; round < kRounds; ++round) {
    const auto f = static_cast<std::uint32_t>(mix(key_ ^ (std::uint64_t{right} << 8) ^
                                                  static_cast<std::uint64_t>(round))) &
                   mask;
    const auto next_right = left ^ f;
    left = right;
    right = next_right;
  }
  return (left << half_bits_) | right;
}

std::uint32_t PortOrder::at(std::uint32_t step) const {
  if (!shuffled_ || size_ <= 1) return step;
  // Cycle walking: the domain is at most 4x the size, so a few steps on average.
  std::uint32_t value = encrypt(step);
  while (value >= size_) value = encrypt(value);
  return value;
}

}  // namespace portkit

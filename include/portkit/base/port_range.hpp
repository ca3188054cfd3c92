#pragma once
#include <compare>
#include <cstdint>

namespace portkit {

struct PortRange {
  std::uint16_t low = 0;
  std::uint16_t high = 0;

  [[nodiscard]] constexpr bool contains(std::uint16_t port) const {
    return low <= port && port <= high;
  }
  [[nodiscard]] constexpr bool overlaps(PortRange other) const {
    return low <= other.high && other.low <= high;
  }
  [[nodiscard]] constexpr std::uint32_t size() const { return std::uint32_t{high} - low + 1; }
  friend constexpr auto operator<=>(const PortRange&, const PortRange&) = default;
};

}  // namespace portkit

#pragma once
// The order in which a scan visits one host's ports: a keyed permutation of [0, size) computed
// on demand (a small Feistel network with cycle walking), so a random order costs no memory
// however many ports and hosts there are.
#include <cstdint>

namespace portkit {

class PortOrder {
 public:
  // `shuffled == false` gives the identity order (`scan --sequential`).
  PortOrder(std::uint32_t size, std::uint64_t key, bool shuffled);

  [[nodiscard]] std::uint32_t size() const { return size_; }
  // The index visited at step `step` (step < size()); a bijection on [0, size).
  [[nodiscard]] std::uint32_t at(std::uint32_t step) const;

 private:
  [[nodiscard]] std::uint32_t encrypt(std::uint32_t value) const;

  std::uint32_t size_ = 0;
  std::uint64_t key_ = 0;
  unsigned half_bits_ = 0;  // the domain is 2^(2*half_bits_) >= size_
  bool shuffled_ = true;
};

}  // namespace portkit

#pragma once
#include <optional>
#include <string_view>

#include "portkit/base/proto.hpp"
#include "portkit/base/result.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit::spec_detail {

struct SplitSuffix {
  std::string_view body;
  std::optional<Proto> proto;
};

// "ssh/udp" -> ("ssh", udp); the suffix binds to the text it ends.
Result<SplitSuffix> split_proto_suffix(std::string_view text);

using U128 = unsigned __int128;

// An address as one number (IPv4 in the low 32 bits), for block arithmetic and comparison.
inline U128 to_number(const IpAddress& address) {
  U128 value = 0;
  const std::size_t length = address.is_v6 ? 16 : 4;
  for (std::size_t i = 0; i < length; ++i) value = (value << 8) | address.bytes[i];
  return value;
}

}  // namespace portkit::spec_detail

#pragma once
#include <optional>
#include <string_view>

#include "portkit/proto.hpp"
#include "portkit/result.hpp"

namespace portkit::spec_detail {

struct SplitSuffix {
  std::string_view body;
  std::optional<Proto> proto;
};

// "ssh/udp" -> ("ssh", udp); the suffix binds to the text it ends.
Result<SplitSuffix> split_proto_suffix(std::string_view text);

}  // namespace portkit::spec_detail

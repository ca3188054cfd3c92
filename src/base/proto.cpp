#include "portkit/base/proto.hpp"

#include <array>
#include <utility>

#include "base/text_util.hpp"

namespace portkit {
namespace {

constexpr std::array<std::pair<std::string_view, ProtoMask>, 4> kProtoNames{{
    {"tcp", kProtoTcp},
    {"udp", kProtoUdp},
    {"sctp", kProtoSctp},
    {"dccp", kProtoDccp},
}};

}  // namespace

std::optional<Proto> parse_proto(std::string_view text) {
  if (iequals(text, "tcp")) return Proto::tcp;
  if (iequals(text, "udp")) return Proto::udp;
  return std::nullopt;
}

std::optional<ProtoMask> parse_proto_bit(std::string_view text) {
  for (const auto& [name, bit] : kProtoNames) {
    if (iequals(text, name)) return bit;
  }
  return std::nullopt;
}

std::string proto_mask_text(ProtoMask mask) {
  std::string text;
  for (const auto& [name, bit] : kProtoNames) {
    if ((mask & bit) == 0) continue;
    if (!text.empty()) text += '/';
    text += name;
  }
  return text;
}

}  // namespace portkit

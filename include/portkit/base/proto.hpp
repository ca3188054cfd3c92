#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portkit {

enum class Proto : std::uint8_t { tcp, udp };

// A set of transports, as the registry records them (IANA also lists SCTP and DCCP).
enum ProtoBit : std::uint8_t {
  kProtoTcp = 1,
  kProtoUdp = 2,
  kProtoSctp = 4,
  kProtoDccp = 8,
};
using ProtoMask = std::uint8_t;
inline constexpr ProtoMask kAnyProto = kProtoTcp | kProtoUdp | kProtoSctp | kProtoDccp;

constexpr ProtoMask proto_bit(Proto proto) {
  return proto == Proto::tcp ? kProtoTcp : kProtoUdp;
}
constexpr std::string_view proto_name(Proto proto) {
  return proto == Proto::tcp ? "tcp" : "udp";
}

// "tcp" / "udp" (case-insensitive); nothing for anything else.
std::optional<Proto> parse_proto(std::string_view text);
// Single transport names for a mask, in a fixed order: "tcp", "udp", "sctp", "dccp".
std::optional<ProtoMask> parse_proto_bit(std::string_view text);
std::string proto_mask_text(ProtoMask mask);  // "tcp/udp"

}  // namespace portkit

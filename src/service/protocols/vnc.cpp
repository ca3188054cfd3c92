// VNC speaks first: "RFB 003.008\n" (RFC 6143 section 7.1.1).
#include <algorithm>
#include <cctype>

#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kVncPorts[] = {5900, 5901};

bool three_digits(std::string_view text) {
  return text.size() == 3 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

Reading read_vnc(std::string_view reply) {
  constexpr std::size_t kLength = 12;  // "RFB xxx.yyy\n"
  if (reply.size() < kLength) {
    return could_become(reply, "RFB ") || starts_with(reply, "RFB ") ? incomplete() : mismatch();
  }
  const auto major = reply.substr(4, 3);
  const auto minor = reply.substr(8, 3);
  if (!starts_with(reply, "RFB ") || reply[7] != '.' || reply[11] != '\n' || !three_digits(major) ||
      !three_digits(minor)) {
    return mismatch();
  }
  ServiceMatch match{.name = "vnc"};
  match.info = "protocol " + std::to_string(std::stoi(std::string(major))) + "." +
               std::to_string(std::stoi(std::string(minor)));
  return matched(match);
}

}  // namespace

const ProtocolProbe& vnc_probe() {
  static const ProtocolProbe probe{"vnc", nullptr, read_vnc, kVncPorts};
  return probe;
}

}  // namespace portkit::service

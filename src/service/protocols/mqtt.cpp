// MQTT: a 3.1.1 CONNECT with a clean session; a broker answers CONNACK (0x20, length 2) with a
// return code, whether or not it lets us in.
#include <array>

#include "service/protocol.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kMqttPorts[] = {1883, 8883};

std::string mqtt_request(const ProbeContext&) {
  constexpr std::string_view kClientId = "portkit";
  std::string variable("\x00\x04MQTT\x04\x02\x00\x3c", 10);  // name, level 4, clean, 60 s
  variable += '\0';
  variable += static_cast<char>(kClientId.size());
  variable += kClientId;
  std::string packet;
  packet += '\x10';
  packet += static_cast<char>(variable.size());
  packet += variable;
  return packet;
}

Reading read_mqtt(std::string_view reply) {
  if (reply.empty()) return incomplete();
  if (reply[0] != '\x20') return mismatch();
  if (reply.size() < 4) return reply.size() < 2 || reply[1] == 2 ? incomplete() : mismatch();
  if (reply[1] != 2) return mismatch();
  static constexpr std::array<std::string_view, 6> kCodes{
      "connection accepted", "unacceptable protocol version", "client id rejected",
      "server unavailable",  "bad user name or password",     "not authorized"};
  const auto code = static_cast<unsigned char>(reply[3]);
  ServiceMatch match{.name = "mqtt", .product = "MQTT broker"};
  match.info =
      code < kCodes.size() ? std::string(kCodes[code]) : "return code " + std::to_string(code);
  return matched(match);
}

}  // namespace

const ProtocolProbe& mqtt_probe() {
  static const ProtocolProbe probe{"mqtt", mqtt_request, read_mqtt, kMqttPorts};
  return probe;
}

}  // namespace portkit::service

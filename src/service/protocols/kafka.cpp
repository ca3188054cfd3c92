// Kafka: ApiVersions (key 18) version 0; a broker answers with our correlation id.
#include "service/protocol.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kKafkaPorts[] = {9092, 9093, 29092};
constexpr std::string_view kCorrelationId("pkt1", 4);

std::string kafka_request(const ProbeContext&) {
  constexpr std::string_view kClientId = "portkit";
  std::string body("\x00\x12\x00\x00", 4);  // api key 18, version 0
  body += kCorrelationId;
  body += '\0';
  body += static_cast<char>(kClientId.size());
  body += kClientId;
  std::string packet("\x00\x00\x00", 3);
  packet += static_cast<char>(body.size());
  packet += body;
  return packet;
}

Reading read_kafka(std::string_view reply) {
  if (reply.size() < 10) return incomplete();
  const auto size = read_be32(reply, 0);
  if (size < 6 || size > (1u << 20) || reply.substr(4, 4) != kCorrelationId) return mismatch();
  ServiceMatch match{.name = "kafka", .product = "Apache Kafka"};
  return matched(match);
}

}  // namespace

const ProtocolProbe& kafka_probe() {
  static const ProtocolProbe probe{"kafka", kafka_request, read_kafka, kKafkaPorts};
  return probe;
}

}  // namespace portkit::service

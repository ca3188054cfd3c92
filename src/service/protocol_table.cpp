// The plug-ins in the order their readers are tried, and the helpers they share.
#include <algorithm>
#include <array>
#include <cctype>
#include <functional>

#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {

std::span<const ProtocolProbe> protocol_probes() {
  // Greeting readers first (null request): their servers speak before any request, and every
  // reply on such a port starts with the greeting.
  static const std::array kProbes{
      ssh_probe(),     ftp_probe(),       smtp_probe(), pop3_probe(),  imap_probe(),
      mysql_probe(),   vnc_probe(),       http_probe(), redis_probe(), postgresql_probe(),
      mongodb_probe(), memcached_probe(), amqp_probe(), mqtt_probe(),  kafka_probe(),
      ldap_probe(),    rdp_probe(),       smb_probe(),  mssql_probe()};
  return kProbes;
}

std::string_view first_line(std::string_view text) {
  return text.substr(0, text.find_first_of("\r\n"));
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::uint32_t read_be32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i)
    value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

std::uint32_t read_le32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 4; i-- > 0;) value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

std::uint16_t read_be16(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[at]) << 8 |
                                    static_cast<unsigned char>(bytes[at + 1]));
}

bool could_become(std::string_view reply, std::string_view prefix) {
  return !reply.empty() && reply.size() < prefix.size() && starts_with(prefix, reply);
}

bool contains_word(std::string_view text, std::string_view word) {
  const auto lower = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  return std::search(text.begin(), text.end(), word.begin(), word.end(), lower) != text.end();
}

std::string_view word_after(std::string_view text, std::string_view marker) {
  const auto at = text.find(marker);
  if (at == std::string_view::npos) return {};
  const auto rest = text.substr(at + marker.size());
  return rest.substr(0, rest.find_first_of(" )\r\n"));
}

}  // namespace portkit::service

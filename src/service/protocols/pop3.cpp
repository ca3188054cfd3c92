// POP3 speaks first: "+OK Dovecot (Debian) ready." (RFC 1939 section 4).
#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kPop3Ports[] = {110, 995};

Reading read_pop3(std::string_view reply) {
  const auto line = first_line(reply);
  if (line.size() == reply.size()) return could_become(reply, "+OK ") ? incomplete() : mismatch();
  if (!starts_with(line, "+OK")) return mismatch();
  // Redis answers some requests with a bare "+OK"; a POP3 greeting always says more.
  if (line.size() <= 4) return mismatch();
  ServiceMatch match{.name = "pop3"};
  if (contains_word(line, "Dovecot")) match.product = "Dovecot pop3d";
  if (contains_word(line, "Cyrus")) match.product = "Cyrus pop3d";
  return matched(match);
}

}  // namespace

const ProtocolProbe& pop3_probe() {
  static const ProtocolProbe probe{"pop3", nullptr, read_pop3, kPop3Ports};
  return probe;
}

}  // namespace portkit::service

// IMAP speaks first: "* OK [CAPABILITY IMAP4rev1 ...] Dovecot ready." (RFC 9051 section 7.1).
#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kImapPorts[] = {143, 993};

Reading read_imap(std::string_view reply) {
  const auto line = first_line(reply);
  if (line.size() == reply.size()) {
    return could_become(reply, "* OK ") || could_become(reply, "* PREAUTH ") ? incomplete()
                                                                             : mismatch();
  }
  if (!starts_with(line, "* OK") && !starts_with(line, "* PREAUTH") && !starts_with(line, "* BYE"))
    return mismatch();
  ServiceMatch match{.name = "imap"};
  if (contains_word(line, "Dovecot")) match.product = "Dovecot imapd";
  if (contains_word(line, "Cyrus")) match.product = "Cyrus imapd";
  if (contains_word(line, "Courier")) match.product = "Courier Imapd";
  if (!contains_word(line, "IMAP") && match.product.empty()) return mismatch();
  return matched(match);
}

}  // namespace

const ProtocolProbe& imap_probe() {
  static const ProtocolProbe probe{"imap", nullptr, read_imap, kImapPorts};
  return probe;
}

}  // namespace portkit::service

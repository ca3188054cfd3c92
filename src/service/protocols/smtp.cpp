// SMTP speaks first: "220 mx.example ESMTP Postfix (Debian/GNU)" (RFC 5321 section 4.2).
#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kSmtpPorts[] = {25, 465, 587, 2525};

Reading read_smtp(std::string_view reply) {
  const auto line = first_line(reply);
  if (line.size() == reply.size()) return could_become(reply, "220") ? incomplete() : mismatch();
  // 554 is a server refusing this client at once, still SMTP when it says so.
  if (!starts_with(line, "220") && !starts_with(line, "554")) return mismatch();
  const bool says_smtp = contains_word(line, "SMTP") || contains_word(line, "Postfix") ||
                         contains_word(line, "Exim") || contains_word(line, "Sendmail");
  if (!says_smtp) return mismatch();
  ServiceMatch match{.name = "smtp"};
  if (contains_word(line, "Postfix")) {
    match.product = "Postfix smtpd";
  } else if (auto exim = word_after(line, "Exim "); !exim.empty()) {
    match.product = "Exim smtpd";
    match.version = std::string(exim);
  } else if (auto sendmail = word_after(line, "Sendmail "); !sendmail.empty()) {
    match.product = "Sendmail";
    match.version = std::string(sendmail);
    if (const auto slash = match.version.find('/'); slash != std::string::npos) {
      match.version.resize(slash);
    }
  }
  return matched(match);
}

}  // namespace

const ProtocolProbe& smtp_probe() {
  static const ProtocolProbe probe{"smtp", nullptr, read_smtp, kSmtpPorts};
  return probe;
}

}  // namespace portkit::service

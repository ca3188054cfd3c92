// FTP speaks first: "220 (vsFTPd 3.0.3)" (RFC 959). A 220 that says SMTP is the mail reader's.
#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kFtpPorts[] = {21, 2121};

Reading read_ftp(std::string_view reply) {
  auto line = first_line(reply);
  if (line.size() == reply.size()) return could_become(reply, "220") ? incomplete() : mismatch();
  if (!starts_with(line, "220")) return mismatch();
  if (contains_word(line, "SMTP") || contains_word(line, "ESMTP")) return mismatch();
  ServiceMatch match{.name = "ftp"};
  if (auto version = word_after(line, "vsFTPd "); !version.empty()) {
    match.product = "vsftpd";
    match.version = std::string(version);
  } else if (auto pro = word_after(line, "ProFTPD "); !pro.empty()) {
    match.product = "ProFTPD";
    match.version = std::string(pro);
  } else if (contains_word(line, "Pure-FTPd")) {
    match.product = "Pure-FTPd";
  } else if (contains_word(line, "FileZilla")) {
    match.product = "FileZilla ftpd";
  } else if (contains_word(line, "Microsoft FTP Service")) {
    match.product = "Microsoft ftpd";
  } else if (!contains_word(line, "FTP")) {
    return mismatch();  // a bare 220 could be anything line-based
  }
  return matched(match);
}

}  // namespace

const ProtocolProbe& ftp_probe() {
  static const ProtocolProbe probe{"ftp", nullptr, read_ftp, kFtpPorts};
  return probe;
}

}  // namespace portkit::service

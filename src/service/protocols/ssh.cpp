// SSH speaks first: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3" (RFC 4253 section 4.2).
#include "service/protocol.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kSshPorts[] = {22, 2222};

// "OpenSSH_9.2p1 Debian-2+deb12u3" -> OpenSSH, "9.2p1 Debian 2+deb12u3" (as nmap writes it).
void split_software(std::string_view software, ServiceMatch& out) {
  std::string_view comments;
  if (const auto space = software.find(' '); space != std::string_view::npos) {
    comments = software.substr(space + 1);
    software = software.substr(0, space);
  }
  const auto underscore = software.find('_');
  std::string product(software.substr(0, underscore));
  std::string version =
      underscore == std::string_view::npos ? "" : std::string(software.substr(underscore + 1));
  if (product == "dropbear") product = "Dropbear sshd";
  if (!comments.empty()) {
    std::string extra(comments);
    if (const auto dash = extra.find('-');
        starts_with(extra, "Debian-") || starts_with(extra, "Ubuntu-")) {
      extra[dash] = ' ';
    }
    version += version.empty() ? extra : " " + extra;
  }
  out.product = std::move(product);
  out.version = std::move(version);
}

Reading read_ssh(std::string_view reply) {
  constexpr std::string_view kPrefix = "SSH-";
  if (reply.size() < kPrefix.size()) {
    return starts_with(kPrefix, reply) && !reply.empty() ? incomplete() : mismatch();
  }
  if (!starts_with(reply, kPrefix)) return mismatch();
  const auto line = first_line(reply);
  ServiceMatch match{.name = "ssh"};
  if (line.size() == reply.size() && reply.size() < 255) return incomplete(match);
  // SSH-protoversion-softwareversion SP comments
  const auto dash = line.find('-', kPrefix.size());
  if (dash == std::string_view::npos) return matched(match);
  const auto protocol = line.substr(kPrefix.size(), dash - kPrefix.size());
  match.info = "protocol " + std::string(protocol == "1.99" ? "2.0" : protocol);
  split_software(line.substr(dash + 1), match);
  return matched(match);
}

}  // namespace

const ProtocolProbe& ssh_probe() {
  static const ProtocolProbe probe{"ssh", nullptr, read_ssh, kSshPorts};
  return probe;
}

}  // namespace portkit::service

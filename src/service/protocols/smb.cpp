// SMB: an SMB1 Negotiate offering NT LM 0.12 and SMB 2; a server answers through the NetBIOS
// session header with an SMB1 or SMB2 Negotiate response. nmap calls it microsoft-ds.
#include "service/protocol.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kSmbPorts[] = {139, 445};

std::string smb_request(const ProbeContext&) {
  std::string smb("\xffSMB\x72\x00\x00\x00\x00\x18\x53\xc8", 12);  // negotiate, flags
  smb += std::string(12, '\0');                                    // pid high, signature, ...
  smb += std::string("\x00\x00\xff\xfe\x00\x00\x00\x00", 8);       // tid, pid, uid, mid
  std::string dialects;
  for (const std::string_view dialect : {"NT LM 0.12", "SMB 2.002", "SMB 2.???"}) {
    dialects += '\x02';
    dialects += dialect;
    dialects += '\0';
  }
  smb += '\0';  // word count
  smb += static_cast<char>(dialects.size() & 0xff);
  smb += static_cast<char>(dialects.size() >> 8);
  smb += dialects;
  std::string packet("\x00\x00", 2);
  packet += static_cast<char>(smb.size() >> 8);
  packet += static_cast<char>(smb.size() & 0xff);
  packet += smb;
  return packet;
}

Reading read_smb(std::string_view reply) {
  if (reply.size() < 8) return reply.empty() || reply[0] == 0 ? incomplete() : mismatch();
  if (reply[0] != 0) return mismatch();
  const auto magic = reply.substr(4, 4);
  if (magic == std::string_view("\xfeSMB", 4)) {
    return matched({.name = "microsoft-ds", .info = "SMB 2 or later"});
  }
  if (magic == std::string_view("\xffSMB", 4)) {
    return matched({.name = "microsoft-ds", .info = "SMB 1"});
  }
  return mismatch();
}

}  // namespace

const ProtocolProbe& smb_probe() {
  static const ProtocolProbe probe{"smb", smb_request, read_smb, kSmbPorts};
  return probe;
}

}  // namespace portkit::service

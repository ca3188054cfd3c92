#include "inventory/tcp_info.hpp"

#include <linux/tcp.h>

#include <algorithm>
#include <cstring>

namespace portkit {

TcpInfo read_tcp_info(std::span<const std::uint8_t> bytes) {
  tcp_info info{};
  std::memcpy(&info, bytes.data(), std::min(bytes.size(), sizeof info));
  TcpInfo out;
  out.rtt_ms = info.tcpi_rtt / 1000.0;
  out.rttvar_ms = info.tcpi_rttvar / 1000.0;
  out.cwnd = info.tcpi_snd_cwnd;
  out.ssthresh = info.tcpi_snd_ssthresh;
  out.mss = info.tcpi_snd_mss;
  out.retransmits = info.tcpi_total_retrans;
  out.bytes_sent = info.tcpi_bytes_sent;
  out.bytes_acked = info.tcpi_bytes_acked;
  out.bytes_received = info.tcpi_bytes_received;
  out.delivery_rate = info.tcpi_delivery_rate;
  out.last_send_ms = info.tcpi_last_data_sent;
  out.last_receive_ms = info.tcpi_last_data_recv;
  return out;
}

}  // namespace portkit

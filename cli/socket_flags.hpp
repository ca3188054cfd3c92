#pragma once
// Filter flags shared by `ls` and `who`.
#include <memory>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "portkit/inventory/sockets.hpp"

namespace portkit::cli {

struct SocketFlags {
  bool tcp = false;
  bool udp = false;
  bool ipv4 = false;
  bool ipv6 = false;
  bool listening = false;
  bool all = false;
  std::vector<std::string> states;
  std::vector<std::string> ports;
  std::vector<std::string> sports;
  std::vector<std::string> dports;
  std::optional<int> pid;
  std::optional<std::string> user;
  std::optional<std::string> process;
  bool numeric = false;
  bool procfs = false;
  bool all_netns = false;
  bool json = false;
  bool stream = false;                    // ls: JSON Lines as the kernel reports sockets
  std::vector<std::string> filter_words;  // ls FILTER...: ss's filter grammar
  bool info = false;                      // ls -i: tcp_info per TCP socket
  bool memory = false;                    // ls -m: socket memory
};

void add_socket_flags(CLI::App& app, SocketFlags& flags, bool with_view_flags);
// Turns the flags into list options; the error names the bad flag.
Result<ListOptions> socket_options(const SocketFlags& flags);

}  // namespace portkit::cli

#include "scan/neighbours.hpp"

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <memory>
#include <vector>

namespace portkit {
namespace {

struct SocketCloser {
  void operator()(mnl_socket* socket) const { mnl_socket_close(socket); }
};

constexpr unsigned kResolved = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;

int on_attribute(const nlattr* attribute, void* data) {
  if (mnl_attr_get_type(attribute) == NDA_DST) {
    const auto length = mnl_attr_get_payload_len(attribute);
    if (length == 4 || length == 16) {
      static_cast<std::string*>(data)->assign(
          static_cast<const char*>(mnl_attr_get_payload(attribute)), length);
    }
  }
  return MNL_CB_OK;
}

int on_neighbour(const nlmsghdr* header, void* data) {
  const auto* entry = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(header));
  if ((entry->ndm_state & kResolved) == 0) return MNL_CB_OK;
  std::string destination;
  mnl_attr_parse(header, sizeof(ndmsg), on_attribute, &destination);
  if (!destination.empty()) {
    static_cast<std::unordered_set<std::string>*>(data)->insert(std::move(destination));
  }
  return MNL_CB_OK;
}

}  // namespace

std::unordered_set<std::string> resolved_neighbours() {
  std::unordered_set<std::string> found;
  const std::unique_ptr<mnl_socket, SocketCloser> socket(mnl_socket_open(NETLINK_ROUTE));
  if (!socket || mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) return found;
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  auto* header = mnl_nlmsg_put_header(buffer.data());
  header->nlmsg_type = RTM_GETNEIGH;
  header->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  header->nlmsg_seq = 1;
  auto* request = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(header, sizeof(ndmsg)));
  request->ndm_family = AF_UNSPEC;
  if (mnl_socket_sendto(socket.get(), header, header->nlmsg_len) < 0) return found;
  const auto port_id = mnl_socket_get_portid(socket.get());
  while (true) {
    const auto got = mnl_socket_recvfrom(socket.get(), buffer.data(), buffer.size());
    if (got <= 0) break;
    const int status =
        mnl_cb_run(buffer.data(), static_cast<size_t>(got), 1, port_id, on_neighbour, &found);
    if (status <= MNL_CB_STOP) break;
  }
  return found;
}

}  // namespace portkit

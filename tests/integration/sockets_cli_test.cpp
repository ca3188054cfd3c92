// `portkit ls`, `who` and `stats` on real sockets, compared with `ss -tanup` in the same test.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "ops_support.hpp"
#include "process.hpp"
#include "reachability_support.hpp"

namespace portkit {
namespace {

using nlohmann::json;
using namespace testing_support;

// (proto, local, peer, state, pid) as both tools see it.
using Key = std::tuple<std::string, std::string, std::string, std::string, int>;

std::string endpoint_text(const std::string& address, int port) {
  const auto port_text = port == 0 ? std::string("*") : std::to_string(port);
  return address.find(':') == std::string::npos ? address + ":" + port_text
                                                : "[" + address + "]:" + port_text;
}

bool involves(const std::string& endpoint, const std::set<int>& ports) {
  const auto colon = endpoint.rfind(':');
  const auto port = endpoint.substr(colon + 1);
  return port != "*" && ports.count(std::stoi(port));
}

void add_keys(const json& socket, const std::set<int>& ports, std::set<Key>& keys) {
  const auto local = endpoint_text(socket["local_address"], socket["local_port"]);
  const auto peer = endpoint_text(socket["peer_address"], socket["peer_port"]);
  if (!involves(local, ports) && !involves(peer, ports)) return;
  for (const auto& process : socket["processes"]) {
    keys.emplace(socket["proto"], local, peer, socket["state"], process["pid"]);
  }
}

std::set<Key> portkit_keys(const std::set<int>& ports, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"ls", "-a", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto result = run_portkit(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::set<Key> keys;
  const auto document = json::parse(result.out);
  for (const auto& socket : document["sockets"]) add_keys(socket, ports, keys);
  return keys;
}

// `ls -a --stream`: one JSON document per line.
std::set<Key> streamed_keys(const std::set<int>& ports) {
  const auto result = run_portkit({"ls", "-a", "--stream"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::set<Key> keys;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) add_keys(json::parse(line), ports, keys);
  return keys;
}

std::set<Key> ss_keys(const std::set<int>& ports) {
  const auto result = run_process({"ss", "-tanupH"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::set<Key> keys;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string proto, state, receive_queue, send_queue, local, peer, users;
    fields >> proto >> state >> receive_queue >> send_queue >> local >> peer >> users;
    if (!involves(local, ports) && !involves(peer, ports)) continue;
    std::transform(state.begin(), state.end(), state.begin(), ::tolower);
    std::replace(state.begin(), state.end(), '-', '_');
    if (state == "estab") state = "established";
    for (const auto* any : {"0.0.0.0:", "[::]:", "*:"}) {  // ss prints some wildcard peers as *
      if (peer.rfind(any, 0) == 0 && peer.back() == '*')
        peer = local.front() == '[' ? "[::]:*" : "0.0.0.0:*";
    }
    for (auto at = users.find("pid="); at != std::string::npos; at = users.find("pid=", at + 1)) {
      keys.emplace(proto, local, peer, state, std::stoi(users.substr(at + 4)));
    }
  }
  return keys;
}

TEST(SocketsCli, LsMatchesSs) {
  BackgroundProcess tcp({PORTKIT_BINARY, "listen", "0", "--json"});
  BackgroundProcess udp({PORTKIT_BINARY, "listen", "0/udp", "--json"});
  BackgroundProcess v6({PORTKIT_BINARY, "listen", "0", "--bind", "::1", "--json"});
  const auto tcp_port = std::to_string(listening_port(tcp));
  const std::set<int> ports{std::stoi(tcp_port), listening_port(udp), listening_port(v6)};
  ASSERT_EQ(ports.size(), 3u);
  // An established pair, held open by a client process while both tools look.
  BackgroundProcess client({"sh", "-c", "sleep 3 | nc 127.0.0.1 " + tcp_port});
  std::set<Key> ours, theirs, streamed;
  for (int attempt = 0; attempt < 20; ++attempt) {  // until the client has connected
    usleep(100000);
    ours = portkit_keys(ports);
    theirs = ss_keys(ports);
    streamed = streamed_keys(ports);
    if (ours.size() >= 5 && ours == theirs && streamed == ours) break;
  }
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(streamed, ours) << "--stream gives the records of the sorted listing";
  EXPECT_GE(ours.size(), 5u) << "listeners and both ends of the connection";
}

// A listener's Recv-Q is its accept queue and Send-Q its backlog; a connection's are the bytes
// queued. Both as ss -tn reports them, in the table and in JSON.
TEST(SocketsCli, QueuesEqualSsForAListenersBacklogAndUnreadBytes) {
  LoopbackListener listener(false, 7);
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {  // connected, never accepted
    const int fd = connect_local(listener.port());
    ASSERT_GE(fd, 0);
    clients.push_back(fd);
  }
  ASSERT_EQ(::send(clients[0], "hello", 5, 0), 5);  // unread by anyone: the server's Recv-Q
  usleep(50000);
  const auto port = listener.port_text();
  const auto ss = run_process({"ss", "-tanH", "sport = :" + port});
  std::map<std::string, std::pair<long, long>> theirs;  // state -> queues (largest seen)
  std::istringstream lines(ss.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string state;
    long receive_queue = 0, send_queue = 0;
    fields >> state >> receive_queue >> send_queue;
    auto& queues = theirs[state];
    queues = {std::max(queues.first, receive_queue), std::max(queues.second, send_queue)};
  }
  ASSERT_EQ(theirs["LISTEN"], (std::pair<long, long>{3, 7})) << ss.out;
  ASSERT_EQ(theirs["ESTAB"].first, 5) << ss.out;
  const auto result = run_portkit({"ls", "-a", "-t", "--sport", port, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::map<std::string, std::pair<long, long>> ours;
  const auto document = json::parse(result.out);
  for (const auto& socket : document["sockets"]) {
    auto& queues = ours[socket["state"] == "listen" ? "LISTEN" : "ESTAB"];
    queues = {std::max(queues.first, socket["recv_q"].get<long>()),
              std::max(queues.second, socket["send_q"].get<long>())};
  }
  EXPECT_EQ(ours, theirs) << result.out;
  const auto table = run_portkit({"ls", "-t", "--sport", port});
  EXPECT_NE(table.out.find("RECV-Q  SEND-Q"), std::string::npos) << table.out;
  std::istringstream rows(table.out);
  bool listener_row = false;
  for (std::string line; std::getline(rows, line);) {
    std::istringstream fields(line);
    std::string proto, local, peer, state, receive_queue, send_queue;
    fields >> proto >> local >> peer >> state >> receive_queue >> send_queue;
    if (state != "LISTEN") continue;
    listener_row = true;
    EXPECT_EQ(receive_queue + " " + send_queue, "3 7") << table.out;
  }
  EXPECT_TRUE(listener_row) << table.out;
  for (const int fd : clients) ::close(fd);
}

// ls -i and -m against ss -tinm for the same two ends of a quiet loopback connection: every
// figure equal, the times since the last send and receive within the second between the dumps.
TEST(SocketsCli, InfoAndMemoryEqualSs) {
  LoopbackListener listener;
  const int client = connect_local(listener.port());
  ASSERT_GE(client, 0);
  const int server = ::accept(listener.fd(), nullptr, nullptr);
  ASSERT_GE(server, 0);
  const std::string request(1000, 'x'), reply(300, 'y');
  char buffer[1000];
  ASSERT_EQ(::send(client, request.data(), request.size(), 0), 1000);
  usleep(20000);
  ASSERT_EQ(::recv(server, buffer, 600, 0), 600);  // 400 stay unread: memory to see
  ASSERT_EQ(::send(server, reply.data(), reply.size(), 0), 300);
  usleep(20000);
  ASSERT_EQ(::recv(client, buffer, 300, 0), 300);
  usleep(100000);  // the ACKs have landed: nothing changes until the sockets close
  const auto port = listener.port_text();

  using Figures = std::map<std::string, double>;
  const auto ours_run = run_portkit({"ls", "-a", "-t", "-i", "-m", "--port", port, "--json"});
  const auto theirs_run = run_process({"ss", "-tinmH", "state", "established",
                                       "( sport = :" + port + " or dport = :" + port + " )"});
  ASSERT_EQ(ours_run.exit_code, 0) << ours_run.err;
  ASSERT_EQ(theirs_run.exit_code, 0) << theirs_run.err;

  std::map<int, Figures> ours;  // by local port
  const auto listing = json::parse(ours_run.out);
  for (const auto& socket : listing["sockets"]) {
    if (socket["state"] != "established") continue;
    auto& figures = ours[socket["local_port"].get<int>()];
    for (const auto& [name, value] : socket["tcp_info"].items())
      figures[name] = value.get<double>();
    for (const auto& [name, value] : socket["memory"].items()) figures[name] = value.get<double>();
  }
  std::map<int, Figures> theirs;
  const std::vector<std::pair<std::string, std::string>> patterns{
      {"rtt_ms", R"(\brtt:([0-9.]+)/)"},
      {"rttvar_ms", R"(\brtt:[0-9.]+/([0-9.]+))"},
      {"cwnd", R"(\bcwnd:(\d+))"},
      {"mss", R"(\smss:(\d+))"},
      {"bytes_sent", R"(\bbytes_sent:(\d+))"},
      {"bytes_acked", R"(\bbytes_acked:(\d+))"},
      {"bytes_received", R"(\bbytes_received:(\d+))"},
      {"delivery_rate_bps", R"(\bdelivery_rate (\d+)bps)"},
      {"last_send_ms", R"(\blastsnd:(\d+))"},
      {"last_receive_ms", R"(\blastrcv:(\d+))"}};
  const std::vector<std::string> memory{"receive_allocated", "receive_buffer",    "send_allocated",
                                        "send_buffer",       "forward_allocated", "send_queued",
                                        "option_memory",     "backlog",           "drops"};
  std::istringstream lines(theirs_run.out);
  int local_port = 0;
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_search(line, match, std::regex(R"(^(?:ESTAB\s+)?\d+\s+\d+\s+\S+:(\d+)\s)"))) {
      local_port = std::stoi(match[1].str());
      continue;
    }
    auto& figures = theirs[local_port];
    for (const auto& [name, pattern] : patterns) {
      if (std::regex_search(line, match, std::regex(pattern))) figures[name] = std::stod(match[1]);
    }
    if (std::regex_search(
            line, match,
            std::regex(
                R"(skmem:\(r(\d+),rb(\d+),t(\d+),tb(\d+),f(\d+),w(\d+),o(\d+),bl(\d+),d(\d+)\))"))) {
      for (std::size_t i = 0; i < memory.size(); ++i) figures[memory[i]] = std::stod(match[i + 1]);
    }
  }
  ASSERT_EQ(theirs.size(), 2u) << theirs_run.out;
  ASSERT_EQ(ours.size(), 2u) << ours_run.out;
  for (auto& [local, figures] : theirs) {
    ASSERT_TRUE(ours.count(local)) << local;
    auto& mine = ours[local];
    for (const auto* name : {"last_send_ms", "last_receive_ms"}) {
      EXPECT_NEAR(mine[name], figures[name], 1000) << name;
      mine.erase(name);
      figures.erase(name);
    }
    mine.erase("ssthresh");             // ss prints it only once set
    EXPECT_EQ(mine["retransmits"], 0);  // ss prints retrans only when there were some
    mine.erase("retransmits");
    EXPECT_EQ(mine, figures) << "local port " << local << "\nss: " << theirs_run.out
                             << "\nportkit: " << ours_run.out;
  }
  // The server's end holds the 400 unread bytes.
  EXPECT_GT(ours[listener.port()]["receive_allocated"], 0) << ours_run.out;
  const auto table = run_portkit({"ls", "-a", "-t", "-i", "-m", "--port", port});
  EXPECT_NE(table.out.find("\trtt:"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(" skmem:(r"), std::string::npos) << table.out;
  const auto refused = run_portkit({"ls", "-i", "--procfs"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--info and --memory read netlink"), std::string::npos) << refused.err;
  ::close(client);
  ::close(server);
}

// ls FILTER... against ss with the same filter words, on a loopback listener with two
// connections and an IPv6 listener: the same sockets for every form of the grammar.
TEST(SocketsCli, FilterExpressionsSelectWhatSsSelects) {
  LoopbackListener listener;
  LoopbackListener listener6(true);
  std::vector<int> fds;
  for (int i = 0; i < 2; ++i) {
    const int client = connect_local(listener.port());
    ASSERT_GE(client, 0);
    fds.push_back(client);
    fds.push_back(::accept(listener.fd(), nullptr, nullptr));
  }
  const auto p = listener.port_text();
  const auto p6 = listener6.port_text();
  const std::string ours_only =
      "( sport = :" + p + " or dport = :" + p + " or sport = :" + p6 + " )";
  // Each filter as ss takes it (words) and as portkit takes the same words.
  const std::vector<std::vector<std::string>> filters{
      {"sport = :" + p},
      {ours_only + " and dport != :" + p},
      {"dst 127.0.0.0/8 and " + ours_only},
      {"state", "established", "( sport = :" + p + " or dport = :" + p + " )"},
      {"dport = :" + p + " and not sport = :" + p},
      {"src [::1]:" + p6},
      {ours_only + " and sport >= :" + p},
      {"src 127.0.0.1/32:" + p + " or dst ::1/128"},
  };
  const auto ss_sockets = [](const std::string& out) {
    std::multiset<std::string> found;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::vector<std::string> words;
      for (std::string word; fields >> word;) words.push_back(word);
      if (words.size() < 4) continue;
      // With a state filter ss leaves the State column out: the addresses are the last two.
      found.insert(words[words.size() - 2] + " " + words[words.size() - 1]);
    }
    return found;
  };
  const auto endpoint = [](const json& socket, const char* address, const char* port) {
    const auto text = socket[address].get<std::string>();
    const int number = socket[port].get<int>();
    const auto port_text = number == 0 ? std::string("*") : std::to_string(number);
    return (text.find(':') != std::string::npos ? "[" + text + "]" : text) + ":" + port_text;
  };
  for (const auto& words : filters) {
    std::vector<std::string> ss_args{"ss", "-tanH"};
    ss_args.insert(ss_args.end(), words.begin(), words.end());
    const auto theirs = run_process(ss_args);
    ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
    std::vector<std::string> our_args{"ls", "-t", "--json"};
    our_args.insert(our_args.end(), words.begin(), words.end());
    const auto ours = run_portkit(our_args);
    ASSERT_EQ(ours.exit_code, 0) << ours.err;
    std::multiset<std::string> found;
    const auto listing = json::parse(ours.out);
    for (const auto& socket : listing["sockets"]) {
      found.insert(endpoint(socket, "local_address", "local_port") + " " +
                   endpoint(socket, "peer_address", "peer_port"));
    }
    std::string joined;
    for (const auto& word : words) joined += word + " ";
    EXPECT_EQ(found, ss_sockets(theirs.out)) << "filter: " << joined;
    EXPECT_FALSE(found.empty()) << "filter selects nothing, so compares nothing: " << joined;
  }
  // `ls PORT` is either end's port, as --port.
  const auto bare = run_portkit({"ls", "-t", "--json", p});
  const auto flag = run_portkit({"ls", "-t", "--json", "--port", p});
  EXPECT_EQ(json::parse(bare.out)["sockets"], json::parse(flag.out)["sockets"]);
  EXPECT_EQ(json::parse(bare.out)["sockets"].size(), 5U);
  const auto bad = run_portkit({"ls", "sport", "=", ":nosuchport"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err.rfind("portkit: ls: filter: sport: ", 0), 0U) << bad.err;
  for (const int fd : fds) ::close(fd);
}

// ls --kill-sockets against ss -K: two twin loopback setups (a listener and three clients), one
// closed by ss -K and one by portkit with the same filter words; each closes the same sockets
// (the three client ends), their owners see ECONNABORTED, and the listener stays.
TEST(SocketsCli, KillSocketsClosesWhatSsKCloses) {
  ASSERT_EQ(geteuid(), 0U) << "closing sockets needs CAP_NET_ADMIN: the tests run as root";
  struct Twin {
    LoopbackListener listener;
    std::vector<int> clients;
    std::vector<int> servers;
  };
  const auto make_twin = [](Twin& twin) {
    for (int i = 0; i < 3; ++i) {
      const int client = connect_local(twin.listener.port());
      ASSERT_GE(client, 0);
      twin.clients.push_back(client);
      twin.servers.push_back(::accept(twin.listener.fd(), nullptr, nullptr));
    }
  };
  // What the owner of each client end sees now: the error a read reports (0 for none yet).
  const auto client_errors = [](const Twin& twin) {
    std::vector<int> errors;
    for (const int fd : twin.clients) {
      char byte;
      const auto got = ::recv(fd, &byte, 1, MSG_DONTWAIT);
      errors.push_back(got < 0 && errno != EAGAIN ? errno : 0);
    }
    return errors;
  };
  Twin by_ss, by_portkit;
  make_twin(by_ss);
  make_twin(by_portkit);
  const auto filter = [](const Twin& twin) { return "dport = :" + twin.listener.port_text(); };

  // Refusals first: nothing is closed by them.
  EXPECT_EQ(run_portkit({"ls", "--kill-sockets", "--yes"}).exit_code, 2);  // no filter
  const auto no_yes = run_portkit({"ls", "--kill-sockets", filter(by_portkit)});
  EXPECT_EQ(no_yes.exit_code, 2);
  EXPECT_NE(no_yes.err.find("needs --yes when stdin is not a terminal"), std::string::npos);
  const auto dry = run_portkit({"ls", "--kill-sockets", "--dry-run", filter(by_portkit)});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(std::count(dry.out.begin(), dry.out.end(), '\n'), 3) << dry.out;
  EXPECT_EQ(client_errors(by_portkit), (std::vector<int>{0, 0, 0}));

  const auto ss = run_process({"ss", "-K", "-tanH", filter(by_ss)});
  ASSERT_EQ(ss.exit_code, 0) << ss.err;
  const auto ours = run_portkit({"ls", "--kill-sockets", "--yes", "--json", filter(by_portkit)});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  const auto report = json::parse(ours.out);
  EXPECT_EQ(report["closed"], 3);
  EXPECT_EQ(report["failed"], 0);
  std::set<int> closed_ports;
  for (const auto& socket : report["sockets"]) {
    EXPECT_TRUE(socket["closed"].get<bool>());
    closed_ports.insert(socket["local_port"].get<int>());
  }
  std::set<int> client_ports;
  for (const int fd : by_portkit.clients) {
    sockaddr_in local{};
    socklen_t length = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
    client_ports.insert(ntohs(local.sin_port));
  }
  EXPECT_EQ(closed_ports, client_ports);
  EXPECT_EQ(std::count(ss.out.begin(), ss.out.end(), '\n'), 3) << ss.out;  // ss -K lists 3
  // Both closed the same sockets the same way: each client's owner sees ECONNABORTED.
  // (A read reports the error once: each side is read once.)
  const auto ss_errors = client_errors(by_ss);
  EXPECT_EQ(ss_errors, (std::vector<int>{ECONNABORTED, ECONNABORTED, ECONNABORTED}));
  EXPECT_EQ(client_errors(by_portkit), ss_errors);
  // The listener stays in both.
  for (const auto* twin : {&by_ss, &by_portkit}) {
    const auto left = run_process({"ss", "-tlnH", "sport = :" + twin->listener.port_text()});
    EXPECT_EQ(std::count(left.out.begin(), left.out.end(), '\n'), 1) << left.out;
  }
  const auto nothing = run_portkit({"ls", "--kill-sockets", "--yes", filter(by_portkit)});
  EXPECT_EQ(nothing.exit_code, 1) << nothing.err;
  for (const auto* twin : {&by_ss, &by_portkit}) {
    for (const int fd : twin->clients) ::close(fd);
    for (const int fd : twin->servers) ::close(fd);
  }
}

TEST(SocketsCli, ProcfsFallbackGivesTheSameRecords) {
  BackgroundProcess tcp({PORTKIT_BINARY, "listen", "0", "--json"});
  BackgroundProcess udp({PORTKIT_BINARY, "listen", "0/udp", "--bind", "::1", "--json"});
  // (proto, port): a parallel test's socket may use the same number on the other transport.
  const std::set<std::pair<std::string, int>> ports{{"tcp", listening_port(tcp)},
                                                    {"udp", listening_port(udp)}};
  const auto netlink = run_portkit({"ls", "-a", "--json"});
  const auto procfs = run_portkit({"ls", "-a", "--json", "--procfs"});
  ASSERT_EQ(netlink.exit_code, 0);
  ASSERT_EQ(procfs.exit_code, 0);
  EXPECT_EQ(json::parse(netlink.out)["backend"], "netlink");
  EXPECT_EQ(json::parse(procfs.out)["backend"], "procfs");
  const auto mine = [&](const std::string& text) {
    std::set<std::string> rows;
    auto document = json::parse(text);
    for (auto& socket : document["sockets"]) {
      if (!ports.count({socket["proto"].get<std::string>(), socket["local_port"].get<int>()}))
        continue;
      // /proc/net/tcp has no listener's backlog (its tx_queue is 0 there): the queues are
      // compared with ss in QueuesEqualSsForAListenersBacklogAndUnreadBytes.
      socket.erase("send_q");
      rows.insert(socket.dump());
    }
    return rows;
  };
  EXPECT_EQ(mine(netlink.out), mine(procfs.out));
  EXPECT_EQ(mine(netlink.out).size(), 2u);
}

TEST(SocketsCli, DefaultViewFiltersAndExposure) {
  BackgroundProcess all({PORTKIT_BINARY, "listen", "0", "--bind", "0.0.0.0", "--json"});
  const auto port = listening_port(all);
  const auto result = run_portkit({"ls", "--json", "--sport", std::to_string(port), "-l"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto sockets = json::parse(result.out)["sockets"];
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_EQ(sockets[0]["exposure"], "all");
  EXPECT_EQ(sockets[0]["state"], "listen");
  ASSERT_FALSE(sockets[0].value("processes", json::array()).empty()) << result.out;
  EXPECT_EQ(sockets[0]["processes"][0]["command"], "portkit");
  const auto by_process = run_portkit({"ls", "--json", "--process", "no-such-command"});
  EXPECT_TRUE(json::parse(by_process.out)["sockets"].empty());
  const auto bad = run_portkit({"ls", "--state", "sleepy"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err.rfind("portkit: ls: --state: unknown state 'sleepy'", 0), 0u) << bad.err;
}

// A port filter becomes inet_diag bytecode, ~20 bytes a range: 210 ranges overflowed the request
// (exit 139). Every count the grammar accepts must give what the unfiltered listing gives for those
// ports, in the kernel up to 3,000 ranges and in user space past that.
TEST(SocketsCli, ThousandsOfPortRangesFilterLikeTheUnfilteredListing) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json"});
  const int port = listening_port(server);
  ASSERT_GT(port, 0);
  for (const int count : {210, 3000, 3500}) {
    std::vector<std::string> ports{std::to_string(port)};
    std::string spec = ports.front();
    std::set<int> wanted{port};
    // Single ports two apart never merge into one range: `count` ranges in all.
    for (int candidate = 1; static_cast<int>(wanted.size()) < count; candidate += 2) {
      if (candidate == port || candidate + 1 == port || candidate - 1 == port) continue;
      wanted.insert(candidate);
      ports.push_back(std::to_string(candidate));
      spec += "," + ports.back();
    }
    std::vector<std::string> who_args{"who", "--json"};
    who_args.insert(who_args.end(), ports.begin(), ports.end());
    const auto who = run_portkit(who_args);
    ASSERT_EQ(who.exit_code, 0) << count << ": " << who.err;
    std::set<int> who_ports;
    const auto owners = json::parse(who.out);
    for (const auto& socket : owners["sockets"]) who_ports.insert(socket["local_port"].get<int>());
    EXPECT_TRUE(who_ports.count(port)) << count;

    // Two snapshots: a listener of a test running beside this one may come or go between them,
    // so a difference is looked at again (a real one stays).
    std::multiset<std::string> expected, got;
    for (int attempt = 0; attempt < 3; ++attempt) {
      const auto filtered = run_portkit({"ls", "-a", "-n", "--json", "--sport", spec});
      const auto everything = run_portkit({"ls", "-a", "-n", "--json"});
      ASSERT_EQ(filtered.exit_code, 0) << count << ": " << filtered.err;
      expected.clear();
      got.clear();
      const auto all_sockets = json::parse(everything.out);
      const auto filtered_sockets = json::parse(filtered.out);
      for (const auto& socket : all_sockets["sockets"]) {
        if (wanted.count(socket["local_port"].get<int>()) && socket["proto"] == "tcp" &&
            socket["state"] == "listen")
          expected.insert(socket.dump());
      }
      for (const auto& socket : filtered_sockets["sockets"]) {
        if (socket["proto"] == "tcp" && socket["state"] == "listen") got.insert(socket.dump());
      }
      if (got == expected) break;
    }
    EXPECT_EQ(got, expected) << count << " ranges";
    EXPECT_FALSE(got.empty());
  }
}

TEST(SocketsCli, WhoFindsAndKillsTheOwner) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json"});
  const auto port = std::to_string(listening_port(server));
  const auto who = run_portkit({"who", port, "--json"});
  ASSERT_EQ(who.exit_code, 0) << who.err;
  const auto owner = json::parse(who.out)["sockets"][0]["processes"][0];
  EXPECT_EQ(owner["command"], "portkit");
  EXPECT_NE(owner["cmdline"].get<std::string>().find("listen 0"), std::string::npos);

  const auto refused = run_portkit({"who", port, "--kill"});  // stdin is not a terminal
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(server.wait(0), -1) << "nothing may be killed without --yes";
  const auto dry = run_portkit({"who", port, "--kill", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0);
  EXPECT_NE(dry.out.find("would send signal 15 to"), std::string::npos) << dry.out;

  // --json: one document, not the table, with the owner and the signals it would send.
  const auto dry_json = run_portkit({"who", port, "--kill", "--dry-run", "--json"});
  EXPECT_EQ(dry_json.exit_code, 0) << dry_json.err;
  const auto planned = json::parse(dry_json.out);
  ASSERT_EQ(planned["signals"].size(), 1u) << dry_json.out;
  EXPECT_EQ(planned["signals"][0]["pid"], server.pid());
  EXPECT_EQ(planned["signals"][0]["signal"], 15);
  EXPECT_EQ(planned["signals"][0]["sent"], false);
  EXPECT_EQ(planned["sockets"][0]["local_port"], std::stoi(port));

  const auto killed = run_portkit({"who", port, "--kill", "--yes", "--wait"});
  EXPECT_EQ(killed.exit_code, 0) << killed.err;
  EXPECT_NE(killed.out.find("port is free"), std::string::npos);
  EXPECT_EQ(server.wait(), 0);  // listen exits cleanly on SIGTERM

  const auto nobody = run_portkit({"who", port});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_EQ(std::count(nobody.err.begin(), nobody.err.end(), '\n'), 1);
}

// The owner walk probes fd numbers up to a little past a process's fd count, then reads the
// directory: a socket at a far fd must still be found, and a socket shared after fork names
// both processes, whichever threads walk them.
TEST(SocketsCli, OwnersAtFarFdsAndSharedSocketsAreFound) {
  const HeldSocket held("127.0.0.1", 0);
  const int listener = held.fd();
  const auto port = std::to_string(held.port());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    rlimit limit{6000, 6000};
    ::setrlimit(RLIMIT_NOFILE, &limit);
    const int far = ::dup2(listener, 5000);
    const char done = far == 5000 ? 'y' : 'n';
    if (::write(ready[1], &done, 1) != 1) _exit(1);
    ::pause();
    _exit(0);
  }
  char done = 0;
  ASSERT_EQ(::read(ready[0], &done, 1), 1);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_EQ(done, 'y');
  for (const auto& args : {std::vector<std::string>{"who", port, "--json"},
                           std::vector<std::string>{"ls", "--sport", port, "--json"},
                           std::vector<std::string>{"ls", "-t", "--json"}}) {
    const auto result = run_portkit(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::set<int> pids;
    const auto document = json::parse(result.out);
    for (const auto& socket : document["sockets"]) {
      if (socket["local_port"] != std::stoi(port)) continue;
      for (const auto& process : socket["processes"]) pids.insert(process["pid"].get<int>());
    }
    EXPECT_EQ(pids, (std::set<int>{getpid(), child})) << args[0] << " " << args[1];
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST(SocketsCli, StatsSeesEphemeralPressure) {
  BackgroundProcess server({PORTKIT_BINARY, "listen", "0", "--json"});
  const auto port = listening_port(server);
  std::vector<int> clients;
  for (int i = 0; i < 30; ++i) {
    const int fd = connect_local(port);
    ASSERT_GE(fd, 0);
    clients.push_back(fd);
  }
  const auto result = run_portkit({"stats", "--json", "--top", "1000"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto stats = json::parse(result.out);
  bool found = false;
  for (const auto& item : stats["pressure"]) {
    if (item["peer_port"] == port && item["peer_address"] == "127.0.0.1") {
      found = true;
      EXPECT_GE(item["connections"].get<int>(), 30);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_GE(stats["tcp"]["states"]["established"].get<int>(), 60);  // both ends of each
  for (const int fd : clients) close(fd);
}

}  // namespace
}  // namespace portkit

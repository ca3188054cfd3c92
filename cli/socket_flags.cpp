#include "socket_flags.hpp"

#include <limits>

#include "portkit/inventory/socket_expression.hpp"

namespace portkit::cli {
namespace {

Result<std::vector<PortRange>> port_ranges(const std::vector<std::string>& specs,
                                           const char* flag) {
  std::vector<PortRange> ranges;
  for (const auto& text : specs) {
    auto spec = parse_port_spec(text, {.allow_zero = true});
    if (!spec) return make_error(std::string(flag) + ": " + spec.error().message);
    for (const auto& item : spec->items) ranges.push_back(item.ports);
  }
  return ranges;
}

}  // namespace

void add_socket_flags(CLI::App& app, SocketFlags& flags, bool with_view_flags) {
  app.add_flag("-t,--tcp", flags.tcp, "TCP sockets");
  app.add_flag("-u,--udp", flags.udp, "UDP sockets");
  app.add_flag("-4", flags.ipv4, "IPv4 only");
  app.add_flag("-6", flags.ipv6, "IPv6 only")->excludes("-4");
  if (with_view_flags) {
    app.add_flag("-l,--listening", flags.listening,
                 "listening TCP and bound UDP sockets (the default)");
    app.add_flag("-a,--all", flags.all, "every state");
    app.add_option("--state", flags.states,
                   "a state (listen, established, time-wait...) or group (connected, synchronized, "
                   "bucket, big, all); repeatable");
    app.add_option("--port", flags.ports, "local or peer port spec (22, 8000-9000, ssh)");
    app.add_option("--sport", flags.sports, "local port spec");
    app.add_option("--dport", flags.dports, "peer port spec");
    app.add_option("filter", flags.filter_words,
                   "ss's filter: sport = :22, dport != :443, src/dst 10.0.0.0/8[:PORT], state "
                   "established, joined by and/or/not and ( ); a bare port means either end's");
    app.add_flag("-i,--info", flags.info,
                 "TCP internals per socket, as ss -i: rtt, cwnd, mss, retransmits, bytes "
                 "sent/acked/received, delivery rate, time since the last send and receive");
    app.add_flag("-m,--memory", flags.memory,
                 "socket memory, as ss -m: skmem (r, rb, t, tb, f, w, o, bl, d)");
    app.add_flag("--stream", flags.stream,
                 "JSON Lines, one socket per line as the kernel reports it: unsorted, printed "
                 "at once, in constant memory however many sockets there are");
  }
  app.add_option("--pid", flags.pid, "sockets of this process")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  // Given at all, these are set, so an empty value is an error rather than no filter.
  app.add_option_function<std::string>(
      "--user", [&flags](const std::string& user) { flags.user = user; },
      "sockets of this user (name or uid)");
  app.add_option_function<std::string>(
      "--process", [&flags](const std::string& process) { flags.process = process; },
      "sockets of processes with this command name");
  app.add_flag("-n,--numeric", flags.numeric,
               "numbers only: no service, user or process names (fastest)");
  app.add_flag("--procfs", flags.procfs,
               "read /proc/net instead of netlink (the automatic fallback)");
  app.add_flag("--all-netns", flags.all_netns,
               "also every other network namespace (containers), each row naming it; needs root");
  app.add_flag("--json", flags.json, "JSON: one document");
}

Result<ListOptions> socket_options(const SocketFlags& flags) {
  ListOptions options;
  options.query.tcp = flags.tcp || !flags.udp;
  options.query.udp = flags.udp || !flags.tcp;
  options.query.ipv4 = flags.ipv4 || !flags.ipv6;
  options.query.ipv6 = flags.ipv6 || !flags.ipv4;
  options.query.backend = flags.procfs ? InventoryBackend::procfs : InventoryBackend::automatic;
  options.numeric = flags.numeric;
  options.all_netns = flags.all_netns;
  if (flags.all_netns && flags.procfs) return make_error("--all-netns reads netlink, not --procfs");
  if ((flags.info || flags.memory) && flags.procfs) {
    return make_error("--info and --memory read netlink, not --procfs");
  }
  options.query.tcp_info = flags.info;
  options.query.memory = flags.memory;
  // Numeric means no names at all, processes included, so the /proc walk is skipped
  // (as ss shows processes only with -p); --pid and --process still walk to filter.
  options.owners = !flags.numeric;
  auto& filter = options.filter;
  filter.all_states = flags.all;
  for (const auto& text : flags.states) {
    auto states = parse_state_filter(text);
    if (!states) return make_error("--state: " + states.error().message);
    filter.states |= *states;
  }
  for (const auto& [specs, flag, target] :
       {std::tuple{&flags.ports, "--port", &filter.any_port},
        std::tuple{&flags.sports, "--sport", &filter.local_port},
        std::tuple{&flags.dports, "--dport", &filter.peer_port}}) {
    auto ranges = port_ranges(*specs, flag);
    if (!ranges) return ranges.error();
    *target = std::move(ranges).value();
  }
  if (!flags.filter_words.empty()) {
    auto expression = parse_socket_expression(flags.filter_words);
    if (!expression) return make_error("filter: " + expression.error().message);
    filter.expression = *expression;
  }
  // A port filter without a state asks about every state, as `ss sport = :8080` does.
  if (!flags.listening && filter.states == 0 &&
      (!filter.any_port.empty() || !filter.local_port.empty() || !filter.peer_port.empty() ||
       filter.expression)) {
    filter.all_states = true;
  }
  filter.pid = flags.pid;
  if (flags.user) {
    auto uid = resolve_user(*flags.user);
    if (!uid) return make_error("--user: " + uid.error().message);
    filter.uid = *uid;
  }
  if (flags.process) {
    if (flags.process->empty()) return make_error("--process: an empty command name");
    filter.process = *flags.process;
  }
  return options;
}

}  // namespace portkit::cli

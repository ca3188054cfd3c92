// portkit scan TARGET...: asynchronous TCP connect / UDP scan with nmap's states and reasons.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <optional>

#include "cli_common.hpp"
#include "portkit/registry/top_ports.hpp"
#include "portkit/scan/scan_service.hpp"
#include "scan_progress.hpp"

namespace portkit::cli {
namespace {

// Set from the SIGINT/SIGTERM handler; the engine polls it on its timer.
std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int /*signal*/) {
  interrupted.store(true);
}

struct ScanFlags {
  std::vector<std::string> targets;
  std::string ports;
  std::size_t top = 0;
  bool udp = false;
  std::string input_list;
  std::vector<std::string> excludes;
  double rate = 0;
  std::string timeout = "1s";
  std::string min_timeout = "100ms";
  bool min_timeout_given = false;
  int max_retries = 6;
  std::size_t max_inflight = 0;
  unsigned workers = 0;
  bool sequential = false;
  bool banner = false;
  bool service = false;
  std::string service_timeout;
  bool open_only = false;
  bool json = false;
  std::string xml_file;
  std::string grepable_file;
  bool ipv4 = false;
  bool ipv6 = false;
  std::uint64_t seed = 0;
  bool yes = false;
  bool no_ping = false;
  bool ping_only = false;
  std::string ping_ports;
  bool syn = false;
};

// Past this many addresses a scan asks first: a mistyped /8 is 16 M hosts.
constexpr std::uint64_t kAddressesWithoutAsking = 65536;

struct PortLists {
  std::vector<std::uint16_t> tcp;
  std::vector<std::uint16_t> udp;
};

// -p SPEC (items with /tcp or /udp go to that transport, the rest to --udp's choice) or
// --top N (default 1000) from the knowledge base's frequency order.
Result<PortLists> choose_ports(const ScanFlags& flags) {
  const auto main_proto = flags.udp ? Proto::udp : Proto::tcp;
  PortLists lists;
  if (!flags.ports.empty()) {
    auto spec = parse_port_spec(flags.ports, {.allow_zero = false, .name_proto = main_proto});
    if (!spec) return make_error("-p: " + spec.error().message);
    lists.tcp = spec->ports_for(Proto::tcp, main_proto);
    lists.udp = spec->ports_for(Proto::udp, main_proto);
    return lists;
  }
  const auto count = flags.top == 0 ? std::size_t{1000} : flags.top;
  const auto frequencies = load_nmap_services(kNmapServicesPath, main_proto);
  auto ports = top_ports(count, main_proto, frequencies);
  (flags.udp ? lists.udp : lists.tcp) = std::move(ports);
  return lists;
}

Result<std::vector<Target>> parse_targets(const std::vector<std::string>& texts,
                                          std::string_view what) {
  std::vector<Target> targets;
  for (const auto& text : texts) {
    auto target = parse_target(text);
    if (!target) return make_error(std::string(what) + target.error().message);
    targets.push_back(std::move(target).value());
  }
  return targets;
}

// Splits "--exclude a,b" and repeated --exclude into single targets.
std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    std::size_t start = 0;
    while (start <= value.size()) {
      const auto comma = value.find(',', start);
      const auto piece = value.substr(start, comma - start);
      if (!piece.empty()) out.push_back(piece);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

struct OpenedFile {
  std::FILE* file = nullptr;
  bool owned = false;
  ~OpenedFile() {
    if (owned && file != nullptr) std::fclose(file);
  }
};

int run_scan_command(const ScanFlags& flags, const GlobalOptions& globals) {
  const auto timeout = duration_flag("--timeout", flags.timeout);
  if (!timeout) return fail("scan", timeout.error().message);
  const auto min_timeout = duration_flag("--min-timeout", flags.min_timeout);
  if (!min_timeout) return fail("scan", min_timeout.error().message);
  if (*min_timeout > *timeout && flags.min_timeout_given) {
    return fail("scan", fmt::format("--min-timeout {} is above --timeout {}", flags.min_timeout,
                                    flags.timeout));
  }
  if (flags.targets.empty() && flags.input_list.empty()) {
    return fail("scan", "no target given (name hosts, or -iL FILE)");
  }
  if (flags.ping_only && (!flags.ports.empty() || flags.top != 0 || flags.udp)) {
    return fail("scan", "--ping-only (-sn) scans no port: leave out -p, --top and -u");
  }
  if (flags.syn && flags.udp) {
    return fail("scan", "--syn (-sS) probes TCP: scan UDP (-u) in a run of its own");
  }
  auto ports = flags.ping_only ? Result<PortLists>(PortLists{}) : choose_ports(flags);
  if (!ports) return fail("scan", ports.error().message);
  DiscoveryOptions discovery;
  if (!flags.ping_ports.empty()) {
    auto spec = parse_port_spec(flags.ping_ports, {.allow_zero = false});
    if (!spec) return fail("scan", "--ping-ports: " + spec.error().message);
    discovery.tcp_ports = spec->ports_for(Proto::tcp, Proto::tcp);
    if (discovery.tcp_ports.size() > 64) {
      return fail("scan", "--ping-ports: at most 64 ports (each address holds one socket each)");
    }
  }
  auto targets = parse_targets(flags.targets, "");
  if (!targets) return fail("scan", targets.error().message);
  if (!flags.input_list.empty()) {
    auto listed = load_target_list(flags.input_list);
    if (!listed) return fail("scan", "-iL: " + listed.error().message);
    targets->insert(targets->end(), listed->begin(), listed->end());
  }
  auto excludes = parse_targets(split_commas(flags.excludes), "--exclude: ");
  if (!excludes) return fail("scan", excludes.error().message);
  const auto family = flags.ipv4   ? FamilyFilter::v4
                      : flags.ipv6 ? FamilyFilter::v6
                                   : FamilyFilter::any;
  auto hosts = HostSource::create(std::move(targets).value(), std::move(excludes).value(), family);
  if (!hosts) return fail("scan", hosts.error().message);
  if (hosts->total() > kAddressesWithoutAsking && !flags.yes) {
    const auto question =
        fmt::format("scan {} addresses (more than {})?", hosts->total(), kAddressesWithoutAsking);
    if (isatty(STDIN_FILENO) != 1 || isatty(STDERR_FILENO) != 1) {
      return fail("scan", fmt::format("the targets hold {} addresses (more than {}): add --yes "
                                      "to scan them all",
                                      hosts->total(), kAddressesWithoutAsking));
    }
    if (!ask_yes_no(question)) return fail("scan", "nothing scanned", kExitNegative);
  }

  IdentifyOptions identify_options;
  if (!flags.service_timeout.empty()) {
    const auto budget = duration_flag("--service-timeout", flags.service_timeout);
    if (!budget) return fail("scan", budget.error().message);
    identify_options.budget = *budget;
  }

  // Every input is valid: only now are output files created.
  std::vector<std::unique_ptr<ScanWriter>> writers;
  OpenedFile xml_file;
  OpenedFile grepable_file;
  bool stdout_taken = false;
  for (auto [path, file, make] :
       {std::tuple{&flags.xml_file, &xml_file, &make_xml_scan_writer},
        std::tuple{&flags.grepable_file, &grepable_file, &make_grepable_scan_writer}}) {
    if (path->empty()) continue;
    if (*path == "-") {
      file->file = stdout;
      stdout_taken = true;
    } else {
      file->file = std::fopen(path->c_str(), "w");
      if (file->file == nullptr) {
        // A path that cannot exist is bad input; a refusal by the system is a runtime failure.
        const bool bad_path = errno == ENOENT || errno == ENOTDIR || errno == EISDIR;
        return fail("scan", fmt::format("cannot write {}: {}", *path, std::strerror(errno)),
                    bad_path ? kExitUsage : kExitRuntime);
      }
      file->owned = true;
    }
    writers.push_back(make(file->file));
  }
  if (!stdout_taken) {
    writers.push_back(flags.json ? make_json_scan_writer(stdout)
                                 : make_text_scan_writer(stdout, resolve_style(globals)));
  }
  ScanFanOut fan_out(std::move(writers), !flags.json && isatty(STDERR_FILENO) == 1);

  ScanOptions options;
  options.tcp_ports = ports->tcp;
  options.udp_ports = ports->udp;
  options.timeout = *timeout;
  options.min_timeout = std::min(*min_timeout, *timeout);
  options.max_retries = flags.max_retries;
  options.rate = flags.rate;
  options.max_inflight = flags.max_inflight;
  options.workers = flags.workers;
  options.sequential = flags.sequential;
  options.banner = flags.banner;
  options.identify_udp = flags.service;
  options.seed = flags.seed;
  options.stop = &interrupted;
  options.syn = flags.syn;
  options.discovery = flags.no_ping     ? DiscoveryMode::off
                      : flags.ping_only ? DiscoveryMode::only
                                        : DiscoveryMode::automatic;
  discovery.timeout = *timeout;
  discovery.min_timeout = std::min(discovery.min_timeout, *timeout);
  options.discovery_options = std::move(discovery);

  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);

  ScanInfo info{globals.command_line, options.tcp_ports,
                options.udp_ports,    std::chrono::system_clock::now(),
                flags.open_only,      flags.ping_only};
  fan_out.begin(info);
  std::optional<ServiceScanSink> identifying;
  if (flags.service) identifying.emplace(fan_out, identify_options);
  auto summary = run_scan(
      *hosts, options,
      identifying ? static_cast<ScanSink&>(*identifying) : static_cast<ScanSink&>(fan_out));
  if (identifying) identifying->finish();
  if (!summary) return fail("scan", summary.error().message, kExitRuntime);
  fan_out.end(*summary);
  for (const auto& notice : summary->notices) fmt::print(stderr, "portkit: scan: {}\n", notice);
  if (summary->interrupted) return kExitInterrupted;
  if (flags.ping_only) return summary->hosts_answered > 0 ? kExitOk : kExitNegative;
  return summary->open > 0 ? kExitOk : kExitNegative;
}

}  // namespace

Command make_scan_command(CLI::App& parent, const GlobalOptions& globals) {
  auto flags = std::make_shared<ScanFlags>();
  auto* app = parent.add_subcommand(
      "scan", "asynchronous TCP connect / UDP scan with nmap's states and reasons");
  app->add_option("target", flags->targets,
                  "host name, address, CIDR (10.0.0.0/30) or range (192.0.2.1-5)");
  app->add_option("-p,--ports", flags->ports,
                  "ports: 22,80 | 1-1024 | - (all) | ssh | 53/udp (default: --top 1000)")
      ->check(kNonEmpty);
  app->add_option("--top", flags->top, "the N most commonly open ports")
      ->check(CLI::Range(1, 65535))
      ->excludes("--ports");
  app->add_flag("-u,--udp", flags->udp, "UDP scan (protocol payloads, ICMP port unreachable)");
  complete_file(
      app->add_option("-i,--iL", flags->input_list, "read targets from FILE (- for stdin)"));
  app->add_option("--exclude", flags->excludes, "targets to skip (comma-separated, repeatable)")
      ->check(kNonEmpty);
  app->add_option("--rate", flags->rate, "at most N probes per second (default: no limit)")
      ->check(CLI::Range(0.0, 1e7));
  app->add_option("--timeout", flags->timeout,
                  "ceiling of the per-host timeout, which adapts to measured round trips")
      ->capture_default_str();
  app->add_option("--min-timeout", flags->min_timeout, "floor of the adaptive timeout")
      ->each([flags](const std::string&) { flags->min_timeout_given = true; })
      ->capture_default_str();
  app->add_option("--max-retries", flags->max_retries,
                  "cap on retries of unanswered probes (earned per host, as nmap)")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  app->add_option("--max-inflight", flags->max_inflight,
                  "probes in flight at most (default: from the file descriptor limit, <= 5000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  app->add_option("-w,--workers", flags->workers,
                  "engine threads, each on a share of the ports (default: one per core, at most "
                  "4, fewer for small scans)")
      ->check(CLI::Range(1, 64));
  app->add_flag("--sequential", flags->sequential, "ports in ascending order, not shuffled");
  app->add_flag("--banner", flags->banner, "read the banner of each open TCP port");
  app->add_flag("--service,--sV", flags->service,
                "name the service on each open TCP port (nmap -sV): greeting, TLS, HTTP, ...");
  app->add_option("--service-timeout", flags->service_timeout,
                  "budget per port for --service (default: 12 round trips, 600ms-10s)");
  app->add_flag("--open", flags->open_only, "report open ports only");
  app->add_flag("--json", flags->json, "JSON Lines: a line per port, per host, then a summary");
  complete_file(
      app->add_option("--oX", flags->xml_file, "also write nmap XML to FILE (- for stdout)"));
  complete_file(
      app->add_option("--oG", flags->grepable_file, "also write nmap grepable output to FILE"));
  app->add_flag("-4", flags->ipv4, "IPv4 only");
  app->add_flag("-6", flags->ipv6, "IPv6 only (names resolve to their IPv6 address)")
      ->excludes("-4");
  app->add_flag("-y,--yes", flags->yes,
                "scan more than 65,536 addresses without asking (needed without a terminal)");
  app->add_flag("--syn,--sS", flags->syn,
                "raw SYN probes, no socket per probe (nmap -sS; root or CAP_NET_RAW)");
  app->add_flag("--no-ping,--Pn", flags->no_ping,
                "no host discovery: scan every address (nmap -Pn)");
  app->add_flag("--ping-only,--sn", flags->ping_only,
                "host discovery only: list the hosts that are up, scan no port (nmap -sn)")
      ->excludes("--no-ping");
  app->add_option("--ping-ports,--PS", flags->ping_ports,
                  "TCP ports host discovery connects to (nmap -PS; default 80,443,22,3389)")
      ->check(kNonEmpty);
  app->add_option("--seed", flags->seed, "key of the random port order (for a repeatable scan)")
      ->check(kNotNegative);
  app->footer(
      "Examples:\n"
      "  portkit scan localhost                      top 1000 TCP ports\n"
      "  portkit scan 192.0.2.0/28 -p 22,80,443,6443 --open\n"
      "  portkit scan ::1 -p- --oX scan.xml          all ports, nmap XML for ndiff\n"
      "  portkit scan db -p 53,123,161/udp -u        UDP with protocol payloads\n"
      "  portkit scan -iL hosts.txt --exclude 192.0.2.7 --rate 2000 --json\n"
      "States and reasons as nmap --reason: open (syn-ack, udp-response), closed (conn-refused,\n"
      "port-unreach), filtered (no-response, host-unreach, admin-prohibited), open|filtered.\n"
      "Host discovery first when the targets hold more than one address: an ICMP echo (raw\n"
      "socket as root, else a ping socket where allowed) and TCP connects to 80, 443, 22 and\n"
      "3389 to every address at once; any answer (echo reply, SYN-ACK, reset, the host's own\n"
      "unreachable, or on the local link the kernel's ARP/NDP) marks it up, an ICMP unreachable\n"
      "for it or silence marks it down, and only hosts up are scanned. -Pn scans every address; "
      "-sn lists the hosts up.\n"
      "  portkit scan 10.0.0.0/22 --top 100         discover, then scan the hosts up\n"
      "  portkit scan 10.0.0.0/20 -sn --oX up.xml   which hosts are up (nmap -sn)\n"
      "--syn (-sS, root) sends raw SYNs from one source port instead of connecting: no\n"
      "descriptor per probe; the kernel resets each SYN-ACK, as for nmap -sS; closed ports say\n"
      "reset.\n"
      "nmap's -oX/-oG/-iL/-sV/-sS/-Pn/-sn/-PS spellings work too. Exit 0 when an open port (with\n"
      "-sn: a host up) was found, 1 when none, 2 on bad input, 130 on Ctrl-C.");
  return {app, [flags, &globals] { return run_scan_command(*flags, globals); }};
}

}  // namespace portkit::cli

// portkit wait ENDPOINT... [-- CMD ARGS]: block until every endpoint is open, then exec CMD.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "portkit/output/event_output.hpp"
#include "portkit/output/probe_output.hpp"
#include "portkit/probe/wait.hpp"

namespace portkit::cli {
namespace {

struct WaitFlags {
  std::vector<std::string> endpoints;
  std::string timeout = "30s";
  std::string interval = "20ms";
  std::string attempt_timeout = "1s";
  std::string http_path;
  bool closed = false;
  bool quiet = false;
  bool json = false;
  bool ipv4 = false;
  bool ipv6 = false;
};

int run_wait_command(const WaitFlags& flags, const std::vector<std::string>& command) {
  WaitOptions options;
  for (const auto& [name, text, target, zero] :
       {std::tuple{"--timeout", &flags.timeout, &options.timeout, false},
        std::tuple{"--interval", &flags.interval, &options.interval, false},
        std::tuple{"--attempt-timeout", &flags.attempt_timeout, &options.attempt_timeout, false}}) {
    auto value = duration_flag(name, *text, zero);
    if (!value) return fail("wait", value.error().message);
    *target = *value;
  }
  if (!flags.http_path.empty()) {
    if (flags.http_path.front() != '/') return fail("wait", "--http: path must start with '/'");
    options.http_path = flags.http_path;
  }
  options.closed = flags.closed;
  options.family = flags.ipv4   ? FamilyFilter::v4
                   : flags.ipv6 ? FamilyFilter::v6
                                : FamilyFilter::any;
  std::vector<WaitTarget> targets;
  for (const auto& text : flags.endpoints) {
    auto target = parse_wait_target(text);
    if (!target) return fail("wait", target.error().message);
    if (target->endpoint.proto == Proto::udp) {
      return fail("wait",
                  "UDP endpoint " + text + " cannot be waited for: silence is not an answer");
    }
    targets.push_back(std::move(target).value());
  }
  if (!flags.quiet && !flags.json) {
    options.on_ready = [&](const std::string& text, double after_ms) {
      fmt::print(stderr, "portkit: wait: {} is {} after {:.0f} ms\n", text,
                 flags.closed ? "closed" : "open", after_ms);
    };
  }
  const bool progress_line = !flags.quiet && !flags.json && isatty(STDERR_FILENO) == 1;
  if (progress_line) {
    options.on_progress = [](const std::vector<WaitStatus>& endpoints, double elapsed_ms) {
      std::string line;
      for (const auto& status : endpoints) {
        if (status.ready) continue;
        line +=
            fmt::format("{}{} {}", line.empty() ? "" : ", ", status.text, wait_status_text(status));
      }
      fmt::print(stderr, "\r\x1b[Kwaiting {:.1f}s: {}", elapsed_ms / 1000, line);
    };
    const auto on_ready = options.on_ready;
    options.on_ready = [on_ready](const std::string& text, double after_ms) {
      fmt::print(stderr, "\r\x1b[K");
      if (on_ready) on_ready(text, after_ms);
    };
  }
  options.stop_on_signal = true;
  const auto report = run_wait(targets, options);
  if (progress_line) fmt::print(stderr, "\r\x1b[K");
  if (flags.json) print_out(wait_report_json(report, flags.closed).dump(2) + "\n");
  if (!report.ready) {
    if (!flags.quiet) {
      for (const auto& status : report.endpoints) {
        if (status.ready) continue;
        fmt::print(stderr, "portkit: wait: {}: {} is still {}\n",
                   report.interrupted ? "interrupted" : "timed out after " + flags.timeout,
                   status.text, flags.closed ? "answering" : wait_status_text(status));
      }
    }
    return report.interrupted ? kExitInterrupted : kExitNegative;
  }
  if (command.empty()) return kExitOk;
  std::vector<char*> argv;
  argv.reserve(command.size() + 1);
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  ::execvp(argv[0], argv.data());
  const int error = errno;
  return fail("wait", fmt::format("cannot run {}: {}", command.front(), std::strerror(error)),
              error == ENOENT ? 127 : 126);
}

}  // namespace

Command make_wait_command(CLI::App& parent, const GlobalOptions& globals) {
  auto flags = std::make_shared<WaitFlags>();
  auto* app = parent.add_subcommand("wait", "block until endpoints are open, then run a command");
  app->add_option("endpoint", flags->endpoints,
                  "HOST:PORT, [IPv6]:PORT, tcp://HOST:PORT, http://HOST[:PORT][/PATH]")
      ->required();
  app->add_option("-t,--timeout", flags->timeout, "give up after this long (exit 1)")
      ->capture_default_str();
  app->add_option("--interval", flags->interval,
                  "longest pause between attempts; pauses start at 10ms and double")
      ->capture_default_str();
  app->add_option("--attempt-timeout", flags->attempt_timeout,
                  "deadline of one connect or HTTP request")
      ->capture_default_str();
  app->add_option("--http", flags->http_path, "also wait for an HTTP 2xx answer on this path");
  app->add_flag("--closed", flags->closed, "wait until every endpoint stops answering instead");
  app->add_flag("-q,--quiet", flags->quiet, "print nothing; the exit code tells");
  app->add_flag("-4", flags->ipv4, "IPv4 addresses only");
  app->add_flag("-6", flags->ipv6, "IPv6 addresses only")->excludes("-4");
  app->add_flag("--json", flags->json, "the final report as one JSON document");
  app->footer(
      "Examples:\n"
      "  portkit wait db:5432 cache:6379 -- ./start-app --port 8080\n"
      "  portkit wait --timeout 60s http://localhost:8080/healthz\n"
      "  portkit wait --http /ready localhost:9090\n"
      "  portkit wait --closed localhost:8080      (until the old server is gone)\n"
      "Exit 0 when all are ready (or CMD's own exit code after `--`), 1 on timeout, 2 on bad "
      "input.");
  return {app, [flags, &globals] { return run_wait_command(*flags, globals.trailing_command); }};
}

}  // namespace portkit::cli

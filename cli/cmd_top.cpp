// portkit top: the live view of listening ports. On a terminal a full screen (top_screen.cpp);
// --once, --json or a pipe print frames instead, for scripts.
#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "cli_common.hpp"
#include "portkit/output/top_output.hpp"
#include "top_screen.hpp"

namespace portkit::cli {

namespace {

struct TopFlags {
  std::string interval = "1s";
  bool once = false;
  bool json = false;
  std::uint64_t iterations = 0;
  std::string sort = "new/s";
  std::string filter;
};

// Frames as text or JSON lines, each over one interval: the first sample only starts the
// rates, so nothing is printed for it.
int print_frames(TopSampler& sampler, const TopFlags& flags, std::chrono::milliseconds interval,
                 TopSort sort, Style style) {
  auto first = sampler.sample();
  if (!first) return fail("top", first.error().message, kExitRuntime);
  const auto frames = flags.once ? 1 : flags.iterations;
  for (std::uint64_t frame = 0; frames == 0 || frame < frames; ++frame) {
    std::this_thread::sleep_for(interval);
    auto view = sampler.sample();
    if (!view) return fail("top", view.error().message, kExitRuntime);
    if (flags.json) {
      view->ports = shown_ports(view->ports, flags.filter, sort);
      print_out(top_json(*view).dump(flags.once ? 2 : -1) + "\n");
      continue;
    }
    std::string text = frame == 0 ? "" : "\n";
    for (const auto& line : render_top(*view, {.sort = sort, .filter = flags.filter})) {
      text += styled(line.text, line.tone, style) + "\n";
    }
    print_out(text);
  }
  return kExitOk;
}

}  // namespace

Command make_top_command(CLI::App& parent, const GlobalOptions& globals) {
  auto flags = std::make_shared<TopFlags>();
  auto* app = parent.add_subcommand(
      "top", "live view: per listening port, connections, new conn/s, bytes/s, queues");
  app->add_option("--interval", flags->interval, "time between refreshes (rates are over it)")
      ->capture_default_str();
  app->add_flag("--once", flags->once, "print one frame over one interval and exit");
  app->add_flag("--json", flags->json, "JSON: one document with --once, else one line per refresh");
  app->add_option("-n,--iterations", flags->iterations, "refreshes before exiting (0: no limit)")
      ->check(kNotNegative)
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1'000'000'000}));
  complete_values(
      app->add_option("--sort", flags->sort, "order of the ports")->capture_default_str(),
      {"new/s", "estab", "in/s", "out/s", "accept-q", "port"});
  app->add_option("--filter", flags->filter,
                  "only this port, or ports whose process or service "
                  "contains this text");
  app->footer(
      "Examples:\n"
      "  portkit top\n"
      "  portkit top --interval 5s --sort in/s\n"
      "  portkit top --once --json\n"
      "  portkit top --json --interval 10s | jq -c '.ports[] | {local_port, new_per_second}'\n"
      "Keys: s sort, / filter by port or process (Enter applies, Esc cancels), p or space\n"
      "pause, q quit. Bytes per second come from each connection's tcp_info counters, with no\n"
      "packet capture: a connection that opens and closes between two refreshes is not seen.\n"
      "Without a terminal on stdout it prints text frames, as top -b does.");
  return {app, [flags, &globals]() -> int {
            const auto interval = duration_flag("--interval", flags->interval);
            if (!interval) return fail("top", interval.error().message);
            if (*interval < std::chrono::milliseconds(50)) {
              return fail("top", "--interval must be at least 50ms");
            }
            const auto sort = parse_top_sort(flags->sort);
            if (!sort) {
              return fail("top", fmt::format("--sort: unknown order '{}' (new/s, estab, in/s, "
                                             "out/s, accept-q, port)",
                                             flags->sort));
            }
            if (flags->filter.size() > 64) return fail("top", "--filter: longer than 64 bytes");
            TopSampler sampler;
            const auto style = resolve_style(globals);
            if (flags->once || flags->json || isatty(STDOUT_FILENO) != 1) {
              return print_frames(sampler, *flags, *interval, *sort, style);
            }
            return run_top_screen(sampler, {.interval = *interval,
                                            .sort = *sort,
                                            .filter = flags->filter,
                                            .color = style.color,
                                            .iterations = flags->iterations});
          }};
}

}  // namespace portkit::cli

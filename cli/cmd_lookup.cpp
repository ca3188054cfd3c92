// portkit lookup QUERY...: what ports, ranges, service names and keywords mean.
#include <memory>

#include "cli_common.hpp"
#include "portkit/lookup/lookup.hpp"
#include "portkit/output/knowledge.hpp"

namespace portkit::cli {
namespace {

struct LookupFlags {
  std::vector<std::string> queries;
  bool all = false;
  bool json = false;
};

int run_lookup(const LookupFlags& flags, const GlobalOptions& globals) {
  const auto host = read_host_port_config();
  const LookupOptions options{.include_registry = flags.all};
  std::vector<LookupAnswer> answers;
  for (const auto& argument : flags.queries) {
    for (const auto& query : expand_lookup_query(argument)) {
      auto answer = lookup(query, host, options);
      if (!answer) return fail("lookup", answer.error().message);
      answers.push_back(std::move(answer).value());
    }
  }
  bool all_found = true;
  std::string out;
  if (flags.json) {
    auto results = nlohmann::json::array();
    for (const auto& answer : answers) results.push_back(lookup_json(answer));
    out = nlohmann::json{{"results", std::move(results)}}.dump(2) + "\n";
  }
  const auto style = resolve_style(globals);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    all_found = all_found && answers[i].found();
    if (flags.json) continue;
    if (i > 0) out += "\n";
    out += render_lookup(answers[i], host, style);
  }
  print_out(out);
  return all_found ? kExitOk : kExitNegative;
}

}  // namespace

Command make_lookup_command(CLI::App& parent, const GlobalOptions& globals) {
  auto flags = std::make_shared<LookupFlags>();
  auto* app = parent.add_subcommand("lookup", "what a port, range, service name or keyword means");
  app->add_option("query", flags->queries,
                  "port (22), port/transport (53/udp), range (6881-6889), pair (20/21), "
                  "endpoint (10.0.0.5:8080/tcp), name or alias (postgres, \"HTTP Alt\"), "
                  "keywords (database, \"active directory\"), or icmp")
      ->required();
  app->add_flag("--all", flags->all, "also show the IANA registry where a curated entry speaks");
  app->add_flag("--json", flags->json, "one JSON document: {\"results\": [...]}");
  app->footer(
      "Examples:\n"
      "  portkit lookup 5432\n"
      "  portkit lookup 53/udp ssh pg\n"
      "  portkit lookup 30000-32767 --json\n"
      "  portkit lookup database      every curated database port\n"
      "  portkit lookup --all 443     curated entry and the IANA registration\n"
      "Each number also gets its IANA range, whether binding it needs privilege here and\n"
      "whether it lies in this host's ephemeral range. Exit 1 when a query is unknown.");
  return {app, [flags, &globals] { return run_lookup(*flags, globals); }};
}

}  // namespace portkit::cli

#include "portkit/output/ops_output.hpp"

#include <fmt/format.h>

#include <array>

namespace portkit {
namespace {

Tone severity_tone(Severity severity) {
  switch (severity) {
    case Severity::critical:
    case Severity::high:
      return Tone::bad;
    case Severity::medium:
      return Tone::warn;
    default:
      return Tone::dim;
  }
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string render_free(const FreeResult& result) {
  std::string out;
  for (const auto& port : result.ports) out += fmt::format("{}\n", port.port);
  return out;
}

nlohmann::json free_json(const FreeResult& result, const FreeQuery& query) {
  auto ports = nlohmann::json::array();
  for (const auto& port : result.ports) ports.push_back(port.port);
  auto ranges = nlohmann::json::array();
  for (const auto range : query.ranges)
    ranges.push_back({{"port_low", range.low}, {"port_high", range.high}});
  return {{"ports", ports},
          {"count", query.count},
          {"found", result.ports.size()},
          {"proto", query.tcp && query.udp ? "both"
                    : query.tcp            ? "tcp"
                                           : "udp"},
          {"ranges", ranges},
          {"tried", result.tried}};
}

std::string render_audit(std::span<const Finding> findings, Style style) {
  if (findings.empty()) return "No findings.\n";
  std::string out;
  std::optional<Severity> group;
  std::array<std::size_t, 5> counts{};
  for (const auto& finding : findings) {
    ++counts[static_cast<std::size_t>(finding.severity)];
    if (group != finding.severity) {
      group = finding.severity;
      out +=
          (out.empty() ? "" : "\n") +
          styled(upper(severity_name(finding.severity)), severity_tone(finding.severity), style) +
          "\n";
    }
    out += fmt::format("  [{}] {}: {}\n", finding.rule->id,
                       styled(printable(finding.subject), Tone::bold, style),
                       printable(finding.detail));
    if (!finding.file.empty()) {
      out += fmt::format("      at {}:{}\n", printable(finding.file), finding.line);
    }
    if (!finding.process.empty()) {
      out += fmt::format("      process: {}\n", printable(finding.process));
    }
    out += fmt::format("      why: {}\n", finding.rule->why);
    out += fmt::format("      fix: {}\n",
                       printable(finding.fix.empty() ? finding.rule->fix : finding.fix));
  }
  std::string summary;
  for (int severity = 4; severity >= 0; --severity) {
    if (!counts[severity]) continue;
    if (!summary.empty()) summary += ", ";
    summary +=
        fmt::format("{} {}", counts[severity], severity_name(static_cast<Severity>(severity)));
  }
  out += fmt::format("\n{} finding{}: {}\n", findings.size(), findings.size() == 1 ? "" : "s",
                     summary);
  return out;
}

nlohmann::json audit_json(std::span<const Finding> findings, Severity fail_on) {
  auto list = nlohmann::json::array();
  nlohmann::json counts = nlohmann::json::object();
  for (int severity = 0; severity <= 4; ++severity)
    counts[std::string(severity_name(static_cast<Severity>(severity)))] = 0;
  bool failing = false;
  for (const auto& finding : findings) {
    nlohmann::json item{{"id", finding.rule->id},
                        {"severity", severity_name(finding.severity)},
                        {"title", finding.rule->title},
                        {"subject", finding.subject},
                        {"detail", finding.detail},
                        {"why", finding.rule->why},
                        {"fix", finding.fix.empty() ? finding.rule->fix : finding.fix}};
    if (finding.port) item["port"] = *finding.port;
    if (!finding.process.empty()) item["process"] = finding.process;
    if (!finding.file.empty()) {
      item["file"] = finding.file;
      item["line"] = finding.line;
    }
    list.push_back(std::move(item));
    counts[std::string(severity_name(finding.severity))] =
        counts[std::string(severity_name(finding.severity))].get<int>() + 1;
    failing = failing || finding.severity >= fail_on;
  }
  return {{"findings", list},
          {"counts", counts},
          {"fail_on", severity_name(fail_on)},
          {"failed", failing}};
}

std::string render_audit_rules(Style style) {
  Table table({"ID", "SEVERITY", "TITLE"});
  for (const auto& rule : audit_rules()) {
    table.add_row(
        {std::string(rule.id), std::string(severity_name(rule.severity)), std::string(rule.title)},
        {Tone::plain, severity_tone(rule.severity)});
  }
  return table.render(style);
}

nlohmann::json audit_rules_json() {
  auto list = nlohmann::json::array();
  for (const auto& rule : audit_rules()) {
    list.push_back({{"id", rule.id},
                    {"severity", severity_name(rule.severity)},
                    {"title", rule.title},
                    {"why", rule.why},
                    {"fix", rule.fix}});
  }
  return {{"rules", list}};
}

}  // namespace portkit

#include "portkit/probe/check.hpp"

#include <algorithm>
#include <asio/steady_timer.hpp>

#include "portkit/registry/registry.hpp"
#include "probe/async_probe.hpp"
#include "probe/stop_on_signal.hpp"

namespace portkit {
namespace {

// The open TCP answers, identified together; a name the user gave is the TLS server name.
void identify_open_answers(std::vector<CheckResult>& results, const CheckOptions& options) {
  std::vector<IdentifyTarget> targets;
  std::vector<ProbeResult*> answers;
  for (auto& result : results) {
    const auto& host = result.target.host;
    for (auto& answer : result.answers) {
      if (answer.proto != Proto::tcp || answer.state != PortState::open) continue;
      targets.push_back(
          {answer.address, answer.port, host.kind == HostKind::name ? host.text : ""});
      answers.push_back(&answer);
    }
  }
  auto identities = identify_services(targets, options.identify_options);
  for (std::size_t i = 0; i < answers.size(); ++i) answers[i]->identity = std::move(identities[i]);
}

}  // namespace

CheckReport run_checks(const std::vector<std::string>& texts,
                       const std::vector<Endpoint>& endpoints, const CheckOptions& options) {
  CheckReport report;
  auto& results = report.results;
  results.resize(endpoints.size());
  std::vector<std::vector<asio::ip::address>> addresses(endpoints.size());
  {
    // A loop of its own for the names: when it goes, a resolver still busy is abandoned.
    asio::io_context io;
    StopOnSignal on_signal(io, options.stop_on_signal, report.interrupted);
    std::size_t resolving = endpoints.size();
    asio::steady_timer resolve_deadline(io, options.resolve_timeout);
    resolve_deadline.async_wait([&](const asio::error_code& error) {
      if (!error) io.stop();  // the names still unanswered are reported unresolved
    });
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      results[i].endpoint = texts[i];
      results[i].target = endpoints[i];
      results[i].service =
          std::string(registry::service_name(endpoints[i].port, endpoints[i].proto));
      results[i].unresolved = "no answer from the resolver within " +
                              std::to_string(options.resolve_timeout.count()) + " ms";
      start_resolve(io, endpoints[i].host, options.family, [&, i](auto resolved) {
        if (resolved) {
          addresses[i] = std::move(resolved).value();
          results[i].unresolved.clear();
        } else {
          results[i].unresolved = resolved.error().message;
        }
        if (--resolving == 0) {
          resolve_deadline.cancel();
          on_signal.done();
        }
      });
    }
    io.run();
  }
  if (report.interrupted) return report;

  asio::io_context io;
  StopOnSignal on_signal(io, options.stop_on_signal, report.interrupted);
  std::size_t probing = 0;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    auto& result = results[i];
    for (const auto& address : addresses[i]) {
      ++probing;
      start_probe(io, address, endpoints[i].port, endpoints[i].proto, options.probe,
                  [&](ProbeResult answer) {
                    result.answers.push_back(std::move(answer));
                    if (--probing == 0) on_signal.done();
                  });
    }
  }
  if (probing == 0) on_signal.done();
  io.run();
  for (auto& result : results) {
    std::stable_sort(
        result.answers.begin(), result.answers.end(),
        [](const ProbeResult& a, const ProbeResult& b) { return better_answer(a, b); });
    if (!options.all_addresses && result.answers.size() > 1) result.answers.resize(1);
  }
  if (options.identify && !report.interrupted) identify_open_answers(results, options);
  return report;
}

}  // namespace portkit

#include "portkit/check.hpp"

#include <algorithm>

#include "portkit/registry.hpp"

namespace portkit {

Result<std::vector<CheckResult>> run_checks(const std::vector<std::string>& texts,
                                            const std::vector<Endpoint>& endpoints,
                                            const CheckOptions& options) {
  asio::io_context io;
  std::vector<std::vector<asio::ip::address>> addresses(endpoints.size());
  std::optional<Error> failure;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    start_resolve(io, endpoints[i].host, options.family, [&, i](auto resolved) {
      if (!resolved) {
        if (!failure) failure = resolved.error();
        return;
      }
      addresses[i] = std::move(resolved).value();
    });
  }
  io.run();
  if (failure) return *failure;

  std::vector<CheckResult> results(endpoints.size());
  io.restart();
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    auto& result = results[i];
    result.endpoint = texts[i];
    result.target = endpoints[i];
    result.service = std::string(registry::service_name(endpoints[i].port, endpoints[i].proto));
    for (const auto& address : addresses[i]) {
      start_probe(io, address, endpoints[i].port, endpoints[i].proto, options.probe,
                  [&result](ProbeResult answer) { result.answers.push_back(std::move(answer)); });
    }
  }
  io.run();
  for (auto& result : results) {
    std::stable_sort(
        result.answers.begin(), result.answers.end(),
        [](const ProbeResult& a, const ProbeResult& b) { return better_answer(a, b); });
    if (!options.all_addresses && result.answers.size() > 1) result.answers.resize(1);
  }
  return results;
}

}  // namespace portkit

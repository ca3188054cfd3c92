#include <asio/ip/tcp.hpp>
#include <memory>

#include "portkit/async_probe.hpp"
#include "text_util.hpp"

namespace portkit {
namespace {

bool wanted(const asio::ip::address& address, FamilyFilter family) {
  if (family == FamilyFilter::v4) return address.is_v4();
  if (family == FamilyFilter::v6) return address.is_v6();
  return true;
}

const char* family_name(FamilyFilter family) {
  return family == FamilyFilter::v4 ? "IPv4" : "IPv6";
}

}  // namespace

void start_resolve(asio::io_context& io, const Host& host, FamilyFilter family,
                   ResolveCallback done) {
  if (host.kind != HostKind::name) {
    asio::error_code error;
    const auto address = asio::ip::make_address(host.text, error);
    Result<std::vector<asio::ip::address>> result = std::vector<asio::ip::address>{address};
    if (error) {
      result = make_error("invalid address " + single_quoted(host.text));
    } else if (!wanted(address, family)) {
      result = make_error(std::string("address ") + single_quoted(host.text) + " is not " +
                          family_name(family));
    }
    asio::post(io, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
    return;
  }
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(io);
  resolver->async_resolve(
      host.text, "", asio::ip::resolver_base::address_configured,
      [resolver, host, family, done = std::move(done)](
          const asio::error_code& error, const asio::ip::tcp::resolver::results_type& results) {
        if (error) {
          done(make_error("cannot resolve " + single_quoted(host.text) + ": " + error.message()));
          return;
        }
        std::vector<asio::ip::address> addresses;
        for (const auto& entry : results) {
          const auto address = entry.endpoint().address();
          if (!wanted(address, family)) continue;
          if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
            addresses.push_back(address);
          }
        }
        if (addresses.empty()) {
          done(
              make_error(single_quoted(host.text) + " has no " + family_name(family) + " address"));
          return;
        }
        done(std::move(addresses));
      });
}

bool better_answer(const ProbeResult& candidate, const ProbeResult& current) {
  const auto rank = [](PortState state) {
    switch (state) {
      case PortState::open:
        return 0;
      case PortState::closed:
        return 1;
      case PortState::open_filtered:
        return 2;
      case PortState::filtered:
        return 3;
    }
    return 4;
  };
  return rank(candidate.state) < rank(current.state);
}

}  // namespace portkit

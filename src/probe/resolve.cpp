#include <netdb.h>
#include <netinet/in.h>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "base/text_util.hpp"
#include "probe/async_probe.hpp"

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

// Names are resolved by getaddrinfo on a detached thread that nothing waits for. Asio's own
// resolver joins its thread when the io_context goes, so a name whose DNS server stays silent
// held `wait -t 1s` for 10 s: a deadline must not depend on the resolver. The answer is posted
// back, and the loop kept running for it, only while the io_context lives; this service, owned
// by the io_context, says when it stops.
class DetachedResolves : public asio::execution_context::service {
 public:
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  struct Shared {
    std::mutex mutex;
    bool alive = true;
    std::map<std::uint64_t, WorkGuard> pending;  // one per resolve in flight
    std::uint64_t next_id = 0;
  };

  static inline asio::execution_context::id id;  // NOLINT(readability-identifier-naming): Asio's
  explicit DetachedResolves(asio::execution_context& context) : service(context) {}

  std::shared_ptr<Shared> shared() const { return shared_; }

 private:
  void shutdown() override {
    const std::lock_guard lock(shared_->mutex);
    shared_->alive = false;
    shared_->pending.clear();  // the loop no longer waits for them
  }
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

Result<std::vector<asio::ip::address>> resolve_now(const std::string& name, FamilyFilter family) {
  addrinfo hints{};
  hints.ai_family = family == FamilyFilter::v4   ? AF_INET
                    : family == FamilyFilter::v6 ? AF_INET6
                                                 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const int status = ::getaddrinfo(name.c_str(), nullptr, &hints, &list);
  if (status != 0) {
    const std::string reason =
        status == EAI_NONAME || status == EAI_NODATA ? "no such host" : ::gai_strerror(status);
    if (family != FamilyFilter::any && (status == EAI_NODATA || status == EAI_ADDRFAMILY)) {
      return make_error(single_quoted(name) + " has no " + family_name(family) + " address");
    }
    return make_error("cannot resolve " + single_quoted(name) + ": " + reason);
  }
  std::vector<asio::ip::address> addresses;
  for (const auto* entry = list; entry != nullptr; entry = entry->ai_next) {
    asio::ip::address address;
    if (entry->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ai_addr);
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
      address = asio::ip::address_v4(bytes);
    } else if (entry->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ai_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
      address = asio::ip::address_v6(bytes, in6->sin6_scope_id);
    } else {
      continue;
    }
    if (wanted(address, family) &&
        std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
      addresses.push_back(address);
    }
  }
  ::freeaddrinfo(list);
  if (addresses.empty()) {
    return make_error(single_quoted(name) + " has no " + family_name(family) + " address");
  }
  return addresses;
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
  const auto shared = asio::use_service<DetachedResolves>(io).shared();
  std::uint64_t id = 0;
  {
    const std::lock_guard lock(shared->mutex);
    id = shared->next_id++;
    shared->pending.emplace(id, asio::make_work_guard(io));
  }
  const auto resolve = [shared, id, &io, name = host.text, family, done]() mutable {
    auto result = resolve_now(name, family);
    const std::lock_guard lock(shared->mutex);
    if (!shared->alive) return;  // the loop is gone, and nobody waits for this answer
    asio::post(io, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
    shared->pending.erase(id);
  };
  try {
    std::thread(resolve).detach();
  } catch (const std::system_error& error) {  // no thread to be had: answer with the reason
    const std::lock_guard lock(shared->mutex);
    shared->pending.erase(id);
    asio::post(io, [done = std::move(done), reason = std::string(error.what()),
                    name = host.text]() mutable {
      done(make_error("cannot resolve " + single_quoted(name) + ": " + reason));
    });
  }
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

#include "portkit/scan/scan_targets.hpp"

#include <algorithm>
#include <asio/io_context.hpp>
#include <iostream>
#include <iterator>

#include "base/text_util.hpp"
#include "probe/async_probe.hpp"
#include "sys/file.hpp"

namespace portkit {
namespace {

// Addresses of one family compare as big-endian byte strings.
bool within(const IpAddress& address, const Target& block) {
  return address.is_v6 == block.first.is_v6 && block.first.bytes <= address.bytes &&
         address.bytes <= block.last.bytes;
}

IpAddress to_ip_address(const asio::ip::address& address) {
  IpAddress result;
  result.is_v6 = address.is_v6();
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), result.bytes.begin());
  } else {
    const auto bytes = address.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), result.bytes.begin());
  }
  return result;
}

// The address nmap would scan for a name: the first IPv4 one unless IPv6 was asked for.
asio::ip::address pick(const std::vector<asio::ip::address>& addresses, FamilyFilter family) {
  if (family == FamilyFilter::any) {
    for (const auto& address : addresses) {
      if (address.is_v4()) return address;
    }
  }
  return addresses.front();
}

Result<bool> resolve_names(std::vector<Target>& targets, FamilyFilter family) {
  asio::io_context io;
  std::optional<Error> failure;
  for (auto& target : targets) {
    if (!target.hostname) continue;
    start_resolve(io, Host{*target.hostname, HostKind::name}, family,
                  [&failure, &target, family](auto resolved) {
                    if (!resolved) {
                      if (!failure) failure = resolved.error();
                      return;
                    }
                    target.first = target.last = to_ip_address(pick(*resolved, family));
                  });
  }
  io.run();
  if (failure) return *failure;
  return true;
}

}  // namespace

Result<std::vector<Target>> parse_target_list(std::string_view text) {
  std::vector<Target> targets;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    auto line = take_line(text);
    line = line.substr(0, line.find('#'));
    std::size_t at = 0;
    while (at < line.size()) {
      const auto start = line.find_first_not_of(" \t\r,", at);
      if (start == std::string_view::npos) break;
      auto stop = line.find_first_of(" \t\r,", start);
      if (stop == std::string_view::npos) stop = line.size();
      auto target = parse_target(line.substr(start, stop - start));
      if (!target) {
        return make_error("line " + std::to_string(line_number) + ": " + target.error().message);
      }
      targets.push_back(std::move(target).value());
      at = stop;
    }
  }
  return targets;
}

Result<std::vector<Target>> load_target_list(const std::string& path) {
  auto read = sys::read_input_file(path, sys::kMaxTargetListBytes);
  if (!read) return make_error("target list: " + read.error().message, read.error().sys_errno);
  const std::string text = std::move(read).value();
  auto targets = parse_target_list(text);
  if (!targets) return make_error(single_quoted(path) + " " + targets.error().message);
  if (targets->empty())
    return make_error("target list " + single_quoted(path) + " names no target");
  return targets;
}

Result<HostSource> HostSource::create(std::vector<Target> targets, std::vector<Target> excludes,
                                      FamilyFilter family) {
  HostSource source;
  for (const auto& target : targets) {
    if (!target.hostname && family != FamilyFilter::any &&
        target.first.is_v6 != (family == FamilyFilter::v6)) {
      return make_error("target " + single_quoted(target.text) + " is not " +
                        (family == FamilyFilter::v6 ? "IPv6" : "IPv4"));
    }
    const auto size = target.size();
    if (size > kMaxScanHosts || source.total_ + size > kMaxScanHosts) {
      return make_error("too many hosts: " + single_quoted(target.text) + " brings the scan past " +
                        std::to_string(kMaxScanHosts) + " addresses");
    }
    source.total_ += size;
  }
  if (auto resolved = resolve_names(targets, family); !resolved) return resolved.error();
  if (auto resolved = resolve_names(excludes, FamilyFilter::any); !resolved) {
    return resolved.error();
  }
  for (const auto& target : targets) {
    source.resolved_names_.push_back(target.hostname.value_or(""));
  }
  source.targets_ = std::move(targets);
  source.excludes_ = std::move(excludes);
  return source;
}

bool HostSource::is_excluded(const IpAddress& address) const {
  for (const auto& block : excludes_) {
    if (within(address, block)) return true;
  }
  return false;
}

std::optional<ScanHost> HostSource::next() {
  while (target_index_ < targets_.size()) {
    const auto& target = targets_[target_index_];
    if (address_index_ >= target.size()) {
      ++target_index_;
      address_index_ = 0;
      continue;
    }
    const auto address = target.hostname ? target.first : target.at(address_index_);
    ++address_index_;
    if (is_excluded(address)) {
      ++excluded_;
      continue;
    }
    const auto position = walked_++;
    auto reason = HostReason::user_set;
    if (kept_) {
      if (kept_index_ >= kept_->size()) return std::nullopt;
      if ((*kept_)[kept_index_].position != position) continue;
      reason = (*kept_)[kept_index_++].reason;
    }
    return ScanHost{resolved_names_[target_index_], address, handed_out_++, reason};
  }
  return std::nullopt;
}

void HostSource::keep_only(std::vector<KeptHost> hosts) {
  std::sort(hosts.begin(), hosts.end(),
            [](const KeptHost& a, const KeptHost& b) { return a.position < b.position; });
  kept_ = std::move(hosts);
  kept_index_ = 0;
}

}  // namespace portkit

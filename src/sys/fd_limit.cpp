#include "sys/fd_limit.hpp"

#include <algorithm>
#include <charconv>

#include "sys/file.hpp"

namespace portkit::sys {

rlim_t raise_descriptor_limit(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (const auto nr_open = read_text_file("/proc/sys/fs/nr_open")) {
    rlim_t ceiling = 0;
    const auto* end = nr_open->data() + nr_open->size();
    if (std::from_chars(nr_open->data(), end, ceiling).ec == std::errc{} && ceiling > 0) {
      wanted = std::min(wanted, ceiling);
    }
  }
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted) {
    const rlimit raised{wanted, wanted};  // refused without CAP_SYS_RESOURCE
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return wanted;
  }
  const rlim_t target = limit.rlim_max == RLIM_INFINITY ? wanted : limit.rlim_max;
  if (limit.rlim_cur < target) {
    const rlimit raised{target, limit.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return target;
  }
  return limit.rlim_cur;
}

}  // namespace portkit::sys

#pragma once
// The one descriptor-limit policy (scan and forward): each probe or relayed connection holds
// descriptors, so the soft RLIMIT_NOFILE goes as far as allowed: to the hard limit, and past it
// up to `wanted` (capped by fs.nr_open) when the process may raise the hard limit (root).
#include <sys/resource.h>

namespace portkit::sys {

constexpr rlim_t kWantedDescriptors = rlim_t{1} << 20;

// The soft limit now in force (0 when it cannot be read).
rlim_t raise_descriptor_limit(rlim_t wanted = kWantedDescriptors);

}  // namespace portkit::sys

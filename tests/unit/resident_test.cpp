#include "sys/resident.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portkit::sys {
namespace {

// A trimmed capture of /proc/self/smaps: program text, a RELRO page the loader wrote, a
// writable data page, the heap, a deleted file and the vdso.
constexpr const char* kSmaps =
    "55d0a0000000-55d0a0211000 r-xp 00005000 fe:00 5309064    /usr/bin/portkit\n"
    "Size:               2116 kB\n"
    "Rss:                 448 kB\n"
    "Anonymous:             0 kB\n"
    "VmFlags: rd ex mr mw me sd\n"
    "55d0a0211000-55d0a02f4000 r--p 00211000 fe:00 5309064    /usr/bin/portkit\n"
    "Anonymous:             0 kB\n"
    "55d0a02f4000-55d0a02ff000 r--p 002f4000 fe:00 5309064    /usr/bin/portkit\n"
    "Anonymous:            44 kB\n"
    "55d0a02ff000-55d0a0301000 rw-p 002ff000 fe:00 5309064    /usr/bin/portkit\n"
    "Anonymous:             8 kB\n"
    "55d0a1000000-55d0a1021000 rw-p 00000000 00:00 0          [heap]\n"
    "Anonymous:            36 kB\n"
    "7f0000000000-7f0000010000 r-xp 00000000 fe:00 1234       /tmp/old.so (deleted)\n"
    "Anonymous:             0 kB\n"
    "7f0000020000-7f0000028000 r-xp 00000000 fe:00 333211     /usr/lib/libm.so.6\n"
    "Anonymous:             0 kB\n"
    "7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0          [vdso]\n"
    "Anonymous:             0 kB\n";

TEST(Resident, DropsOnlyUnwrittenReadOnlyFileMappings) {
  EXPECT_EQ(droppable_file_mappings(kSmaps),
            (std::vector<AddressRange>{{0x55d0a0000000, 0x55d0a0211000},
                                       {0x55d0a0211000, 0x55d0a02f4000},
                                       {0x7f0000020000, 0x7f0000028000}}));
}

TEST(Resident, AMappingIsKeptUnlessItSaysItHoldsNoAnonymousPage) {
  // A block cut short before its Anonymous line may be a written one: it stays.
  const std::string cut = "7f0000020000-7f0000028000 r-xp 00000000 fe:00 1 /usr/lib/libm.so.6\n";
  EXPECT_TRUE(droppable_file_mappings(cut).empty());
  EXPECT_EQ(droppable_file_mappings(cut + "Anonymous:  0 kB\n").size(), 1u);
  EXPECT_TRUE(droppable_file_mappings("Anonymous: 0 kB\ngarbage-line\n-\n").empty());
  EXPECT_TRUE(
      droppable_file_mappings("1-2 r-xp 0 0:0 1 /x\nAnonymous:    4 kB\n2-1 r-xp 0 0:0 1 /y\n")
          .empty());
}

TEST(Resident, DroppingPagesKeepsTheProcessWorking) {
  EXPECT_GT(drop_startup_pages(), 0u);
  // Code and constants come back from the file on the next touch.
  const std::string text = std::to_string(12345);
  EXPECT_EQ(text, "12345");
}

}  // namespace
}  // namespace portkit::sys

#include <sys/resource.h>

#include "sys/fd_limit.hpp"

namespace portkit {
namespace {

// The one raiser scan and forward share: the soft limit it reports is the one in force, never
// lower than before, and within the hard limit.
TEST(DescriptorLimit, RaisesTheSoftLimitAndReportsIt) {
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  const auto reported = sys::raise_descriptor_limit(before.rlim_cur + 16);
  rlimit after{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(reported, after.rlim_cur);
  EXPECT_GE(after.rlim_cur, before.rlim_cur);
  EXPECT_LE(after.rlim_cur, after.rlim_max);
  // Asking for less than is in force lowers nothing.
  EXPECT_EQ(sys::raise_descriptor_limit(8), after.rlim_cur);
}

}  // namespace
}  // namespace portkit

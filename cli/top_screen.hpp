#pragma once
// portkit top's full-screen view (ncurses): refreshes, keys, resize, and the terminal put back
// as it was on every way out.
#include <chrono>
#include <cstdint>
#include <string>

#include "portkit/top/top.hpp"

namespace portkit::cli {

struct TopScreenSettings {
  std::chrono::milliseconds interval{1000};
  TopSort sort = TopSort::new_rate;
  std::string filter;
  bool color = false;            // --color and NO_COLOR, as resolve_style decides for a terminal
  std::uint64_t iterations = 0;  // refreshes before leaving by itself; 0 for none
};

// Whether terminfo describes $TERM (terminal_check.cpp: <term.h> defines a macro for every
// terminfo capability, so it is kept out of every other file).
bool terminal_described();

// Returns the exit code: 0 on q, SIGINT or SIGTERM, or after `iterations`; 3 when the
// terminal cannot be used or a sample fails (the message is printed after the screen is gone).
int run_top_screen(TopSampler& sampler, const TopScreenSettings& settings);

}  // namespace portkit::cli

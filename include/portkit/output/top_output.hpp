#pragma once
// portkit top's frames: the lines of one screen (also printed as text by --once and in batch
// mode) and the JSON snapshot.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "portkit/output/table.hpp"
#include "portkit/top/top.hpp"

namespace portkit {

struct TopFrameOptions {
  TopSort sort = TopSort::new_rate;
  std::string filter;  // port_matches()'s filter; empty for none
  bool paused = false;
  bool keys_line = false;  // the screen's last line: the keys
  std::string clock;       // "HH:MM:SS", shown in the title
  std::size_t width = 0;   // lines cut to this many columns; 0 for no limit
  std::size_t height = 0;  // at most this many lines; 0 for no limit
};

struct TopLine {
  std::string text;
  Tone tone = Tone::plain;
};

// Pure: the lines of one frame, ports sorted and filtered as `options` says. A name from /proc
// or the registry is printed with control bytes escaped.
std::vector<TopLine> render_top(const TopView& view, const TopFrameOptions& options);

// One snapshot as JSON (every port, unsorted, unfiltered); `event` is "snapshot".
nlohmann::json top_json(const TopView& view);

}  // namespace portkit

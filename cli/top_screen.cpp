// portkit top's screen. ncurses draws and reads keys; what a frame shows is render_top's
// (pure, unit-tested); this file only owns the terminal.
#include "top_screen.hpp"

#include <curses.h>
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <optional>

#include "cli_common.hpp"
#include "portkit/output/top_output.hpp"

namespace portkit::cli {

namespace {

volatile std::sig_atomic_t stop_signal = 0;

extern "C" void on_stop_signal(int signal_number) {
  stop_signal = signal_number;
}

// The terminal as ncurses found it comes back on every way out of the screen, an exception
// included; the signal handlers only set a flag, so endwin() never runs inside a handler.
class Terminal {
 public:
  Terminal() = default;
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;
  ~Terminal() {
    if (screen_ != nullptr) {
      endwin();
      delscreen(screen_);
    }
  }
  bool open(bool color) {
    // The terminal's description is looked up first: newterm() on an unknown TERM fails
    // after allocating what it never frees.
    if (!terminal_described()) return false;
    screen_ = newterm(nullptr, stdout, stdin);
    if (screen_ == nullptr) return false;
    set_term(screen_);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    ESCDELAY = 25;
    if (color && has_colors()) {
      start_color();
      use_default_colors();
      init_pair(1, COLOR_RED, -1);
      init_pair(2, COLOR_CYAN, -1);
      color_ = true;
    }
    return true;
  }
  // Plain terminals (and NO_COLOR) get bold, reverse and dim only.
  [[nodiscard]] attr_t attribute(Tone tone) const {
    switch (tone) {
      case Tone::bold:
        return A_REVERSE | A_BOLD;
      case Tone::accent:
        return color_ ? (COLOR_PAIR(2) | A_BOLD) : A_BOLD;
      case Tone::warn:
      case Tone::bad:
        return color_ ? (COLOR_PAIR(1) | A_BOLD) : A_BOLD;
      case Tone::dim:
        return A_DIM;
      default:
        return A_NORMAL;
    }
  }

 private:
  SCREEN* screen_ = nullptr;
  bool color_ = false;
};

std::string clock_text() {
  const auto now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

struct ScreenState {
  TopFrameOptions frame;
  bool typing_filter = false;
  std::string typed;
};

void draw(const Terminal& terminal, const TopView& view, ScreenState& state) {
  state.frame.width = static_cast<std::size_t>(std::max(COLS, 1));
  state.frame.height = static_cast<std::size_t>(std::max(LINES, 1));
  state.frame.keys_line = true;
  const auto lines = render_top(view, state.frame);
  erase();
  int row = 0;
  for (const auto& line : lines) {
    attrset(terminal.attribute(line.tone));
    mvaddnstr(row++, 0, line.text.c_str(), COLS);
  }
  attrset(A_NORMAL);
  if (state.typing_filter) {
    const auto prompt = "filter (port or process, Enter to apply, Esc to cancel): " + state.typed;
    attrset(A_REVERSE);
    mvaddnstr(LINES - 1, 0, fmt::format("{:<{}}", prompt, COLS).c_str(), COLS);
    attrset(A_NORMAL);
  }
  refresh();
}

// A key typed into the filter prompt; true when the prompt closed.
bool type_filter_key(int key, ScreenState& state) {
  if (key == '\n' || key == '\r' || key == KEY_ENTER) {
    state.frame.filter = state.typed;
    state.typing_filter = false;
  } else if (key == 27) {  // Esc
    state.typing_filter = false;
  } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
    if (!state.typed.empty()) state.typed.pop_back();
  } else if (key >= 0x20 && key < 0x7f && state.typed.size() < 64) {
    state.typed.push_back(static_cast<char>(key));
  }
  return !state.typing_filter;
}

// Samples, draws and reads keys until asked to stop; the failure, if a sample failed.
std::optional<std::string> show(const Terminal& terminal, TopSampler& sampler,
                                const TopScreenSettings& settings) {
  ScreenState state;
  state.frame.sort = settings.sort;
  state.frame.filter = settings.filter;
  timeout(50);  // getch waits at most this long, so signals and refreshes are never late

  auto view = sampler.sample();
  if (!view) return view.error().message;
  state.frame.clock = clock_text();
  draw(terminal, *view, state);
  auto next = std::chrono::steady_clock::now() + settings.interval;
  std::uint64_t refreshes = 0;
  while (stop_signal == 0) {
    const int key = getch();
    bool redraw = false;
    if (key == KEY_RESIZE) {
      redraw = true;
    } else if (state.typing_filter) {
      type_filter_key(key, state);
      redraw = key != ERR;
    } else if (key == 'q' || key == 'Q') {
      break;
    } else if (key == 's') {
      state.frame.sort = next_top_sort(state.frame.sort);
      redraw = true;
    } else if (key == '/' || key == 'f') {
      state.typing_filter = true;
      state.typed = state.frame.filter;
      redraw = true;
    } else if (key == 'p' || key == ' ') {
      state.frame.paused = !state.frame.paused;
      redraw = true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!state.frame.paused && now >= next) {
      view = sampler.sample();
      if (!view) return view.error().message;
      state.frame.clock = clock_text();
      next = now + settings.interval;
      redraw = true;
      if (settings.iterations != 0 && ++refreshes >= settings.iterations) {
        draw(terminal, *view, state);
        break;
      }
    }
    if (redraw) draw(terminal, *view, state);
  }
  return std::nullopt;
}

}  // namespace

int run_top_screen(TopSampler& sampler, const TopScreenSettings& settings) {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);

  std::optional<std::string> failure;
  {
    Terminal terminal;
    if (!terminal.open(settings.color)) {
      const char* term = std::getenv("TERM");
      return fail("top",
                  fmt::format("cannot use the terminal (TERM={}): use --once or --json",
                              term ? term : "unset"),
                  kExitRuntime);
    }
    failure = show(terminal, sampler, settings);
  }  // the terminal is put back here, before any message
  if (failure) return fail("top", *failure, kExitRuntime);
  return kExitOk;
}

}  // namespace portkit::cli

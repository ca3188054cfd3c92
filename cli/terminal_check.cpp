// Whether terminfo describes the terminal, asked before ncurses opens a screen.
#include <curses.h>
#include <term.h>
#include <unistd.h>

#include "top_screen.hpp"

namespace portkit::cli {

bool terminal_described() {
  int status = 0;
  if (setupterm(nullptr, STDOUT_FILENO, &status) != OK) return false;
  del_curterm(cur_term);
  return true;
}

}  // namespace portkit::cli
